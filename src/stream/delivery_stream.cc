// DeliveryStream: WAL append on the put path; buffer → format → destination → checkpoint on
// the delivery thread.
#include "stream/delivery_stream.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <future>
#include <map>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "common/time_format.h"
#include "destination/failed_record.h"
#include "destination/s3/object_key.h"
#include "destination/s3/s3_delivery.h"
#include "destination/s3/side_objects.h"
#include "format/object.h"
#include "format/prefix_expression.h"
#include "processor/error_record.h"
#include "stream/retry_backoff.h"
#include "wal/wal_format.h"

namespace hydrant::stream {
namespace {

// After an error that retrying at once would repeat (planning, processing stored records).
constexpr int64_t kFirstRetryBackoffMillis = RetryBackoff::kFirstMillis;

// Building the next object while the previous one is written holds a second object in memory;
// with hundreds of streams flushing at once that would be hundreds of objects, so only this
// many streams build ahead at a time (the rest deliver one object after the other).
constexpr int kMaxBuildsAhead = 2;
// Cluster mode: how often a lane whose lease is not fresh looks again.
constexpr int64_t kLeaseWaitMillis = 500;
std::atomic<int> builds_ahead{0};

bool TryStartBuildAhead() {
  if (builds_ahead.fetch_add(1) < kMaxBuildsAhead) return true;
  builds_ahead.fetch_sub(1);
  return false;
}

// Waits for work started after TryStartBuildAhead and gives its place back: the result, or
// nullopt once the failure is logged (the lane then does the work itself, later).
template <class T>
std::optional<T> JoinAhead(std::future<Result<T>>& ahead, const std::string& stream, std::string_view what) {
  Result<T> done = ahead.get();
  builds_ahead.fetch_sub(1);
  if (done.ok()) return std::move(*done);
  spdlog::error("stream {}: cannot {}: {}", stream, what, done.status().ToString());
  return std::nullopt;
}

// Threads that run the lanes of every stream together. A lane holds one only while it works
// (cuts, sends, checkpoints), so the count bounds the deliveries in progress at once, and with
// them the memory their batches take; waiting for records, an interval or a retry costs none.
constexpr int kDeliveryThreads = 16;

// Delivery threads run at a lower CPU priority (nice 10) than the HTTP I/O threads and the
// WAL's sync thread: on a small machine, reading back, formatting and writing an object
// otherwise takes the core that an acknowledgement is waiting for. Their disk I/O is in the idle
// class, so the WAL's writes and syncs go first (at 90 % of the peak of 100 B records, p99
// 853 -> 120 ms); the threads they start (build ahead, compression) inherit both. They still
// get every idle cycle and the idle disk; if they fall behind, the backlog waits in the WAL (up to --max-buffered-bytes, then
// puts get "Slow down."), nothing is lost.
void YieldCpuToIngest() {
  constexpr int kDeliveryNice = 10;
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kDeliveryNice);
  constexpr int kIoprioClassIdle = 3, kIoprioClassShift = 13, kIoprioWhoProcess = 1;
  (void)syscall(SYS_ioprio_set, kIoprioWhoProcess, gettid(), kIoprioClassIdle << kIoprioClassShift);
}

const std::string kProcessingFailed = "processing-failed";
// Dynamic partitioning's error outputs. The folder name is the service's documented one; the
// error codes are Hydrant's, in the service's style.
const std::string kActivePartitionExceeded = "activePartitionExceeded";
const std::string kFormatConversionFailed = "format-conversion-failed";
const std::string kActivePartitionsExceededCode = "DynamicPartitioning.ActivePartitionsLimitExceeded";
const std::string kPartitionKeyMissingCode = "DynamicPartitioning.PartitionKeyMissing";
// Stands for !{firehose:error-output-type} in a planned error key. NUL never reaches a stored
// key (the store refuses it), so it cannot clash with a user's prefix.
constexpr std::string_view kErrorOutputTypePlaceholder{"\0error-output-type\0", 19};

// A record's id, stable across re-deliveries of its batch: where it sits in the log.
uint64_t RecordIdOf(const wal::LogPosition& position) {
  return position.segment * 10'000'000'000'000ull + position.offset;
}

// A stored record as the processors take it.
processor::Record RecordFromLog(const wal::RecordView& r) {
  processor::Record record;
  record.record_id = std::to_string(RecordIdOf(r.position));
  record.arrival_millis = r.arrival_millis;
  record.data.assign(r.data);
  record.raw_data = record.data;
  return record;
}

// Collects records read from the log into a BatchRecords arena, unchanged: for the backup
// lane the arena is the object's body; for the destination lane Finish appends the records'
// ids and points `ok` at each record.
class RecordCollector {
 public:
  RecordCollector(BatchRecords* out, uint64_t expected_bytes) : out_(out) { out_->arena.reserve(expected_bytes); }
  void Add(const wal::RecordView& r) {
    spans_.push_back({out_->arena.size(), r.data.size(), r.arrival_millis, RecordIdOf(r.position)});
    out_->arena.append(r.data);
  }
  void Finish() {
    std::vector<uint32_t> id_sizes;
    id_sizes.reserve(spans_.size());
    out_->ids.reserve(spans_.size() * 20);  // a uint64 has at most 20 digits
    for (const Span& span : spans_) {
      const size_t before = out_->ids.size();
      out_->ids += std::to_string(span.id);
      id_sizes.push_back(static_cast<uint32_t>(out_->ids.size() - before));
    }
    // Views are taken only now: neither string moves any more.
    std::string_view arena = out_->arena, ids = out_->ids;
    size_t id_at = 0;
    out_->ok.reserve(spans_.size());
    for (size_t i = 0; i < spans_.size(); ++i) {
      out_->ok.push_back({arena.substr(spans_[i].at, spans_[i].size), spans_[i].arrival_millis,
                          ids.substr(id_at, id_sizes[i])});
      id_at += id_sizes[i];
    }
  }

 private:
  struct Span {
    size_t at, size;
    int64_t arrival_millis;
    uint64_t id;
  };
  BatchRecords* out_;
  std::vector<Span> spans_;
};

// The destination's plan of a batch. Batches journaled before plans were opaque held their S3
// object's bucket, key and compression instead.
std::string PlanOf(const PlannedBatch& batch) {
  if (!batch.plan.empty()) return batch.plan;
  return destination::s3::ObjectPlan(batch.bucket, batch.key, batch.compression);
}

buffer::BufferingHints ToPolicyHints(const BufferingHints& b) {
  return {static_cast<uint64_t>(b.size_mb) << 20, b.interval_seconds * 1000};
}

// The lane's buffering: the destination's BufferingHints, or the backup's.
buffer::BufferingHints HintsOf(bool backup, const StreamMetadata& m) {
  if (!backup) return ToPolicyHints(m.config.buffering());
  const auto& b = m.config.s3().backup;
  return ToPolicyHints(b ? b->buffering : BufferingHints{});
}

constexpr wal::LogPosition kEndOfTime{~0ull, ~0ull};

// The log line of a failed attempt.
std::string RetryNote(bool draining, int64_t wait_millis) {
  return draining ? " for the next start" : ", retrying in about " + std::to_string((wait_millis + 999) / 1000) + " s";
}

}  // namespace

// The retention period a stream's tag asks for (0: none, or not a number of hours).
int64_t RetentionMillisOf(const StreamMetadata& metadata) {
  for (const auto& [key, value] : metadata.tags) {
    if (key != kRetentionHoursTag) continue;
    char* end = nullptr;
    const double hours = std::strtod(value.c_str(), &end);
    if (end == value.c_str() || *end != '\0' || !(hours > 0) || hours > 24 * 365) return 0;
    return static_cast<int64_t>(hours * 3'600'000);
  }
  return 0;
}

DeliveryStream::DeliveryStream(std::string dir, StreamMetadata metadata, const DeliveryStreamDeps& deps)
    : dir_(std::move(dir)),
      name_(metadata.config.name()),
      deps_(deps),
      create_millis_(metadata.create_millis),
      kind_(metadata.config.kind()),
      record_id_tag_(RecordIdTag(metadata.config.name(), metadata.create_millis)),
      partitioned_(metadata.config.s3().dynamic_partitioning),
      metadata_(std::move(metadata)) {
  retention_millis_ = RetentionMillisOf(metadata_);
  if (!deps_.cluster) lineage_ = std::make_unique<LineageLog>(JoinPath(dir_, "lineage.log"));
  main_.policy.set_hints(HintsOf(false, metadata_));
  backup_.policy.set_hints(HintsOf(true, metadata_));
  backup_.active = metadata_.config.s3().backup.has_value();
}

Result<std::unique_ptr<DeliveryStream>> DeliveryStream::Open(const std::string& dir,
                                                             StreamMetadata metadata,
                                                             const DeliveryStreamDeps& deps) {
  std::unique_ptr<DeliveryStream> stream(new DeliveryStream(dir, std::move(metadata), deps));
  HYDRANT_RETURN_IF_ERROR(stream->Recover());
  if (!deps.run_lanes) return stream;  // cluster mode: another node delivers
  DeliveryStream* s = stream.get();
  s->releaser_ = std::make_unique<Activity>(DeliveryPool(), [s] { s->ReleaseLog(); });
  s->main_.activity = std::make_unique<Activity>(DeliveryPool(), [s] { s->Step(s->main_); });
  s->main_.activity->Wake();  // a batch in flight or records recovered
  if (s->backup_.active) s->StartBackupLane();
  return stream;
}

void DeliveryStream::StartBackupLane() {
  backup_.activity = std::make_unique<Activity>(DeliveryPool(), [this] { Step(backup_); });
  backup_.activity->Wake();
}

TaskPool* DeliveryPool() {
  // Never destroyed: streams may be closed by static destructors of their owners.
  static TaskPool* pool = new TaskPool(kDeliveryThreads, "delivery", YieldCpuToIngest);
  return pool;
}

DeliveryStream::~DeliveryStream() {
  Stop();
  if (wal_) (void)wal_->Close();
}

