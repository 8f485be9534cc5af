// The load generator's fixed request bodies: JSON-log-like records, base64-encoded once, hashed once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hydrant::bench {

enum class Operation { kPutRecordBatch, kPutRecord };

// "PutRecordBatch" / "PutRecord".
std::string_view OperationName(Operation op);

struct WorkloadSpec {
  Operation op = Operation::kPutRecordBatch;
  std::vector<std::string> streams;  // at least one name
  size_t records_per_request = 500;  // forced to 1 for kPutRecord
  size_t record_size = 100;          // decoded bytes per record, >= 1
  size_t variants = 4;               // distinct record sets, so not every request is identical
  uint64_t seed = 1;
};

// Every request body the generator sends, built once: body(s, v) = prefix(s) + records(v) +
// suffix(), so N streams x V variants cost N small prefixes plus V record sets in memory.
// Immutable after Build(); safe to share between threads.
class Workload {
 public:
  static Workload Build(const WorkloadSpec& spec);

  size_t streams() const { return prefixes_.size(); }
  size_t variants() const { return records_.size(); }
  size_t bodies() const { return streams() * variants(); }
  // Body index for stream `s` and variant `v`.
  size_t BodyIndex(size_t s, size_t v) const { return s * variants() + v; }

  std::string_view prefix(size_t body) const { return prefixes_[body / variants()]; }
  std::string_view records(size_t body) const { return records_[body % variants()]; }
  std::string_view suffix() const { return suffix_; }
  size_t body_size(size_t body) const {
    return prefix(body).size() + records(body).size() + suffix_.size();
  }
  // Lowercase hex SHA-256 of the whole body (what SigV4 signs).
  const std::string& body_hash(size_t body) const { return body_hashes_[body]; }

  size_t records_per_request() const { return records_per_request_; }
  size_t record_size() const { return record_size_; }

 private:
  std::vector<std::string> prefixes_;  // per stream: {"DeliveryStreamName":"x","Records":[
  std::vector<std::string> records_;   // per variant: {"Data":"..."},{"Data":"..."}
  std::string suffix_;                 // ]}
  std::vector<std::string> body_hashes_;
  size_t records_per_request_ = 0;
  size_t record_size_ = 0;
};

// One synthetic log line of exactly `size` bytes ending in '\n': a JSON object such as
// {"ts":...,"user":"u123","action":"login","status":200,"ms":37,"pad":"words ..."} padded with
// dictionary words, so it compresses like real logs. The bare object takes at most 88 bytes;
// smaller sizes give a truncated line.
std::string MakeRecord(uint64_t seq, size_t size, uint64_t* rng_state);

// The value of "FailedPutCount" in a PutRecordBatch response body, found by a scan (no JSON
// parse); nullopt when the field is missing or not a non-negative integer.
std::optional<uint64_t> FindFailedPutCount(std::string_view body);

}  // namespace hydrant::bench
