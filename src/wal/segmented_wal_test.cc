// Tests for the segmented Wal: framing, group commit, rolls, recovery, crashes, release.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "wal/testing/fault_injection_env.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

namespace hydrant::wal {

void PrintTo(const LogPosition& p, std::ostream* os) {
  *os << "{" << p.segment << "," << p.offset << "}";
}

namespace {

struct Rec {
  LogPosition position;
  LogPosition next;
  int64_t arrival_millis;
  std::string data;
  bool operator==(const Rec&) const = default;
};

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-wal-XXXXXX";
    root_ = mkdtemp(tmpl);
    dir_ = JoinPath(root_, "wal");
  }
  void TearDown() override { (void)Env::Default()->RemoveDirRecursively(root_); }

  std::unique_ptr<Wal> Open(uint64_t max_segment_bytes = 64 << 20,
                            RecoveryReport* report = nullptr) {
    auto wal = Wal::Open(Options{.env = &env_, .dir = dir_, .max_segment_bytes = max_segment_bytes},
                         report);
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? std::move(*wal) : nullptr;
  }

  // Appends and waits for the callback.
  static Status AppendSync(Wal& wal, const std::vector<std::string>& records, int64_t arrival,
                           LogPosition* position = nullptr) {
    std::vector<std::string_view> views(records.begin(), records.end());
    std::promise<Status> done;
    LogPosition p = wal.Append(views, arrival, [&](Status s) { done.set_value(std::move(s)); });
    if (position != nullptr) *position = p;
    return done.get_future().get();
  }

  static std::vector<Rec> ReadAll(const Wal& wal, LogPosition from, Status* status = nullptr) {
    std::vector<Rec> out;
    Status s = wal.Read(from, [&](const RecordView& r) {
      out.push_back({r.position, r.next, r.arrival_millis, std::string(r.data)});
      return true;
    });
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return out;
  }

  std::vector<std::string> SegmentFiles() {
    auto children = Env::Default()->GetChildren(dir_);
    EXPECT_TRUE(children.ok());
    std::vector<std::string> names;
    for (auto& name : *children) {
      if (ParseSegmentFileName(name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string SegmentPath(uint64_t segment) { return JoinPath(dir_, SegmentFileName(segment)); }
  std::string ReadSegment(uint64_t segment) {
    auto data = Env::Default()->ReadFile(SegmentPath(segment));
    EXPECT_TRUE(data.ok());
    return data.ok() ? *data : "";
  }
  void WriteSegment(uint64_t segment, const std::string& bytes) {
    ASSERT_TRUE(Env::Default()->WriteFileAtomic(SegmentPath(segment), bytes).ok());
  }

  FaultInjectionEnv env_;
  std::string root_;
  std::string dir_;
};

std::vector<std::string> Payloads(int n, size_t max_size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s = fmt::format("r{}:", i);
    s.resize(std::max(s.size(), static_cast<size_t>(rng() % (max_size + 1))),
             static_cast<char>('a' + i % 26));
    out.push_back(std::move(s));
  }
  return out;
}

TEST_F(WalTest, FreshLogStartsAtTheFirstFrameOfSegmentOne) {
  RecoveryReport report;
  auto wal = Open(64 << 20, &report);
  ASSERT_TRUE(wal);
  EXPECT_EQ(wal->Begin(), (LogPosition{1, kSegmentHeaderSize}));
  EXPECT_EQ(wal->DurableEnd(), (LogPosition{1, kSegmentHeaderSize}));
  EXPECT_EQ(report.records, 0u);
  EXPECT_EQ(report.truncated_bytes, 0u);
  EXPECT_TRUE(report.detail.empty());
  EXPECT_EQ(SegmentFiles(), std::vector<std::string>{"00000000000000000001.wal"});
  EXPECT_EQ(wal->RetainedBytes(), kSegmentHeaderSize);
}

TEST_F(WalTest, RoundTripsRecordsWithExactPositions) {
  std::vector<std::vector<std::string>> batches = {
      {"hello"}, {"", "zero-length is legal", ""}, {std::string(1 << 20, 'm')}, {"a", "b", "c"}};
  std::vector<Rec> expected;
  {
    auto wal = Open();
    ASSERT_TRUE(wal);
    int64_t arrival = 1700000000000;
    for (const auto& batch : batches) {
      LogPosition position;
      ASSERT_TRUE(AppendSync(*wal, batch, arrival, &position).ok());
      for (const auto& data : batch) {
        LogPosition next{position.segment, position.offset + kFrameHeaderSize + data.size()};
        expected.push_back({position, next, arrival, data});
        position = next;
      }
      ++arrival;
    }
    EXPECT_EQ(expected.front().position, (LogPosition{1, kSegmentHeaderSize}));
    EXPECT_EQ(wal->DurableEnd(), expected.back().next);
    EXPECT_EQ(ReadAll(*wal, wal->Begin()), expected);
    EXPECT_EQ(wal->RetainedBytes(), expected.back().next.offset);
    EXPECT_TRUE(wal->Close().ok());
  }
  RecoveryReport report;
  auto wal = Open(64 << 20, &report);
  ASSERT_TRUE(wal);
  EXPECT_EQ(report.records, expected.size());
  EXPECT_EQ(report.truncated_bytes, 0u);
  EXPECT_TRUE(report.detail.empty()) << report.detail;
  EXPECT_EQ(wal->DurableEnd(), expected.back().next);
  EXPECT_EQ(ReadAll(*wal, wal->Begin()), expected);
}

TEST_F(WalTest, ManyRecordsAcrossSegmentRolls) {
  constexpr uint64_t kMax = 4096;
  std::vector<std::string> payloads = Payloads(3000, 300, 7);
  payloads[1234] = std::string(10000, 'B');  // larger than a segment: goes in on its own
  std::vector<LogPosition> firsts;           // position Append returned for each batch
  std::vector<size_t> first_index;           // index of each batch's first record
  {
    auto wal = Open(kMax);
    ASSERT_TRUE(wal);
    std::atomic<int> failures{0};
    for (size_t i = 0; i < payloads.size();) {
      size_t n = std::min<size_t>(1 + i % 4, payloads.size() - i);
      std::vector<std::string_view> views(payloads.begin() + i, payloads.begin() + i + n);
      first_index.push_back(i);
      firsts.push_back(wal->Append(views, static_cast<int64_t>(i), [&](Status s) {
        if (!s.ok()) ++failures;
      }));
      i += n;
    }
    ASSERT_TRUE(wal->Close().ok());
    EXPECT_EQ(failures, 0);
  }
  std::vector<std::string> files = SegmentFiles();
  EXPECT_GT(files.size(), 50u);
  for (const auto& name : files) {
    auto size = Env::Default()->GetFileSize(JoinPath(dir_, name));
    ASSERT_TRUE(size.ok());
    std::string bytes = ReadSegment(*ParseSegmentFileName(name));
    EXPECT_EQ(bytes.substr(0, kSegmentHeaderSize), EncodeSegmentHeader(kSeededFormatVersion));
    // Only a segment holding the oversized record's batch may exceed the limit.
    if (bytes.find(std::string(100, 'B')) == std::string::npos) {
      EXPECT_LE(*size, kMax) << name;
    }
  }

  RecoveryReport report;
  auto wal = Open(kMax, &report);
  ASSERT_TRUE(wal);
  EXPECT_EQ(report.records, payloads.size());
  EXPECT_TRUE(report.detail.empty()) << report.detail;
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(read.size(), payloads.size());
  for (size_t i = 0; i < read.size(); ++i) {
    ASSERT_EQ(read[i].data, payloads[i]) << i;
    if (i + 1 < read.size() && read[i + 1].position.segment == read[i].position.segment) {
      ASSERT_EQ(read[i].next, read[i + 1].position);
    }
  }
  for (size_t b = 0; b < firsts.size(); ++b) {
    size_t i = first_index[b];
    ASSERT_EQ(firsts[b], read[i].position) << "batch " << b;
    // A batch never straddles two segments.
    size_t end = b + 1 < first_index.size() ? first_index[b + 1] : read.size();
    ASSERT_EQ(read[end - 1].position.segment, read[i].position.segment);
  }
  EXPECT_EQ(wal->DurableEnd(), read.back().next);
}

TEST_F(WalTest, AppendsDuringASyncGoIntoTheNextGroup) {
  auto wal = Open();
  ASSERT_TRUE(wal);
  std::mutex mu;
  std::vector<DurableGroup> groups;
  wal->SetDurableListener([&](const DurableGroup& g) {
    std::lock_guard lock(mu);
    groups.push_back(g);
  });
  uint64_t syncs_before = env_.sync_count();
  std::atomic<int> acked{0};
  auto count = [&](Status s) {
    EXPECT_TRUE(s.ok());
    ++acked;
  };
  std::vector<std::string_view> a = {"first"};
  std::vector<std::string_view> b = {"second", "third"};
  std::vector<std::string_view> c = {"fourth"};

  env_.HoldSyncs(true);
  wal->Append(a, 10, count);
  EXPECT_TRUE(env_.WaitForHeldSyncs(1));  // the first group is being synced
  wal->Append(b, 30, count);
  LogPosition c_position = wal->Append(c, 20, count);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(acked, 0);  // nothing acknowledged before its sync
  env_.HoldSyncs(false);
  std::promise<void> barrier;
  wal->Append({}, 0, [&](Status) { barrier.set_value(); });
  barrier.get_future().get();

  EXPECT_EQ(acked, 3);
  EXPECT_EQ(env_.sync_count() - syncs_before, 2u);
  std::lock_guard lock(mu);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].records, 1u);
  EXPECT_EQ(groups[0].data_bytes, 5u);
  EXPECT_EQ(groups[0].oldest_arrival_millis, 10);
  EXPECT_EQ(groups[1].records, 3u);
  EXPECT_EQ(groups[1].data_bytes, 6u + 5u + 6u);
  EXPECT_EQ(groups[1].oldest_arrival_millis, 20);
  EXPECT_EQ(groups[1].end, (LogPosition{1, c_position.offset + kFrameHeaderSize + 6}));
  EXPECT_EQ(groups[1].end, wal->DurableEnd());
}

// An idle log frees its group buffers after 200 ms and then sleeps until the next append
// (no periodic wakeups with thousands of idle streams): that append must still wake it.
TEST_F(WalTest, AnAppendWakesALogThatWentIdle) {
  auto wal = Open();
  ASSERT_TRUE(AppendSync(*wal, {"before"}, 1).ok());
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(450));  // past the idle release
    auto done = std::async(std::launch::async, [&] { return AppendSync(*wal, {"after idle"}, 2); });
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "an append after an idle period was not synced (round " << round << ")";
      (void)wal->Close();  // wakes the log, so the append returns and the test can end
      return;
    }
    EXPECT_TRUE(done.get().ok());
  }
}

