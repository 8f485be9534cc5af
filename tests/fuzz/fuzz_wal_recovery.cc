// Fuzzes WAL recovery: arbitrary segment files are opened, recovered and read back; no byte
// pattern may crash, recovery must keep exactly a prefix of intact frames, and the recovered log
// must accept appends and reopen cleanly.
//
// Input, first byte = flags:
//   bit 0 clear: the rest is written verbatim as segment 1 (raw mode);
//   bit 0 set (structured): bytes 1-2 cut offset, 3-4 flip offset (little-endian), 5 flip mask,
//     then records as <length byte><bytes>. The records are framed into a valid segment (or two,
//     bit 1), then the damaged segment (the last, or the first with bit 2) is cut at the cut
//     offset and has one byte XORed with the mask. Every record whose frame lies wholly before
//     the damage must come back, in order, and nothing but a prefix of each segment's records.
//     Bit 3: the segments are encrypted (version 2, Hydrant's own key), as a stream with
//     server-side encryption writes them; the same rules hold.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/cipher.h"
#include "common/env.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

namespace {

namespace wal = hydrant::wal;
using hydrant::Env;

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "check failed: %s\n", what);
    abort();
  }
}

// A scratch directory on tmpfs when there is one (fdatasync is then cheap), removed at exit.
const std::string& Dir() {
  static const std::string* dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    auto* templ = new std::string(base + "/hydrant-fuzz-wal-XXXXXX");  // outlives atexit handlers
    if (!mkdtemp(templ->data())) abort();
    atexit([] { (void)Env::Default()->RemoveDirRecursively(Dir()); });
    return templ;
  }();
  return *dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  auto file = Env::Default()->NewWritableFile(path, /*truncate=*/true);
  Check(file.ok() && (*file)->Append(bytes).ok() && (*file)->Close().ok(), "write segment");
}

// The master keys: Hydrant's own, made once in the scratch directory.
const hydrant::KeyRing& Keys() {
  static const hydrant::KeyRing* keys = [] {
    auto ring = hydrant::KeyRing::Open(Env::Default(), Dir() + "/keys", {});
    Check(ring.ok(), "key ring");
    return ring->release();
  }();
  return *keys;
}

struct Recovered {
  std::vector<std::pair<uint64_t, std::string>> records;  // (segment, data)
  wal::RecoveryReport report;
};

// Opens the log in `dir`, reads every record; nullopt if Open fails.
std::optional<Recovered> OpenAndRead(const std::string& dir, std::string_view append = {}) {
  Recovered out;
  wal::Options options{.env = Env::Default(), .dir = dir, .keys = &Keys()};
  auto log = wal::Wal::Open(options, &out.report);
  if (!log.ok()) return std::nullopt;
  hydrant::Status read = (*log)->Read((*log)->Begin(), [&](const wal::RecordView& r) {
    Check(r.position < r.next, "positions advance");
    out.records.emplace_back(r.position.segment, std::string(r.data));
    return true;
  });
  Check(read.ok(), "a recovered log reads back without errors");
  Check(out.report.records == out.records.size(), "report counts the records read");
  if (!append.empty()) {
    std::string_view one[] = {append};
    hydrant::Status appended = hydrant::Status::Internal("callback not run");
    (*log)->Append(one, 1, [&](hydrant::Status s) { appended = s; });
    Check((*log)->Close().ok() && appended.ok(), "append after recovery");
  }
  return out;
}

