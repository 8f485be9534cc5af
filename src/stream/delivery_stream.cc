// DeliveryStream: WAL append on the put path; buffer → format → destination → checkpoint on
// the delivery thread.
#include "stream/delivery_stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "format/compression.h"
#include "format/object.h"
#include "format/object_key.h"
#include "format/prefix_expression.h"
#include "processor/error_record.h"
#include "wal/wal_format.h"

namespace hydrant::stream {
namespace {

constexpr int64_t kFirstRetryBackoffMillis = 1000;
const std::string kProcessingFailed = "processing-failed";
// Stands for !{firehose:error-output-type} in a planned error key. NUL never reaches a stored
// key (the store refuses it), so it cannot clash with a user's prefix.
constexpr std::string_view kErrorOutputTypePlaceholder{"\0error-output-type\0", 19};

buffer::BufferingHints HintsOf(const StreamMetadata& m) {
  const auto& b = m.config.s3().buffering;
  return {static_cast<uint64_t>(b.size_mb) << 20, b.interval_seconds * 1000};
}

}  // namespace

DeliveryStream::DeliveryStream(std::string dir, StreamMetadata metadata, const DeliveryStreamDeps& deps)
    : dir_(std::move(dir)),
      deps_(deps),
      create_millis_(metadata.create_millis),
      metadata_(std::move(metadata)),
      policy_(HintsOf(metadata_)) {}

Result<std::unique_ptr<DeliveryStream>> DeliveryStream::Open(const std::string& dir,
                                                             StreamMetadata metadata,
                                                             const DeliveryStreamDeps& deps) {
  std::unique_ptr<DeliveryStream> stream(new DeliveryStream(dir, std::move(metadata), deps));
  HYDRANT_RETURN_IF_ERROR(stream->Recover());
  stream->thread_ = std::thread([s = stream.get()] { s->Run(); });
  return stream;
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
  auto journal = DeliveryJournal::Open(deps_.env, JoinPath(dir_, "delivery.journal"), wal_->Begin());
  if (!journal.ok()) return journal.status();
  journal_ = std::move(*journal);

  pending_begin_ = journal_->in_flight() ? journal_->in_flight()->end : journal_->delivered_end();
  if (const auto& in_flight = journal_->in_flight()) {
    InFlightSummary summary{in_flight->records, in_flight->data_bytes, 0};
    HYDRANT_RETURN_IF_ERROR(wal_->Read(in_flight->begin, [&](const wal::RecordView& r) {
      summary.oldest_arrival_millis = r.arrival_millis;
      return false;
    }));
    in_flight_summary_ = summary;
  }
  uint64_t records = 0;
  HYDRANT_RETURN_IF_ERROR(wal_->Read(pending_begin_, [&](const wal::RecordView& r) {
    policy_.Add(1, r.data.size(), r.arrival_millis);
    ++records;
    return true;
  }));
  deps_.budget->ForceReserve(wal_->RetainedBytes());
  if (records > 0 || journal_->in_flight()) {
    spdlog::info("stream {}: recovered {} buffered records ({} bytes){}", name, records,
                 policy_.pending_bytes(),
                 journal_->in_flight() ? ", and one batch to deliver again under the same key" : "");
  }
  wal_->SetDurableListener([this](const wal::DurableGroup& group) { OnDurable(group); });
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
  (void)wal_->Append(records, arrival_millis, std::move(done));
}

void DeliveryStream::OnDurable(const wal::DurableGroup& group) {
  std::lock_guard<std::mutex> lock(mu_);
  policy_.Add(group.records, group.data_bytes, group.oldest_arrival_millis);
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
  policy_.set_hints(HintsOf(metadata_));
  chain_stale_ = true;
  cv_.notify_all();
  return Status::Ok();
}

DeliveryStats DeliveryStream::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  DeliveryStats stats = stats_;
  stats.buffered_records = policy_.pending_records();
  stats.buffered_bytes = policy_.pending_bytes();
  std::optional<int64_t> oldest = policy_.oldest_arrival_millis();
  if (in_flight_summary_) {  // planned before anything still pending, so older
    stats.buffered_records += in_flight_summary_->records;
    stats.buffered_bytes += in_flight_summary_->bytes;
    oldest = in_flight_summary_->oldest_arrival_millis;
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
  if (thread_.joinable()) thread_.join();
}

void DeliveryStream::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

// The pipeline of one stream: take a batch, format it, deliver it, checkpoint. A batch left in
// flight by a crash is delivered first, with the boundaries and key it was planned with.
void DeliveryStream::Run() {
  const std::string name = metadata().config.name();
  while (true) {
    if (!journal_->in_flight()) {
      std::unique_lock<std::mutex> lock(mu_);
      while (true) {
        if (stopping_) return;
        int64_t now = deps_.clock->NowMillis();
        if (policy_.ShouldFlush(now) || (draining_ && !policy_.Empty())) break;
        if (draining_) return;  // nothing left to deliver
        auto due = policy_.MillisUntilDue(now);
        if (due) {
          cv_.wait_for(lock, std::chrono::milliseconds(*due));
        } else {
          cv_.wait(lock);
        }
      }
      lock.unlock();
      Status planned = PlanNextBatch();
      if (!planned.ok()) {
        spdlog::error("stream {}: cannot plan the next object: {}", name, planned.ToString());
        std::unique_lock<std::mutex> wait(mu_);
        cv_.wait_for(wait, std::chrono::milliseconds(kFirstRetryBackoffMillis),
                     [this] { return stopping_ || draining_; });
        if (draining_) return;
        continue;
      }
    }
    bool draining;
    {
      std::lock_guard<std::mutex> lock(mu_);
      draining = draining_;
    }
    if (!DeliverInFlight(/*single_attempt=*/draining)) return;
    Checkpoint();
  }
}

Status DeliveryStream::PlanNextBatch() {
  wal::LogPosition begin;
  uint64_t size_limit, max_records;
  StreamMetadata meta = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    begin = pending_begin_;
    size_limit = policy_.hints().size_bytes;
    max_records = policy_.pending_records();
    return metadata_;
  }();
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
    return true;
  }));
  if (records == 0) return Status::Internal("buffer reported records the log does not hold");

  const S3Destination& s3 = meta.config.s3();
  PlannedBatch batch;
  batch.sequence = journal_->next_sequence();
  batch.begin = begin;
  batch.end = end;
  batch.records = records;
  batch.data_bytes = bytes;
  batch.bucket = s3.bucket;
  const std::string uuid = NewUuid();
  auto compression = format::LookupCompressionFormat(s3.compression);
  if (!compression.ok()) return compression.status();
  // FileExtension replaces the format's default extension.
  const std::string extension =
      s3.file_extension.empty() ? std::string(compression->extension) : s3.file_extension;
  batch.compression = s3.compression;
  batch.key = format::ObjectKey({.prefix = s3.prefix,
                                 .stream_name = meta.config.name(),
                                 .stream_version = meta.version,
                                 .timestamp_millis = first_arrival,
                                 .uuid = uuid,
                                 .extension = extension});
  if (s3.processing) {
    // The error output type is known only after processing: the key keeps a placeholder.
    auto error_prefix = format::EvaluateErrorPrefix(s3.prefix, s3.error_output_prefix, first_arrival,
                                                    kErrorOutputTypePlaceholder);
    if (!error_prefix.ok()) return error_prefix.status();
    batch.error_key = format::ObjectKeyUnder(*error_prefix, meta.config.name(), meta.version,
                                              first_arrival, uuid);
  }
  HYDRANT_RETURN_IF_ERROR(journal_->Plan(batch));
  std::lock_guard<std::mutex> lock(mu_);
  policy_.Take(records, bytes, next_arrival);
  pending_begin_ = end;
  in_flight_summary_ = InFlightSummary{records, bytes, first_arrival};
  return Status::Ok();
}