Status DeliveryStream::Recover() {
  const std::string name = metadata_.config.name();
  // A key change a crash interrupted is completed: the log opens under the key asked for.
  StreamEncryption& encryption = metadata_.encryption;
  const bool changing = encryption.status == "ENABLING" || encryption.status == "DISABLING";
  const std::string key_ref = encryption.status == "ENABLING_FAILED" ? encryption.key_ref : encryption.TargetRef();
  wal::RecoveryReport report;
  auto wal = OpenLog(key_ref, &report);
  if (!wal.ok()) {
    if (wal.status().code() == StatusCode::kInvalidArgument && !key_ref.empty()) {
      return Status::FailedPrecondition("stream " + name + " is encrypted with the key " + key_ref +
                                        ", which this server does not have (kms_keys in the config)");
    }
    return wal.status();
  }
  wal_ = std::move(*wal);
  if (changing && !deps_.cluster) {
    encryption.status = key_ref.empty() ? "DISABLED" : "ENABLED";
    encryption.key_ref = key_ref;
    HYDRANT_RETURN_IF_ERROR(deps_.env->WriteFileAtomic(JoinPath(dir_, "stream.json"), metadata_.ToJsonText()));
    spdlog::info("stream {}: completed the encryption change interrupted by the last stop ({})", name,
                 encryption.status);
  }
  encrypted_ = !key_ref.empty();
  if (report.truncated_bytes > 0) {
    spdlog::warn("stream {}: write-ahead log had a torn or corrupt tail; cut {} bytes ({}); "
                 "every record before it is kept",
                 name, report.truncated_bytes, report.detail);
  }
  if (deps_.run_lanes) {
    HYDRANT_RETURN_IF_ERROR(RecoverLane(main_, "delivery"));
    HYDRANT_RETURN_IF_ERROR(RecoverLane(backup_, "backup"));
  }
  // Only undelivered bytes count against the budget, as while running: what the lanes had
  // delivered before the restart (still in the log's current segment) does not.
  budget_released_to_ = ReleasePosition();
  if (deps_.budget) deps_.budget->ForceReserve(wal_->BytesBetween(budget_released_to_, wal_->DurableEnd()));
  // Only a stream whose lanes run here needs to hear of new records (cluster mode: a consumer).
  if (deps_.run_lanes) wal_->SetDurableListener([this](const wal::DurableGroup& group) { OnDurable(group); });
  return Status::Ok();
}

Result<std::unique_ptr<wal::Wal>> DeliveryStream::OpenLog(const std::string& key_ref,
                                                         wal::RecoveryReport* report) {
  if (deps_.cluster) return deps_.cluster->OpenLog(metadata_);
  wal::Options options{.env = deps_.env,
                       .dir = JoinPath(dir_, "wal"),
                       .max_segment_bytes = deps_.wal_segment_bytes,
                       .keys = deps_.keys,
                       .key_ref = key_ref,
                       .recent = deps_.recent_writes};
  return wal::Wal::Open(options, report);
}

Status DeliveryStream::RecoverLane(Lane& lane, const std::string& lane_name) {
  std::unique_ptr<JournalStore> store;
  if (deps_.cluster) {
    auto shared = deps_.cluster->OpenJournal(metadata_.config.name(), lane_name);
    if (!shared.ok()) return shared.status();
    store = std::move(*shared);
  } else {
    store = FileJournalStore(deps_.env, JoinPath(dir_, lane_name + ".journal"));
  }
  auto journal = DeliveryJournal::Open(std::move(store), wal_->Begin());
  if (!journal.ok()) return journal.status();
  lane.journal = std::move(*journal);
  if (!lane.active) {
    lane.done_before = kEndOfTime;
    return Status::Ok();
  }
  const auto& in_flight = lane.journal->in_flight();
  if (partitioned_ && !lane.backup) {
    // Every retained record is processed again: the journal's delivered ranges tell which ones
    // already reached an object, and the partition buffers are rebuilt from the others.
    lane.pending_begin = processed_end_ = wal_->Begin();
    lane.journal->ForgetPartitionsBefore(wal_->Begin());
    auto partitions = PartitionBuffers::Open(deps_.env, JoinPath(dir_, "partitions"));
    if (!partitions.ok()) return partitions.status();
    partitions_ = std::move(*partitions);
  } else {
    lane.pending_begin = in_flight ? in_flight->end : lane.journal->delivered_end();
  }
  lane.done_before = in_flight && in_flight->partition.empty() ? in_flight->begin : lane.pending_begin;
  if (!lane.backup && in_flight && in_flight->partition.empty()) {
    in_flight_summary_ = InFlightSummary{in_flight->records, in_flight->data_bytes, in_flight->first_arrival_millis};
  }
  uint64_t records = 0;
  HYDRANT_RETURN_IF_ERROR(wal_->Read(lane.pending_begin, [&](const wal::RecordView& r) {
    lane.policy.Add(1, r.data.size(), r.arrival_millis);
    ++records;
    return true;
  }));
  if (records > 0 || in_flight) {
    spdlog::info("stream {}: recovered {} buffered records ({} bytes) for its {}{}",
                 metadata_.config.name(), records, lane.policy.pending_bytes(),
                 lane.backup ? "backup" : "destination",
                 in_flight ? ", and one object to deliver again under the same key" : "");
  }
  return Status::Ok();
}

size_t DeliveryStream::Reserve(std::span<const std::string_view> records) {
  if (!deps_.budget) return records.size();  // the shared log refuses what is over its limits
  uint64_t stack_sizes[500];
  std::vector<uint64_t> heap_sizes;
  uint64_t* sizes = stack_sizes;
  if (records.size() > std::size(stack_sizes)) {
    heap_sizes.resize(records.size());
    sizes = heap_sizes.data();
  }
  const uint64_t overhead = FrameOverhead();
  for (size_t i = 0; i < records.size(); ++i) sizes[i] = records[i].size() + overhead;
  return deps_.budget->ReservePrefix({sizes, records.size()});
}

wal::LogPosition DeliveryStream::Append(std::span<const std::string_view> records, int64_t arrival_millis,
                                        PutCallback done) {
  uint64_t reserved = 0;
  const uint64_t overhead = FrameOverhead();
  for (std::string_view record : records) reserved += record.size() + overhead;
  // Records the log refused never reach it, so their reservation is given back.
  return wal_->Append(records, arrival_millis,
                     [budget = deps_.budget, reserved, done = std::move(done)](Status s) {
                       if (!s.ok() && budget) budget->Release(reserved);
                       done(std::move(s));
                     });
}

void DeliveryStream::OnDurable(const wal::DurableGroup& group) {
  // A lane is woken when a batch is due, and a timer is set for the interval when its buffer
  // stops being empty; the group commits in between cost nothing.
  std::optional<int64_t> timers[2];
  bool wake[2] = {false, false};
  {
    std::lock_guard<std::mutex> lock(mu_);
    Lane* lanes[2] = {&main_, &backup_};
    for (int i = 0; i < 2; ++i) {
      Lane& lane = *lanes[i];
      if (!lane.active) continue;
      const bool was_empty = lane.policy.Empty();
      lane.policy.Add(group.records, group.data_bytes, group.oldest_arrival_millis);
      if ((partitioned_ && !lane.backup) || DueLocked(lane)) {
        wake[i] = true;
      } else if (was_empty) {
        timers[i] = lane.policy.MillisUntilDue(deps_.clock->NowMillis());
      }
    }
  }
  Lane* lanes[2] = {&main_, &backup_};
  for (int i = 0; i < 2; ++i) {
    if (!lanes[i]->activity) continue;
    if (wake[i]) lanes[i]->activity->Wake();
    if (timers[i]) lanes[i]->activity->WakeAfter(*timers[i]);
  }
}

StreamMetadata DeliveryStream::metadata() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metadata_;
}

Status DeliveryStream::UpdateMetadata(const std::function<Status(StreamMetadata*)>& mutate) {
  std::lock_guard<std::mutex> lock(mu_);
  StreamMetadata updated = metadata_;
  HYDRANT_RETURN_IF_ERROR(mutate(&updated));
  if (deps_.cluster) {
    HYDRANT_RETURN_IF_ERROR(deps_.cluster->SaveMetadata(metadata_, updated));
  } else {
    HYDRANT_RETURN_IF_ERROR(deps_.env->WriteFileAtomic(JoinPath(dir_, "stream.json"), updated.ToJsonText()));
  }
  ApplyMetadataLocked(std::move(updated));
  return Status::Ok();
}

void DeliveryStream::AdoptMetadata(StreamMetadata metadata) {
  std::lock_guard<std::mutex> lock(mu_);
  ApplyMetadataLocked(std::move(metadata));
}

void DeliveryStream::ApplyMetadataLocked(StreamMetadata updated) {
  metadata_ = std::move(updated);
  retention_millis_ = RetentionMillisOf(metadata_);
  main_.policy.set_hints(HintsOf(false, metadata_));
  if (!backup_.active && metadata_.config.s3().backup) {
    // Backup starts with the records the destination lane has not taken yet.
    backup_.active = true;
    backup_.skip_to_pending = true;
    backup_.policy = main_.policy;
    backup_.pending_begin = backup_.done_before = main_.pending_begin;
    // Its activity waits for mu_, held here until the update is in place. A stream that is
    // stopping backs up from the next start.
    if (!stopping_ && !draining_ && deps_.run_lanes) StartBackupLane();
  }
  backup_.policy.set_hints(HintsOf(true, metadata_));
  chain_stale_ = true;
  destination_stale_ = true;
  // New buffering hints may make a batch due now.
  if (main_.activity) main_.activity->Wake();
  if (backup_.activity) backup_.activity->Wake();
}

Status DeliveryStream::RekeyLog(const std::string& key_ref) {
  std::promise<Status> rekeyed;
  wal_->Rekey(key_ref, [&rekeyed](Status s) { rekeyed.set_value(std::move(s)); });
  return rekeyed.get_future().get();
}

