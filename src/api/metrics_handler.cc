// MetricsHandler: snapshots every stream's counters and renders them as Prometheus text.
#include "api/metrics_handler.h"

#include <algorithm>
#include <cstdio>

#include "destination/registry.h"

namespace hydrant::api {
namespace {

using Snapshot = StreamMetricsSnapshot;

enum class Kind { kCounter, kGauge };

// One metric family per CloudWatch metric: Prometheus names cannot hold '.', so each gets a
// snake_case name with the unit suffix Prometheus expects and the CloudWatch name in its HELP.
// These are every stream's; each destination kind adds its DeliveryTo<Kind>.* families
// (KindOperations::metrics) for its own streams.
struct Family {
  const char* name;
  Kind kind;
  const char* help;
  uint64_t (*value)(const Snapshot&);
};

constexpr Family kStreamFamilies[] = {
    {"firehose_incoming_bytes_total", Kind::kCounter,
     "CloudWatch IncomingBytes: bytes of records accepted by PutRecord and PutRecordBatch.",
     [](const Snapshot& s) { return s.incoming_bytes; }},
    {"firehose_incoming_records_total", Kind::kCounter,
     "CloudWatch IncomingRecords: records accepted by PutRecord and PutRecordBatch.",
     [](const Snapshot& s) { return s.incoming_records; }},
    {"firehose_incoming_put_requests_total", Kind::kCounter,
     "CloudWatch IncomingPutRequests: PutRecord and PutRecordBatch requests that stored at least one record.",
     [](const Snapshot& s) { return s.incoming_put_requests; }},
    {"firehose_put_record_requests_total", Kind::kCounter,
     "CloudWatch PutRecord.Requests: PutRecord requests, throttled ones included.",
     [](const Snapshot& s) { return s.put_record_requests; }},
    {"firehose_put_record_bytes_total", Kind::kCounter,
     "CloudWatch PutRecord.Bytes: bytes of records sent with PutRecord, throttled ones included.",
     [](const Snapshot& s) { return s.put_record_bytes; }},
    {"firehose_put_record_batch_requests_total", Kind::kCounter,
     "CloudWatch PutRecordBatch.Requests: PutRecordBatch requests, throttled ones included.",
     [](const Snapshot& s) { return s.put_record_batch_requests; }},
    {"firehose_put_record_batch_records_total", Kind::kCounter,
     "CloudWatch PutRecordBatch.Records: records sent with PutRecordBatch, throttled ones included.",
     [](const Snapshot& s) { return s.put_record_batch_records; }},
    {"firehose_put_record_batch_bytes_total", Kind::kCounter,
     "CloudWatch PutRecordBatch.Bytes: bytes of records sent with PutRecordBatch, throttled ones included.",
     [](const Snapshot& s) { return s.put_record_batch_bytes; }},
    {"firehose_throttled_records_total", Kind::kCounter,
     "CloudWatch ThrottledRecords: records refused with \"Slow down.\" because the disk cap "
     "(--max-buffered-bytes) was reached.",
     [](const Snapshot& s) { return s.throttled_records; }},
    {"hydrant_records_delivery_failed_total", Kind::kCounter,
     "Records the destination refused for good or that outlived the retry window; they were "
     "written to the error output (http-endpoint-failed/, ...). Always 0 for S3, which retries "
     "until the retention period ends.",
     [](const Snapshot& s) { return s.delivery.destination.records_delivery_failed; }},
    {"firehose_succeed_processing_records_total", Kind::kCounter,
     "CloudWatch SucceedProcessing.Records: records the processors returned with result Ok.",
     [](const Snapshot& s) { return s.delivery.records_processed_ok; }},
    {"firehose_succeed_processing_bytes_total", Kind::kCounter,
     "CloudWatch SucceedProcessing.Bytes: bytes of the records the processors returned with result Ok.",
     [](const Snapshot& s) { return s.delivery.bytes_processed_ok; }},
    {"firehose_backup_to_s3_bytes_total", Kind::kCounter,
     "CloudWatch BackupToS3.Bytes: bytes of source records delivered to the S3 backup.",
     [](const Snapshot& s) { return s.delivery.backup_bytes_delivered; }},
    {"firehose_backup_to_s3_records_total", Kind::kCounter,
     "CloudWatch BackupToS3.Records: source records delivered to the S3 backup.",
     [](const Snapshot& s) { return s.delivery.backup_records_delivered; }},
    {"firehose_partition_count", Kind::kGauge,
     "CloudWatch PartitionCount: active dynamic partitions (buffers waiting to be delivered).",
     [](const Snapshot& s) { return s.delivery.active_partitions; }},
    {"firehose_partition_count_exceeded_records_total", Kind::kCounter,
     "CloudWatch PartitionCountExceeded, as a count: records sent to the error output because "
     "the active-partition quota was reached.",
     [](const Snapshot& s) { return s.delivery.partition_limit_exceeded; }},
    {"hydrant_records_expired_total", Kind::kCounter,
     "Records discarded because they could not be delivered within the 24-hour retention period.",
     [](const Snapshot& s) { return s.delivery.records_expired; }},
    {"hydrant_records_dropped_total", Kind::kCounter,
     "Records a processor returned with result Dropped (not delivered, by design).",
     [](const Snapshot& s) { return s.delivery.records_dropped; }},
    {"hydrant_records_processing_failed_total", Kind::kCounter,
     "Records a processor failed; they were written to the error output prefix.",
     [](const Snapshot& s) { return s.delivery.records_processing_failed; }},
    {"hydrant_buffered_records", Kind::kGauge,
     "Records accepted and durable but not delivered yet (buffered or in a delivery in progress).",
     [](const Snapshot& s) { return s.delivery.buffered_records; }},
    {"hydrant_buffered_bytes", Kind::kGauge,
     "Bytes of the records counted by hydrant_buffered_records.",
     [](const Snapshot& s) { return s.delivery.buffered_bytes; }},
    {"hydrant_wal_retained_bytes", Kind::kGauge,
     "Bytes the stream's write-ahead log keeps on disk (released once delivered).",
     [](const Snapshot& s) { return s.wal_retained_bytes; }},
};

// Label values escape backslash, double quote and newline.
void AppendLabelValue(std::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '"': *out += "\\\""; break;
      case '\n': *out += "\\n"; break;
      default: *out += c;
    }
  }
}

