// DeliveryStream: WAL append on the put path; buffer → format → destination → checkpoint on
// the delivery thread.
#include "stream/delivery_stream.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "format/compression.h"
#include "format/object.h"
#include "format/object_key.h"
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
std::atomic<int> builds_ahead{0};

bool TryStartBuildAhead() {
  if (builds_ahead.fetch_add(1) < kMaxBuildsAhead) return true;
  builds_ahead.fetch_sub(1);
  return false;
}

// Delivery threads run at a lower CPU priority (nice 10) than the HTTP I/O threads and the
// WAL's sync thread: on a small machine, reading back, formatting and writing an object
// otherwise takes the core that an acknowledgement is waiting for. They still get every idle
// cycle; if they fall behind, the backlog waits in the WAL (up to --max-buffered-bytes, then
// puts get "Slow down."), nothing is lost.
void YieldCpuToIngest() {
  constexpr int kDeliveryNice = 10;
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kDeliveryNice);
}

const std::string kProcessingFailed = "processing-failed";
// Dynamic partitioning's error outputs. The folder name is the service's documented one; the
// error codes are Hydrant's, in the service's style.
const std::string kActivePartitionExceeded = "activePartitionExceeded";
const std::string kActivePartitionsExceededCode = "DynamicPartitioning.ActivePartitionsLimitExceeded";
const std::string kPartitionKeyMissingCode = "DynamicPartitioning.PartitionKeyMissing";
// Stands for !{firehose:error-output-type} in a planned error key. NUL never reaches a stored
// key (the store refuses it), so it cannot clash with a user's prefix.
constexpr std::string_view kErrorOutputTypePlaceholder{"\0error-output-type\0", 19};

// Replaces the object's body by its compressed form and sets its Content-Encoding.
Status CompressObject(const std::string& compression, format::Object* object) {
  // A ZIP archive's one entry is named after the object.
  std::string entry = object->key.substr(object->key.rfind('/') + 1);
  if (auto dot = entry.rfind('.'); dot != std::string::npos && dot > 0) entry.resize(dot);
  return format::CompressObject(compression, entry, object);
}

// A stored record as the processors take it.
processor::Record RecordFromLog(const wal::RecordView& r) {
  processor::Record record;
  // Stable across re-deliveries of the batch: where the record sits in the log.
  record.record_id = std::to_string(r.position.segment * 10'000'000'000'000ull + r.position.offset);
  record.arrival_millis = r.arrival_millis;
  record.data.assign(r.data);
  record.raw_data = record.data;
  return record;
}

buffer::BufferingHints ToPolicyHints(const BufferingHints& b) {
  return {static_cast<uint64_t>(b.size_mb) << 20, b.interval_seconds * 1000};
}

// What a lane writes, from the stream's configuration.
struct LaneTarget {
  std::string bucket;
  std::string prefix;
  std::optional<std::string> error_output_prefix;
  BufferingHints buffering;
  std::string compression = "UNCOMPRESSED";
  std::string file_extension;
  const format::TimeZone* time_zone = nullptr;  // CustomTimeZone (the backup uses it too)
};

// The destination lane's target, or the backup lane's (nullopt while backup is disabled).
std::optional<LaneTarget> TargetOf(bool backup, const StreamMetadata& m) {
  const S3Destination& s3 = m.config.s3();
  if (!backup) {
    return LaneTarget{s3.bucket,      s3.prefix,         s3.error_output_prefix, s3.buffering,
                      s3.compression, s3.file_extension, s3.time_zone};
  }
  if (!s3.backup) return std::nullopt;
  return LaneTarget{s3.backup->bucket,      s3.backup->prefix, std::nullopt, s3.backup->buffering,
                    s3.backup->compression, "",                s3.time_zone};
}

buffer::BufferingHints HintsOf(bool backup, const StreamMetadata& m) {
  auto target = TargetOf(backup, m);
  return ToPolicyHints(target ? target->buffering : BufferingHints{});
}

constexpr wal::LogPosition kEndOfTime{~0ull, ~0ull};

}  // namespace