TEST_F(WalTest, ConcurrentAppendersShareSyncs) {
  auto wal = Open();
  ASSERT_TRUE(wal);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  uint64_t syncs_before = env_.sync_count();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string record = fmt::format("t{}-{}", t, i);
        if (!AppendSync(*wal, {record}, i).ok()) ++failures;  // like a request handler
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  uint64_t syncs = env_.sync_count() - syncs_before;
  EXPECT_LE(syncs * 2, static_cast<uint64_t>(kThreads * kPerThread)) << syncs << " syncs";

  // Each thread's records are in its own order.
  std::vector<int> next(kThreads, 0);
  for (const Rec& r : ReadAll(*wal, wal->Begin())) {
    int t = std::stoi(r.data.substr(1));
    EXPECT_EQ(r.data, fmt::format("t{}-{}", t, next[t]));
    ++next[t];
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kPerThread));
}

TEST_F(WalTest, TruncationAtEveryOffsetOfTheLastFrameKeepsEarlierRecords) {
  std::vector<std::string> payloads = {"alpha", "", "gamma-gamma", "delta"};
  std::string last = "the last record, which will be torn";
  LogPosition last_position;
  {
    auto wal = Open();
    ASSERT_TRUE(wal);
    ASSERT_TRUE(AppendSync(*wal, payloads, 5).ok());
    ASSERT_TRUE(AppendSync(*wal, {last}, 6, &last_position).ok());
  }
  const std::string original = ReadSegment(1);
  ASSERT_EQ(original.size(), last_position.offset + kFrameHeaderSize + last.size());

  for (uint64_t cut = last_position.offset; cut < original.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    WriteSegment(1, original.substr(0, cut));
    RecoveryReport report;
    {
      auto wal = Open(64 << 20, &report);
      ASSERT_TRUE(wal);
      EXPECT_EQ(report.records, payloads.size());
      EXPECT_EQ(report.truncated_bytes, cut - last_position.offset);
      EXPECT_EQ(report.detail.empty(), cut == last_position.offset) << report.detail;
      EXPECT_EQ(wal->DurableEnd(), last_position);
      std::vector<Rec> read = ReadAll(*wal, wal->Begin());
      ASSERT_EQ(read.size(), payloads.size());
      for (size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(read[i].data, payloads[i]);
      EXPECT_EQ(ReadSegment(1).size(), last_position.offset);  // cut on disk, not just skipped
      LogPosition position;
      ASSERT_TRUE(AppendSync(*wal, {"after recovery"}, 7, &position).ok());
      EXPECT_EQ(position, last_position);
    }
    auto wal = Open(64 << 20, &report);
    ASSERT_TRUE(wal);
    EXPECT_EQ(report.records, payloads.size() + 1);
    EXPECT_EQ(report.truncated_bytes, 0u);
    std::vector<Rec> read = ReadAll(*wal, wal->Begin());
    ASSERT_EQ(read.size(), payloads.size() + 1);
    EXPECT_EQ(read.back().data, "after recovery");
  }
}

// Segments are written around the page cache in whole blocks: after a sync the last block is
// padded with zeros, and a small group that extends the file writes zeros ahead up to the next
// kDirectLogZeroBytes, until later groups overwrite them. A kill -9 leaves them; they are no damage.
TEST_F(WalTest, TheZeroPaddingOfTheLastBlockIsCutQuietlyOnRecovery) {
  std::string crashed;
  {
    auto wal = Open();
    ASSERT_TRUE(wal);
    ASSERT_TRUE(AppendSync(*wal, {"one"}, 1).ok());
    ASSERT_TRUE(AppendSync(*wal, {std::string(5000, 't')}, 2).ok());
    crashed = ReadSegment(1);  // what the disk holds if the process dies here
  }
  ASSERT_EQ(crashed.size(), 8192u);  // the test env writes a group then syncs: no zeros ahead
  crashed.resize(kDirectLogZeroBytes, '\0');  // the most zeros a direct log leaves (env_test)
  WriteSegment(1, crashed);
  RecoveryReport report;
  {
    auto wal = Open(64 << 20, &report);
    ASSERT_TRUE(wal);
    EXPECT_EQ(report.records, 2u);
    EXPECT_EQ(report.truncated_bytes, 0u) << report.detail;
    EXPECT_EQ(report.detail, "");
    ASSERT_TRUE(AppendSync(*wal, {"three"}, 3).ok());
  }
  auto wal = Open(64 << 20, &report);
  ASSERT_TRUE(wal);
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].data, "one");
  EXPECT_EQ(read[2].data, "three");
  // A zero-filled region longer than any padding is still damage.
  ASSERT_TRUE(wal->Close().ok());
  std::string segment = ReadSegment(1);
  WriteSegment(1, segment + std::string(4096 - segment.size() % 4096 + kDirectLogZeroBytes, '\0'));
  RecoveryReport damaged;
  ASSERT_TRUE(Open(64 << 20, &damaged));
  EXPECT_EQ(damaged.records, 3u);
  EXPECT_GT(damaged.truncated_bytes, kDirectLogZeroBytes);
}

