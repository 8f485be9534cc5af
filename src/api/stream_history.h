// StreamHistory: the last hour of each active stream's figures at 10 s resolution, kept in
// memory for the console's graphs. Sample() takes the same snapshot /metrics renders and turns
// the counters' growth into rates. A stream gets a history only once it has something to show
// (traffic or a backlog) and loses it after an hour of nothing, so memory follows the work, not
// the number of streams configured.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/metrics_handler.h"

namespace hydrant::api {

struct HistoryPoint {
  int64_t time_millis = 0;  // end of the interval
  // Per second over the interval.
  float incoming_records = 0, incoming_bytes = 0;
  float delivered_records = 0, delivered_bytes = 0;
  float throttled_records = 0, failed_records = 0;
  // At the sample.
  float freshness_seconds = 0;  // age of the oldest undelivered record
  float backlog_bytes = 0;      // accepted, not yet delivered
};

// Thread-safe.
class StreamHistory {
 public:
  static constexpr int64_t kResolutionMillis = 10'000;
  static constexpr size_t kMaxPoints = 360;  // one hour

  void Sample(const ServerMetricsSnapshot& snapshot, int64_t now_millis);
  // Oldest first; empty for an unknown or idle stream.
  std::vector<HistoryPoint> Points(const std::string& stream) const;
  size_t streams_with_history() const;

 private:
  struct Totals {
    uint64_t incoming_records = 0, incoming_bytes = 0, delivered_records = 0, delivered_bytes = 0;
    uint64_t throttled_records = 0, failed_records = 0;
  };
  struct Entry {
    Totals last;  // at the previous sample
    int64_t last_millis = 0;
    int64_t last_busy_millis = 0;  // when something last moved
    std::deque<HistoryPoint> points;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace hydrant::api