DeliveryStream::DeliveryStream(std::string dir, StreamMetadata metadata, const DeliveryStreamDeps& deps)
    : dir_(std::move(dir)),
      deps_(deps),
      create_millis_(metadata.create_millis),
      partitioned_(metadata.config.s3().dynamic_partitioning),
      metadata_(std::move(metadata)) {
  main_.policy.set_hints(HintsOf(false, metadata_));
  backup_.policy.set_hints(HintsOf(true, metadata_));
  backup_.active = metadata_.config.s3().backup.has_value();
}

Result<std::unique_ptr<DeliveryStream>> DeliveryStream::Open(const std::string& dir,
                                                             StreamMetadata metadata,
                                                             const DeliveryStreamDeps& deps) {
  std::unique_ptr<DeliveryStream> stream(new DeliveryStream(dir, std::move(metadata), deps));
  HYDRANT_RETURN_IF_ERROR(stream->Recover());
  stream->main_.thread = std::thread([s = stream.get()] {
    YieldCpuToIngest();
    s->Run(s->main_);
  });
  if (stream->backup_.active) stream->StartBackupLane();
  return stream;
}

void DeliveryStream::StartBackupLane() {
  backup_.thread = std::thread([this] {
    YieldCpuToIngest();
    Run(backup_);
  });
}

DeliveryStream::~DeliveryStream() {
  Stop();
  if (wal_) (void)wal_->Close();
}

Status DeliveryStream::Recover() {
  const std::string name = metadata_.config.name();
  wal::Options options{deps_.env, JoinPath(dir_, "wal"), deps_.wal_segment_bytes};
  wal::RecoveryReport report;
  auto wal = wal::Wal::Open(options, &report);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (report.truncated_bytes > 0) {
    spdlog::warn("stream {}: write-ahead log had a torn or corrupt tail; cut {} bytes ({}); "
                 "every record before it is kept",
                 name, report.truncated_bytes, report.detail);
  }
  HYDRANT_RETURN_IF_ERROR(RecoverLane(main_, "delivery.journal"));
  HYDRANT_RETURN_IF_ERROR(RecoverLane(backup_, "backup.journal"));
  // Only undelivered bytes count against the budget, as while running: what the lanes had
  // delivered before the restart (still in the log's current segment) does not.
  budget_released_to_ = ReleasePosition();
  deps_.budget->ForceReserve(wal_->BytesBetween(budget_released_to_, wal_->DurableEnd()));
  wal_->SetDurableListener([this](const wal::DurableGroup& group) { OnDurable(group); });
  return Status::Ok();
}

Status DeliveryStream::RecoverLane(Lane& lane, const std::string& journal_name) {
  auto journal = DeliveryJournal::Open(deps_.env, JoinPath(dir_, journal_name), wal_->Begin());
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
  uint64_t stack_sizes[500];
  std::vector<uint64_t> heap_sizes;
  uint64_t* sizes = stack_sizes;
  if (records.size() > std::size(stack_sizes)) {
    heap_sizes.resize(records.size());
    sizes = heap_sizes.data();
  }
  for (size_t i = 0; i < records.size(); ++i) sizes[i] = records[i].size() + wal::kFrameHeaderSize;
  return deps_.budget->ReservePrefix({sizes, records.size()});
}

void DeliveryStream::Append(std::span<const std::string_view> records, int64_t arrival_millis,
                            PutCallback done) {
  uint64_t reserved = 0;
  for (std::string_view record : records) reserved += record.size() + wal::kFrameHeaderSize;
  // Records the log refused never reach it, so their reservation is given back.
  (void)wal_->Append(records, arrival_millis,
                     [budget = deps_.budget, reserved, done = std::move(done)](Status s) {
                       if (!s.ok()) budget->Release(reserved);
                       done(std::move(s));
                     });
}

void DeliveryStream::OnDurable(const wal::DurableGroup& group) {
  std::lock_guard<std::mutex> lock(mu_);
  main_.policy.Add(group.records, group.data_bytes, group.oldest_arrival_millis);
  if (backup_.active) backup_.policy.Add(group.records, group.data_bytes, group.oldest_arrival_millis);
  cv_.notify_all();
}

StreamMetadata DeliveryStream::metadata() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metadata_;
}

