// DeliveryStream: one stream's data plane. Puts go into the stream's WAL; its lanes (Step, on
// the shared delivery pool) take buffered batches through the processors to the destination,
// then checkpoint so WAL space can be released. Only this file knows the order of the stages.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "buffer/buffer_policy.h"
#include "common/cipher.h"
#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"
#include "common/task_pool.h"
#include "destination/delivery_metrics.h"
#include "destination/destination.h"
#include "destination/object_writer.h"
#include "format/object.h"
#include "processor/processor.h"
#include "stream/cluster_store.h"
#include "stream/delivery_journal.h"
#include "stream/disk_budget.h"
#include "stream/lineage.h"
#include "stream/partition_buffers.h"
#include "stream/recent_errors.h"
#include "stream/retry_backoff.h"
#include "stream/stream_metadata.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

namespace hydrant::stream {

// The tag that keeps a stream's delivered records for a number of hours, for replay.
inline constexpr std::string_view kRetentionHoursTag = "hydrant:retention_hours";

// The threads every stream's lanes run on (shared by all streams of the process).
TaskPool* DeliveryPool();

// The stream's processor chain, in processing order; empty when it has no transformation.
using ProcessorChain = std::vector<std::unique_ptr<processor::Processor>>;
// Builds a stream's chain from its configuration (main wires in the Lambda invoker).
using ProcessorChainFactory = std::function<Result<ProcessorChain>(const StreamMetadata&)>;

// Builds a stream's destination from its configuration (main: through the stream's kind).
using DestinationFactory =
    std::function<Result<std::unique_ptr<destination::Destination>>(const StreamMetadata&)>;

struct DeliveryStreamDeps {
  Env* env = nullptr;
  Clock* clock = nullptr;
  DestinationFactory destinations{};
  // Writes S3 objects: the error output, backups, and dynamic partitioning's objects.
  destination::ObjectWriter* objects = nullptr;  // not owned
  // Caps undelivered bytes on this disk (not owned). Null in cluster mode, where the shared
  // log's limits do.
  DiskBudget* budget = nullptr;
  // Cluster mode: the log, journals and metadata are the cluster's (not owned), and the lanes
  // run only on the node that holds them (`run_lanes`). Null: the stream's folder holds them.
  ClusterStore* cluster = nullptr;
  bool run_lanes = true;
  // Master keys of server-side encryption (null: streams cannot be encrypted). Not owned.
  const KeyRing* keys = nullptr;
  uint64_t wal_segment_bytes = 64ull << 20;
  // What the logs wrote last, kept for the lanes that read it back (not owned; null: none).
  wal::RecentWrites* recent_writes = nullptr;
  int64_t max_retry_backoff_millis = 120'000;  // RetryBackoff::kMaxMillis; tests shorten it
  // The service keeps undelivered data for 24 hours, then discards it; so does Hydrant.
  int64_t retention_millis = 24ll * 3600 * 1000;
  ProcessorChainFactory processors{};  // unset: records are delivered as they arrived
  // Dynamic partitioning's active-partition quota per stream (the service's default is 500).
  size_t max_active_partitions = 500;
};

// Counters for /health-style introspection and tests. Monotonic.
struct DeliveryStats {
  uint64_t objects_delivered = 0;
  uint64_t records_delivered = 0;
  uint64_t bytes_delivered = 0;
  uint64_t failed_attempts = 0;
  uint64_t records_expired = 0;            // discarded after the retention period
  uint64_t records_dropped = 0;            // Dropped by a processor
  uint64_t records_processing_failed = 0;  // written to the error output
  uint64_t backup_objects_delivered = 0;   // S3 backup of the source records
  uint64_t backup_records_delivered = 0;
  uint64_t backup_bytes_delivered = 0;
  uint64_t active_partitions = 0;          // dynamic partitioning: data buffers now (a gauge)
  uint64_t partition_limit_exceeded = 0;   // records sent to the error output by the quota
  destination::DeliveryCounters destination;  // for /metrics (docs/metrics.md)
  uint64_t records_processed_ok = 0;  // processors' Ok output
  uint64_t bytes_processed_ok = 0;
  // Gauges filled in by stats(): accepted, durable, not yet delivered.
  uint64_t buffered_records = 0;
  uint64_t buffered_bytes = 0;
};

// Put-path counters for /metrics, updated by the API handler. Relaxed atomics: the put path
// only adds and a scrape only reads. Own cache line, away from the stream's mutex.
struct alignas(64) PutCounters {
  std::atomic<uint64_t> put_record_requests{0};
  std::atomic<uint64_t> put_record_bytes{0};
  std::atomic<uint64_t> put_record_batch_requests{0};
  std::atomic<uint64_t> put_record_batch_records{0};
  std::atomic<uint64_t> put_record_batch_bytes{0};
  std::atomic<uint64_t> incoming_put_requests{0};
  std::atomic<uint64_t> incoming_records{0};
  std::atomic<uint64_t> incoming_bytes{0};
  std::atomic<uint64_t> throttled_records{0};

