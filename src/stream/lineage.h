// Record lineage: where an acknowledged record is now, from its RecordId alone.
//
// A RecordId names the record's place in its stream's log (the segment and the offset of its
// frame), so finding a record needs no per-record index. It is 24 bytes in base64 (32
// characters, no padding): a version byte, a 5-byte tag of the stream's incarnation (its name
// and creation time: an id of a deleted namesake is not taken for this stream's), 6 bytes of
// segment, 6 of offset, 2 spare (zero), and a 32-bit check of the rest (a made-up id is refused).
//
// What happened to the records after the log is the LineageLog: one line per batch a lane
// finished (delivered or expired), with the log range it covered and where it went. Its size
// follows the number of batches, not records, and it is bounded (two files of kRotateBytes).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wal/wal.h"

namespace hydrant::stream {

// The tag of a stream incarnation in its records' ids.
uint64_t RecordIdTag(std::string_view stream_name, int64_t create_millis);
// Appends the id of the record at `position` to `out`.
void AppendRecordId(uint64_t tag, const wal::LogPosition& position, std::string* out);
struct DecodedRecordId {
  uint64_t tag = 0;
  wal::LogPosition position;
};
// nullopt when `id` is not a RecordId Hydrant gave out.
std::optional<DecodedRecordId> DecodeRecordId(std::string_view id);

// One batch a lane finished.
struct LineageEntry {
  std::string event;      // "delivered" or "expired"
  std::string lane;       // "destination" or "backup"
  wal::LogPosition begin, end;  // the log range the batch covered
  uint64_t sequence = 0;
  std::string batch_id;
  int64_t first_arrival_millis = 0;
  int64_t done_millis = 0;
  std::string target;     // where it went: s3://bucket/key, the request id, the batch's identity
  bool compressed = false;  // the object is compressed: offsets are in its uncompressed bytes
  std::vector<std::string> error_objects;  // s3://bucket/key of its error output
  // Batches that ran through processors: per stored record in log order, "<bytes>" (delivered,
  // that many bytes), "d" (dropped) or "f" (processing failed). Empty otherwise: every record
  // was delivered as it arrived.
  std::vector<std::string> results;
  // The records the destination refused for good, in the order of the kind's error output
  // (their processor record ids: the log position, and the output's number for several).
  std::vector<std::string> failed_ids;
  std::string partition;  // dynamic partitioning: the object holds only this partition's records
};

// Thread-safe.
class LineageLog {
 public:
  static constexpr uint64_t kRotateBytes = 16ull << 20;

  explicit LineageLog(std::string path) : path_(std::move(path)) {}
  // Best effort: lineage is a report, not part of the delivery promise (a failure is logged).
  void Append(const LineageEntry& entry);
  // The entries whose range holds `position`, oldest first.
  std::vector<LineageEntry> Find(const wal::LogPosition& position) const;

 private:
  const std::string path_;  // and path_ + ".1", the previous file
  mutable std::mutex mu_;
};

}  // namespace hydrant::stream