Status DeliveryStream::UpdateMetadata(const std::function<Status(StreamMetadata*)>& mutate) {
  std::lock_guard<std::mutex> lock(mu_);
  StreamMetadata updated = metadata_;
  HYDRANT_RETURN_IF_ERROR(mutate(&updated));
  HYDRANT_RETURN_IF_ERROR(deps_.env->WriteFileAtomic(JoinPath(dir_, "stream.json"), updated.ToJsonText()));
  metadata_ = std::move(updated);
  main_.policy.set_hints(HintsOf(false, metadata_));
  if (!backup_.active && metadata_.config.s3().backup) {
    // Backup starts with the records the destination lane has not taken yet.
    backup_.active = true;
    backup_.skip_to_pending = true;
    backup_.policy = main_.policy;
    backup_.pending_begin = backup_.done_before = main_.pending_begin;
    // Its thread waits for mu_, held here until the update is in place. A stream that is
    // stopping backs up from the next start.
    if (!stopping_ && !draining_) StartBackupLane();
  }
  backup_.policy.set_hints(HintsOf(true, metadata_));
  chain_stale_ = true;
  cv_.notify_all();
  return Status::Ok();
}

DeliveryStats DeliveryStream::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  DeliveryStats stats = stats_;
  stats.buffered_records = main_.policy.pending_records();
  stats.buffered_bytes = main_.policy.pending_bytes();
  std::optional<int64_t> oldest = main_.policy.oldest_arrival_millis();
  for (const auto& summary : {in_flight_summary_, ahead_summary_}) {
    if (!summary) continue;
    stats.buffered_records += summary->records;
    stats.buffered_bytes += summary->bytes;
    if (summary->records > 0) {
      oldest = std::min(oldest.value_or(INT64_MAX), summary->oldest_arrival_millis);
    }
  }
  if (oldest) stats.data_freshness_millis = std::max<int64_t>(0, deps_.clock->NowMillis() - *oldest);
  return stats;
}

void DeliveryStream::Drain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
    cv_.notify_all();
  }
  if (main_.thread.joinable()) main_.thread.join();
  if (backup_.thread.joinable()) backup_.thread.join();
}

void DeliveryStream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (main_.thread.joinable()) main_.thread.join();
  if (backup_.thread.joinable()) backup_.thread.join();
}

// The pipeline of one lane: take a batch, format it, deliver it, checkpoint. A batch left in
// flight by a crash is delivered first, with the boundaries and key it was planned with.
void DeliveryStream::Run(Lane& lane) {
  if (partitioned_ && !lane.backup) return RunPartitioned();
  const std::string name = metadata().config.name();
  auto pause = [&] {  // after an error that retrying right away would repeat; true: draining
    std::unique_lock<std::mutex> wait(mu_);
    cv_.wait_for(wait, std::chrono::milliseconds(kFirstRetryBackoffMillis),
                 [this] { return stopping_ || draining_; });
    return draining_ || stopping_;
  };
  std::optional<BuiltBatch> next;          // cut and built, not in the journal yet
  std::optional<PreparedBatch> prepared;   // the in-flight batch's objects, when built ahead
  while (true) {
    if (!lane.journal->in_flight()) {
      if (!next) {
        std::unique_lock<std::mutex> lock(mu_);
        while (!DueLocked(lane)) {
          if (stopping_ || draining_) return;  // draining: nothing left to deliver
          auto due = lane.active ? lane.policy.MillisUntilDue(deps_.clock->NowMillis()) : std::nullopt;
          if (due) {
            cv_.wait_for(lock, std::chrono::milliseconds(*due));
          } else {
            cv_.wait(lock);
          }
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
          spdlog::error("stream {}: cannot plan the next object: {}", name, built.status().ToString());
          if (pause()) return;
          continue;
        }
        next = std::move(*built);
      }
      if (Status planned = lane.journal->Plan(next->batch); !planned.ok()) {
        spdlog::error("stream {}: cannot plan the next object: {}", name, planned.ToString());
        if (pause()) return;
        continue;
      }
      prepared = std::move(next->prepared);
      next.reset();
      if (!lane.backup) {
        std::lock_guard<std::mutex> lock(mu_);
        in_flight_summary_ = std::exchange(ahead_summary_, std::nullopt);
      }
    }
    bool draining;
    std::future<Result<BuiltBatch>> ahead;
    {
      std::lock_guard<std::mutex> lock(mu_);
      draining = draining_;
      // Pipelining: the next batch is cut, read and compressed on another thread while this one
      // is written and synced, so a core and the disk work at the same time. Only when this
      // batch is built already, so the processors never run on two threads at once.
      if (prepared && !lane.skip_to_pending && DueLocked(lane) && TryStartBuildAhead()) {
        ahead = std::async(std::launch::async, [this, &lane] { return CutAndBuild(lane); });
      }
    }
    const bool delivered = DeliverInFlight(lane, /*single_attempt=*/draining, std::move(prepared));
    prepared.reset();
    if (ahead.valid()) {
      auto built = ahead.get();
      builds_ahead.fetch_sub(1);
      if (built.ok()) {
        next = std::move(*built);
      } else {
        spdlog::error("stream {}: cannot plan the next object: {}", name, built.status().ToString());
      }
    }
    if (!delivered) return;
    // The next batch is planned in the same journal sync that records this one as delivered.
    // It may be planned even when Checkpoint reports a failure (a compaction failing after
    // the write), so the journal, not the result, says whether it is in flight now.
    (void)Checkpoint(lane, next ? &next->batch : nullptr);
    const auto& in_flight = lane.journal->in_flight();
    if (next && in_flight && in_flight->sequence == next->batch.sequence) {
      prepared = std::move(next->prepared);
      next.reset();
    }
  }
}