namespace {

constexpr size_t kMaxEncryptionChangesPerDay = 25;
constexpr int64_t kDayMillis = 24ll * 3600 * 1000;

// Counts one Start/StopDeliveryStreamEncryption call against the service's 25 per 24 hours.
Status CountEncryptionChange(StreamMetadata* m, int64_t now_millis) {
  std::vector<int64_t>& calls = m->encryption.change_millis;
  std::erase_if(calls, [&](int64_t at) { return at <= now_millis - kDayMillis; });
  if (calls.size() >= kMaxEncryptionChangesPerDay) {
    return Status::LimitExceeded("Delivery stream " + m->config.name() + " has had " +
                                 std::to_string(kMaxEncryptionChangesPerDay) +
                                 " StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls "
                                 "in the last 24 hours, the most allowed.");
  }
  calls.push_back(now_millis);
  return Status::Ok();
}

}  // namespace

Status DeliveryStream::StartEncryption(const std::string& key_type, const std::string& key_arn) {
  if (deps_.cluster) return Status::InvalidArgument(kNoEncryptionInCluster);
  std::lock_guard change(encryption_mu_);
  const int64_t now = deps_.clock->NowMillis();
  const std::string ref = key_type == "CUSTOMER_MANAGED_CMK" ? key_arn : std::string(kOwnKeyRef);
  if (deps_.keys == nullptr || deps_.keys->Master(ref) == nullptr) {
    // As KMS answers for a key that does not exist; the previous key stays in use.
    spdlog::warn("stream {}: cannot start encryption: no key {} (name it under kms_keys in the config)",
                 metadata().config.name(), ref);
    return UpdateMetadata([&](StreamMetadata* m) {
      HYDRANT_RETURN_IF_ERROR(CountEncryptionChange(m, now));
      m->encryption.status = "ENABLING_FAILED";
      m->encryption.key_type = key_type;
      m->encryption.key_arn = key_arn;
      m->encryption.failure_type = "KMS_KEY_NOT_FOUND";
      m->encryption.failure_details = "Key '" + ref + "' does not exist";
      return Status::Ok();
    });
  }
  HYDRANT_RETURN_IF_ERROR(UpdateMetadata([&](StreamMetadata* m) {
    HYDRANT_RETURN_IF_ERROR(CountEncryptionChange(m, now));
    m->encryption.status = "ENABLING";
    m->encryption.key_type = key_type;
    m->encryption.key_arn = key_arn;
    m->encryption.failure_type.clear();
    m->encryption.failure_details.clear();
    return Status::Ok();
  }));
  HYDRANT_RETURN_IF_ERROR(RekeyLog(ref));
  encrypted_ = true;
  return UpdateMetadata([&](StreamMetadata* m) {
    m->encryption.status = "ENABLED";
    m->encryption.key_ref = ref;
    return Status::Ok();
  });
}

Status DeliveryStream::StopEncryption() {
  std::lock_guard change(encryption_mu_);
  const int64_t now = deps_.clock->NowMillis();
  HYDRANT_RETURN_IF_ERROR(UpdateMetadata([&](StreamMetadata* m) {
    HYDRANT_RETURN_IF_ERROR(CountEncryptionChange(m, now));
    m->encryption.status = "DISABLING";
    m->encryption.failure_type.clear();
    m->encryption.failure_details.clear();
    return Status::Ok();
  }));
  HYDRANT_RETURN_IF_ERROR(RekeyLog(""));
  encrypted_ = false;
  return UpdateMetadata([&](StreamMetadata* m) {
    m->encryption.status = "DISABLED";
    m->encryption.key_ref.clear();
    return Status::Ok();
  });
}

DeliveryStats DeliveryStream::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  DeliveryStats stats = stats_;
  stats.buffered_records = main_.policy.pending_records();
  stats.buffered_bytes = main_.policy.pending_bytes();
  std::optional<int64_t> oldest = main_.policy.oldest_arrival_millis();
  for (const auto& summary : {in_flight_summary_, ahead_summary_, cut_summary_}) {
    if (!summary) continue;
    stats.buffered_records += summary->records;
    stats.buffered_bytes += summary->bytes;
    if (summary->records > 0) {
      oldest = std::min(oldest.value_or(INT64_MAX), summary->oldest_arrival_millis);
    }
  }
  if (oldest) stats.destination.data_freshness_millis = std::max<int64_t>(0, deps_.clock->NowMillis() - *oldest);
  return stats;
}

void DeliveryStream::Drain() {
  BeginDrain();
  WaitDrained();
}

void DeliveryStream::BeginDrain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
  }
  for (Lane* lane : {&main_, &backup_}) {
    if (lane->activity) lane->activity->Wake();
  }
}

void DeliveryStream::WaitDrained() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] {
    return stopping_ || ((main_.finished || !main_.activity) && (backup_.finished || !backup_.activity));
  });
}

void DeliveryStream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  for (Lane* lane : {&main_, &backup_}) {
    if (lane->activity) lane->activity->Stop();
  }
  if (releaser_) {
    releaser_->Stop();
    ReleaseLog();  // a release the lanes asked for last may not have run
  }
}

void DeliveryStream::FinishLocked(Lane& lane) {
  lane.finished = true;
  cv_.notify_all();
}

void DeliveryStream::RetryLater(Lane& lane, int64_t wait_millis, bool draining) {
  if (draining) {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(lane);
    return;
  }
  lane.not_before = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_millis);
  lane.activity->WakeAt(lane.not_before);
}

bool DeliveryStream::MayWork(Lane& lane, bool* draining) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || lane.finished) return false;
    *draining = draining_;
  }
  // Cluster mode: a node whose lease is not fresh waits; it gets the lease back or gives the
  // lane up.
  if (deps_.cluster && !deps_.cluster->MayDeliver(name_)) {
    lane.activity->WakeAfter(kLeaseWaitMillis);
    return false;
  }
  // After a failure nothing is tried before its backoff, however often records arrive; a drain
  // makes its one attempt at once.
  if (!*draining && std::chrono::steady_clock::now() < lane.not_before) {
    lane.activity->WakeAt(lane.not_before);
    return false;
  }
  return true;
}

// The pipeline of one lane: take a batch, build it, plan it, deliver it, checkpoint. A batch
// left in flight by a crash is delivered first, with the boundaries and plan it had.
void DeliveryStream::Step(Lane& lane) {
  if (partitioned_ && !lane.backup) return StepPartitioned();
  const std::string name = metadata().config.name();
  for (;;) {
    bool draining;
    if (!MayWork(lane, &draining)) return;
    if (!lane.journal->in_flight()) {
      if (!lane.next) {
        std::unique_lock<std::mutex> lock(mu_);
        if (!lane.cut && !DueLocked(lane)) {
          if (draining_) return FinishLocked(lane);  // nothing left to deliver
          auto due = lane.active ? lane.policy.MillisUntilDue(deps_.clock->NowMillis()) : std::nullopt;
          lock.unlock();
          if (due) lane.activity->WakeAfter(*due);
          return;  // else the next durable group wakes it
        }
        if (lane.skip_to_pending) {
          // Backup was just enabled: the journal starts where the lane starts.
          lane.skip_to_pending = false;
          wal::LogPosition start = lane.pending_begin;
          lock.unlock();
          if (Status s = lane.journal->SkipTo(start); !s.ok()) {
            spdlog::error("stream {}: cannot start the backup journal: {}", name, s.ToString());
          }
        } else {
          lock.unlock();
        }
        auto built = CutAndBuild(lane);
        if (!built.ok()) {
          spdlog::error("stream {}: cannot plan the next batch: {}", name, built.status().ToString());
          return RetryLater(lane, kFirstRetryBackoffMillis, draining);
        }
        lane.next = std::move(*built);
      }
      if (Status planned = lane.journal->Plan(lane.next->batch); !planned.ok()) {
        spdlog::error("stream {}: cannot plan the next batch: {}", name, planned.ToString());
        return RetryLater(lane, kFirstRetryBackoffMillis, draining);
      }
      lane.attempts.emplace(deps_.max_retry_backoff_millis);
      lane.attempts->prepared = std::move(lane.next->prepared);
      lane.next.reset();
      if (!lane.backup) {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_summary_ = std::exchange(ahead_summary_, std::nullopt);
      }
    }
    if (!lane.attempts) lane.attempts.emplace(deps_.max_retry_backoff_millis);  // in flight since a restart
    std::future<Result<BuiltBatch>> ahead;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Pipelining: the next batch is cut, read and compressed on another thread while this one
      // is sent, so a core and the disk or network work at the same time. Only when this batch
      // is built already, so the processors never run on two threads at once.
      if (lane.attempts->prepared && !lane.next && !lane.skip_to_pending && (lane.cut || DueLocked(lane)) &&
          TryStartBuildAhead()) {
        ahead = std::async(std::launch::async, [this, &lane] { return CutAndBuild(lane); });
      }
    }
    const AttemptResult result = Attempt(lane, draining);
    if (ahead.valid()) lane.next = JoinAhead(ahead, name, "plan the next batch");
    if (!result.done) return RetryLater(lane, result.wait_millis, draining);
    // The next batch is planned in the same journal sync that records this one as delivered.
    // It may be planned even when Checkpoint reports a failure (a compaction failing after
    // the write), so the journal, not the result, says whether it is in flight now.
    (void)Checkpoint(lane, lane.next ? &lane.next->batch : nullptr);
    lane.attempts.reset();
    const auto& in_flight = lane.journal->in_flight();
    if (lane.next && in_flight && in_flight->sequence == lane.next->batch.sequence) {
      lane.attempts.emplace(deps_.max_retry_backoff_millis);
      lane.attempts->prepared = std::move(lane.next->prepared);
      lane.next.reset();
    }
  }
}

bool DeliveryStream::DueLocked(const Lane& lane) const {
  if (!lane.active || stopping_) return false;
  return lane.policy.ShouldFlush(deps_.clock->NowMillis()) || (draining_ && !lane.policy.Empty());
}