Result<PreparedBatch> DeliveryStream::Prepare(const PlannedBatch& batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (chain_stale_ && deps_.processors) {
      auto chain = deps_.processors(metadata_);
      if (!chain.ok()) return chain.status();
      chain_ = std::move(*chain);
    }
    chain_stale_ = false;
  }
  PreparedBatch prepared;
  format::Object object;
  object.bucket = batch.bucket;
  object.key = batch.key;
  uint64_t records = 0;
  if (chain_.empty()) {
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
      processor::Record record;
      // Stable across re-deliveries of the batch: where the record sits in the log.
      record.record_id = std::to_string(r.position.segment * 10'000'000'000'000ull + r.position.offset);
      record.arrival_millis = r.arrival_millis;
      record.data.assign(r.data);
      record.raw_data = record.data;
      input.push_back(std::move(record));
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
  const std::string& compression = batch.compression;
  if (compression != "UNCOMPRESSED") {
    // A ZIP archive's one entry is named after the object.
    std::string entry = object.key.substr(object.key.rfind('/') + 1);
    if (auto dot = entry.rfind('.'); dot != std::string::npos && dot > 0) entry.resize(dot);
    auto compressed = format::Compress(compression, object.body, entry);
    if (!compressed.ok()) return compressed.status();
    object.body = std::move(*compressed);
  }
  prepared.objects.insert(prepared.objects.begin(), std::move(object));
  return prepared;
}

