// Tests for the Prometheus text rendering of /metrics.
#include "api/metrics_handler.h"

#include <gtest/gtest.h>

#include "destination/http_endpoint/http_endpoint_kind.h"
#include "destination/s3/s3_kind.h"

#include <map>
#include <set>
#include <sstream>

namespace hydrant::api {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

ServerMetricsSnapshot TwoStreams() {
  ServerMetricsSnapshot snapshot;
  snapshot.disk_budget_used_bytes = 4096;
  snapshot.disk_budget_cap_bytes = 10ull << 30;
  snapshot.wal_read_cache_hit_bytes = 5000;
  StreamMetricsSnapshot a;
  a.name = "alpha";
  a.kind = &destination::s3::kKind;
  a.incoming_bytes = 1048576;
  a.incoming_records = 3;
  a.throttled_records = 2;
  a.delivery.destination.bytes_to_destination = 1000;
  a.delivery.destination.attempts_failed = 1;
  a.delivery.destination.data_freshness_millis = 1234;
  StreamMetricsSnapshot b;
  b.name = "odd\"name\\";  // escaped in the label value
  b.kind = &destination::s3::kKind;
  b.delivery.destination.data_freshness_millis = 5;
  snapshot.streams = {a, b};
  return snapshot;
}

TEST(MetricsRenderTest, SamplesCarryTheStreamLabelAndExactValues) {
  std::string text = RenderPrometheusText(TwoStreams());
  EXPECT_NE(text.find("firehose_incoming_bytes_total{delivery_stream=\"alpha\"} 1048576\n"), std::string::npos);
  EXPECT_NE(text.find("firehose_throttled_records_total{delivery_stream=\"alpha\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("firehose_delivery_to_s3_failed_puts_total{delivery_stream=\"alpha\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("firehose_delivery_to_s3_data_freshness_seconds{delivery_stream=\"alpha\"} 1.234\n"),
            std::string::npos);
  EXPECT_NE(text.find("firehose_delivery_to_s3_data_freshness_seconds{delivery_stream=\"odd\\\"name\\\\\"} 0.005\n"),
            std::string::npos);
  EXPECT_NE(text.find("hydrant_disk_budget_cap_bytes 10737418240\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hydrant_wal_read_cache_hit_bytes_total counter\nhydrant_wal_read_cache_hit_bytes_total 5000\n"),
            std::string::npos);
}

TEST(MetricsRenderTest, HelpQuotesTheCloudWatchName) {
  std::string text = RenderPrometheusText(TwoStreams());
  EXPECT_NE(text.find("# HELP firehose_delivery_to_s3_bytes_total CloudWatch DeliveryToS3.Bytes: "),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE firehose_delivery_to_s3_bytes_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE firehose_delivery_to_s3_data_freshness_seconds gauge\n"), std::string::npos);
}

// Each family: HELP, then TYPE, then its samples together; names unique; every line ends in \n.
TEST(MetricsRenderTest, FamiliesAreContiguousAndDeclaredFirst) {
  std::string text = RenderPrometheusText(TwoStreams());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::set<std::string> declared, finished;
  std::string current;
  std::map<std::string, int> samples;
  for (const std::string& line : Lines(text)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(declared.insert(name).second) << name;
      if (!current.empty()) finished.insert(current);
      current = name;
      continue;
    }
    std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_EQ(name, current) << line;
    EXPECT_FALSE(finished.count(name)) << line;
    ++samples[name];
  }
  EXPECT_EQ(samples["firehose_incoming_records_total"], 2);
  EXPECT_EQ(samples["hydrant_disk_budget_used_bytes"], 1);
}

// A stream has samples in its own kind's DeliveryTo<Kind>.* families only.
TEST(MetricsRenderTest, KindFamiliesHoldTheirKindsStreams) {
  ServerMetricsSnapshot snapshot = TwoStreams();
  StreamMetricsSnapshot c;
  c.name = "hooks";
  c.kind = &destination::http_endpoint::kKind;
  c.delivery.destination.attempts_succeeded = 7;
  c.delivery.destination.data_freshness_millis = 2500;
  snapshot.streams.push_back(c);
  std::string text = RenderPrometheusText(snapshot);
  EXPECT_NE(text.find("firehose_delivery_to_http_endpoint_successful_requests_total{delivery_stream=\"hooks\"} 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("firehose_delivery_to_http_endpoint_data_freshness_seconds{delivery_stream=\"hooks\"} 2.500\n"),
            std::string::npos);
  EXPECT_EQ(text.find("firehose_delivery_to_s3_objects_total{delivery_stream=\"hooks\"}"), std::string::npos);
  EXPECT_EQ(text.find("firehose_delivery_to_http_endpoint_records_total{delivery_stream=\"alpha\"}"), std::string::npos);
  EXPECT_NE(text.find("firehose_incoming_records_total{delivery_stream=\"hooks\"} 0\n"), std::string::npos);
}

TEST(MetricsRenderTest, NoStreamsStillListsEveryFamily) {
  ServerMetricsSnapshot empty;
  std::string text = RenderPrometheusText(empty);
  EXPECT_NE(text.find("# TYPE firehose_incoming_records_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE firehose_delivery_to_s3_objects_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE firehose_delivery_to_http_endpoint_data_freshness_seconds gauge\n"), std::string::npos);
  EXPECT_EQ(text.find("delivery_stream="), std::string::npos);
}

}  // namespace
}  // namespace hydrant::api