Result<DeliveryStream::BuiltBatch> DeliveryStream::CutAndBuild(Lane& lane) {
  std::unique_ptr<BatchRecords> records;
  BuiltBatch built;
  if (lane.cut) {
    built.batch = std::move(lane.cut->batch);
    records = std::move(lane.cut->records);
    lane.cut.reset();
    std::lock_guard<std::mutex> lock(mu_);
    ahead_summary_ = std::exchange(cut_summary_, std::nullopt);
  } else {
    auto batch = CutNextBatch(lane, &records);
    if (!batch.ok()) return batch.status();
    built.batch = std::move(*batch);
  }
  // One stage deeper when the lane has fallen behind (two more full batches wait): the batch
  // after this one is read from the log while this one is built (processors, compression, its
  // digest), so a core and the disk work at the same time. A lane that keeps up does not: the
  // extra reads in parallel lengthened the acknowledgements' syncs (p99 at half load 11 -> 31 ms).
  std::future<Result<CutBatch>> cut_ahead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool behind = lane.policy.pending_bytes() >= 2 * lane.policy.hints().size_bytes;
    if (!lane.backup && behind && DueLocked(lane) && TryStartBuildAhead()) {
      cut_ahead = std::async(std::launch::async, [this, &lane, after = &built.batch]() -> Result<CutBatch> {
        CutBatch cut;
        auto batch = CutNextBatch(lane, &cut.records, after);
        if (!batch.ok()) return batch.status();
        cut.batch = std::move(*batch);
        return cut;
      });
    }
  }
  auto prepared = Prepare(lane, built.batch, std::move(records));
  if (cut_ahead.valid()) lane.cut = JoinAhead(cut_ahead, metadata().config.name(), "cut the next batch");
  if (prepared.ok()) {
    built.prepared = std::move(*prepared);
  } else {
    spdlog::warn("stream {}: cannot build batch {} yet: {}", metadata().config.name(),
                 built.batch.sequence, prepared.status().ToString());
  }
  return built;
}

Result<std::shared_ptr<const destination::Destination>> DeliveryStream::CurrentDestination() {
  std::lock_guard<std::mutex> lock(mu_);
  if (destination_stale_ || !destination_) {
    if (!deps_.destinations) return Status::Internal("no destination factory");
    auto built = deps_.destinations(metadata_);
    if (!built.ok()) return built.status();
    destination_ = std::shared_ptr<const destination::Destination>(std::move(*built));
    destination_stale_ = false;
  }
  return destination_;
}

Result<PlannedBatch> DeliveryStream::CutNextBatch(Lane& lane, std::unique_ptr<BatchRecords>* kept,
                                                  const PlannedBatch* after) {
  wal::LogPosition begin;
  uint64_t size_limit, max_records, pending_bytes;
  StreamMetadata meta = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    begin = lane.pending_begin;
    size_limit = lane.policy.hints().size_bytes;
    max_records = lane.policy.pending_records();
    pending_bytes = lane.policy.pending_bytes();
    return metadata_;
  }();
  // Records that reach the destination unchanged are kept from this one pass over the WAL,
  // which then need not be read a second time.
  std::optional<RecordCollector> collector;
  if (lane.backup || !meta.config.processing()) {
    *kept = std::make_unique<BatchRecords>();
    collector.emplace(kept->get(), std::min(size_limit, pending_bytes));
  }
  // About the log bytes the batch takes, with the frame after it that ends the batch, from the
  // buffered records' mean size: the log reads no further ahead from the disk.
  const uint64_t mean_bytes = max_records > 0 ? pending_bytes / max_records : 0;
  const uint64_t take_bytes = std::min(size_limit, pending_bytes);
  const uint64_t take_records = std::min(max_records, mean_bytes > 0 ? take_bytes / mean_bytes : max_records);
  const uint64_t expected_bytes = take_bytes + mean_bytes + (take_records + 1) * FrameOverhead();
  uint64_t records = 0, bytes = 0;
  int64_t first_arrival = 0, next_arrival = 0;
  wal::LogPosition end = begin;
  HYDRANT_RETURN_IF_ERROR(wal_->ReadExpecting(begin, expected_bytes, [&](const wal::RecordView& r) {
    if (records == max_records || (records > 0 && bytes + r.data.size() > size_limit)) {
      next_arrival = r.arrival_millis;
      return false;
    }
    if (records == 0) first_arrival = r.arrival_millis;
    ++records;
    bytes += r.data.size();
    end = r.next;
    if (collector) collector->Add(r);
    return true;
  }));
  if (records == 0) return Status::Internal("buffer reported records the log does not hold");
  if (collector && !lane.backup) collector->Finish();

  PlannedBatch batch;
  batch.sequence = after ? after->sequence + 1 : lane.journal->next_sequence();
  batch.begin = begin;
  batch.end = end;
  batch.records = records;
  batch.data_bytes = bytes;
  batch.first_arrival_millis = first_arrival;
  batch.batch_id = NewUuid();
  const S3Destination& s3 = meta.config.s3();
  const destination::BatchFacts facts{.stream_name = meta.config.name(),
                                      .stream_version = meta.version,
                                      .first_arrival_millis = first_arrival,
                                      .batch_id = batch.batch_id};
  if (lane.backup) {
    auto target = destination::s3::BackupTarget(s3, facts);
    if (!target.ok()) return target.status();
    batch.bucket = std::move(target->bucket);
    batch.key = std::move(target->key);
    batch.compression = std::move(target->compression);
  } else {
    auto destination = CurrentDestination();
    if (!destination.ok()) return destination.status();
    batch.plan = (*destination)->Plan(facts);
    // The error output type is known only when records fail: the key keeps a placeholder.
    auto error_key = destination::s3::ErrorObjectKey(s3, kErrorOutputTypePlaceholder, facts);
    if (!error_key.ok()) return error_key.status();
    batch.error_key = std::move(*error_key);
  }
  std::lock_guard<std::mutex> lock(mu_);
  lane.policy.Take(records, bytes, next_arrival);
  lane.pending_begin = end;
  if (!lane.backup) (after ? cut_summary_ : ahead_summary_) = InFlightSummary{records, bytes, first_arrival};
  return batch;
}

Status DeliveryStream::RefreshChain() {
  std::lock_guard<std::mutex> lock(mu_);
  if (chain_stale_ && deps_.processors) {
    auto chain = deps_.processors(metadata_);
    if (!chain.ok()) return chain.status();
    chain_ = std::move(*chain);
  }
  chain_stale_ = false;
  return Status::Ok();
}

Result<PreparedBatch> DeliveryStream::PrepareObject(const PlannedBatch& batch,
                                                    std::unique_ptr<BatchRecords> records) {
  std::string body;
  if (records) {
    body = std::move(records->arena);
  } else {
    HYDRANT_RETURN_IF_ERROR(wal_->Read(batch.begin, [&](const wal::RecordView& r) {
      if (r.position >= batch.end) return false;
      body.append(r.data);
      return true;
    }));
  }
  if (body.size() != batch.data_bytes) {
    return Status::Corruption("planned batch " + std::to_string(batch.sequence) + " had " +
                              std::to_string(batch.data_bytes) + " bytes, the log holds " +
                              std::to_string(body.size()));
  }
  PreparedBatch prepared;
  prepared.data_records = batch.records;
  prepared.data_bytes = body.size();
  auto object = destination::s3::MakeObject(
      {.bucket = batch.bucket, .key = batch.key, .compression = batch.compression, .kms_key_arn = ""},
      std::move(body), batch.records);
  if (!object.ok()) return object.status();
  prepared.objects.push_back(std::move(*object));
  return prepared;
}

Result<PreparedBatch> DeliveryStream::Prepare(Lane& lane, const PlannedBatch& batch,
                                              std::unique_ptr<BatchRecords> records) {
  if (!batch.partition.empty()) return PreparePartition(batch);
  if (lane.backup) return PrepareObject(batch, std::move(records));
  HYDRANT_RETURN_IF_ERROR(RefreshChain());
  const StreamMetadata meta = metadata();
  PreparedBatch prepared;
  uint64_t count = 0;
  if (records && chain_.empty()) {
    count = records->ok.size();
  } else if (chain_.empty()) {
    // No transformation: the records go straight from the WAL to the destination.
    records = std::make_unique<BatchRecords>();
    RecordCollector collector(records.get(), batch.data_bytes);
    HYDRANT_RETURN_IF_ERROR(wal_->Read(batch.begin, [&](const wal::RecordView& r) {
      if (r.position >= batch.end) return false;
      collector.Add(r);
      ++count;
      return true;
    }));
    collector.Finish();
  } else {
    records = std::make_unique<BatchRecords>();
    processor::RecordBatch& input = records->processed;
    HYDRANT_RETURN_IF_ERROR(wal_->Read(batch.begin, [&](const wal::RecordView& r) {
      if (r.position >= batch.end) return false;
      input.push_back(RecordFromLog(r));
      ++count;
      return true;
    }));
    for (auto& step : chain_) HYDRANT_RETURN_IF_ERROR(step->Process(input));
    std::map<std::string, std::string> failed;  // error output type → one JSON line per record
    std::string_view last_id;
    for (const processor::Record& record : input) {
      // Lineage: one result per stored record (a de-aggregated record's outputs are summed).
      const bool next_stored = record.record_id != last_id;
      last_id = record.record_id;
      if (next_stored) prepared.lineage_results.emplace_back();
      std::string& result = prepared.lineage_results.back();
      if (record.result == processor::RecordResult::kOk) {
        const bool counting = result.empty() || std::isdigit(static_cast<unsigned char>(result[0]));
        if (counting) result = std::to_string((result.empty() ? 0 : std::stoull(result)) + record.data.size());
      } else if (result.empty()) {
        result = record.result == processor::RecordResult::kDropped ? "d" : "f";
      }
      switch (record.result) {
        case processor::RecordResult::kOk: {
          // The outputs of one stored record are consecutive: number them.
          const bool same = !records->ok.empty() && records->ok.back().record_id == record.record_id;
          const uint32_t subsequence = same ? records->ok.back().subsequence + 1 : 0;
          records->ok.push_back({record.data, record.arrival_millis, record.record_id, subsequence});
          ++prepared.records_ok;
          prepared.bytes_ok += record.data.size();
          break;
        }
        case processor::RecordResult::kDropped: ++prepared.records_dropped; break;
        case processor::RecordResult::kProcessingFailed: {
          const std::string& type =
              record.error_output_type.empty() ? kProcessingFailed : record.error_output_type;
          // One JSON document per line, as the service writes its error output.
          failed[type] += processor::FormatProcessingFailedRecord(record) + "\n";
          ++prepared.records_failed;
          errors_.Add(record.error_code, record.error_message, deps_.clock->NowMillis());
          break;
        }
      }
    }
    for (auto& [type, body] : failed) prepared.objects.push_back(ErrorObject(meta, batch, type, std::move(body)));
  }
  if (count != batch.records) {
    return Status::Corruption("planned batch " + std::to_string(batch.sequence) + " had " +
                              std::to_string(batch.records) + " records, the log holds " +
                              std::to_string(count));
  }
  prepared.data_records = records->ok.size();
  for (const destination::Record& r : records->ok) prepared.data_bytes += r.data.size();
  // The service sends nothing when every record was dropped or failed.
  if (!records->ok.empty()) {
    auto destination = CurrentDestination();
    if (!destination.ok()) return destination.status();
    // A destination without an error output or an all-data copy never needs the records again
    // (its attempts take every record or none): the batch is held once, not twice, and the
    // records read as they arrived may become the request itself.
    const bool release = (*destination)->failed_output_type().empty() && !(*destination)->backup_all();
    auto payload = (*destination)->Encode(PlanOf(batch), records->ok,
                                          release && chain_.empty() ? &records->arena : nullptr);
    if (!payload.ok()) return payload.status();
    prepared.payload = std::move(*payload);
    if (release) {
      records = std::make_unique<BatchRecords>();
      prepared.records_released = true;
    }
  }
  prepared.records = std::move(records);
  return prepared;
}

