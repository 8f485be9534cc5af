#include "api/stream_history.h"

#include <gtest/gtest.h>

namespace hydrant::api {
namespace {

ServerMetricsSnapshot Snapshot(uint64_t incoming, uint64_t delivered, uint64_t backlog) {
  ServerMetricsSnapshot s;
  StreamMetricsSnapshot busy;
  busy.name = "busy";
  busy.incoming_records = incoming;
  busy.incoming_bytes = incoming * 100;
  busy.delivery.destination.records_to_destination = delivered;
  busy.delivery.buffered_bytes = backlog;
  StreamMetricsSnapshot idle;
  idle.name = "idle";
  s.streams = {busy, idle};
  return s;
}

TEST(StreamHistoryTest, TurnsCountersIntoRatesPerInterval) {
  StreamHistory history;
  history.Sample(Snapshot(1000, 0, 0), 10'000);  // the baseline
  history.Sample(Snapshot(3000, 1000, 4096), 20'000);
  history.Sample(Snapshot(3000, 3000, 0), 30'000);
  auto points = history.Points("busy");
  ASSERT_EQ(points.size(), 2u);
  EXPECT_FLOAT_EQ(points[0].incoming_records, 200);
  EXPECT_FLOAT_EQ(points[0].incoming_bytes, 20'000);
  EXPECT_FLOAT_EQ(points[0].delivered_records, 100);
  EXPECT_FLOAT_EQ(points[0].backlog_bytes, 4096);
  EXPECT_FLOAT_EQ(points[1].incoming_records, 0);
  EXPECT_FLOAT_EQ(points[1].delivered_records, 200);
  // A stream with nothing to show keeps no points.
  EXPECT_TRUE(history.Points("idle").empty());
  EXPECT_EQ(history.streams_with_history(), 1u);
}

TEST(StreamHistoryTest, KeepsOneHourAndForgetsIdleAndDeletedStreams) {
  StreamHistory history;
  int64_t t = 0;
  uint64_t n = 0;
  for (int i = 0; i < 400; ++i) {
    n += 10;
    history.Sample(Snapshot(n, n, 0), t += 10'000);
  }
  EXPECT_EQ(history.Points("busy").size(), StreamHistory::kMaxPoints);
  EXPECT_EQ(history.Points("busy").back().time_millis, t);
  // An hour without traffic: the history goes.
  for (int i = 0; i < 361; ++i) history.Sample(Snapshot(n, n, 0), t += 10'000);
  EXPECT_TRUE(history.Points("busy").empty());
  history.Sample(ServerMetricsSnapshot{}, t += 10'000);
  history.Sample(Snapshot(n + 10, n, 0), t += 10'000);  // back: a baseline again, no point yet
  EXPECT_TRUE(history.Points("busy").empty());
}

}  // namespace
}  // namespace hydrant::api