void AppendHeader(const char* name, const char* help, Kind kind, std::string* out) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += kind == Kind::kCounter ? " counter\n" : " gauge\n";
}

void AppendSample(const char* name, const std::string* stream, std::string_view value, std::string* out) {
  *out += name;
  if (stream) {
    *out += "{delivery_stream=\"";
    AppendLabelValue(*stream, out);
    *out += "\"}";
  }
  *out += ' ';
  *out += value;
  *out += '\n';
}

// Milliseconds as decimal seconds, exactly ("1.234").
std::string MillisAsSeconds(int64_t millis) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(millis / 1000),
                static_cast<long long>(millis % 1000));
  return buf;
}

}  // namespace

std::string RenderPrometheusText(const ServerMetricsSnapshot& snapshot) {
  std::string out;
  out.reserve(1024 + snapshot.streams.size() * 2048);
  // Every family is listed even without streams, so dashboards and alerts find their names.
  for (const Family& family : kStreamFamilies) {
    AppendHeader(family.name, family.help, family.kind, &out);
    for (const Snapshot& s : snapshot.streams) {
      AppendSample(family.name, &s.name, std::to_string(family.value(s)), &out);
    }
  }
  std::vector<const destination::KindOperations*> kinds;  // each once (two members share S3)
  for (const destination::DestinationKind& row : destination::DestinationKinds()) {
    if (row.operations && std::find(kinds.begin(), kinds.end(), row.operations) == kinds.end()) {
      kinds.push_back(row.operations);
    }
  }
  // A family several kinds report (Redshift's staging objects are DeliveryToS3.*) is listed once,
  // under the help of the kind that gives one, with each stream's value from its own kind.
  auto family_of = [](const destination::KindOperations* kind, std::string_view name) {
    const destination::MetricFamily* found = nullptr;
    for (const destination::MetricFamily& f : kind->metrics) {
      if (name == f.name) found = &f;
    }
    return found;
  };
  std::vector<std::string_view> listed;
  for (const destination::KindOperations* kind : kinds) {
    for (const destination::MetricFamily& family : kind->metrics) {
      if (!family.help || std::find(listed.begin(), listed.end(), family.name) != listed.end()) continue;
      listed.push_back(family.name);
      AppendHeader(family.name, family.help, family.gauge ? Kind::kGauge : Kind::kCounter, &out);
      for (const Snapshot& s : snapshot.streams) {
        const destination::MetricFamily* own = s.kind ? family_of(s.kind, family.name) : nullptr;
        if (!own) continue;
        uint64_t value = own->value(s.delivery.destination);
        AppendSample(family.name, &s.name,
                     own->millis_as_seconds ? MillisAsSeconds(static_cast<int64_t>(value)) : std::to_string(value),
                     &out);
      }
    }
  }
  // The server's own families: one sample each, no labels.
  const struct {
    const char* name;
    const char* help;
    Kind kind;
    uint64_t value;
  } server[] = {
      {"hydrant_disk_budget_used_bytes",
       "Bytes of undelivered data on disk, all streams (puts are throttled at the cap).", Kind::kGauge,
       snapshot.disk_budget_used_bytes},
      {"hydrant_disk_budget_cap_bytes", "The cap on undelivered data on disk (--max-buffered-bytes).", Kind::kGauge,
       snapshot.disk_budget_cap_bytes},
      {"hydrant_wal_read_cache_bytes", "Bytes the write-ahead logs' read cache holds, all streams (--wal-read-cache-mb).",
       Kind::kGauge, snapshot.wal_read_cache_bytes},
      {"hydrant_wal_read_cache_hit_bytes_total", "Bytes delivery read back from the write-ahead logs' read cache.",
       Kind::kCounter, snapshot.wal_read_cache_hit_bytes},
      {"hydrant_wal_read_cache_miss_bytes_total",
       "Bytes delivery read back from the write-ahead log files: the read cache did not hold them all.",
       Kind::kCounter, snapshot.wal_read_cache_miss_bytes},
  };
  for (const auto& family : server) {
    AppendHeader(family.name, family.help, family.kind, &out);
    AppendSample(family.name, nullptr, std::to_string(family.value), &out);
  }
  return out;
}