bool DeliveryStream::WriteObjects(std::vector<format::Object>& objects, size_t* next,
                                  std::string* error) {
  for (; *next < objects.size(); ++*next) {
    format::Object& object = objects[*next];
    object.seal_at_rest = encrypted();
    destination::DeliveryResult result = deps_.objects->Write(object);
    std::lock_guard<std::mutex> lock(mu_);
    if (result.outcome != destination::Outcome::kDelivered) {
      ++stats_.destination.s3_writes_failed;
      errors_.Add(result.error_code, "s3://" + object.bucket + "/" + object.key + ": " + result.error_message,
                  deps_.clock->NowMillis());
      *error = "s3://" + object.bucket + "/" + object.key + ": " + result.error_code + ": " +
               result.error_message;
      return false;
    }
    ++stats_.destination.s3_writes_succeeded;
  }
  return true;
}

DeliveryStream::AttemptResult DeliveryStream::Attempt(Lane& lane, bool draining) {
  if (lane.backup || !lane.journal->in_flight()->partition.empty()) return AttemptObjects(lane, draining);
  return AttemptRecords(draining);
}

DeliveryStream::AttemptResult DeliveryStream::AttemptObjects(Lane& lane, bool draining) {
  const PlannedBatch batch = *lane.journal->in_flight();
  const std::string name = metadata().config.name();
  Attempts& a = *lane.attempts;
  ++a.attempt;
  std::string error;
  if (!a.prepared) {
    auto result = Prepare(lane, batch);
    if (result.ok()) {
      a.prepared = std::move(*result);
    } else {
      error = result.status().ToString();
    }
  }
  // Objects already written are not written again (after a restart they are, under the same keys).
  if (a.prepared && WriteObjects(a.prepared->objects, &a.written, &error)) {
    for (const format::Object& object : a.prepared->objects) {
      spdlog::info("stream {}: {}delivered s3://{}/{} ({} records, {} bytes)", name,
                   lane.backup ? "backup " : "", object.bucket, object.key, object.records,
                   object.body.size());
    }
    if (!lane.backup) {  // the backup lane has its own counters
      std::lock_guard<std::mutex> lock(mu_);
      stats_.destination.objects_written += a.prepared->objects.size();
      stats_.destination.records_to_destination += a.prepared->data_records;
      stats_.destination.bytes_to_destination += a.prepared->data_bytes;
    }
    return {.done = true};
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failed_attempts;
  }
  if (Expired(batch, lane.backup, error)) return {.done = a.expired = true};
  const int64_t wait = a.backoff.Next();
  spdlog::warn("stream {}: {}delivery of batch {} failed (attempt {}): {}; the data is kept{}", name,
               lane.backup ? "backup " : "", batch.sequence, a.attempt, error, RetryNote(draining, wait));
  return {.done = false, .wait_millis = wait};
}

bool DeliveryStream::Expired(const PlannedBatch& batch, bool backup, const std::string& error) {
  if (batch.first_arrival_millis <= 0 ||
      deps_.clock->NowMillis() - batch.first_arrival_millis < deps_.retention_millis) {
    return false;
  }
  // The service's rule: data that could not be delivered within the retention period is
  // discarded. Checkpointing it releases its WAL space.
  spdlog::error("stream {}: {}batch {} ({} records) was not delivered within the retention "
                "period of {} h and is discarded; last error: {}",
                metadata().config.name(), backup ? "backup " : "", batch.sequence, batch.records,
                deps_.retention_millis / 3'600'000.0, error);
  std::lock_guard<std::mutex> lock(mu_);
  stats_.records_expired += batch.records;
  return true;
}

DeliveryStream::AttemptResult DeliveryStream::AttemptRecords(bool draining) {
  const PlannedBatch batch = *main_.journal->in_flight();
  const std::string name = metadata().config.name();
  const std::string plan = PlanOf(batch);
  Attempts& a = *main_.attempts;
  ++a.attempt;
  std::string error;
  if (!a.prepared) {
    auto result = Prepare(main_, batch);
    if (result.ok()) {
      a.prepared = std::move(*result);
      a.started = false;
    } else {
      error = result.status().ToString();
    }
  }
  if (a.prepared && !a.started) {
    a.started = true;
    a.pending.clear();
    for (size_t i = 0; i < a.prepared->data_records; ++i) a.pending.push_back(i);
  }
  if (a.prepared && a.prepared->records_released && !a.prepared->payload && !a.pending.empty()) {
    // Cannot happen with the destinations of today (without an error output they take all
    // records or none); the batch is read again rather than sent without its records.
    a.prepared.reset();
    a.started = false;
    error = "batch " + std::to_string(batch.sequence) + " must be read again";
  }
  auto destination = CurrentDestination();
  if (!destination.ok()) error = destination.status().ToString();
  // Runs again only when the retry window closes: the rest then fails for good at once.
  for (;;) {
    if (a.prepared && destination.ok() && !a.sent) {
      const auto& records = a.prepared->records->ok;
      if (!a.pending.empty() && !a.prepared->payload) {
        std::vector<destination::Record> subset;
        for (size_t i : a.pending) subset.push_back(records[i]);
        auto payload = (*destination)->Encode(plan, subset);
        if (payload.ok()) {
          a.prepared->payload = std::move(*payload);
        } else {
          error = payload.status().ToString();
        }
      }
      if (a.pending.empty()) {
        a.sent = true;
      } else if (a.prepared->payload) {
        destination::DeliveryResult result = (*destination)->Send(*a.prepared->payload);
        ++a.sends;
        const int64_t now = deps_.clock->NowMillis();
        // A refusal for good has nowhere to go when the kind has no error output: retried.
        const bool failures_have_output = !(*destination)->failed_output_type().empty();
        std::vector<size_t> retry;
        uint64_t delivered = 0, delivered_bytes = 0;
        const size_t failed_before = a.failed.size();
        for (size_t k = 0; k < a.pending.size(); ++k) {
          destination::Outcome outcome = result.records.empty() ? result.outcome : result.records[k];
          if (outcome == destination::Outcome::kFailed && !failures_have_output) {
            outcome = destination::Outcome::kRetryable;
          }
          if (outcome == destination::Outcome::kDelivered) {
            ++delivered;
            if (!records.empty()) delivered_bytes += records[a.pending[k]].data.size();
          } else {
            // The record's own error when the destination gives one, else the attempt's.
            const bool own = k < result.record_errors.size() && !result.record_errors[k].code.empty();
            if (outcome == destination::Outcome::kFailed) {
              a.failed.push_back({a.pending[k], a.sends, own ? result.record_errors[k].code : result.error_code,
                                  own ? result.record_errors[k].message : result.error_message, now});
            } else {
              retry.push_back(a.pending[k]);
              // Only a record's own error is kept (a whole-batch failure is last_code's).
              if (own) a.last_record_error[a.pending[k]] = result.record_errors[k];
            }
          }
        }
        // Records released after encoding were taken all at once.
        if (records.empty() && delivered == a.prepared->data_records) delivered_bytes = a.prepared->data_bytes;
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++(result.outcome == destination::Outcome::kDelivered && result.records.empty()
                 ? stats_.destination.attempts_succeeded
                 : stats_.destination.attempts_failed);
          stats_.destination.records_attempted += a.pending.size();
          stats_.destination.bytes_attempted += a.prepared->payload->bytes();
          stats_.destination.records_to_destination += delivered;
          if (result.ack_latency_millis >= 0) stats_.destination.ack_latency_millis = result.ack_latency_millis;
          stats_.destination.staged_objects += result.staged_objects;
          stats_.destination.staged_records += result.staged_records;
          stats_.destination.staged_bytes += result.staged_bytes;
          stats_.destination.rows_rejected += result.rows_rejected;
          stats_.destination.bytes_to_destination += delivered_bytes;
        }
        if (retry.size() != a.pending.size()) a.prepared->payload.reset();  // encoded again for the rest
        a.pending = std::move(retry);
        if (delivered > 0) {
          spdlog::info("stream {}: delivered {} ({} records, {} bytes)", name, (*destination)->Describe(plan),
                       delivered, delivered_bytes);
        }
        if (!a.pending.empty() || a.failed.size() > failed_before) {
          // The console's error list: the attempt's error, or the first record's own.
          const bool own = result.error_code.empty() && !result.record_errors.empty();
          errors_.Add(own ? result.record_errors.front().code : result.error_code,
                      own ? result.record_errors.front().message : result.error_message, now);
        }
        if (a.failed.size() > failed_before) {
          spdlog::error("stream {}: {} refused {} records for good: {}: {}", name,
                        (*destination)->Describe(plan), a.failed.size() - failed_before,
                        result.error_code, result.error_message);
        }
        if (a.pending.empty()) {
          a.sent = true;
        } else {
          a.last_code = result.error_code;
          a.last_message = result.error_message;
          error = (*destination)->Describe(plan) + ": " + result.error_code + ": " + result.error_message;
        }
      }
    }
    if (a.prepared && a.sent && !a.finished) {
      // The error output (records that failed for good) and the all-data backup join the
      // processing failures in the objects to write.
      if (!a.failed.empty()) {
        // One object for the batch (Redshift's manifest), or a document per record.
        std::string body = (*destination)->FailedBatchOutput(plan);
        if (body.empty()) {
          for (const Attempts::Failure& f : a.failed) {
            (*destination)->AppendFailedRecord(a.prepared->records->ok[f.index],
                                               {f.attempts, f.code, f.message, f.ending_millis}, &body);
          }
        }
        a.prepared->objects.push_back(ErrorObject(metadata(), batch,
                                                  std::string((*destination)->failed_output_type()), std::move(body)));
      }
      if ((*destination)->backup_all() && !a.prepared->records->ok.empty()) {
        auto backup = AllDataObject(batch, a.prepared->records->ok);
        if (backup.ok()) {
          a.prepared->objects.push_back(std::move(*backup));
        } else {
          error = backup.status().ToString();
        }
      }
      a.finished = error.empty();
    }
    if (a.prepared && a.finished && WriteObjects(a.prepared->objects, &a.written, &error)) {
      for (const format::Object& object : a.prepared->objects) {
        spdlog::info("stream {}: delivered s3://{}/{} ({} records, {} bytes)", name, object.bucket,
                     object.key, object.records, object.body.size());
      }
      std::lock_guard<std::mutex> lock(mu_);
      stats_.records_dropped += a.prepared->records_dropped;
      stats_.records_processing_failed += a.prepared->records_failed;
      stats_.destination.records_delivery_failed += a.failed.size();
      stats_.destination.objects_written += a.prepared->objects.size();
      stats_.records_processed_ok += a.prepared->records_ok;
      stats_.bytes_processed_ok += a.prepared->bytes_ok;
      return {.done = true};
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.failed_attempts;
    }
    const std::optional<int64_t> window =
        destination.ok() ? (*destination)->retry_window_millis() : std::nullopt;
    if (!a.sent && window && a.prepared && a.waited_millis + a.backoff.base_millis() > *window) {
      // Out of the retry window (RetryOptions.DurationInSeconds): the rest fails for good.
      spdlog::error("stream {}: {} records of batch {} were not delivered within the retry window of "
                    "{} s and go to the error output; last error: {}",
                    name, a.pending.size(), batch.sequence, *window / 1000, error);
      const int64_t now = deps_.clock->NowMillis();
      for (size_t i : a.pending) {
        auto last = a.last_record_error.find(i);
        if (last != a.last_record_error.end()) {
          a.failed.push_back({i, a.sends, last->second.code, last->second.message, now});
        } else {
          a.failed.push_back({i, a.sends, a.last_code, a.last_message, now});
        }
      }
      a.pending.clear();
      a.sent = true;
      error.clear();
      continue;
    }
    if (!window && Expired(batch, false, error)) return {.done = a.expired = true};
    const int64_t wait = a.backoff.Next();
    spdlog::warn("stream {}: delivery of batch {} failed (attempt {}): {}; the data is kept{}", name,
                 batch.sequence, a.attempt, error, RetryNote(draining, wait));
    if (!a.sent) a.waited_millis += wait;
    return {.done = false, .wait_millis = wait};
  }
}