TEST_F(WalTest, TornSegmentHeaderLeavesAnEmptyUsableLog) {
  { ASSERT_TRUE(Open()); }
  const std::string header = ReadSegment(1);
  ASSERT_EQ(header.size(), kSegmentHeaderSize);
  for (size_t cut = 0; cut < kSegmentHeaderSize; ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    WriteSegment(1, header.substr(0, cut));
    RecoveryReport report;
    {
      auto wal = Open(64 << 20, &report);
      ASSERT_TRUE(wal);
      EXPECT_EQ(report.records, 0u);
      EXPECT_EQ(report.truncated_bytes, cut);
      EXPECT_EQ(wal->DurableEnd(), (LogPosition{1, kSegmentHeaderSize}));
      ASSERT_TRUE(AppendSync(*wal, {"x"}, 1).ok());
    }
    auto wal = Open(64 << 20, &report);
    ASSERT_TRUE(wal);
    EXPECT_EQ(report.records, 1u);
    EXPECT_EQ(report.truncated_bytes, 0u);
    ASSERT_TRUE(wal->Close().ok());
    WriteSegment(1, header);
  }
}

TEST_F(WalTest, FlippedByteInAMiddleFrameKeepsEverythingBeforeIt) {
  std::vector<std::string> payloads = Payloads(10, 40, 3);
  std::vector<LogPosition> positions;
  {
    auto wal = Open();
    ASSERT_TRUE(wal);
    for (const auto& p : payloads) {
      positions.emplace_back();
      ASSERT_TRUE(AppendSync(*wal, {p}, 1, &positions.back()).ok());
    }
  }
  const std::string original = ReadSegment(1);
  const size_t victim = 5;
  const uint64_t begin = positions[victim].offset;
  const uint64_t end = begin + kFrameHeaderSize + payloads[victim].size();
  for (uint64_t i = begin; i < end; ++i) {
    SCOPED_TRACE("flipped byte " + std::to_string(i));
    std::string bytes = original;
    bytes[i] ^= 0x10;
    WriteSegment(1, bytes);
    RecoveryReport report;
    auto wal = Open(64 << 20, &report);
    ASSERT_TRUE(wal);
    EXPECT_EQ(report.records, victim);
    EXPECT_EQ(report.truncated_bytes, original.size() - begin);
    EXPECT_NE(report.detail.find("00000000000000000001.wal"), std::string::npos) << report.detail;
    std::vector<Rec> read = ReadAll(*wal, wal->Begin());
    ASSERT_EQ(read.size(), victim);
    for (size_t r = 0; r < victim; ++r) EXPECT_EQ(read[r].data, payloads[r]);
    EXPECT_EQ(wal->DurableEnd(), positions[victim]);
  }
}

TEST_F(WalTest, CorruptFrameInAnEarlierSegmentDropsOnlyTheRestOfThatSegment) {
  constexpr uint64_t kMax = 512;
  std::vector<std::string> payloads = Payloads(60, 50, 11);
  std::vector<LogPosition> positions;
  {
    auto wal = Open(kMax);
    ASSERT_TRUE(wal);
    for (const auto& p : payloads) {
      positions.emplace_back();
      ASSERT_TRUE(AppendSync(*wal, {p}, 1, &positions.back()).ok());
    }
  }
  ASSERT_GE(positions.back().segment, 4u);
  // Corrupt the second record of segment 2.
  size_t victim = 0;
  while (positions[victim].segment != 2) ++victim;
  ++victim;
  ASSERT_EQ(positions[victim].segment, 2u);
  std::string bytes = ReadSegment(2);
  uint64_t segment2_size = bytes.size();
  bytes[positions[victim].offset + 2] ^= 0x01;  // inside the CRC
  WriteSegment(2, bytes);

  std::vector<std::string> expected;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (positions[i].segment != 2 || i < victim) expected.push_back(payloads[i]);
  }
  for (int round = 0; round < 2; ++round) {  // the second open finds nothing left to cut
    RecoveryReport report;
    auto wal = Open(kMax, &report);
    ASSERT_TRUE(wal);
    EXPECT_EQ(report.records, expected.size());
    if (round == 0) {
      EXPECT_EQ(report.truncated_bytes, segment2_size - positions[victim].offset);
      EXPECT_NE(report.detail.find("00000000000000000002.wal"), std::string::npos) << report.detail;
    } else {
      EXPECT_EQ(report.truncated_bytes, 0u);
      EXPECT_TRUE(report.detail.empty()) << report.detail;
    }
    std::vector<Rec> read = ReadAll(*wal, wal->Begin());
    std::vector<std::string> data;
    for (const Rec& r : read) data.push_back(r.data);
    EXPECT_EQ(data, expected);
    EXPECT_EQ(wal->DurableEnd(), read.back().next);
  }
}