// The recovered log accepts an append, and reopens with nothing cut and the record at the end.
void CheckReopen(const std::string& dir, const Recovered& first) {
  constexpr std::string_view kMarker = "appended-after-recovery";
  Check(OpenAndRead(dir, kMarker).has_value(), "second open");
  auto again = OpenAndRead(dir);
  Check(again.has_value(), "third open");
  Check(again->report.truncated_bytes == 0, "a recovered log needs no second recovery");
  Check(again->records.size() == first.records.size() + 1, "records survive reopening");
  for (size_t i = 0; i < first.records.size(); ++i) {
    Check(again->records[i].second == first.records[i].second, "same records after reopening");
  }
  Check(again->records.back().second == kMarker, "appended record read back last");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string dir = Dir() + "/wal";
  (void)Env::Default()->RemoveDirRecursively(dir);
  Check(Env::Default()->CreateDirs(dir).ok(), "create dir");
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (!(flags & 1)) {
    WriteFile(dir + "/" + wal::SegmentFileName(1), rest);
    auto recovered = OpenAndRead(dir);
    if (recovered) CheckReopen(dir, *recovered);
    return 0;
  }

  if (rest.size() < 5) return 0;
  const size_t cut = static_cast<uint8_t>(rest[0]) | (static_cast<uint8_t>(rest[1]) << 8);
  const size_t flip = static_cast<uint8_t>(rest[2]) | (static_cast<uint8_t>(rest[3]) << 8);
  const uint8_t mask = static_cast<uint8_t>(rest[4]);
  rest.remove_prefix(5);
  std::vector<std::string> records;
  while (!rest.empty()) {
    size_t n = std::min<size_t>(static_cast<uint8_t>(rest[0]), rest.size() - 1);
    records.emplace_back(rest.substr(1, n));
    rest.remove_prefix(1 + n);
  }
  const bool two_segments = flags & 2;
  const size_t damaged = two_segments && (flags & 4) ? 0 : (two_segments ? 1 : 0);
  const size_t split = two_segments ? records.size() / 2 : records.size();
  std::vector<std::vector<std::string>> segments(two_segments ? 2 : 1);
  for (size_t i = 0; i < records.size(); ++i) segments[i < split ? 0 : 1].push_back(records[i]);

  // intact[s]: records of segment s whose frames lie wholly before its damage.
  std::vector<size_t> intact(segments.size());
  bool version_hit = false;
  const bool sealed = flags & 8;
  const std::string key_ref(hydrant::kOwnKeyRef);
  for (size_t s = 0; s < segments.size(); ++s) {
    const std::string data_key(hydrant::kCipherKeyBytes, static_cast<char>(s + 1));
    hydrant::NonceCipher cipher(data_key);
    std::string bytes = sealed ? wal::EncodeSealedSegmentHeader(key_ref, hydrant::Seal(Keys().own_key(), data_key, key_ref))
                               : wal::EncodeSegmentHeader();
    std::vector<size_t> ends;
    for (size_t i = 0; i < segments[s].size(); ++i) {
      if (sealed) {
        wal::AppendSealedFrame(&bytes, 1000 + static_cast<int64_t>(i), segments[s][i], &cipher, s + 1, bytes.size());
      } else {
        wal::AppendFrame(&bytes, 1000 + static_cast<int64_t>(i), segments[s][i]);
      }
      ends.push_back(bytes.size());
    }
    size_t damage = bytes.size();
    if (s == damaged) {
      if (cut < bytes.size()) {
        bytes.resize(cut);
        damage = cut;
      }
      if (mask != 0 && flip < bytes.size()) {
        bytes[flip] = static_cast<char>(bytes[flip] ^ mask);
        damage = std::min(damage, flip);
        version_hit = flip >= 8 && flip < 12;
      }
    }
    intact[s] = std::count_if(ends.begin(), ends.end(), [&](size_t end) { return end <= damage; });
    WriteFile(dir + "/" + wal::SegmentFileName(s + 1), bytes);
  }

  auto recovered = OpenAndRead(dir);
  if (!recovered) {
    Check(version_hit, "open fails only for an unknown version");
    return 0;
  }
  size_t next = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    size_t kept = 0;
    while (next < recovered->records.size() && recovered->records[next].first == s + 1) {
      Check(kept < segments[s].size() && recovered->records[next].second == segments[s][kept],
            "recovered records are a prefix of the segment's records");
      ++kept;
      ++next;
    }
    Check(kept >= intact[s], "every record before the damage is kept");
  }
  Check(next == recovered->records.size(), "no records from unknown segments");
  CheckReopen(dir, *recovered);
  return 0;
}