format::Object DeliveryStream::ErrorObject(const StreamMetadata& meta, const PlannedBatch& batch,
                                           const std::string& type, std::string body) {
  std::string key = batch.error_key;
  for (size_t at; (at = key.find(kErrorOutputTypePlaceholder)) != std::string::npos;) {
    key.replace(at, kErrorOutputTypePlaceholder.size(), type);
  }
  return destination::s3::ErrorOutputObject(meta.config.s3(), std::move(key), std::move(body));
}

Result<format::Object> DeliveryStream::AllDataObject(const PlannedBatch& batch,
                                                     std::span<const destination::Record> records) {
  const StreamMetadata meta = metadata();
  auto target = destination::s3::AllDataTarget(meta.config.s3(),
                                               {.stream_name = meta.config.name(),
                                                .stream_version = meta.version,
                                                .first_arrival_millis = batch.first_arrival_millis,
                                                .batch_id = batch.batch_id});
  if (!target.ok()) return target.status();
  return destination::s3::MakeObject(*target, records);
}

bool DeliveryStream::Checkpoint(Lane& lane, const PlannedBatch* then_plan) {
  const PlannedBatch batch = *lane.journal->in_flight();
  Status s = lane.journal->Done(then_plan);
  if (s.ok()) RecordLineage(lane, batch);
  if (!s.ok()) {
    // The object is delivered; without the Done record it will be delivered again under the
    // same key after a restart, which overwrites it with identical bytes.
    spdlog::error("stream {}: cannot record delivery of batch {}: {}", metadata().config.name(),
                  batch.sequence, s.ToString());
    return false;
  }
  if (!batch.partition.empty()) {
    if (Status removed = partitions_->Remove(batch.partition); !removed.ok()) {
      spdlog::warn("cannot remove a delivered partition's spool file: {}", removed.ToString());
    }
    ReleasePartitioned();
  } else {
    {
      std::lock_guard<std::mutex> lock(mu_);
      lane.done_before = batch.end;
    }
    ReleaseLogSoon();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (lane.backup) {
    ++stats_.backup_objects_delivered;
    stats_.backup_records_delivered += batch.records;
    stats_.backup_bytes_delivered += batch.data_bytes;
    return true;
  }
  ++stats_.objects_delivered;
  stats_.records_delivered += batch.records;
  stats_.bytes_delivered += batch.data_bytes;
  if (partitions_) {
    stats_.active_partitions = partitions_->active_data_partitions();
    in_flight_summary_ = PartitionsSummary();
  } else if (then_plan) {
    in_flight_summary_ = std::exchange(ahead_summary_, std::nullopt);
  } else {
    in_flight_summary_.reset();
  }
  return true;
}

DeliveryStream::InFlightSummary DeliveryStream::PartitionsSummary() const {
  InFlightSummary summary{0, 0, INT64_MAX};
  for (const auto& [identity, buffer] : partitions_->buffers()) {
    summary.records += buffer.records;
    summary.bytes += buffer.bytes;
    summary.oldest_arrival_millis = std::min(summary.oldest_arrival_millis, buffer.oldest_arrival_millis);
  }
  return summary;
}

wal::LogPosition DeliveryStream::ReleasePosition() {
  std::lock_guard<std::mutex> lock(mu_);
  wal::LogPosition release = main_.done_before;
  if (backup_.active) release = std::min(release, backup_.done_before);
  return release;
}

void DeliveryStream::ReleaseLog() {
  std::lock_guard<std::mutex> releasing(release_mu_);
  const wal::LogPosition release = ReleasePosition();
  // The budget caps undelivered bytes, so delivered bytes leave it now, not when their segment
  // is deleted: a stream's current segment (up to 64 MiB) stays on disk until it rolls, and
  // hundreds of quiet streams would otherwise hold the whole budget with delivered data.
  if (budget_released_to_ < release && deps_.budget) {
    deps_.budget->Release(wal_->BytesBetween(budget_released_to_, release));
    budget_released_to_ = release;
  }
  wal::LogPosition keep_from = release;
  if (const int64_t retention = retention_millis_.load(); retention > 0 && !deps_.cluster) {
    keep_from = RetentionStart(release, deps_.clock->NowMillis() - retention);
  }
  if (Status s = wal_->ReleaseBefore(keep_from); !s.ok()) {
    spdlog::warn("cannot release delivered log segments: {}", s.ToString());
  }
  // Delivered bytes kept for retention count against the disk budget's cap with everyone's.
  const uint64_t retained = keep_from < release ? wal_->BytesBetween(wal_->Begin(), release) : 0;
  if (deps_.budget && retained != retained_bytes_) {
    deps_.budget->AddRetained(static_cast<int64_t>(retained) - static_cast<int64_t>(retained_bytes_));
  }
  retained_bytes_ = retained;
  std::erase_if(segment_first_arrival_, [&](const auto& kv) { return kv.first < wal_->Begin().segment; });
}

void DeliveryStream::ReleaseLogSoon() {
  if (releaser_) {
    releaser_->Wake();
  } else {
    ReleaseLog();
  }
}

wal::LogPosition DeliveryStream::RetentionStart(wal::LogPosition release, int64_t cutoff_millis) {
  // Segment k may go when every record in it arrived before the cutoff: when the first record
  // of segment k+1 did (records are appended in arrival order). When the disk budget needs the
  // space, the oldest retained segments go first, whatever their age.
  const std::vector<wal::LogPosition> starts = wal_->SegmentStarts();
  wal::LogPosition keep = starts.empty() ? release : starts.front();
  for (size_t i = 1; i < starts.size() && !(release < starts[i]); ++i) {
    auto known = segment_first_arrival_.find(starts[i].segment);
    if (known == segment_first_arrival_.end()) {
      int64_t arrival = -1;
      (void)wal_->Read(starts[i], [&](const wal::RecordView& r) {
        arrival = r.arrival_millis;
        return false;
      });
      if (arrival < 0) break;  // an empty segment: the one being written
      known = segment_first_arrival_.emplace(starts[i].segment, arrival).first;
    }
    const bool old = known->second < cutoff_millis;
    if (!old && !(deps_.budget && deps_.budget->RetentionOverCap())) break;
    keep = starts[i];
  }
  return keep;
}

Status DeliveryStream::ReadRetained(wal::LogPosition from, wal::LogPosition to,
                                    const std::function<bool(const wal::RecordView&)>& visit) const {
  if (from < wal_->Begin()) from = wal_->Begin();
  if (!(from < to)) return Status::Ok();
  return wal_->Read(from, [&](const wal::RecordView& r) { return r.position < to && visit(r); });
}

void DeliveryStream::RecordLineage(Lane& lane, const PlannedBatch& batch) {
  if (!lineage_) return;
  LineageEntry e;
  e.lane = lane.backup ? "backup" : "destination";
  e.begin = batch.begin;
  e.end = batch.end;
  e.sequence = batch.sequence;
  e.batch_id = batch.batch_id;
  e.first_arrival_millis = batch.first_arrival_millis;
  e.done_millis = deps_.clock->NowMillis();
  e.partition = batch.partition;
  const Attempts* a = lane.attempts ? &*lane.attempts : nullptr;
  e.event = a && a->expired ? "expired" : "delivered";
  if (lane.backup || !batch.partition.empty()) {
    e.target = "s3://" + batch.bucket + "/" + batch.key;
    e.compressed = batch.compression != "UNCOMPRESSED";
  } else {
    auto destination = CurrentDestination();
    e.target = destination.ok() ? (*destination)->Describe(batch.plan) : batch.plan;
    e.compressed = metadata().config.s3().compression != "UNCOMPRESSED";
  }
  if (a && a->prepared && !lane.backup) {
    for (const format::Object& o : a->prepared->objects) {
      if (o.key != batch.key) e.error_objects.push_back("s3://" + o.bucket + "/" + o.key);
    }
    e.results = a->prepared->lineage_results;
    if (a->prepared->records) {
      for (const Attempts::Failure& f : a->failed) {
        if (f.index < a->prepared->records->ok.size()) {
          const destination::Record& r = a->prepared->records->ok[f.index];
          std::string id(r.record_id);
          if (r.subsequence) id += "." + std::to_string(r.subsequence);
          e.failed_ids.push_back(std::move(id));
        }
      }
    }
  }
  lineage_->Append(e);
}

Result<std::string> DeliveryStream::Lineage(const wal::LogPosition& position) {
  namespace json = boost::json;
  json::object out;
  json::array steps;
  auto step = [&](int64_t millis, std::string_view state, json::object detail) {
    json::object entry{{"time", FormatIso8601Millis(millis)}, {"state", state}};
    // Where it is first, then how it got there.
    for (std::string_view key : {"destination", "object", "error_object", "line", "offset", "length"}) {
      if (auto* v = detail.if_contains(key)) entry[key] = std::move(*v);
    }
    for (auto& kv : detail) {
      if (!entry.contains(kv.key())) entry[kv.key()] = std::move(kv.value());
    }
    steps.push_back(std::move(entry));
  };
  // The record itself, while the log still holds it.
  std::optional<wal::RecordView> record;
  Status read = wal_->Read(position, [&](const wal::RecordView& r) {
    if (r.position == position) record = wal::RecordView{r.position, r.next, r.arrival_millis, {}};
    if (record) out["size"] = r.data.size();
    return false;
  });
  const wal::LogPosition begin = wal_->Begin();
  if (!record && position < begin) {
    out["retained"] = false;  // released: what happened is in the lineage log only
  } else if (!record) {
    return Status::NotFound("the stream's log holds no record there");
  } else {
    out["retained"] = true;
    out["arrival"] = FormatIso8601Millis(record->arrival_millis);
    step(record->arrival_millis, "received", {});
  }
  (void)read;
  // The record's offset among the records of its batch range, reading the log.
  auto offset_in = [&](const LineageEntry& e, uint64_t* index, uint64_t* offset) {
    *index = *offset = 0;
    bool found = false;
    Status s = wal_->Read(e.begin, [&](const wal::RecordView& r) {
      if (r.position == position) return !(found = true);
      if (!(r.position < e.end)) return false;
      *offset += r.data.size();
      ++*index;
      return true;
    });
    return s.ok() && found;
  };
  std::string state;
  const std::vector<LineageEntry> entries = lineage_ ? lineage_->Find(position) : std::vector<LineageEntry>{};
  // Dynamic partitioning: every partition object of a range covers the record's place, and one
  // of them holds it. They are named together, not one step each.
  json::array partition_objects;
  int64_t partitions_done = 0;
  for (const LineageEntry& e : entries) {
    if (e.partition.empty() || e.lane != "destination" || e.event != "delivered") continue;
    if (partition_objects.size() < 20) partition_objects.emplace_back(e.target);
    partitions_done = std::max(partitions_done, e.done_millis);
  }
  if (!partition_objects.empty()) {
    step(partitions_done, "delivered",
         json::object{{"destination", "one of the partition objects of its range"},
                      {"objects", std::move(partition_objects)}});
    state = "delivered";
  }
  for (const LineageEntry& e : entries) {
    if (!e.partition.empty() && e.lane == "destination" && e.event == "delivered") continue;
    json::object d{{"batch_id", e.batch_id}, {"batch_sequence", e.sequence}};
    if (e.event == "expired") {
      d["reason"] = "not delivered within the retention period";
      step(e.done_millis, "expired", std::move(d));
      if (e.lane == "destination") state = "expired";
      continue;
    }
    uint64_t index = 0, offset = 0;
    const bool located = record && offset_in(e, &index, &offset);
    if (e.lane == "backup") {
      d["object"] = e.target;
      if (located) d["offset"] = offset, d["length"] = out["size"];
      step(e.done_millis, "backed_up", std::move(d));
      continue;
    }
    std::string result = "delivered";
    if (!e.results.empty() && located && index < e.results.size()) {
      // Through processors: the stored record's result and its place among the outputs.
      const std::string& r = e.results[index];
      if (r == "d" || r == "f") {
        result = r == "d" ? "dropped" : "failed";
        if (r == "f") {
          uint64_t line = 1;
          for (uint64_t i = 0; i < index; ++i) line += e.results[i] == "f";
          for (const std::string& o : e.error_objects) {
            if (o.find("processing-failed") != std::string::npos) d["error_object"] = o;
          }
          if (!d.contains("error_object") && !e.error_objects.empty()) d["error_object"] = e.error_objects.front();
          d["line"] = line;
        }
      } else {
        uint64_t before = 0;
        for (uint64_t i = 0; i < index; ++i) {
          if (!e.results[i].empty() && std::isdigit(static_cast<unsigned char>(e.results[i][0]))) {
            before += std::stoull(e.results[i]);
          }
        }
        offset = before;
        d["length"] = std::stoull(r);
      }
    } else if (located) {
      d["length"] = out["size"];
    }
    // Refused for good by the destination: in the kind's error output, one line per record.
    const std::string own_id = std::to_string(RecordIdOf(position));
    for (size_t k = 0; result == "delivered" && k < e.failed_ids.size(); ++k) {
      if (e.failed_ids[k] != own_id && !e.failed_ids[k].starts_with(own_id + ".")) continue;
      result = "failed";
      for (const std::string& o : e.error_objects) {
        if (o.find("-failed/") != std::string::npos && o.find("processing-failed") == std::string::npos) {
          d["error_object"] = o;
        }
      }
      d["line"] = k + 1;
      d["destination"] = e.target;
      d.erase("length");
    }
    if (result == "delivered") {
      d["destination"] = e.target;
      if (e.target.starts_with("s3://") && (located || d.contains("length"))) {
        d["offset"] = offset;
        if (e.compressed) d["offset_in"] = "uncompressed bytes";
      }
      if (!located) d["note"] = "the log no longer holds the record: its place in the batch is unknown";
    }
    step(e.done_millis, result, std::move(d));
    state = result;
  }
  if (state.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!(position < main_.pending_begin)) {
      state = "buffered";
    } else if (partitioned_ || !(position < main_.done_before)) {  // in a batch or a partition buffer
      state = metadata_.config.processing() ? "in_transformation" : "delivering";
    } else {
      state = record ? "delivered" : "released";  // finished before lineage was kept, or its line lost
    }
    if (state == "buffered" || state == "delivering" || state == "in_transformation") {
      step(deps_.clock->NowMillis(), state, {});
    }
  }
  out["state"] = state;
  out["steps"] = std::move(steps);
  return json::serialize(out);
}