TEST_F(WalTest, GarbageSegmentIsResetAndTheLogStaysUsable) {
  std::mt19937 rng(42);
  std::string garbage(5000, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_).ok());
  WriteSegment(1, garbage);
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(JoinPath(dir_, "notes.txt"), "ignored").ok());
  RecoveryReport report;
  {
    auto wal = Open(64 << 20, &report);
    ASSERT_TRUE(wal);
    EXPECT_EQ(report.records, 0u);
    EXPECT_EQ(report.truncated_bytes, garbage.size());
    EXPECT_FALSE(report.detail.empty());
    EXPECT_EQ(wal->Begin(), (LogPosition{1, kSegmentHeaderSize}));
    EXPECT_EQ(wal->DurableEnd(), wal->Begin());
    ASSERT_TRUE(AppendSync(*wal, {"fresh"}, 1).ok());
  }
  auto wal = Open(64 << 20, &report);
  ASSERT_TRUE(wal);
  EXPECT_EQ(report.records, 1u);
  EXPECT_EQ(report.truncated_bytes, 0u);
  EXPECT_EQ(ReadAll(*wal, wal->Begin()).at(0).data, "fresh");
  EXPECT_EQ(Env::Default()->ReadFile(JoinPath(dir_, "notes.txt")).value(), "ignored");
}

TEST_F(WalTest, RandomDamageNeverCrashesAndKeepsAPrefix) {
  std::vector<std::string> payloads = Payloads(40, 80, 5);
  {
    auto wal = Open();
    ASSERT_TRUE(wal);
    for (const auto& p : payloads) ASSERT_TRUE(AppendSync(*wal, {p}, 1).ok());
  }
  const std::string original = ReadSegment(1);
  std::mt19937 rng(1234);
  for (int iteration = 0; iteration < 300; ++iteration) {
    std::string bytes = original;
    int mutations = 1 + static_cast<int>(rng() % 8);
    for (int m = 0; m < mutations; ++m) {
      size_t at = kSegmentHeaderSize + rng() % (bytes.size() - kSegmentHeaderSize);
      bytes[at] = static_cast<char>(rng());
    }
    if (rng() % 2) bytes.resize(kSegmentHeaderSize + rng() % (bytes.size() - kSegmentHeaderSize));
    if (rng() % 4 == 0) bytes.append(rng() % 100, static_cast<char>(rng()));
    WriteSegment(1, bytes);
    RecoveryReport report;
    auto wal = Open(64 << 20, &report);
    ASSERT_TRUE(wal);
    std::vector<Rec> read = ReadAll(*wal, wal->Begin());
    ASSERT_EQ(read.size(), report.records);
    ASSERT_LE(read.size(), payloads.size());
    for (size_t i = 0; i < read.size(); ++i) ASSERT_EQ(read[i].data, payloads[i]) << iteration;
    ASSERT_TRUE(AppendSync(*wal, {"still usable"}, 2).ok());
  }
}

TEST_F(WalTest, PowerLossAfterAcknowledgementLosesNoAcknowledgedRecord) {
  constexpr uint64_t kMax = 2048;  // frequent rolls: directory syncs matter too
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  {
    auto wal = Open(kMax);
    ASSERT_TRUE(wal);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          std::string a = fmt::format("t{}-{}a", t, i);
          std::string b = fmt::format("t{}-{}b", t, i);
          std::vector<std::string_view> views = {a, b};
          wal->Append(views, i, [&, a, b](Status s) {
            if (!s.ok()) return;
            std::lock_guard lock(mu);
            acked.insert(a);
            acked.insert(b);
          });
          if (i % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      });
    }
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(mu);
      if (acked.size() >= 2000) break;
    }
    env_.SetFilesystemActive(false);  // the power goes out
    stop = true;
    for (auto& thread : threads) thread.join();
    EXPECT_FALSE(wal->Close().ok());
  }
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  env_.SetFilesystemActive(true);

  auto wal = Open(kMax);
  ASSERT_TRUE(wal);
  std::set<std::string> recovered;
  for (const Rec& r : ReadAll(*wal, wal->Begin())) recovered.insert(r.data);
  std::lock_guard lock(mu);
  EXPECT_GT(SegmentFiles().size(), 10u);
  for (const std::string& a : acked) ASSERT_TRUE(recovered.count(a)) << "lost acknowledged " << a;
  ASSERT_TRUE(AppendSync(*wal, {"after power loss"}, 1).ok());
}

TEST_F(WalTest, FailedSyncIsCutAwayAndTheLogContinues) {
  auto wal = Open();
  ASSERT_TRUE(wal);
  ASSERT_TRUE(AppendSync(*wal, {"kept"}, 1).ok());
  LogPosition durable = wal->DurableEnd();
  env_.FailNextSync();  // the bytes reach the file, their sync fails
  EXPECT_EQ(AppendSync(*wal, {"unknown fate"}, 2).code(), StatusCode::kIOError);
  EXPECT_EQ(wal->DurableEnd(), durable);
  EXPECT_EQ(ReadSegment(1).size(), durable.offset);  // the unsynced tail is cut
  LogPosition next;
  ASSERT_TRUE(AppendSync(*wal, {"after"}, 3, &next).ok());
  EXPECT_EQ(next, durable);  // framed right after the last acknowledged record
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();

  wal = Open();
  ASSERT_TRUE(wal);
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].data, "kept");
  EXPECT_EQ(read[1].data, "after");
}

TEST_F(WalTest, FailedWriteFailsOnlyItsGroup) {
  auto wal = Open();
  ASSERT_TRUE(wal);
  env_.TearNextAppend();  // a full disk: half the group written, then ENOSPC
  EXPECT_EQ(AppendSync(*wal, {"a"}, 1).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(wal->DurableEnd(), (LogPosition{1, kSegmentHeaderSize}));
  ASSERT_TRUE(AppendSync(*wal, {"b"}, 1).ok());
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].data, "b");
}