bool DeliveryStream::DueLocked(const Lane& lane) const {
  if (!lane.active || stopping_) return false;
  return lane.policy.ShouldFlush(deps_.clock->NowMillis()) || (draining_ && !lane.policy.Empty());
}

Result<DeliveryStream::BuiltBatch> DeliveryStream::CutAndBuild(Lane& lane) {
  std::optional<std::string> body;
  auto batch = CutNextBatch(lane, &body);
  if (!batch.ok()) return batch.status();
  BuiltBatch built{std::move(*batch), std::nullopt};
  auto prepared = Prepare(lane, built.batch, std::move(body));
  if (prepared.ok()) {
    built.prepared = std::move(*prepared);
  } else {
    spdlog::warn("stream {}: cannot build object {} yet: {}", metadata().config.name(),
                 built.batch.key, prepared.status().ToString());
  }
  return built;
}

Result<PlannedBatch> DeliveryStream::CutNextBatch(Lane& lane, std::optional<std::string>* body) {
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
  auto target = TargetOf(lane.backup, meta);
  if (!target) return Status::Internal("a disabled lane planned a batch");
  // Records that go into the object unchanged are kept from this one pass over the WAL, which
  // then need not be read a second time to build the object.
  if (lane.backup || !meta.config.s3().processing) {
    body->emplace();
    (*body)->reserve(std::min(size_limit, pending_bytes));
  }
  uint64_t records = 0, bytes = 0;
  int64_t first_arrival = 0, next_arrival = 0;
  wal::LogPosition end = begin;
  HYDRANT_RETURN_IF_ERROR(wal_->Read(begin, [&](const wal::RecordView& r) {
    if (records == max_records || (records > 0 && bytes + r.data.size() > size_limit)) {
      next_arrival = r.arrival_millis;
      return false;
    }
    if (records == 0) first_arrival = r.arrival_millis;
    ++records;
    bytes += r.data.size();
    end = r.next;
    if (*body) (*body)->append(r.data);
    return true;
  }));
  if (records == 0) return Status::Internal("buffer reported records the log does not hold");

  PlannedBatch batch;
  batch.sequence = lane.journal->next_sequence();
  batch.begin = begin;
  batch.end = end;
  batch.records = records;
  batch.data_bytes = bytes;
  batch.bucket = target->bucket;
  batch.first_arrival_millis = first_arrival;
  const std::string uuid = NewUuid();
  auto compression = format::LookupCompressionFormat(target->compression);
  if (!compression.ok()) return compression.status();
  // FileExtension replaces the format's default extension.
  const std::string extension =
      target->file_extension.empty() ? std::string(compression->extension) : target->file_extension;
  batch.compression = target->compression;
  batch.key = format::ObjectKey({.prefix = target->prefix,
                                 .stream_name = meta.config.name(),
                                 .stream_version = meta.version,
                                 .timestamp_millis = first_arrival,
                                 .uuid = uuid,
                                 .extension = extension,
                                 .time_zone = target->time_zone});
  if (!lane.backup && meta.config.s3().processing) {
    // The error output type is known only after processing: the key keeps a placeholder.
    auto error_prefix = format::EvaluateErrorPrefix(target->prefix, target->error_output_prefix,
                                                    first_arrival, kErrorOutputTypePlaceholder,
                                                    target->time_zone);
    if (!error_prefix.ok()) return error_prefix.status();
    batch.error_key = format::ObjectKeyUnder(*error_prefix, meta.config.name(), meta.version,
                                              first_arrival, uuid, /*extension=*/"", target->time_zone);
  }
  std::lock_guard<std::mutex> lock(mu_);
  lane.policy.Take(records, bytes, next_arrival);
  lane.pending_begin = end;
  if (!lane.backup) ahead_summary_ = InFlightSummary{records, bytes, first_arrival};
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

Result<PreparedBatch> DeliveryStream::Prepare(Lane& lane, const PlannedBatch& batch,
                                              std::optional<std::string> body) {
  if (!batch.partition.empty()) return PreparePartition(batch);
  if (!lane.backup) HYDRANT_RETURN_IF_ERROR(RefreshChain());
  PreparedBatch prepared;
  format::Object object;
  object.bucket = batch.bucket;
  object.key = batch.key;
  // SSE-KMS for the destination's objects; the backup's own EncryptionConfiguration has no KMS.
  if (!lane.backup) object.kms_key_arn = metadata().config.s3().kms_key_arn;
  uint64_t records = 0;
  if ((lane.backup || chain_.empty()) && body) {
    object.body = std::move(*body);
    object.records = records = batch.records;
  } else if (lane.backup || chain_.empty()) {
    // No transformation: the records go straight from the WAL into the object.
    format::ConcatenatingFormat concatenated;
    concatenated.Reserve(batch.data_bytes);
    HYDRANT_RETURN_IF_ERROR(wal_->Read(batch.begin, [&](const wal::RecordView& r) {
      if (r.position >= batch.end) return false;
      concatenated.Append(r.data);
      ++records;
      return true;
    }));
    concatenated.Finish(&object);
  } else {
    processor::RecordBatch input;
    HYDRANT_RETURN_IF_ERROR(wal_->Read(batch.begin, [&](const wal::RecordView& r) {
      if (r.position >= batch.end) return false;
      input.push_back(RecordFromLog(r));
      ++records;
      return true;
    }));
    for (auto& step : chain_) HYDRANT_RETURN_IF_ERROR(step->Process(input));
    format::ConcatenatingFormat delivered;
    std::map<std::string, format::ConcatenatingFormat> failed;  // by error output type
    for (const processor::Record& record : input) {
      switch (record.result) {
        case processor::RecordResult::kOk:
          delivered.Append(record.data);
          ++prepared.records_ok;
          prepared.bytes_ok += record.data.size();
          break;
        case processor::RecordResult::kDropped: ++prepared.records_dropped; break;
        case processor::RecordResult::kProcessingFailed: {
          const std::string& type =
              record.error_output_type.empty() ? kProcessingFailed : record.error_output_type;
          // One JSON document per line, as the service writes its error output.
          failed[type].Append(processor::FormatProcessingFailedRecord(record) + "\n");
          ++prepared.records_failed;
          break;
        }
      }
    }
    delivered.Finish(&object);
    for (auto& [type, records] : failed) {
      format::Object errors;
      errors.bucket = batch.bucket;
      errors.key = batch.error_key;
      errors.kms_key_arn = object.kms_key_arn;
      for (size_t at; (at = errors.key.find(kErrorOutputTypePlaceholder)) != std::string::npos;) {
        errors.key.replace(at, kErrorOutputTypePlaceholder.size(), type);
      }
      records.Finish(&errors);
      prepared.objects.push_back(std::move(errors));
    }
  }
  if (records != batch.records) {
    return Status::Corruption("planned batch " + std::to_string(batch.sequence) + " had " +
                              std::to_string(batch.records) + " records, the log holds " +
                              std::to_string(records));
  }
  // The service writes no object when every record was dropped or failed.
  if (object.records == 0) return prepared;
  prepared.data_records = object.records;
  prepared.data_bytes = object.body.size();
  HYDRANT_RETURN_IF_ERROR(CompressObject(batch.compression, &object));
  prepared.objects.insert(prepared.objects.begin(), std::move(object));
  return prepared;
}

bool DeliveryStream::DeliverInFlight(Lane& lane, bool single_attempt,
                                     std::optional<PreparedBatch> prepared) {
  const PlannedBatch batch = *lane.journal->in_flight();
  const std::string name = metadata().config.name();
  RetryBackoff backoff(deps_.max_retry_backoff_millis);
  // Prepared once and kept across delivery retries, so a transformation runs once per batch
  // (again only after a restart).
  for (int attempt = 1;; ++attempt) {
    std::string error;
    if (!prepared) {
      auto result = Prepare(lane, batch);
      if (result.ok()) {
        prepared = std::move(*result);
      } else {
        error = result.status().ToString();
      }
    }
    uint64_t puts_succeeded = 0, puts_failed = 0;
    if (prepared) {
      for (const format::Object& object : prepared->objects) {
        destination::DeliveryResult result = deps_.destination->Deliver(object);
        if (result.outcome == destination::Outcome::kDelivered) ++puts_succeeded;
        if (result.outcome != destination::Outcome::kDelivered) {
          ++puts_failed;
          error = "s3://" + object.bucket + "/" + object.key + ": " + result.error_code + ": " +
                  result.error_message;
          break;
        }
      }
      if (error.empty()) {
        for (const format::Object& object : prepared->objects) {
          spdlog::info("stream {}: {}delivered s3://{}/{} ({} records, {} bytes)", name,
                       lane.backup ? "backup " : "", object.bucket, object.key, object.records,
                       object.body.size());
        }
        std::lock_guard<std::mutex> lock(mu_);
        stats_.records_dropped += prepared->records_dropped;
        stats_.records_processing_failed += prepared->records_failed;
        if (!lane.backup) {  // the backup lane has its own counters
          stats_.objects_written += prepared->objects.size();
          stats_.records_to_s3 += prepared->data_records;
          stats_.bytes_to_s3 += prepared->data_bytes;
          stats_.s3_puts_succeeded += puts_succeeded;
          stats_.records_processed_ok += prepared->records_ok;
          stats_.bytes_processed_ok += prepared->bytes_ok;
        }
        return true;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.failed_attempts;
      if (!lane.backup) {
        stats_.s3_puts_succeeded += puts_succeeded;
        stats_.s3_puts_failed += puts_failed;
      }
    }
    if (batch.first_arrival_millis > 0 &&
        deps_.clock->NowMillis() - batch.first_arrival_millis >= deps_.retention_millis) {
      // The service's rule: data that could not be delivered within the retention period is
      // discarded. Checkpointing it releases its WAL space.
      spdlog::error("stream {}: {}batch {} ({} records) was not delivered within the retention "
                    "period of {} h and is discarded; last error: {}",
                    name, lane.backup ? "backup " : "", batch.sequence, batch.records,
                    deps_.retention_millis / 3'600'000.0, error);
      std::lock_guard<std::mutex> lock(mu_);
      stats_.records_expired += batch.records;
      return true;
    }
    spdlog::warn("stream {}: {}delivery of batch {} failed (attempt {}): {}; the data is kept{}", name,
                 lane.backup ? "backup " : "", batch.sequence, attempt, error,
                 single_attempt ? " for the next start" : ", retrying in about " + std::to_string((backoff.base_millis() + 999) / 1000) + " s");
    if (single_attempt) return false;
    const int64_t wait = backoff.Next();
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_; })) return false;
    if (draining_) single_attempt = true;
  }
}

