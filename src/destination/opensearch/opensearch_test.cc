// Tests for the OpenSearch kinds: configuration rules and defaults, Describe, index rotation,
// bulk encoding, the bulk response's items, and the error output's layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/base64.h"
#include "destination/failed_record.h"
#include "destination/opensearch/opensearch_config.h"
#include "destination/opensearch/opensearch_delivery.h"
#include "destination/opensearch/opensearch_kind.h"

namespace hydrant::destination::opensearch {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

constexpr std::string_view kMinimal = R"({
  "RoleARN": "arn:aws:iam::123456789012:role/r",
  "ClusterEndpoint": "https://search.example.com",
  "IndexName": "logs",
  "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::failed"}
})";

json::object With(std::string_view patch, std::string_view base = kMinimal) {
  json::object o = Obj(base);
  for (const auto& [k, v] : Obj(patch)) {
    if (v.is_null()) {
      o.erase(k);
    } else {
      o[k] = v;
    }
  }
  return o;
}

std::string ParseError(const json::object& given, Flavor flavor = Flavor::kOpenSearch) {
  auto stored = FromCreateRequest(given, flavor);
  if (!stored.ok()) return stored.status().message();
  auto parsed = Parse(*stored, flavor);
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(OpenSearchConfigTest, DefaultsAndDescribe) {
  auto stored = FromCreateRequest(Obj(kMinimal), Flavor::kOpenSearch);
  ASSERT_TRUE(stored.ok());
  auto d = Parse(*stored, Flavor::kOpenSearch);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->rotation, "OneDay");
  EXPECT_EQ(d->buffering.size_mb, 5);
  EXPECT_EQ(d->buffering.interval_seconds, 300);
  EXPECT_EQ(d->retry_seconds, 300);
  EXPECT_TRUE(d->document_ids);
  EXPECT_FALSE(d->all_documents);
  json::object described = Describe(*stored, *d);
  const json::object& out = described.at("AmazonopensearchserviceDestinationDescription").as_object();
  EXPECT_EQ(out.at("ClusterEndpoint"), "https://search.example.com");
  EXPECT_EQ(out.at("IndexRotationPeriod"), "OneDay");
  EXPECT_EQ(out.at("S3BackupMode"), "FailedDocumentsOnly");
  EXPECT_EQ(out.at("DocumentIdOptions").at("DefaultDocumentIdFormat"), "FIREHOSE_DEFAULT");
  EXPECT_EQ(out.at("RetryOptions").at("DurationInSeconds"), 300);
  EXPECT_TRUE(out.contains("S3DestinationDescription"));

  auto serverless = Parse(With(R"({"ClusterEndpoint": null, "CollectionEndpoint": "https://c.aoss.example.com"})"),
                          Flavor::kServerless);
  ASSERT_TRUE(serverless.ok()) << serverless.status().ToString();
  EXPECT_EQ(serverless->rotation, "NoRotation");
  EXPECT_TRUE(Describe(With(R"({"ClusterEndpoint": null, "CollectionEndpoint": "https://c.aoss.example.com"})"),
                       *serverless)
                  .contains("AmazonOpenSearchServerlessDestinationDescription"));
}

TEST(OpenSearchConfigTest, TheServicesRules) {
  EXPECT_THAT(ParseError(With(R"({"DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs"})")),
              HasSubstr("Exactly one of DomainARN or ClusterEndpoint"));
  EXPECT_THAT(ParseError(With(R"({"ClusterEndpoint": null})")), HasSubstr("Exactly one of DomainARN or ClusterEndpoint"));
  EXPECT_EQ(ParseError(With(R"({"ClusterEndpoint": null, "DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs"})")), "");
  EXPECT_EQ(ParseError(With(R"({"ClusterEndpoint": "http://127.0.0.1:9200"})")), "");  // Hydrant's extension
  EXPECT_THAT(ParseError(With(R"({"ClusterEndpoint": "ftp://x"})")), HasSubstr("https://"));
  EXPECT_THAT(ParseError(With(R"({"IndexRotationPeriod": "OneYear"})")), HasSubstr("IndexRotationPeriod"));
  EXPECT_THAT(ParseError(With(R"({"BufferingHints": {"SizeInMBs": 101, "IntervalInSeconds": 60}})")),
              HasSubstr("between 1 and 100"));
  EXPECT_THAT(ParseError(With(R"({"BufferingHints": {"SizeInMBs": 10}})")), HasSubstr("must also provide"));
  EXPECT_THAT(ParseError(With(R"({"RetryOptions": {"DurationInSeconds": 7201}})")), HasSubstr("between 0 and 7200"));
  EXPECT_THAT(ParseError(With(R"({"S3BackupMode": "AllData"})")), HasSubstr("FailedDocumentsOnly or AllDocuments"));
  EXPECT_THAT(ParseError(With(R"({"DocumentIdOptions": {"DefaultDocumentIdFormat": "MINE"}})")),
              HasSubstr("FIREHOSE_DEFAULT or NO_DOCUMENT_ID"));
  EXPECT_THAT(ParseError(With(R"({"S3Configuration": null})")), HasSubstr("S3Configuration is required"));
  EXPECT_THAT(ParseError(With(R"({"VpcConfiguration": {"SubnetIds": ["s"], "RoleARN": "r", "SecurityGroupIds": ["g"]}})")),
              HasSubstr("VpcConfiguration"));
  EXPECT_THAT(ParseError(With(R"({"ClusterEndpoint": null})"), Flavor::kServerless), HasSubstr("CollectionEndpoint is required"));
}

TEST(OpenSearchConfigTest, UpdateMergesAndSwitchesBetweenDomainAndEndpoint) {
  json::object stored = *FromCreateRequest(Obj(kMinimal), Flavor::kOpenSearch);
  auto merged = MergeUpdate(stored, Obj(R"({"DomainARN": "arn:aws:es:us-east-1:123456789012:domain/logs",
                                          "BufferingHints": {"SizeInMBs": 20}, "IndexRotationPeriod": "OneHour"})"),
                            Flavor::kOpenSearch);
  ASSERT_TRUE(merged.ok());
  auto d = Parse(*merged, Flavor::kOpenSearch);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->endpoint, "");
  EXPECT_EQ(d->domain_arn, "arn:aws:es:us-east-1:123456789012:domain/logs");
  EXPECT_EQ(d->buffering.size_mb, 20);
  EXPECT_EQ(d->buffering.interval_seconds, 300);
  EXPECT_EQ(d->rotation, "OneHour");
}

// The service's documented example (arrival 2016-02-25T13:00:00Z) and the week rule at year ends.
TEST(OpenSearchDeliveryTest, IndexRotationNames) {
  const int64_t arrival = 1456405200000;  // 2016-02-25T13:00:00Z
  EXPECT_EQ(RotatedIndex("myindex", "NoRotation", arrival), "myindex");
  EXPECT_EQ(RotatedIndex("myindex", "OneHour", arrival), "myindex-2016-02-25-13");
  EXPECT_EQ(RotatedIndex("myindex", "OneDay", arrival), "myindex-2016-02-25");
  EXPECT_EQ(RotatedIndex("myindex", "OneWeek", arrival), "myindex-2016-w08");
  EXPECT_EQ(RotatedIndex("myindex", "OneMonth", arrival), "myindex-2016-02");
  // ISO-8601 weeks: 2016-01-01 (a Friday) is in 2015's week 53, 2020-12-31 in 2020's week 53,
  // 2019-12-30 (a Monday) in 2020's week 1.
  EXPECT_EQ(RotatedIndex("i", "OneWeek", 1451606400000), "i-2015-w53");
  EXPECT_EQ(RotatedIndex("i", "OneWeek", 1609372800000), "i-2020-w53");
  EXPECT_EQ(RotatedIndex("i", "OneWeek", 1577664000000), "i-2020-w01");
  // Boundaries: the last millisecond of an hour and the first of the next.
  EXPECT_EQ(RotatedIndex("i", "OneHour", 1456405200000 - 1), "i-2016-02-25-12");
  EXPECT_EQ(RotatedIndex("i", "OneMonth", 1456790400000), "i-2016-03");  // 2016-03-01T00:00Z
  EXPECT_EQ(RotatedIndex("i", "OneMonth", 1456790400000 - 1), "i-2016-02");
}

OpenSearchDestination Config(std::string_view patch = "{}") {
  return *Parse(*FromCreateRequest(With(patch), Flavor::kOpenSearch), Flavor::kOpenSearch);
}

TEST(OpenSearchDeliveryTest, BulkBodyWithIdsTypesAndSplitting) {
  DeliveryOptions options;
  options.document_id_prefix = "abc-";
  options.max_request_bytes = 200;
  OpenSearchDelivery delivery(nullptr, Config(R"({"TypeName": "_doc", "IndexRotationPeriod": "OneDay"})"), options);
  std::vector<Record> records = {{R"({"a":1})" "\n", 1456405200000, "42", 0},
                                 {"{\"b\":\n 2}", 1456405200000, "42", 1},
                                 {"not json\nat all", 1456405200000, "43", 0}};
  auto payload = delivery.Encode("batch", records);
  ASSERT_TRUE(payload.ok());
  std::vector<std::string_view> requests = EncodedRequests(**payload);
  ASSERT_EQ(requests.size(), 2u);  // split at 200 bytes, never inside a record
  EXPECT_EQ(std::string(requests[0]) + std::string(requests[1]),
            R"({"index":{"_index":"logs-2016-02-25","_id":"abc-42.0","_type":"_doc"}})" "\n"
            R"({"a":1})" "\n"
            R"({"index":{"_index":"logs-2016-02-25","_id":"abc-42.1","_type":"_doc"}})" "\n"
            R"({"b":2})" "\n"
            R"({"index":{"_index":"logs-2016-02-25","_id":"abc-43.0","_type":"_doc"}})" "\n"
            "not json at all\n");

  OpenSearchDelivery without_ids(nullptr, Config(R"({"DocumentIdOptions": {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"}})"),
                                 options);
  auto plain = without_ids.Encode("batch", std::span(records).first(1));
  EXPECT_EQ(EncodedRequests(**plain)[0], R"({"index":{"_index":"logs-2016-02-25"}})" "\n" R"({"a":1})" "\n");
}

http::OutboundResponse Answer(long status, std::string body) {
  http::OutboundResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(OpenSearchDeliveryTest, BulkResponseItemsDecideEachRecord) {
  auto all = ClassifyBulkResponse(Answer(200, R"({"took":3,"errors":false,"items":[
      {"index":{"_index":"i","_id":"1","status":201}},{"index":{"_index":"i","_id":"2","status":200}}]})"), 2, "OS.");
  EXPECT_EQ(all.outcome, Outcome::kDelivered);
  EXPECT_TRUE(all.records.empty());

  auto some = ClassifyBulkResponse(Answer(200, R"({"took":3,"errors":true,"items":[
      {"index":{"_index":"i","_id":"1","status":201}},
      {"index":{"_index":"i","_id":"2","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse"}}},
      {"index":{"_index":"i","_id":"3","status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}},
      {"index":{"_index":"i","_id":"4","status":503,"error":{"type":"unavailable_shards_exception","reason":"x"}}}]})"),
                                   4, "OS.");
  EXPECT_EQ(some.outcome, Outcome::kRetryable);
  EXPECT_EQ(some.records, (std::vector<Outcome>{Outcome::kDelivered, Outcome::kFailed, Outcome::kRetryable,
                                                Outcome::kRetryable}));
  EXPECT_EQ(some.record_errors[1].code, "400");
  EXPECT_THAT(some.record_errors[1].message, HasSubstr("mapper_parsing_exception"));
  EXPECT_EQ(some.record_errors[2].code, "429");

  EXPECT_EQ(ClassifyBulkResponse(Answer(503, "busy"), 2, "OS.").error_code, "OS.ServiceException");
  EXPECT_EQ(ClassifyBulkResponse(Answer(403, "no"), 2, "ES.").error_code, "ES.AccessDenied");
  EXPECT_EQ(ClassifyBulkResponse(Answer(200, R"({"items":[]})"), 2, "OS.").error_code, "OS.MalformedResponse");
  EXPECT_EQ(ClassifyBulkResponse(Answer(200, "not json"), 1, "OS.").outcome, Outcome::kRetryable);
  http::OutboundResponse refused;
  refused.transport = http::OutboundResponse::Transport::kConnectFailed;
  EXPECT_EQ(ClassifyBulkResponse(refused, 1, "OS.").error_code, "OS.ConnectionFailed");
}

TEST(OpenSearchDeliveryTest, FailedDocumentsInTheServicesLayout) {
  DeliveryOptions options;
  options.document_id_prefix = "p-";
  OpenSearchDelivery delivery(nullptr, Config(R"({"TypeName": "t"})"), options);
  std::string out;
  delivery.AppendFailedRecord({"raw", 1456405200000, "7", 0}, {3, "400", "{\"type\":\"x\"}", 1456405300000}, &out);
  EXPECT_EQ(out, R"({"attemptsMade":3,"arrivalTimestamp":1456405200000,"errorCode":"400","errorMessage":"{\"type\":\"x\"}",)"
                 R"("attemptEndingTimestamp":1456405300000,"esDocumentId":"p-7.0","esIndexName":"logs-2016-02-25",)"
                 R"("esTypeName":"t","rawData":")" + Base64Encode("raw") + "\"}\n");
  EXPECT_EQ(delivery.failed_output_type(), "AmazonOpenSearchService-failed");

  OpenSearchDestination serverless = *Parse(With(R"({"ClusterEndpoint": null, "CollectionEndpoint": "https://c"})"),
                                            Flavor::kServerless);
  std::string os_out;
  OpenSearchDelivery(nullptr, serverless, options).AppendFailedRecord({"raw", 0, "7", 0}, {1, "400", "m", 0}, &os_out);
  EXPECT_THAT(os_out, HasSubstr(R"("osDocumentId":"p-7.0","osIndexName":"logs","rawData")"));
}

TEST(OpenSearchKindTest, DomainsFromTheConfigFile) {
  auto domains = ParseDomains(json::parse(R"([
      {"domain_arn": "arn:aws:es:us-east-1:123456789012:domain/logs", "endpoint": "http://127.0.0.1:9200",
       "username": "admin", "password": "pw"},
      {"endpoint": "https://c.example.com", "sigv4": {"service": "aoss", "region": "us-east-1",
       "access_key_id": "AK", "secret_access_key": "SK"}}])").as_array());
  ASSERT_TRUE(domains.ok()) << domains.status().ToString();
  ASSERT_EQ(domains->size(), 2u);
  EXPECT_EQ((*domains)[0].username, "admin");
  EXPECT_EQ((*domains)[1].sigv4_service, "aoss");
  EXPECT_FALSE(ParseDomains(json::parse(R"([{"endpoint": "x"}])").as_array()).ok());
  EXPECT_FALSE(ParseDomains(json::parse(R"([{"endpoint": "http://x", "sigv4": {"service": "s3"}}])").as_array()).ok());
  EXPECT_FALSE(ParseDomains(json::parse(R"([{"endpoint": "http://x", "colour": "red"}])").as_array()).ok());
}

}  // namespace
}  // namespace hydrant::destination::opensearch