// A disk that stays unusable: appends fail at once until a repair succeeds, which is retried
// every repair_retry_millis.
TEST_F(WalTest, FailsUntilTheFileSystemReturns) {
  auto opened = Wal::Open(Options{.env = &env_, .dir = dir_, .repair_retry_millis = 20}, nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  ASSERT_TRUE(AppendSync(*wal, {"kept"}, 1).ok());
  env_.SetFilesystemActive(false);
  EXPECT_EQ(AppendSync(*wal, {"lost 1"}, 2).code(), StatusCode::kIOError);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));  // repairs fail meanwhile
  EXPECT_EQ(AppendSync(*wal, {"lost 2"}, 3).code(), StatusCode::kIOError);
  env_.SetFilesystemActive(true);
  Status s;
  for (int i = 0; i < 200; ++i) {
    s = AppendSync(*wal, {"back"}, 4);
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].data, "kept");
  EXPECT_EQ(read[1].data, "back");
}

// Concurrent appenders, small segments (so failures hit rolls too), failures injected at
// random: every acknowledged record is in the log once, in order of its position, and no
// failed record is.
TEST_F(WalTest, RandomWriteAndSyncFailuresKeepExactlyTheAcknowledgedRecords) {
  auto opened = Wal::Open(
      Options{.env = &env_, .dir = dir_, .max_segment_bytes = 512, .repair_retry_millis = 2}, nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  std::mutex mu;
  std::set<std::string> acked, failed;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        std::string a = fmt::format("w{}-{}a", t, i), b = fmt::format("w{}-{}b-{:040}", t, i, 0);
        Status s = AppendSync(*wal, {a, b}, i);
        std::lock_guard lock(mu);
        (s.ok() ? acked : failed).insert(a);
        (s.ok() ? acked : failed).insert(b);
      }
    });
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 60; ++i) {
    // Each failure comes after at least one acknowledged group since the previous one.
    size_t before = [&] { std::lock_guard lock(mu); return acked.size(); }();
    while ([&] { std::lock_guard lock(mu); return acked.size(); }() == before) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    switch (rng() % 3) {
      case 0: env_.FailNextAppend(); break;
      case 1: env_.TearNextAppend(); break;
      default: env_.FailNextSync(); break;
    }
  }
  // The last injected failure may hit a repair, which is then retried a second later.
  for (int i = 0; i < 300 && !AppendSync(*wal, {"final"}, 0).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  acked.insert("final");
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();
  ASSERT_GT(failed.size(), 20u);

  wal = Open(512);
  ASSERT_TRUE(wal);
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  std::set<std::string> seen;
  for (const Rec& r : read) {
    EXPECT_TRUE(seen.insert(r.data).second) << "twice: " << r.data;
    EXPECT_FALSE(failed.count(r.data)) << "a failed record is in the log: " << r.data;
  }
  EXPECT_EQ(seen, acked);
}

TEST_F(WalTest, BytesBetweenCountsAcrossSegments) {
  auto wal = Open(/*max_segment_bytes=*/256);
  ASSERT_TRUE(wal);
  std::vector<LogPosition> positions;
  for (int i = 0; i < 40; ++i) {
    LogPosition p;
    ASSERT_TRUE(AppendSync(*wal, {std::string(30, 'a')}, i, &p).ok());
    positions.push_back(p);
  }
  ASSERT_GT(SegmentFiles().size(), 3u);
  const LogPosition begin = wal->Begin(), end = wal->DurableEnd();
  EXPECT_EQ(wal->BytesBetween(begin, end), wal->RetainedBytes() - kSegmentHeaderSize);
  EXPECT_EQ(wal->BytesBetween(end, begin), 0u);
  uint64_t sum = 0;  // consecutive spans add up, whichever segments they cross
  for (size_t i = 1; i < positions.size(); ++i) sum += wal->BytesBetween(positions[i - 1], positions[i]);
  EXPECT_EQ(sum, wal->BytesBetween(positions.front(), positions.back()));
}

TEST_F(WalTest, ReleaseBeforeDeletesOnlyFullyConsumedSegments) {
  constexpr uint64_t kMax = 1024;
  std::vector<std::string> payloads = Payloads(100, 100, 9);
  auto wal = Open(kMax);
  ASSERT_TRUE(wal);
  for (const auto& p : payloads) ASSERT_TRUE(AppendSync(*wal, {p}, 1).ok());
  std::vector<Rec> all = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(all.size(), payloads.size());
  const uint64_t last_segment = all.back().position.segment;
  ASSERT_GE(last_segment, 5u);
  // What the segments hold on disk, less the zeros after the data of the segment being written,
  // until it is closed (WriteMode::kDirectLog).
  auto disk_bytes = [&] {
    uint64_t total = 0;
    for (const auto& name : SegmentFiles())
      total += *Env::Default()->GetFileSize(JoinPath(dir_, name));
    const std::string last = JoinPath(dir_, SegmentFiles().back());
    return total - (*Env::Default()->GetFileSize(last) - wal->DurableEnd().offset);
  };
  EXPECT_EQ(wal->RetainedBytes(), disk_bytes());

  // Releasing before a segment's first record keeps that segment.
  size_t i = 40;
  while (all[i].position.offset != kSegmentHeaderSize) ++i;
  uint64_t s = all[i].position.segment;
  ASSERT_TRUE(wal->ReleaseBefore(all[i].position).ok());
  EXPECT_EQ(SegmentFiles().front(), SegmentFileName(s));
  EXPECT_EQ(wal->Begin(), (LogPosition{s, kSegmentHeaderSize}));
  // Releasing up to its end (its last record's `next`) keeps it, so a reader that resumes
  // from that `next` still finds its place...
  size_t last_of_s = i;
  while (all[last_of_s + 1].position.segment == s) ++last_of_s;
  ASSERT_TRUE(wal->ReleaseBefore(all[last_of_s].next).ok());
  EXPECT_EQ(SegmentFiles().front(), SegmentFileName(s));
  EXPECT_EQ(ReadAll(*wal, all[last_of_s].next).at(0), all[last_of_s + 1]);
  // ...and releasing up to a record of the next segment deletes it.
  ASSERT_TRUE(wal->ReleaseBefore(all[last_of_s + 1].position).ok());
  EXPECT_EQ(SegmentFiles().front(), SegmentFileName(s + 1));
  EXPECT_EQ(wal->RetainedBytes(), disk_bytes());

  Status status;
  ReadAll(*wal, all[0].position, &status);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  std::vector<Rec> rest = ReadAll(*wal, wal->Begin());
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.front(), all[last_of_s + 1]);

  // The segment being written is never deleted.
  ASSERT_TRUE(wal->ReleaseBefore(wal->DurableEnd()).ok());
  ASSERT_TRUE(wal->ReleaseBefore(LogPosition{UINT64_MAX, UINT64_MAX}).ok());
  EXPECT_EQ(SegmentFiles(), std::vector<std::string>{SegmentFileName(last_segment)});
  EXPECT_EQ(wal->RetainedBytes(), disk_bytes());
  EXPECT_FALSE(ReadAll(*wal, wal->Begin()).empty());
  LogPosition position;
  ASSERT_TRUE(AppendSync(*wal, {"more"}, 1, &position).ok());
  wal.reset();

  wal = Open(kMax);
  ASSERT_TRUE(wal);
  EXPECT_EQ(wal->Begin(), (LogPosition{last_segment, kSegmentHeaderSize}));
  EXPECT_EQ(ReadAll(*wal, position).at(0).data, "more");
}