  // Carries counts over to a stream's new instance (cluster mode: a lane taken or given up).
  void Add(const PutCounters& o) {
    for (auto [to, from] : {std::pair{&put_record_requests, &o.put_record_requests},
                            {&put_record_bytes, &o.put_record_bytes},
                            {&put_record_batch_requests, &o.put_record_batch_requests},
                            {&put_record_batch_records, &o.put_record_batch_records},
                            {&put_record_batch_bytes, &o.put_record_batch_bytes},
                            {&incoming_put_requests, &o.incoming_put_requests},
                            {&incoming_records, &o.incoming_records}, {&incoming_bytes, &o.incoming_bytes},
                            {&throttled_records, &o.throttled_records}}) {
      to->fetch_add(from->load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
  }
};

// The records a batch hands its destination, and the storage they point into.
struct BatchRecords {
  std::string arena;                     // records as they arrived, back to back (no processors)
  std::string ids;                       // and their ids
  processor::RecordBatch processed;      // or the processors' output
  std::vector<destination::Record> ok;   // for the destination, in order
};

// A planned batch made ready to deliver. The destination lane: the records that made it through
// the processors (encoded for the destination), and the S3 objects of the error output. The
// backup lane and dynamic partitioning: the objects to write.
struct PreparedBatch {
  std::unique_ptr<BatchRecords> records;  // destination lane only
  std::unique_ptr<destination::Payload> payload;  // records->ok encoded; nullptr when none
  bool records_released = false;  // records->ok dropped once encoded (see Prepare)
  std::vector<format::Object> objects;
  uint64_t records_dropped = 0;
  uint64_t records_failed = 0;
  uint64_t records_ok = 0;     // processors' Ok output
  uint64_t bytes_ok = 0;
  // Record lineage of a batch that ran through processors: per stored record, its result
  // (LineageEntry::results).
  std::vector<std::string> lineage_results;
  uint64_t data_records = 0;   // in the data object (objects[0] when it exists)
  uint64_t data_bytes = 0;     // before compression
};

// Thread-safe.
class DeliveryStream {
 public:
  // Called once the records are durable (OK) or could not be stored.
  using PutCallback = std::function<void(Status)>;

  // Opens the stream's directory (WAL + journal), recovers, and starts its lanes.
  static Result<std::unique_ptr<DeliveryStream>> Open(const std::string& dir, StreamMetadata metadata,
                                                      const DeliveryStreamDeps& deps);
  ~DeliveryStream();

  // Reserves disk budget for the longest prefix of `records` that fits and returns its length
  // (0 when the cap is reached: the caller answers "Slow down.").
  size_t Reserve(std::span<const std::string_view> records);
  // Stores records (a prefix already reserved) that arrived at `arrival_millis`; `done` runs
  // once they are durable or could not be stored. Never blocks on I/O. Returns where the first
  // record's frame starts (segment 0: not known yet, in cluster mode); the others follow it,
  // each NextRecordPosition after the one before.
  wal::LogPosition Append(std::span<const std::string_view> records, int64_t arrival_millis, PutCallback done);
  wal::LogPosition NextRecordPosition(wal::LogPosition position, size_t record_bytes) const {
    return {position.segment, position.offset + record_bytes + FrameOverhead()};
  }
  // The tag of this stream incarnation in its RecordIds (stream/lineage.h).
  uint64_t record_id_tag() const { return record_id_tag_; }
  // Where the record at `position` is now (record lineage): a JSON object with "state" and the
  // "steps" it went through. NotFound when the log never held a record there.
  Result<std::string> Lineage(const wal::LogPosition& position);
  // Visits the retained records from `from` (Begin() when before it) up to `to`, for replay.
  Status ReadRetained(wal::LogPosition from, wal::LogPosition to,
                      const std::function<bool(const wal::RecordView&)>& visit) const;
  wal::LogPosition log_begin() const { return wal_->Begin(); }
  std::vector<wal::LogPosition> SegmentStarts() const { return wal_->SegmentStarts(); }
  int64_t retention_millis() const { return retention_millis_.load(); }
  wal::LogPosition log_end() const { return wal_->DurableEnd(); }
  uint64_t LogBytesBetween(wal::LogPosition from, wal::LogPosition to) const { return wal_->BytesBetween(from, to); }
  // Releases what the retention period (tag hydrant:retention_hours) no longer keeps; run
  // periodically, since an idle stream has no deliveries to trigger it.
  void TrimRetention() { ReleaseLog(); }

  StreamMetadata metadata() const;
  // When CreateDeliveryStream ran (ms since epoch); fixed for the stream's life. Cheap, for
  // the put path, unlike metadata().
  int64_t create_millis() const { return create_millis_; }
  // The destination's kind; fixed for the stream's life (UpdateDestination cannot change it).
  const destination::KindOperations& destination_kind() const { return kind_; }
  // Replaces the metadata (UpdateDestination, tags); persists it before returning.
  Status UpdateMetadata(const std::function<Status(StreamMetadata*)>& mutate);
  // Cluster mode: takes a change another node made (already persisted).
  void AdoptMetadata(StreamMetadata metadata);

  // StartDeliveryStreamEncryption: from the next record on, records are stored encrypted under
  // the key (`key_type` AWS_OWNED_CMK, or CUSTOMER_MANAGED_CMK with `key_arn`): ENABLING, then
  // ENABLED once the log's new segment is durable. A key the server does not have ends in
  // ENABLING_FAILED (KMS_KEY_NOT_FOUND) and the stream keeps its previous key. A crash between
  // the two steps is completed at the next start.
  Status StartEncryption(const std::string& key_type, const std::string& key_arn);
  // StopDeliveryStreamEncryption: DISABLING, then DISABLED once new records are plaintext.
  Status StopEncryption();
  // Whether records put now are stored encrypted (PutRecord's `Encrypted`).
  bool encrypted() const { return encrypted_.load(std::memory_order_relaxed); }

  // Delivers everything buffered (one attempt per batch); the lanes then stay idle.
  void Drain();
  // Drain in two halves, so that many streams drain at once.
  void BeginDrain();
  void WaitDrained();
  // Stops the lanes without flushing (the data stays in the WAL); waits for a running step.
  void Stop();

  DeliveryStats stats() const;
  uint64_t retained_wal_bytes() const { return wal_->RetainedBytes(); }
  // What this stream holds of the disk budget: log bytes not yet delivered.
  uint64_t undelivered_wal_bytes() const;
  // The latest delivery and processing errors (the console's error list).
  std::vector<ErrorEntry> recent_errors() const { return errors_.List(); }
  PutCounters& put_counters() { return put_counters_; }
  const PutCounters& put_counters() const { return put_counters_; }

 private:
  DeliveryStream(std::string dir, StreamMetadata metadata, const DeliveryStreamDeps& deps);
  Status Recover();
  Result<std::unique_ptr<wal::Wal>> OpenLog(const std::string& key_ref, wal::RecoveryReport* report);
  // Puts the new metadata in place (mu_ held) and wakes the lanes.
  void ApplyMetadataLocked(StreamMetadata updated);
  // A batch cut from the lane's buffer, not built yet.
  struct CutBatch {
    PlannedBatch batch;
    std::unique_ptr<BatchRecords> records;  // see CutNextBatch
  };
  // A batch cut from the lane's buffer and built, not yet in the journal.
  struct BuiltBatch {
    PlannedBatch batch;
    std::optional<PreparedBatch> prepared;  // nullopt: building failed, the delivery retries
  };
  // The in-flight batch's delivery, kept between attempts.
  struct Attempts {
    explicit Attempts(int64_t max_backoff_millis) : backoff(max_backoff_millis) {}
    std::optional<PreparedBatch> prepared;
    RetryBackoff backoff;
    int attempt = 0;
    // The destination lane (AttemptRecords): waiting time the retry window counts, the records
    // still to deliver (indexes into prepared->records->ok), and those that failed for good.
    int64_t waited_millis = 0;
    bool started = false;
    std::vector<size_t> pending;
    struct Failure {
      size_t index;
      int attempts;
      std::string code, message;
      int64_t ending_millis;
    };
    std::vector<Failure> failed;
    std::string last_code, last_message;
    std::map<size_t, destination::RecordError> last_record_error;  // a retried record's own last error
    int sends = 0;
    bool expired = false;   // discarded after the retention period
    bool sent = false;      // every record delivered or failed for good
    bool finished = false;  // the error output and the all-data backup built
    size_t written = 0;     // of prepared->objects
  };
  // A consumer of the WAL that cuts it into batches and delivers each: the destination lane
  // (records through the processors to the stream's destination) and the backup lane (source
  // records as they arrived, to S3BackupConfiguration). Each has its own buffer and journal,
  // and runs as an Activity on the shared delivery pool: it holds a thread only while it cuts,
  // sends or checkpoints. WAL space is released only once every active lane is past it.
  struct Lane {
    explicit Lane(bool is_backup) : backup(is_backup), policy(buffer::BufferingHints{}) {}
    const bool backup;
    // Used by the lane's activity only (and its build-ahead, which Step waits for).
    std::unique_ptr<DeliveryJournal> journal;
    std::optional<BuiltBatch> next;            // cut and built ahead, not in the journal yet
    std::optional<CutBatch> cut;               // destination lane: cut after `next`, not built yet
    std::optional<Attempts> attempts;          // the in-flight batch's delivery
    std::chrono::steady_clock::time_point not_before{};  // after a failure: the next try
    buffer::BufferPolicy policy;               // guarded by mu_
    wal::LogPosition pending_begin;            // guarded by mu_: first record not yet planned
    wal::LogPosition done_before;              // guarded by mu_: no record before it is needed
    bool active = true;                        // guarded by mu_ (backup: S3BackupMode Enabled)
    bool skip_to_pending = false;              // guarded by mu_: backup just enabled
    bool finished = false;                     // guarded by mu_: drained, or stopped by a failure while draining
    std::unique_ptr<Activity> activity;
  };

  Status RecoverLane(Lane& lane, const std::string& journal_name);
  // The backup lane runs only while S3BackupMode is Enabled (from Open, or from the
  // UpdateDestination that enables it).
  void StartBackupLane();
  void OnDurable(const wal::DurableGroup& group);
  // The lane's activity: cut, plan, attempt and checkpoint batches until it has to wait for
  // records, a buffering interval or a retry; then it arranges to be woken and returns.
  void Step(Lane& lane);
  // After a failure: try again in `wait_millis`, or while draining leave the rest for the next
  // start.
  void RetryLater(Lane& lane, int64_t wait_millis, bool draining);
  void FinishLocked(Lane& lane);  // requires mu_
  // Whether the lane's step may go on now (sets whether the stream drains); false when it is
  // stopped, finished, or waiting out a backoff (then woken when it ends).
  bool MayWork(Lane& lane, bool* draining);
  // What one attempt on the in-flight batch came to.
  struct AttemptResult {
    bool done = false;        // delivered (or discarded after the retention period)
    int64_t wait_millis = 0;  // else: the backoff before the next attempt
  };
  // Whether the lane's buffer is due for a batch now. Requires mu_.
  bool DueLocked(const Lane& lane) const;
  // Takes the batch cut ahead (lane.cut), or cuts the next batch from the front of the lane's
  // buffer (the records move out of the buffer), and builds it. Fails only when nothing was cut.
  Result<BuiltBatch> CutAndBuild(Lane& lane);
  // Cuts the next batch; fills `records` with them when they will not be transformed. Its
  // sequence number follows `after` (a batch cut but not planned yet) or the journal's last.
  Result<PlannedBatch> CutNextBatch(Lane& lane, std::unique_ptr<BatchRecords>* records,
                                    const PlannedBatch* after = nullptr);
  // Makes `batch` ready: the backup lane's object, or the destination lane's records through
  // the processors, encoded, with the error output's objects. From `records` when CutNextBatch
  // filled them, else reading the records back from the WAL.
  Result<PreparedBatch> Prepare(Lane& lane, const PlannedBatch& batch,
                                std::unique_ptr<BatchRecords> records = nullptr);
  Result<PreparedBatch> PrepareObject(const PlannedBatch& batch, std::unique_ptr<BatchRecords> records);
  // One attempt on the in-flight batch (lane.attempts holds what earlier attempts did).
  AttemptResult Attempt(Lane& lane, bool draining);
  // The destination lane's attempt: the records to the stream's destination with one retry
  // policy, then the error output (records failed for good, processing failures) and an
  // all-data backup to S3.
  AttemptResult AttemptRecords(bool draining);
  // The backup lane's and dynamic partitioning's attempt: every object, until all are written.
  AttemptResult AttemptObjects(Lane& lane, bool draining);
  // Data older than the retention period is discarded (logged, counted); true when `batch` is.
  bool Expired(const PlannedBatch& batch, bool backup, const std::string& error);
  // An error output object of `type` for `batch` in the stream's S3 error location.
  static format::Object ErrorObject(const StreamMetadata& meta, const PlannedBatch& batch,
                                    const std::string& type, std::string body);
  // The all-data backup of a delivered batch (the stream's S3 location, its Prefix).
  Result<format::Object> AllDataObject(const PlannedBatch& batch, std::span<const destination::Record> records);
  // Writes objects[next...] in order; false at the first failure (`error` says which).
  // What the log adds to each record (its frame header, and the tag when encrypted).
  uint64_t FrameOverhead() const { return wal::kFrameHeaderSize + (encrypted() ? kCipherTagBytes : 0); }
  // Objects of an encrypted stream are sealed at rest in the embedded store.
  bool WriteObjects(std::vector<format::Object>& objects, size_t* next, std::string* error);
  // Moves the log to `key_ref` and waits until its new segment is durable.
  Status RekeyLog(const std::string& key_ref);
  // The stream's destination, built again after a configuration change. Thread-safe.
  Result<std::shared_ptr<const destination::Destination>> CurrentDestination();
  // Journals the in-flight batch as delivered and, with `then_plan`, plans that one in the same
  // sync. False if the journal could not be written (the batch stays in flight).
  bool Checkpoint(Lane& lane, const PlannedBatch* then_plan = nullptr);
  // The first log position an active lane still needs (every record before it is delivered).
  wal::LogPosition ReleasePosition();
  // Releases the WAL before the point every active lane has passed.
  void ReleaseLog();
  // ReleaseLog on the delivery pool, beside the lanes: deleting a delivered segment takes tens
  // of milliseconds (RemoveGradually), which a lane would otherwise wait for between objects.
  void ReleaseLogSoon();
  // Builds the processor chain again after a configuration change.
  Status RefreshChain();

  // Dynamic partitioning (partitioned_): records are processed as they become durable and
  // sorted into one buffer per evaluated prefix; each buffer becomes one object when it is due.
  void StepPartitioned();
  // Processes up to `limit` (a position) the next stored records into the partition buffers.
  Status ProcessIntoPartitions(std::optional<wal::LogPosition> limit);
  // Plans the object that empties `buffer`.
  Status PlanPartition(const PartitionBuffer& buffer);
  Result<PreparedBatch> PreparePartition(const PlannedBatch& batch);
  // Releases WAL space no buffer and no unprocessed record needs any more.
  void ReleasePartitioned();
  struct InFlightSummary;
  // What the partition buffers hold, for the gauges.
  InFlightSummary PartitionsSummary() const;

  const std::string dir_;
  const std::string name_;
  const DeliveryStreamDeps deps_;
  const int64_t create_millis_;
  const destination::KindOperations& kind_;
  const uint64_t record_id_tag_;
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<LineageLog> lineage_;  // null in cluster mode
  // Records the lanes finished with are kept this long (tag hydrant:retention_hours; 0: released
  // at once), within the disk budget.
  std::atomic<int64_t> retention_millis_{0};
  uint64_t retained_bytes_ = 0;  // guarded by release_mu_: delivered bytes kept by retention
  // Arrival of the first record of each retained segment (by number), for retention.
  std::map<uint64_t, int64_t> segment_first_arrival_;  // guarded by release_mu_
  // Where the log must still start for the retention period: segments whose records all
  // arrived before `cutoff_millis` may go (requires release_mu_).
  wal::LogPosition RetentionStart(wal::LogPosition release, int64_t cutoff_millis);
  // The finished batch of `lane` into the lineage log.
  void RecordLineage(Lane& lane, const PlannedBatch& batch);

  ProcessorChain chain_;  // one thread at a time: the destination lane's step or its build-ahead
  bool chain_stale_ = true;                   // guarded by mu_: config changed since chain_ was built
  std::shared_ptr<const destination::Destination> destination_;  // guarded by mu_
  bool destination_stale_ = true;             // guarded by mu_
  const bool partitioned_;                    // DynamicPartitioningConfiguration Enabled (fixed)
  std::unique_ptr<PartitionBuffers> partitions_;  // partitioned_ only; the destination lane's
  wal::LogPosition processed_end_;            // partitioned_: first record not yet processed

  mutable std::mutex mu_;
  std::condition_variable cv_;
  StreamMetadata metadata_;                    // guarded by mu_
  Lane main_{false};
  Lane backup_{true};
  bool stopping_ = false;                      // guarded by mu_
  bool draining_ = false;                      // guarded by mu_
  DeliveryStats stats_;                        // guarded by mu_
  std::unique_ptr<Activity> releaser_;         // runs ReleaseLog; null without lanes (cluster mode)
  mutable std::mutex release_mu_;              // one WAL release at a time (budget accounting)
  wal::LogPosition budget_released_to_;        // guarded by release_mu_: given back to the budget up to here
  // Records taken from the destination lane's buffer but not delivered yet (the planned batch,
  // or with dynamic partitioning the partition buffers), for the buffered and freshness gauges.
  struct InFlightSummary {
    uint64_t records = 0;
    uint64_t bytes = 0;
    int64_t oldest_arrival_millis = 0;
  };
  std::optional<InFlightSummary> in_flight_summary_;  // guarded by mu_
  // The destination lane's batch cut ahead while the in-flight one is delivered.
  std::optional<InFlightSummary> ahead_summary_;      // guarded by mu_
  std::optional<InFlightSummary> cut_summary_;        // guarded by mu_: main_.cut's
  PutCounters put_counters_;
  RecentErrors errors_;
  std::mutex encryption_mu_;       // one Start/StopEncryption at a time
  std::atomic<bool> encrypted_{false};
};

}  // namespace hydrant::stream
