// MetricsHandler: GET /metrics, the Prometheus text exposition format (version 0.0.4).
// Each stream's counters carry the managed service's CloudWatch metric names in their HELP
// text; docs/metrics.md has the table.
#pragma once

#include <string>
#include <vector>

#include "destination/kind.h"
#include "http/http_types.h"
#include "stream/catalog.h"
#include "stream/delivery_stream.h"
#include "stream/disk_budget.h"
#include "wal/recent_writes.h"

namespace hydrant::api {

// One stream's figures at the moment of a scrape.
struct StreamMetricsSnapshot {
  std::string name;
  const destination::KindOperations* kind = nullptr;  // its destination's kind
  uint64_t put_record_requests = 0;
  uint64_t put_record_bytes = 0;
  uint64_t put_record_batch_requests = 0;
  uint64_t put_record_batch_records = 0;
  uint64_t put_record_batch_bytes = 0;
  uint64_t incoming_put_requests = 0;
  uint64_t incoming_records = 0;
  uint64_t incoming_bytes = 0;
  uint64_t throttled_records = 0;
  stream::DeliveryStats delivery;
  uint64_t wal_retained_bytes = 0;
};

struct ServerMetricsSnapshot {
  uint64_t disk_budget_used_bytes = 0;
  uint64_t disk_budget_cap_bytes = 0;
  // The logs' read cache (wal::RecentWrites, --wal-read-cache-mb; all 0 when it is off).
  uint64_t wal_read_cache_bytes = 0;
  uint64_t wal_read_cache_hit_bytes = 0;
  uint64_t wal_read_cache_miss_bytes = 0;
  std::vector<StreamMetricsSnapshot> streams;  // in the order they are rendered
};

// The exposition text for `snapshot`. Pure, for tests.
std::string RenderPrometheusText(const ServerMetricsSnapshot& snapshot);

// Thread-safe.
class MetricsHandler {
 public:
  // `budget` and `recent` may be null (their gauges stay 0).
  MetricsHandler(stream::Catalog* catalog, const stream::DiskBudget* budget,
                 const wal::RecentWrites* recent = nullptr)
      : catalog_(catalog), budget_(budget), recent_(recent) {}

  ServerMetricsSnapshot Snapshot() const;
  http::HttpResponse Handle() const;
  // Exposition text appended to every answer (cluster mode's gauges).
  void SetExtra(std::function<std::string()> extra) { extra_ = std::move(extra); }

 private:
  std::function<std::string()> extra_;
  stream::Catalog* catalog_;
  const stream::DiskBudget* budget_;
  const wal::RecentWrites* recent_;
};

}  // namespace hydrant::api