TEST_F(WalTest, ReadFromTheMiddleStopsWhenAsked) {
  std::vector<std::string> payloads = Payloads(50, 30, 2);
  auto wal = Open(700);
  ASSERT_TRUE(wal);
  for (const auto& p : payloads) ASSERT_TRUE(AppendSync(*wal, {p}, 1).ok());
  std::vector<Rec> all = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(all.size(), payloads.size());
  for (size_t from : {size_t{0}, size_t{17}, size_t{49}}) {
    std::vector<Rec> tail = ReadAll(*wal, all[from].position);
    EXPECT_EQ(tail, std::vector<Rec>(all.begin() + from, all.end()));
  }
  // A segment's end continues into the next segment.
  size_t k = 0;
  while (all[k + 1].position.segment == all[k].position.segment) ++k;
  EXPECT_EQ(ReadAll(*wal, all[k].next).at(0), all[k + 1]);

  int visited = 0;
  ASSERT_TRUE(wal->Read(all[10].position, [&](const RecordView&) { return ++visited < 3; }).ok());
  EXPECT_EQ(visited, 3);
  EXPECT_TRUE(ReadAll(*wal, wal->DurableEnd()).empty());
  Status status;
  ReadAll(*wal, LogPosition{all.back().position.segment, wal->DurableEnd().offset + 1}, &status);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}

TEST_F(WalTest, SequentialReadUsesLargeChunks) {
  auto wal = Open();
  ASSERT_TRUE(wal);
  std::vector<std::string> payloads(20000, std::string(100, 'p'));
  for (size_t i = 0; i < payloads.size(); i += 1000) {
    std::vector<std::string> batch(payloads.begin() + i, payloads.begin() + i + 1000);
    ASSERT_TRUE(AppendSync(*wal, batch, 1).ok());
  }
  uint64_t before = env_.random_read_count();
  EXPECT_EQ(ReadAll(*wal, wal->Begin()).size(), payloads.size());
  EXPECT_LE(env_.random_read_count() - before, 8u);  // ~2.3 MB, not 20000 preads
}

// With recent writes kept, records read soon after their group commit come from memory: the
// same records, not one pread.
TEST_F(WalTest, RecentRecordsAreReadFromMemory) {
  RecentWrites recent(64 << 20);
  auto opened = Wal::Open(Options{.env = &env_, .dir = dir_, .max_segment_bytes = 256 << 10, .recent = &recent}, nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  std::vector<std::string> payloads = Payloads(3000, 300, 11);
  std::vector<Rec> expected;
  for (size_t i = 0; i < payloads.size(); i += 100) {
    // Small groups are copied, one large one is handed over whole; both roll segments.
    std::vector<std::string> batch(payloads.begin() + i, payloads.begin() + i + 100);
    if (i == 1000) batch.push_back(std::string(300 << 10, 'L'));
    ASSERT_TRUE(AppendSync(*wal, batch, static_cast<int64_t>(i)).ok());
  }
  const uint64_t before = env_.random_read_count();
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  EXPECT_EQ(env_.random_read_count(), before);
  EXPECT_GT(recent.hit_bytes(), 450'000u);
  EXPECT_EQ(recent.missed_bytes(), 0u);
  ASSERT_EQ(read.size(), payloads.size() + 1);

  // The files hold the same: a log opened on them (nothing kept) reads the same records.
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(recent.kept_bytes(), 0u);  // a closed log's pieces are dropped
  wal = Open(256 << 10);
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal, wal->Begin()), read);
  EXPECT_GT(env_.random_read_count(), before);
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// The real Env: the fault-injection one truncates a reused file.
TEST_F(WalTest, AReleasedSegmentsFileIsReusedAndItsOldFramesNeverComeBack) {
  constexpr uint64_t kMax = 64 << 10;
  auto open = [&](const std::string& dir, RecoveryReport* report) {
    auto wal = Wal::Open(Options{.env = Env::Default(), .dir = dir, .max_segment_bytes = kMax}, report);
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? std::move(*wal) : nullptr;
  };
  auto wal = open(dir_, nullptr);
  ASSERT_TRUE(wal);
  // Frames of whole blocks, the same in every segment: the new segment's data ends where an
  // old frame starts, not overwritten by the zeros that pad a partial last block, and only the
  // seeded CRC tells that frame from a new one.
  constexpr size_t kRecord = kDirectBlockBytes - kFrameHeaderSize;
  int n = 0;
  auto append = [&](char fill) {
    const LogPosition end = wal->DurableEnd();
    const bool first = end.offset == kSegmentHeaderSize || end.offset + kDirectBlockBytes > kMax;
    ASSERT_TRUE(AppendSync(*wal, {std::string(kRecord - (first ? kSegmentHeaderSize : 0), fill)}, ++n).ok());
  };
  auto append_until = [&](char fill, uint64_t segment) {
    while (wal->DurableEnd().segment < segment) append(fill);
  };
  append_until('o', 3);
  ASSERT_TRUE(wal->ReleaseBefore(wal->DurableEnd()).ok());
  const std::string spare = JoinPath(dir_, "spare-segment");
  ASSERT_TRUE(Env::Default()->FileExists(spare));
  EXPECT_EQ(SegmentFiles(), std::vector<std::string>{SegmentFileName(3)});
  const ino_t spare_inode = Inode(spare);

  append_until('n', 4);
  for (int i = 0; i < 2; ++i) append('n');
  EXPECT_FALSE(Env::Default()->FileExists(spare));
  EXPECT_EQ(Inode(SegmentPath(4)), spare_inode);
  ASSERT_EQ(wal->DurableEnd().offset % kDirectBlockBytes, 0u);
  EXPECT_GE(*Env::Default()->GetFileSize(SegmentPath(4)), wal->DurableEnd().offset + kDirectBlockBytes);
  const std::vector<Rec> expected = ReadAll(*wal, wal->Begin());
  EXPECT_EQ(std::count_if(expected.begin(), expected.end(), [](const Rec& r) { return r.position.segment == 4; }), 3);

  // A crash now leaves the files as they are (every group was synced): recovery keeps exactly
  // the records appended, and cuts the old bytes after them.
  const std::string crashed = JoinPath(root_, "crashed");
  std::filesystem::copy(dir_, crashed);
  {
    RecoveryReport report;
    auto recovered = open(crashed, &report);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(ReadAll(*recovered, recovered->Begin()), expected);
    EXPECT_GT(report.truncated_bytes, 0u);
  }
  // Closing cuts them: a clean restart has nothing to report.
  ASSERT_TRUE(wal->Close().ok());
  wal.reset();
  RecoveryReport report;
  wal = open(dir_, &report);
  ASSERT_TRUE(wal);
  EXPECT_EQ(report.truncated_bytes, 0u) << report.detail;
  EXPECT_EQ(ReadAll(*wal, wal->Begin()), expected);
}

TEST_F(WalTest, ASegmentBeingReadIsDeletedNotReused) {
  auto wal = Open(4096);
  ASSERT_TRUE(wal);
  for (int i = 0; wal->DurableEnd().segment < 3; ++i) {
    ASSERT_TRUE(AppendSync(*wal, {std::string(1000, 'r')}, i).ok());
  }
  Status released;
  ASSERT_TRUE(wal->Read(wal->Begin(), [&](const RecordView&) {
    released = wal->ReleaseBefore(wal->DurableEnd());
    return false;
  }).ok());
  ASSERT_TRUE(released.ok()) << released.ToString();
  EXPECT_EQ(SegmentFiles(), std::vector<std::string>{SegmentFileName(3)});
  EXPECT_FALSE(Env::Default()->FileExists(JoinPath(dir_, "spare-segment")));
}

TEST_F(WalTest, OnlyVersion3SegmentsAreKeptForReuse) {
  // Segments 1 and 2 as an earlier Hydrant wrote them: version 1, frames not seeded.
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_).ok());
  for (uint64_t n : {1, 2}) {
    std::string bytes = EncodeSegmentHeader();
    AppendFrame(&bytes, 1, "old");
    WriteSegment(n, bytes);
  }
  auto wal = Open(4096);
  ASSERT_TRUE(wal);
  auto fill_until = [&](uint64_t segment) {
    for (int i = 0; wal->DurableEnd().segment < segment; ++i) {
      ASSERT_TRUE(AppendSync(*wal, {std::string(1000, 'r')}, i).ok());
    }
  };
  const std::string spare = JoinPath(dir_, "spare-segment");
  fill_until(3);
  ASSERT_TRUE(wal->ReleaseBefore(wal->DurableEnd()).ok());
  EXPECT_EQ(SegmentFiles(), std::vector<std::string>{SegmentFileName(3)});
  EXPECT_FALSE(Env::Default()->FileExists(spare));
  fill_until(4);
  ASSERT_TRUE(wal->ReleaseBefore(wal->DurableEnd()).ok());
  EXPECT_TRUE(Env::Default()->FileExists(spare));
}

