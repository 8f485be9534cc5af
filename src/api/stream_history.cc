#include "api/stream_history.h"

#include <set>

namespace hydrant::api {

void StreamHistory::Sample(const ServerMetricsSnapshot& snapshot, int64_t now_millis) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string_view> seen;
  for (const StreamMetricsSnapshot& s : snapshot.streams) {
    seen.insert(s.name);
    const Totals now{s.incoming_records,
                     s.incoming_bytes,
                     s.delivery.destination.records_to_destination,
                     s.delivery.destination.bytes_to_destination,
                     s.throttled_records,
                     s.delivery.destination.records_delivery_failed + s.delivery.records_processing_failed};
    auto it = entries_.find(s.name);
    if (it == entries_.end()) {
      // First sight: the totals so far are the baseline, not a rate.
      entries_.emplace(s.name, Entry{now, now_millis, 0, {}});
      continue;
    }
    Entry& e = it->second;
    const double seconds = std::max<int64_t>(1, now_millis - e.last_millis) / 1000.0;
    auto rate = [&](uint64_t to, uint64_t from) { return static_cast<float>(to >= from ? (to - from) / seconds : 0); };
    HistoryPoint p;
    p.time_millis = now_millis;
    p.incoming_records = rate(now.incoming_records, e.last.incoming_records);
    p.incoming_bytes = rate(now.incoming_bytes, e.last.incoming_bytes);
    p.delivered_records = rate(now.delivered_records, e.last.delivered_records);
    p.delivered_bytes = rate(now.delivered_bytes, e.last.delivered_bytes);
    p.throttled_records = rate(now.throttled_records, e.last.throttled_records);
    p.failed_records = rate(now.failed_records, e.last.failed_records);
    p.freshness_seconds = static_cast<float>(s.delivery.destination.data_freshness_millis / 1000.0);
    p.backlog_bytes = static_cast<float>(s.delivery.buffered_bytes);
    e.last = now;
    e.last_millis = now_millis;
    const bool busy = p.incoming_records > 0 || p.delivered_records > 0 || p.throttled_records > 0 ||
                      p.failed_records > 0 || p.backlog_bytes > 0;
    if (busy) e.last_busy_millis = now_millis;
    if (e.last_busy_millis == 0 || now_millis - e.last_busy_millis > static_cast<int64_t>(kMaxPoints * kResolutionMillis)) {
      e.points.clear();  // idle for an hour (or never busy): nothing worth drawing
      continue;
    }
    e.points.push_back(p);
    if (e.points.size() > kMaxPoints) e.points.pop_front();
  }
  std::erase_if(entries_, [&](const auto& kv) { return !seen.contains(kv.first); });  // deleted streams
}

std::vector<HistoryPoint> StreamHistory::Points(const std::string& stream) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(stream);
  if (it == entries_.end()) return {};
  return {it->second.points.begin(), it->second.points.end()};
}

size_t StreamHistory::streams_with_history() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [name, e] : entries_) n += !e.points.empty();
  return n;
}

}  // namespace hydrant::api
