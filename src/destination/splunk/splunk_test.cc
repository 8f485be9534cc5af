// Tests for the Splunk kind: configuration rules and defaults, HEC's answers, the error output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "destination/failed_record.h"
#include "destination/splunk/splunk_config.h"
#include "destination/splunk/splunk_delivery.h"

namespace hydrant::destination::splunk {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

constexpr std::string_view kMinimal = R"({
  "HECEndpoint": "https://hec.example.com:8088", "HECEndpointType": "Event", "HECToken": "t",
  "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::failed"}
})";

json::object With(std::string_view patch) {
  json::object o = Obj(kMinimal);
  for (const auto& [k, v] : Obj(patch)) {
    if (v.is_null()) {
      o.erase(k);
    } else {
      o[k] = v;
    }
  }
  return o;
}

std::string ParseError(const json::object& given) {
  auto stored = FromCreateRequest(given);
  if (!stored.ok()) return stored.status().message();
  auto parsed = Parse(*stored);
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(SplunkConfigTest, DefaultsRulesAndDescribe) {
  auto d = Parse(*FromCreateRequest(Obj(kMinimal)));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->ack_timeout_seconds, 180);
  EXPECT_EQ(d->buffering.size_mb, 5);
  EXPECT_EQ(d->buffering.interval_seconds, 60);
  EXPECT_FALSE(d->raw);
  json::object out = Describe(Obj(kMinimal), *d).at("SplunkDestinationDescription").as_object();
  EXPECT_EQ(out.at("HECEndpointType"), "Event");
  EXPECT_EQ(out.at("S3BackupMode"), "FailedEventsOnly");
  EXPECT_EQ(out.at("HECAcknowledgmentTimeoutInSeconds"), 180);

  EXPECT_THAT(ParseError(With(R"({"HECEndpointType": "Json"})")), HasSubstr("Raw or Event"));
  EXPECT_THAT(ParseError(With(R"({"HECAcknowledgmentTimeoutInSeconds": 179})")), HasSubstr("between 180 and 600"));
  EXPECT_THAT(ParseError(With(R"({"BufferingHints": {"SizeInMBs": 6, "IntervalInSeconds": 10}})")),
              HasSubstr("between 1 and 5"));
  EXPECT_THAT(ParseError(With(R"({"BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 61}})")),
              HasSubstr("between 0 and 60"));
  EXPECT_THAT(ParseError(With(R"({"S3BackupMode": "AllDocuments"})")), HasSubstr("FailedEventsOnly or AllEvents"));
  EXPECT_THAT(ParseError(With(R"({"HECToken": null})")), HasSubstr("HECToken is required"));
  EXPECT_THAT(ParseError(With(R"({"HECEndpoint": "hec.example.com"})")), HasSubstr("https://"));
  EXPECT_THAT(ParseError(With(R"({"S3Configuration": null})")), HasSubstr("S3Configuration is required"));

  SplunkDestination all = *Parse(With(R"({"S3BackupMode": "AllEvents"})"));
  EXPECT_THAT(CheckChange(all, *d).message(), HasSubstr("AllEvents"));
}

http::OutboundResponse Answer(long status, std::string body) {
  http::OutboundResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(SplunkDeliveryTest, HecCodesDecideRetryOrFailure) {
  int64_t ack = -1;
  EXPECT_EQ(ClassifyHecResponse(Answer(200, R"({"text":"Success","code":0,"ackId":7})"), &ack).outcome,
            Outcome::kDelivered);
  EXPECT_EQ(ack, 7);
  EXPECT_EQ(ClassifyHecResponse(Answer(200, R"({"text":"Success","code":0})"), &ack).error_code, "Splunk.DisabledAck");
  auto invalid = ClassifyHecResponse(Answer(400, R"({"text":"Invalid data format","code":6,"invalid-event-number":0})"), &ack);
  EXPECT_EQ(invalid.outcome, Outcome::kFailed);
  EXPECT_EQ(invalid.error_code, "Splunk.InvalidDataFormat");
  EXPECT_EQ(ClassifyHecResponse(Answer(503, R"({"text":"Server is busy","code":9})"), &ack).outcome, Outcome::kRetryable);
  EXPECT_EQ(ClassifyHecResponse(Answer(403, R"({"text":"Token disabled","code":1})"), &ack).error_code,
            "Splunk.DisabledToken");
  EXPECT_EQ(ClassifyHecResponse(Answer(403, R"({"text":"Invalid token","code":4})"), &ack).error_code,
            "Splunk.InvalidToken");
  EXPECT_EQ(ClassifyHecResponse(Answer(502, "<html>bad gateway</html>"), &ack).error_code, "Splunk.ServerError");
  http::OutboundResponse refused;
  refused.transport = http::OutboundResponse::Transport::kConnectFailed;
  EXPECT_EQ(ClassifyHecResponse(refused, &ack).error_code, "Splunk.InvalidEndpoint");
}

TEST(SplunkDeliveryTest, FailedEventsInTheServicesLayout) {
  SplunkDelivery delivery(nullptr, *Parse(Obj(kMinimal)), {});
  std::string out;
  delivery.AppendFailedRecord({"raw", 1000, "77", 1}, {2, "Splunk.AckTimeout", "m", 2000}, &out);
  EXPECT_EQ(out, R"({"attemptsMade":2,"arrivalTimestamp":1000,"errorCode":"Splunk.AckTimeout","errorMessage":"m",)"
                 R"("attemptEndingTimestamp":2000,"rawData":")" + Base64Encode("raw") + R"(","EventId":"77.1"})" "\n");
  EXPECT_EQ(delivery.failed_output_type(), "splunk-failed");
}

}  // namespace
}  // namespace hydrant::destination::splunk