bool DeliveryStream::DeliverInFlight(bool single_attempt) {
  const PlannedBatch batch = *journal_->in_flight();
  const std::string name = metadata().config.name();
  int64_t backoff = kFirstRetryBackoffMillis;
  // Prepared once and kept across delivery retries, so a transformation runs once per batch
  // (again only after a restart).
  std::optional<PreparedBatch> prepared;
  for (int attempt = 1;; ++attempt) {
    std::string error;
    if (!prepared) {
      auto result = Prepare(batch);
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
        std::lock_guard<std::mutex> lock(mu_);
        stats_.records_dropped += prepared->records_dropped;
        stats_.records_processing_failed += prepared->records_failed;
        stats_.objects_written += prepared->objects.size();
        stats_.records_to_s3 += prepared->data_records;
        stats_.bytes_to_s3 += prepared->data_bytes;
        stats_.s3_puts_succeeded += puts_succeeded;
        stats_.records_processed_ok += prepared->records_ok;
        stats_.bytes_processed_ok += prepared->bytes_ok;
        return true;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.failed_attempts;
      stats_.s3_puts_succeeded += puts_succeeded;
      stats_.s3_puts_failed += puts_failed;
    }
    spdlog::warn("stream {}: delivery of batch {} failed (attempt {}): {}; the data is kept{}", name,
                 batch.sequence, attempt, error,
                 single_attempt ? " for the next start" : ", retrying in " + std::to_string(backoff / 1000) + " s");
    if (single_attempt) return false;
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; })) return false;
    if (draining_) single_attempt = true;
    backoff = std::min(backoff * 2, deps_.max_retry_backoff_millis);
  }
}

void DeliveryStream::Checkpoint() {
  const PlannedBatch batch = *journal_->in_flight();
  Status s = journal_->Done();
  if (!s.ok()) {
    // The object is delivered; without the Done record it will be delivered again under the
    // same key after a restart, which overwrites it with identical bytes.
    spdlog::error("stream {}: cannot record delivery of {}: {}", metadata().config.name(), batch.key,
                  s.ToString());
    return;
  }
  uint64_t before = wal_->RetainedBytes();
  s = wal_->ReleaseBefore(batch.end);
  if (!s.ok()) spdlog::warn("cannot release delivered log segments: {}", s.ToString());
  uint64_t after = wal_->RetainedBytes();
  if (before > after) deps_.budget->Release(before - after);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.objects_delivered;
  stats_.records_delivered += batch.records;
  stats_.bytes_delivered += batch.data_bytes;
  in_flight_summary_.reset();
}

}  // namespace hydrant::stream