uint64_t DeliveryStream::undelivered_wal_bytes() const {
  std::lock_guard<std::mutex> releasing(release_mu_);
  return wal_->BytesBetween(budget_released_to_, wal_->DurableEnd());
}

// ---- Dynamic partitioning ----

void DeliveryStream::StepPartitioned() {
  const std::string name = metadata().config.name();
  for (;;) {
    bool draining;
    if (!MayWork(main_, &draining)) return;
    if (const auto& in_flight = main_.journal->in_flight()) {
      if (processed_end_ < in_flight->end) {
        // After a restart: rebuild the buffers up to the planned object's end, so its
        // partition holds exactly the records it was planned with.
        if (Status s = ProcessIntoPartitions(in_flight->end); !s.ok()) {
          spdlog::error("stream {}: cannot process stored records: {}", name, s.ToString());
          return RetryLater(main_, kFirstRetryBackoffMillis, /*draining=*/false);
        }
        continue;
      }
      if (!main_.attempts) main_.attempts.emplace(deps_.max_retry_backoff_millis);
      const AttemptResult result = Attempt(main_, draining);
      if (!result.done) return RetryLater(main_, result.wait_millis, draining);
      Checkpoint(main_);
      main_.attempts.reset();
      continue;
    }

    std::unique_lock<std::mutex> lock(mu_);
    const bool have_records = main_.policy.pending_records() > 0;
    const uint64_t size_limit = main_.policy.hints().size_bytes;
    const int64_t interval = main_.policy.hints().interval_millis;
    const int64_t now = deps_.clock->NowMillis();
    const PartitionBuffer* due = nullptr;
    std::optional<int64_t> wait_millis;
    for (const auto& [identity, buffer] : partitions_->buffers()) {
      int64_t age = now - buffer.oldest_arrival_millis;
      if (buffer.bytes >= size_limit || age >= interval || (draining_ && !have_records)) {
        due = &buffer;
        break;
      }
      wait_millis = std::min(wait_millis.value_or(interval), interval - age);
    }
    if (due) {
      lock.unlock();
      if (Status s = PlanPartition(*due); !s.ok()) {
        spdlog::error("stream {}: cannot plan the next object: {}", name, s.ToString());
        return RetryLater(main_, kFirstRetryBackoffMillis, /*draining=*/false);
      }
      continue;
    }
    if (have_records) {
      lock.unlock();
      if (Status s = ProcessIntoPartitions(std::nullopt); !s.ok()) {
        spdlog::error("stream {}: cannot process stored records: {}", name, s.ToString());
        return RetryLater(main_, kFirstRetryBackoffMillis, /*draining=*/false);
      }
      continue;
    }
    if (draining_) return FinishLocked(main_);  // everything processed and delivered
    lock.unlock();
    if (wait_millis) main_.activity->WakeAfter(*wait_millis);
    return;  // else the next durable group wakes it
  }
}