ServerMetricsSnapshot MetricsHandler::Snapshot() const {
  ServerMetricsSnapshot snapshot;
  if (budget_) {
    snapshot.disk_budget_used_bytes = budget_->used();
    snapshot.disk_budget_cap_bytes = budget_->cap();
  }
  if (recent_) {
    snapshot.wal_read_cache_bytes = recent_->kept_bytes();
    snapshot.wal_read_cache_hit_bytes = recent_->hit_bytes();
    snapshot.wal_read_cache_miss_bytes = recent_->missed_bytes();
  }
  for (const std::string& name : catalog_->ListNames()) {
    auto stream = catalog_->Find(name);
    if (!stream) continue;  // deleted since the listing
    const stream::PutCounters& c = stream->put_counters();
    constexpr auto kRelaxed = std::memory_order_relaxed;
    StreamMetricsSnapshot s;
    s.name = name;
    s.put_record_requests = c.put_record_requests.load(kRelaxed);
    s.put_record_bytes = c.put_record_bytes.load(kRelaxed);
    s.put_record_batch_requests = c.put_record_batch_requests.load(kRelaxed);
    s.put_record_batch_records = c.put_record_batch_records.load(kRelaxed);
    s.put_record_batch_bytes = c.put_record_batch_bytes.load(kRelaxed);
    s.incoming_put_requests = c.incoming_put_requests.load(kRelaxed);
    s.incoming_records = c.incoming_records.load(kRelaxed);
    s.incoming_bytes = c.incoming_bytes.load(kRelaxed);
    s.throttled_records = c.throttled_records.load(kRelaxed);
    s.delivery = stream->stats();
    s.kind = &stream->destination_kind();
    s.wal_retained_bytes = stream->retained_wal_bytes();
    snapshot.streams.push_back(std::move(s));
  }
  return snapshot;
}

http::HttpResponse MetricsHandler::Handle() const {
  http::HttpResponse res;
  res.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  res.body = RenderPrometheusText(Snapshot());
  if (extra_) res.body += extra_();
  return res;
}

}  // namespace hydrant::api