bool DeliveryStream::Checkpoint(Lane& lane, const PlannedBatch* then_plan) {
  const PlannedBatch batch = *lane.journal->in_flight();
  Status s = lane.journal->Done(then_plan);
  if (!s.ok()) {
    // The object is delivered; without the Done record it will be delivered again under the
    // same key after a restart, which overwrites it with identical bytes.
    spdlog::error("stream {}: cannot record delivery of {}: {}", metadata().config.name(), batch.key,
                  s.ToString());
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
    ReleaseLog();
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
  if (budget_released_to_ < release) {
    deps_.budget->Release(wal_->BytesBetween(budget_released_to_, release));
    budget_released_to_ = release;
  }
  if (Status s = wal_->ReleaseBefore(release); !s.ok()) {
    spdlog::warn("cannot release delivered log segments: {}", s.ToString());
  }
}

uint64_t DeliveryStream::undelivered_wal_bytes() const {
  std::lock_guard<std::mutex> releasing(release_mu_);
  return wal_->BytesBetween(budget_released_to_, wal_->DurableEnd());
}

// ---- Dynamic partitioning ----

void DeliveryStream::RunPartitioned() {
  const std::string name = metadata().config.name();
  auto pause = [&] {  // after an error that retrying right away would repeat
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(kFirstRetryBackoffMillis),
                 [this] { return stopping_; });
  };
  while (true) {
    if (const auto& in_flight = main_.journal->in_flight()) {
      if (processed_end_ < in_flight->end) {
        // After a restart: rebuild the buffers up to the planned object's end, so its
        // partition holds exactly the records it was planned with.
        if (Status s = ProcessIntoPartitions(in_flight->end); !s.ok()) {
          spdlog::error("stream {}: cannot process stored records: {}", name, s.ToString());
          pause();
        }
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        continue;
      }
      bool draining;
      {
        std::lock_guard<std::mutex> lock(mu_);
        draining = draining_;
      }
      if (!DeliverInFlight(main_, /*single_attempt=*/draining)) return;
      Checkpoint(main_);
      continue;
    }

    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
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
        pause();
      }
      continue;
    }
    if (have_records) {
      lock.unlock();
      if (Status s = ProcessIntoPartitions(std::nullopt); !s.ok()) {
        spdlog::error("stream {}: cannot process stored records: {}", name, s.ToString());
        pause();
      }
      continue;
    }
    if (draining_) return;  // everything processed and delivered
    if (wait_millis) {
      cv_.wait_for(lock, std::chrono::milliseconds(*wait_millis));
    } else {
      cv_.wait(lock);
    }
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
      if (auto missing = prefix->MissingPartitionKey(record.partition_keys)) {
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
      failure = processor::FormatProcessingFailedRecord(record) + "\n";
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
  const int64_t oldest = buffer.oldest_arrival_millis;
  if (buffer.error_output_type.empty()) {
    auto prefix = format::PrefixExpression::Parse(s3.prefix);
    if (!prefix.ok()) return prefix.status();
    auto compression = format::LookupCompressionFormat(s3.compression);
    if (!compression.ok()) return compression.status();
    const std::string extension =
        s3.file_extension.empty() ? std::string(compression->extension) : s3.file_extension;
    // With dynamic partitioning the Prefix is used as written: no default time folders.
    std::string evaluated = prefix->Evaluate(
        {.epoch_millis = oldest, .time_zone = s3.time_zone, .partition_keys = &buffer.keys});
    batch.key = format::ObjectKeyUnder(evaluated, meta.config.name(), meta.version, oldest, uuid,
                                       extension, s3.time_zone);
    batch.compression = s3.compression;
  } else {
    auto error_prefix = format::EvaluateErrorPrefix(s3.prefix, s3.error_output_prefix, oldest,
                                                    buffer.error_output_type, s3.time_zone);
    if (!error_prefix.ok()) return error_prefix.status();
    batch.key = format::ObjectKeyUnder(*error_prefix, meta.config.name(), meta.version, oldest, uuid,
                                       /*extension=*/"", s3.time_zone);
  }
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
  format::Object object;
  object.bucket = batch.bucket;
  object.key = batch.key;
  object.kms_key_arn = metadata().config.s3().kms_key_arn;
  auto body = partitions_->ReadAll(*buffer);
  if (!body.ok()) return body.status();
  object.body = std::move(*body);
  object.records = buffer->records;
  if (buffer->error_output_type.empty()) {
    prepared.data_records = object.records;
    prepared.data_bytes = object.body.size();
  }
  HYDRANT_RETURN_IF_ERROR(CompressObject(batch.compression, &object));
  prepared.objects.push_back(std::move(object));
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
