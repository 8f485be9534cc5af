#include "stream/lineage.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>

#include "common/base64.h"
#include "wal/wal_format.h"

namespace hydrant::stream {
namespace {

constexpr uint8_t kIdVersion = 1;
constexpr size_t kIdBytes = 24;

// A lineage line keeps a batch's per-record results and failed ids as one comma-joined string
// (a JSON array of 500 short strings would be three times as long).
std::string JoinList(const std::vector<std::string>& items) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += ',';
    joined += item;
  }
  return joined;
}

std::vector<std::string> SplitList(std::string_view all) {
  std::vector<std::string> items;
  while (!all.empty()) {
    size_t comma = all.find(',');
    items.emplace_back(all.substr(0, comma));
    all = comma == std::string_view::npos ? std::string_view{} : all.substr(comma + 1);
  }
  return items;
}

void PutBytes(uint64_t v, int n, std::string* out) {
  for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetBytes(std::string_view in, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

boost::json::array PositionJson(const wal::LogPosition& p) { return {p.segment, p.offset}; }
wal::LogPosition PositionOf(const boost::json::value& v) {
  const auto& a = v.as_array();
  return {a.at(0).to_number<uint64_t>(), a.at(1).to_number<uint64_t>()};
}

// The id's check: a 64-bit mix of its fields (a CRC of 20 bytes cost 3 % of the put path's CPU
// with 500-record batches).
uint32_t IdCheck(uint64_t tag, const wal::LogPosition& p) {
  uint64_t h = (tag + 1) * 0x9E3779B97F4A7C15ull ^ p.segment * 0xC2B2AE3D27D4EB4Full ^ p.offset * 0x165667B19E3779F9ull;
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

}  // namespace

uint64_t RecordIdTag(std::string_view stream_name, int64_t create_millis) {
  std::string seed(stream_name);
  PutBytes(static_cast<uint64_t>(create_millis), 8, &seed);
  return (uint64_t{wal::Crc32c(seed)} << 8 | wal::Crc32c(seed, 0x5a5a5a5a) >> 24) & 0xff'ffff'ffffull;
}

void AppendRecordId(uint64_t tag, const wal::LogPosition& position, std::string* out) {
  // Built in place, without allocating: a 500-record batch answer makes 500 of them.
  uint8_t raw[kIdBytes];
  auto put = [&raw](size_t at, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) raw[at + i] = static_cast<uint8_t>(v);
  };
  raw[0] = kIdVersion;
  put(1, tag, 5);
  put(6, position.segment, 6);
  put(12, position.offset, 6);
  put(18, 0, 2);
  put(20, IdCheck(tag, position), 4);
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char text[32];
  for (size_t i = 0, o = 0; i < kIdBytes; i += 3) {
    const uint32_t v = raw[i] << 16 | raw[i + 1] << 8 | raw[i + 2];
    text[o++] = kAlphabet[v >> 18];
    text[o++] = kAlphabet[(v >> 12) & 63];
    text[o++] = kAlphabet[(v >> 6) & 63];
    text[o++] = kAlphabet[v & 63];
  }
  out->append(text, sizeof text);
}

std::optional<DecodedRecordId> DecodeRecordId(std::string_view id) {
  std::string raw;
  if (id.size() != 32 || !Base64Decode(id, &raw) || raw.size() != kIdBytes) return std::nullopt;
  if (static_cast<uint8_t>(raw[0]) != kIdVersion) return std::nullopt;
  DecodedRecordId decoded{GetBytes(raw, 1, 5), {GetBytes(raw, 6, 6), GetBytes(raw, 12, 6)}};
  if (GetBytes(raw, 18, 2) != 0 || GetBytes(raw, 20, 4) != IdCheck(decoded.tag, decoded.position)) return std::nullopt;
  return decoded;
}

void LineageLog::Append(const LineageEntry& e) {
  boost::json::object line{{"event", e.event},
                           {"lane", e.lane},
                           {"begin", PositionJson(e.begin)},
                           {"end", PositionJson(e.end)},
                           {"sequence", e.sequence},
                           {"batch_id", e.batch_id},
                           {"first_arrival", e.first_arrival_millis},
                           {"done", e.done_millis},
                           {"target", e.target}};
  if (e.compressed) line["compressed"] = true;
  if (!e.error_objects.empty()) {
    boost::json::array objects;
    for (const std::string& o : e.error_objects) objects.emplace_back(o);
    line["error_objects"] = std::move(objects);
  }
  if (!e.results.empty()) line["results"] = JoinList(e.results);
  if (!e.failed_ids.empty()) line["failed"] = JoinList(e.failed_ids);
  if (!e.partition.empty()) line["partition"] = e.partition;
  std::string text = boost::json::serialize(line) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) + text.size() > kRotateBytes) {
    std::rename(path_.c_str(), (path_ + ".1").c_str());
  }
  std::ofstream out(path_, std::ios::app | std::ios::binary);
  out << text;
  out.flush();
  if (!out) spdlog::warn("cannot write the lineage log {}", path_);
}

std::vector<LineageEntry> LineageLog::Find(const wal::LogPosition& position) const {
  std::vector<LineageEntry> found;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& path : {path_ + ".1", path_}) {
    std::ifstream in(path, std::ios::binary);
    std::string text;
    while (std::getline(in, text)) {
      boost::system::error_code ec;
      boost::json::value v = boost::json::parse(text, ec);
      if (ec || !v.is_object()) continue;  // a line torn by a crash
      try {
        const auto& o = v.as_object();
        LineageEntry e;
        e.begin = PositionOf(o.at("begin"));
        e.end = PositionOf(o.at("end"));
        if (position < e.begin || !(position < e.end)) continue;
        e.event = o.at("event").as_string();
        e.lane = o.at("lane").as_string();
        e.sequence = o.at("sequence").to_number<uint64_t>();
        e.batch_id = o.at("batch_id").as_string();
        e.first_arrival_millis = o.at("first_arrival").to_number<int64_t>();
        e.done_millis = o.at("done").to_number<int64_t>();
        e.target = o.at("target").as_string();
        e.compressed = o.contains("compressed");
        if (auto* objects = o.if_contains("error_objects")) {
          for (const auto& x : objects->as_array()) e.error_objects.emplace_back(x.as_string());
        }
        if (auto* results = o.if_contains("results")) e.results = SplitList(results->as_string());
        if (auto* failed = o.if_contains("failed")) e.failed_ids = SplitList(failed->as_string());
        if (auto* partition = o.if_contains("partition")) e.partition = partition->as_string();
        found.push_back(std::move(e));
      } catch (const std::exception&) {
        continue;
      }
    }
  }
  return found;
}

}  // namespace hydrant::stream