// Logs that share a spare budget keep spares only within it: past it a released segment is
// deleted, and a closed log's spare (still on disk for its next Open) no longer counts.
TEST_F(WalTest, SparesStayWithinTheirBudget) {
  auto open = [&](const std::string& dir, SpareBudget* spares) {
    auto wal = Wal::Open(Options{.env = &env_, .dir = dir, .max_segment_bytes = 4096, .spares = spares}, nullptr);
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? std::move(*wal) : nullptr;
  };
  // Rolls to a second segment and releases the first.
  auto roll_and_release = [&](Wal& wal) {
    for (int i = 0; wal.DurableEnd().segment < 2; ++i) {
      ASSERT_TRUE(AppendSync(wal, {std::string(1000, 'r')}, i).ok());
    }
    ASSERT_TRUE(wal.ReleaseBefore(wal.DurableEnd()).ok());
  };
  auto has_spare = [](const std::string& dir) { return Env::Default()->FileExists(JoinPath(dir, "spare-segment")); };

  // One log, to learn a spare's size (the same for every log: the same appends).
  SpareBudget roomy(1 << 20);
  auto probe = open(JoinPath(dir_, "probe"), &roomy);
  ASSERT_TRUE(probe);
  roll_and_release(*probe);
  ASSERT_TRUE(has_spare(JoinPath(dir_, "probe")));
  const uint64_t spare = roomy.used();
  ASSERT_GT(spare, 0u);
  ASSERT_TRUE(probe->Close().ok());
  EXPECT_EQ(roomy.used(), 0u);

  // Room for one spare and a half: the second log deletes its released segment.
  SpareBudget spares(spare + spare / 2);
  auto a = open(JoinPath(dir_, "a"), &spares);
  auto b = open(JoinPath(dir_, "b"), &spares);
  ASSERT_TRUE(a && b);
  roll_and_release(*a);
  roll_and_release(*b);
  EXPECT_TRUE(has_spare(JoinPath(dir_, "a")));
  EXPECT_FALSE(has_spare(JoinPath(dir_, "b")));
  EXPECT_EQ(spares.used(), spare);
  // Once a is closed its spare no longer counts, and b keeps its next released segment.
  ASSERT_TRUE(a->Close().ok());
  EXPECT_EQ(spares.used(), 0u);
  for (int i = 0; b->DurableEnd().segment < 3; ++i) ASSERT_TRUE(AppendSync(*b, {std::string(1000, 'r')}, i).ok());
  ASSERT_TRUE(b->ReleaseBefore(b->DurableEnd()).ok());
  EXPECT_TRUE(has_spare(JoinPath(dir_, "b")));
  EXPECT_EQ(spares.used(), spare);
}

// A read told how many log bytes its visit takes fetches about those, across segments too; a
// plain Read of the same records fetches a chunk past them.
TEST_F(WalTest, AReadExpectingItsBytesFetchesNoFurther) {
  RecentWrites recent(64 << 20);  // every byte stays in memory, so its hit bytes count each fetch
  auto opened =
      Wal::Open(Options{.env = &env_, .dir = dir_, .max_segment_bytes = 1 << 20, .recent = &recent}, nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendSync(*wal, std::vector<std::string>(100, std::string(1000, 'x')), i).ok());
  ASSERT_GE(wal->DurableEnd().segment, 3u);
  // A batch of 1,500 records, which crosses into the second segment; the 1,501st ends it.
  const uint64_t frame_bytes = kFrameHeaderSize + 1000;
  const uint64_t expected = 1501 * frame_bytes;
  auto fetched = [&](bool expecting) {
    const uint64_t before = recent.hit_bytes();
    int visited = 0;
    auto visit = [&](const RecordView&) { return ++visited <= 1500; };
    Status s = expecting ? wal->ReadExpecting(wal->Begin(), expected, visit) : wal->Read(wal->Begin(), visit);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(visited, 1501);
    return recent.hit_bytes() - before;
  };
  const uint64_t with_expected = fetched(true);
  EXPECT_GE(with_expected, expected);
  EXPECT_LT(with_expected, expected + 8 * frame_bytes);  // frames cut by a chunk are read again
  EXPECT_GT(fetched(false), with_expected + (256 << 10));
}

