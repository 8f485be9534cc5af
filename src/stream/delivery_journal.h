// DeliveryJournal: the durable record of which WAL ranges became which objects.
//
// Before a batch is uploaded its boundaries and object key are written and synced (Plan);
// after the upload, Done is written and synced, and only then may WAL space before the batch's
// end be released. After a crash, a planned batch without Done is delivered again with the
// same boundaries and the same key, so the destination never holds a duplicate object.
//
// File: JSON lines, each terminated by '\n'. A last line without '\n' or that does not parse is
// a torn write of an action that never happened, and is ignored. Not thread-safe: used by one
// delivery loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "wal/wal.h"

namespace hydrant::stream {

struct PlannedBatch {
  uint64_t sequence = 0;
  wal::LogPosition begin;  // first record of the batch
  wal::LogPosition end;    // first record after the batch
  uint64_t records = 0;
  uint64_t data_bytes = 0;
  // The destination lane: the batch's id (a UUID, also in its keys) and the destination's plan
  // (destination::Destination::Plan), opaque here.
  std::string batch_id;
  std::string plan;
  // The backup lane and dynamic partitioning: the object to write.
  std::string bucket;
  std::string key;
  std::string compression = "UNCOMPRESSED";  // CompressionFormat the object is written with
  // Where records that fail go (the stream's S3 error location; same suffix as the data, with
  // a placeholder for the error output type).
  std::string error_key;
  // Dynamic partitioning: the partition buffer this object empties (PartitionBuffers identity).
  // The object holds that partition's records stored in [begin, end); `end` becomes the
  // partition's delivered mark. Empty for a stream without dynamic partitioning, whose batches
  // are whole WAL ranges.
  std::string partition{};
  // Arrival of the oldest record (ms): how long the data has waited, for the retention limit.
  int64_t first_arrival_millis = 0;
};

// Where a journal keeps its lines: a local file, or (cluster mode) the cluster's shared store.
class JournalStore {
 public:
  virtual ~JournalStore() = default;
  virtual Result<std::string> Load() = 0;                       // "" when new
  virtual Status Append(const std::string& lines) = 0;          // durable when it returns
  virtual Status Replace(const std::string& content) = 0;       // all or nothing
  // The journal is rewritten as one checkpoint line once it grows past this.
  virtual uint64_t compact_at_bytes() const { return 256 * 1024; }
};

// The journal at `path` on the local disk.
std::unique_ptr<JournalStore> FileJournalStore(Env* env, std::string path);

class DeliveryJournal {
 public:
  // Opens or creates the journal in `store`. `log_begin` is where delivery starts when the
  // journal is new (the WAL's first record). The file is rewritten to one checkpoint line
  // whenever it grows past compact_at_bytes (the store's when not given).
  static Result<std::unique_ptr<DeliveryJournal>> Open(std::unique_ptr<JournalStore> store,
                                                       wal::LogPosition log_begin,
                                                       std::optional<uint64_t> compact_at_bytes = std::nullopt);
  static Result<std::unique_ptr<DeliveryJournal>> Open(Env* env, const std::string& path,
                                                       wal::LogPosition log_begin,
                                                       uint64_t compact_at_bytes = 256 * 1024) {
    return Open(FileJournalStore(env, path), log_begin, compact_at_bytes);
  }

  // Everything before this position was delivered.
  wal::LogPosition delivered_end() const { return delivered_end_; }
  // A batch planned but not confirmed delivered (to be delivered again, identically).
  const std::optional<PlannedBatch>& in_flight() const { return in_flight_; }
  uint64_t next_sequence() const { return next_sequence_; }
  // Dynamic partitioning: per partition, the WAL ranges [begin, end) of its delivered objects.
  // A record of that partition stored inside one of them was delivered in it (a partition takes
  // every one of its records while it is active) and must not be buffered again.
  bool PartitionDelivered(const std::string& partition, wal::LogPosition position) const;
  // Drops delivered marks that no longer matter: no record before `log_begin` is read again.
  void ForgetPartitionsBefore(wal::LogPosition log_begin);

  Status Plan(const PlannedBatch& batch);  // requires no batch in flight
  // Confirms the in-flight batch; with `then_plan`, also plans that batch in the same write and
  // sync (one sync per object instead of two). On failure nothing changes.
  Status Done(const PlannedBatch* then_plan = nullptr);
  // Moves the delivered end forward to `position` without a batch (a lane that starts late,
  // such as a backup enabled by UpdateDestination). Requires no batch in flight.
  Status SkipTo(wal::LogPosition position);

 private:
  DeliveryJournal(std::unique_ptr<JournalStore> store, uint64_t compact_at_bytes)
      : store_(std::move(store)), compact_at_bytes_(compact_at_bytes) {}
  Status Append(const std::string& lines);  // one or more '\n'-terminated lines, one sync
  static std::string PlanLine(const PlannedBatch& batch);
  void Delivered(const PlannedBatch& batch);
  Status Compact();

  std::unique_ptr<JournalStore> store_;
  const uint64_t compact_at_bytes_;
  uint64_t file_bytes_ = 0;
  wal::LogPosition delivered_end_;
  std::optional<PlannedBatch> in_flight_;
  std::map<std::string, std::vector<std::pair<wal::LogPosition, wal::LogPosition>>> partitions_delivered_;
  uint64_t next_sequence_ = 1;
};

}  // namespace hydrant::stream