Status DeliveryStream::ProcessIntoPartitions(std::optional<wal::LogPosition> limit) {
  // Small enough to keep the buffers' overshoot and a Lambda's event modest, large enough for
  // several concurrent invocations.
  constexpr uint64_t kChunkBytes = 4 << 20;
  HYDRANT_RETURN_IF_ERROR(RefreshChain());
  const StreamMetadata meta = metadata();
  const S3Destination& s3 = meta.config.s3();
  auto prefix = format::PrefixExpression::Parse(s3.prefix);
  if (!prefix.ok()) return prefix.status();
  uint64_t max_records;
  {
    std::lock_guard<std::mutex> lock(mu_);
    max_records = main_.policy.pending_records();
  }

  struct Source {
    wal::LogPosition position, next;
  };
  std::vector<Source> sources;
  processor::RecordBatch records;
  uint64_t bytes = 0;
  int64_t next_arrival = 0;
  wal::LogPosition end = processed_end_;
  HYDRANT_RETURN_IF_ERROR(wal_->Read(processed_end_, [&](const wal::RecordView& r) {
    if (sources.size() == max_records || (limit && r.position >= *limit) ||
        (!sources.empty() && bytes + r.data.size() > kChunkBytes)) {
      next_arrival = r.arrival_millis;
      return false;
    }
    records.push_back(RecordFromLog(r));
    records.back().source = sources.size();
    sources.push_back({r.position, r.next});
    bytes += r.data.size();
    end = r.next;
    return true;
  }));
  if (sources.empty()) return Status::Ok();
  // Record format conversion: each record is converted as it is sorted, so that one that does not
  // convert goes to the error output now; a partition's object is converted whole when written.
  const destination::s3::S3Delivery* converting = nullptr;
  std::shared_ptr<const destination::Destination> destination;
  std::unique_ptr<conversion::ParquetConverter> conversion_check;
  if (s3.conversion) {
    auto current = CurrentDestination();
    if (!current.ok()) return current.status();
    destination = *current;
    converting = dynamic_cast<const destination::s3::S3Delivery*>(destination.get());
    if (!converting) return Status::Internal("record format conversion without an S3 destination");
    auto converter = converting->NewConverter();
    if (!converter.ok()) return converter.status();
    conversion_check = std::move(*converter);
  }
  for (auto& step : chain_) HYDRANT_RETURN_IF_ERROR(step->Process(records));

  uint64_t dropped = 0, failed = 0, over_limit = 0, processed_ok = 0, processed_ok_bytes = 0;
  for (processor::Record& record : records) {
    if (record.result == processor::RecordResult::kDropped) {
      ++dropped;
      continue;
    }
    const Source& source = sources[record.source];
    std::string identity;
    if (record.result == processor::RecordResult::kOk) {
      ++processed_ok;
      processed_ok_bytes += record.data.size();
      Status converts = conversion_check ? conversion_check->Add(record.data) : Status::Ok();
      if (!converts.ok()) {
        record.result = processor::RecordResult::kProcessingFailed;
        record.error_code = "DataFormatConversion.MalformedData";
        record.error_message = converts.message();
        record.error_output_type = kFormatConversionFailed;
      } else if (auto missing = prefix->MissingPartitionKey(record.partition_keys)) {
        record.result = processor::RecordResult::kProcessingFailed;
        record.error_code = kPartitionKeyMissingCode;
        record.error_message = "The record has no value for " + *missing + ", which Prefix uses";
      } else {
        identity = PartitionBuffers::DataIdentity(prefix->PartitionIdentity(record.partition_keys));
        if (main_.journal->PartitionDelivered(identity, source.position)) continue;  // before a restart
        if (!partitions_->Find(identity) &&
            partitions_->active_data_partitions() >= deps_.max_active_partitions) {
          // The service's quota: records for one more partition go to the error output.
          record.result = processor::RecordResult::kProcessingFailed;
          record.error_code = kActivePartitionsExceededCode;
          record.error_message = "The number of active partitions reached the limit of " +
                                 std::to_string(deps_.max_active_partitions);
          record.error_output_type = kActivePartitionExceeded;
          ++over_limit;
        }
      }
    }
    std::string failure;
    if (record.result == processor::RecordResult::kProcessingFailed) {
      identity = PartitionBuffers::ErrorIdentity(
          record.error_output_type.empty() ? kProcessingFailed : record.error_output_type);
      if (main_.journal->PartitionDelivered(identity, source.position)) continue;  // before a restart
      // One JSON document per line, as the service writes its error output.
      if (record.error_output_type == kFormatConversionFailed && converting) {
        converting->AppendFailedRecord(
            {.data = record.data, .arrival_millis = record.arrival_millis, .record_id = record.record_id},
            {.attempts_made = 1,
             .error_code = record.error_code,
             .error_message = record.error_message,
             .attempt_ending_millis = deps_.clock->NowMillis()},
            &failure);
      } else {
        failure = processor::FormatProcessingFailedRecord(record) + "\n";
      }
      ++failed;
    }
    PartitionBuffer* buffer = partitions_->Find(identity);
    if (!buffer) {
      buffer = partitions_->Create(identity);
      if (PartitionBuffers::IsData(identity)) {
        buffer->keys = record.partition_keys;
      } else {
        buffer->error_output_type = identity.substr(2);
      }
    }
    HYDRANT_RETURN_IF_ERROR(partitions_->Append(buffer, failure.empty() ? record.data : failure,
                                                record.arrival_millis, source.position, source.next));
  }
  processed_end_ = end;
  {
    std::lock_guard<std::mutex> lock(mu_);
    main_.policy.Take(sources.size(), bytes, next_arrival);
    main_.pending_begin = end;
    stats_.records_dropped += dropped;
    stats_.records_processing_failed += failed;
    stats_.partition_limit_exceeded += over_limit;
    stats_.records_processed_ok += processed_ok;
    stats_.bytes_processed_ok += processed_ok_bytes;
    stats_.active_partitions = partitions_->active_data_partitions();
    in_flight_summary_ = PartitionsSummary();
  }
  ReleasePartitioned();
  return Status::Ok();
}

Status DeliveryStream::PlanPartition(const PartitionBuffer& buffer) {
  const StreamMetadata meta = metadata();
  const S3Destination& s3 = meta.config.s3();
  PlannedBatch batch;
  batch.sequence = main_.journal->next_sequence();
  batch.begin = buffer.first_source;
  batch.end = buffer.source_end;
  batch.records = buffer.records;
  batch.data_bytes = buffer.bytes;
  batch.bucket = s3.bucket;
  batch.partition = buffer.identity;
  batch.first_arrival_millis = buffer.oldest_arrival_millis;
  const std::string uuid = NewUuid();
  const destination::BatchFacts facts{.stream_name = meta.config.name(),
                                      .stream_version = meta.version,
                                      .first_arrival_millis = buffer.oldest_arrival_millis,
                                      .batch_id = uuid};
  auto target = destination::s3::PartitionTarget(s3, buffer.keys, buffer.error_output_type, facts);
  if (!target.ok()) return target.status();
  batch.key = std::move(target->key);
  batch.compression = std::move(target->compression);
  return main_.journal->Plan(batch);
}

Result<PreparedBatch> DeliveryStream::PreparePartition(const PlannedBatch& batch) {
  PreparedBatch prepared;
  const PartitionBuffer* buffer = partitions_->Find(batch.partition);
  if (!buffer || buffer->records == 0) return prepared;  // processing gave other results this time
  if (buffer->records != batch.records) {
    spdlog::warn("stream {}: object {} was planned with {} records and now holds {} (a "
                 "transformation that is not deterministic?)",
                 metadata().config.name(), batch.key, batch.records, buffer->records);
  }
  auto body = partitions_->ReadAll(*buffer);
  if (!body.ok()) return body.status();
  if (buffer->error_output_type.empty()) {
    prepared.data_records = buffer->records;
    prepared.data_bytes = body->size();
    if (metadata().config.s3().conversion) {
      // Its records each converted when they were sorted here: the object is their Parquet file.
      auto destination = CurrentDestination();
      if (!destination.ok()) return destination.status();
      const auto* converting = dynamic_cast<const destination::s3::S3Delivery*>(destination->get());
      if (!converting) return Status::Internal("record format conversion without an S3 destination");
      auto converter = converting->NewConverter();
      if (!converter.ok()) return converter.status();
      if (Status s = (*converter)->AddEach(*body); !s.ok()) {
        return Status::Unavailable("DataFormatConversion.MalformedData: the records of " + batch.key +
                                   " no longer convert (did the table change?): " + s.message());
      }
      auto file = (*converter)->Finish();
      if (!file.ok()) return file.status();
      *body = std::move(*file);
    }
  }
  auto object = destination::s3::MakeObject({.bucket = batch.bucket,
                                             .key = batch.key,
                                             .compression = batch.compression,
                                             .kms_key_arn = metadata().config.s3().kms_key_arn},
                                            std::move(*body), buffer->records);
  if (!object.ok()) return object.status();
  prepared.objects.push_back(std::move(*object));
  return prepared;
}

void DeliveryStream::ReleasePartitioned() {
  wal::LogPosition release = processed_end_;
  if (auto oldest = partitions_->OldestSource()) release = std::min(release, *oldest);
  {
    std::lock_guard<std::mutex> lock(mu_);
    main_.done_before = release;
  }
  ReleaseLog();
  main_.journal->ForgetPartitionsBefore(wal_->Begin());
}

}  // namespace hydrant::stream