TEST_F(WalTest, ReleasedSegmentsAreNoLongerKept) {
  RecentWrites recent(64 << 20);
  auto opened = Wal::Open(Options{.env = &env_, .dir = dir_, .max_segment_bytes = 4096, .recent = &recent}, nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendSync(*wal, {std::string(500, 'r')}, i).ok());
  const uint64_t kept = recent.kept_bytes();
  ASSERT_TRUE(wal->ReleaseBefore(wal->DurableEnd()).ok());
  EXPECT_LT(recent.kept_bytes(), kept / 4);  // only the last segment's pieces remain
  EXPECT_GT(recent.kept_bytes(), 0u);
}

// A budget smaller than the log: the older records come from the file, the newer from memory,
// and a read spanning both still yields every record.
TEST_F(WalTest, ReadsPastTheRecentBudgetGoToTheFile) {
  RecentWrites recent(16 << 10);
  auto opened = Wal::Open(Options{.env = &env_, .dir = dir_, .recent = &recent}, nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  std::vector<std::string> payloads = Payloads(2000, 100, 12);
  for (size_t i = 0; i < payloads.size(); i += 20) {
    ASSERT_TRUE(AppendSync(*wal, {payloads.begin() + i, payloads.begin() + i + 20}, 1).ok());
  }
  EXPECT_LE(recent.kept_bytes(), 16u << 10);
  std::vector<Rec> read = ReadAll(*wal, wal->Begin());
  ASSERT_EQ(read.size(), payloads.size());
  for (size_t i = 0; i < read.size(); ++i) ASSERT_EQ(read[i].data, payloads[i]);
  EXPECT_GT(recent.missed_bytes(), 0u);
  // A read of the last records only is served from memory.
  const uint64_t hits = recent.hit_bytes();
  std::vector<Rec> tail = ReadAll(*wal, read[read.size() - 20].position);
  EXPECT_EQ(tail.size(), 20u);
  EXPECT_GT(recent.hit_bytes(), hits);
}

// A failed group is cut back and its offsets written again. Only acknowledged groups are
// kept (a repair never cuts them), so the records read back from memory are exactly the
// acknowledged ones, never a failed group's bytes.
TEST_F(WalTest, FailedGroupsNeverReachTheRecentWrites) {
  RecentWrites recent(64 << 20);
  auto opened = Wal::Open(
      Options{.env = &env_, .dir = dir_, .max_segment_bytes = 512, .repair_retry_millis = 2, .recent = &recent},
      nullptr);
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Wal> wal = std::move(*opened);
  std::vector<std::string> acked;
  for (int i = 0; i < 300; ++i) {
    if (i % 7 == 3) env_.FailNextSync();
    if (i % 11 == 5) env_.TearNextAppend();
    std::string a = fmt::format("r{}-a", i), b = fmt::format("r{}-b-{:0100}", i, 0);
    Status s = AppendSync(*wal, {a, b}, i);
    if (s.ok()) {
      acked.push_back(a);
      acked.push_back(b);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the repair
    }
  }
  ASSERT_LT(acked.size(), 600u);
  const uint64_t before = env_.random_read_count();
  std::vector<std::string> read;
  for (const Rec& r : ReadAll(*wal, wal->Begin())) read.push_back(r.data);
  EXPECT_EQ(read, acked);
  EXPECT_EQ(env_.random_read_count(), before);  // all of it from memory
}

TEST_F(WalTest, ReadsWhileAppendingSeeOnlyDurablePrefixes) {
  auto wal = Open(4096);
  ASSERT_TRUE(wal);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      std::string r = std::to_string(i);
      wal->Append(std::vector<std::string_view>{r}, i, nullptr);
    }
    ASSERT_TRUE(AppendSync(*wal, {}, 0).ok());
    done = true;
  });
  while (!done) {
    LogPosition end = wal->DurableEnd();
    std::vector<Rec> read = ReadAll(*wal, wal->Begin());
    for (size_t i = 0; i < read.size(); ++i) ASSERT_EQ(read[i].data, std::to_string(i));
    if (!read.empty()) {
      ASSERT_GE(read.back().next, end);
    }
  }
  writer.join();
  EXPECT_EQ(ReadAll(*wal, wal->Begin()).size(), 2000u);
}

TEST_F(WalTest, DestructorFlushesPendingAppends) {
  {
    auto wal = Open();
    ASSERT_TRUE(wal);
    for (int i = 0; i < 100; ++i) {
      std::string r = fmt::format("r{}", i);
      wal->Append(std::vector<std::string_view>{r}, i, nullptr);
    }
  }
  auto wal = Open();
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal, wal->Begin()).size(), 100u);
}

TEST_F(WalTest, RefusesOversizedRecordsAndAppendsAfterClose) {
  auto wal = Open();
  ASSERT_TRUE(wal);
  std::string big(kMaxRecordBytes + 1, 'x');
  EXPECT_EQ(AppendSync(*wal, {"ok", big}, 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wal->DurableEnd(), (LogPosition{1, kSegmentHeaderSize}));
  std::string max(kMaxRecordBytes, 'y');
  EXPECT_TRUE(AppendSync(*wal, {max}, 1).ok());
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_TRUE(wal->Close().ok());
  EXPECT_EQ(AppendSync(*wal, {"late"}, 1).code(), StatusCode::kFailedPrecondition);
}

TEST_F(WalTest, ListenerSeesEveryRecordOnce) {
  auto wal = Open(8192);
  ASSERT_TRUE(wal);
  std::mutex mu;
  uint64_t records = 0, bytes = 0;
  LogPosition last_end;
  wal->SetDurableListener([&](const DurableGroup& g) {
    std::lock_guard lock(mu);
    EXPECT_GT(g.end, last_end);
    last_end = g.end;
    records += g.records;
    bytes += g.data_bytes;
  });
  std::vector<std::string> payloads = Payloads(500, 64, 4);
  uint64_t total = 0;
  for (const auto& p : payloads) {
    total += p.size();
    wal->Append(std::vector<std::string_view>{p}, 1, nullptr);
  }
  ASSERT_TRUE(wal->Close().ok());
  EXPECT_EQ(records, payloads.size());
  EXPECT_EQ(bytes, total);
  EXPECT_EQ(last_end, wal->DurableEnd());
}

}  // namespace
}  // namespace hydrant::wal
