// Tests of each built-in processor against the service's documented behaviour.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "processor/append_delimiter_processor.h"
#include "processor/cloudwatch_log_processor.h"
#include "processor/decompression_processor.h"
#include "processor/kpl_aggregation.h"
#include "processor/metadata_extraction_processor.h"
#include "processor/record_deaggregation_processor.h"
#include "processor/test_util.h"

namespace hydrant::processor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::hydrant::processor::testing;

// --- AppendDelimiterToRecord ---

TEST(AppendDelimiterProcessorTest, AppendsNewlineToOkRecordsOnly) {
  RecordBatch batch = {MakeRecord("1", "{\"a\":1}"), MakeRecord("2", "x"), MakeRecord("3", "y")};
  batch[1].result = RecordResult::kDropped;
  batch[2].result = RecordResult::kProcessingFailed;
  AppendDelimiterProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre("{\"a\":1}\n", "x", "y"));
}

// --- Decompression ---

TEST(DecompressionProcessorTest, GunzipsRecords) {
  RecordBatch batch = {MakeRecord("1", Gzip("hello world")), MakeRecord("2", Gzip(""))};
  DecompressionProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre("hello world", ""));
  EXPECT_EQ(batch[0].result, RecordResult::kOk);
}

TEST(DecompressionProcessorTest, ConcatenatedGzipMembersDecompressToTheirConcatenation) {
  RecordBatch batch = {MakeRecord("1", Gzip("abc") + Gzip("def"))};
  DecompressionProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(batch[0].data, "abcdef");
}

TEST(DecompressionProcessorTest, NonGzipRecordFailsKeepingItsCompressedRawData) {
  std::string truncated = Gzip("some longer text that compresses");
  truncated.resize(truncated.size() - 6);
  RecordBatch batch = {MakeRecord("1", "plain text"), MakeRecord("2", truncated),
                       MakeRecord("3", Gzip("fine"))};
  DecompressionProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(batch[0].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[0].error_code, kDecompressionFailedCode);
  EXPECT_EQ(batch[0].raw_data, "plain text");
  EXPECT_EQ(batch[1].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[1].raw_data, truncated);
  EXPECT_EQ(batch[2].result, RecordResult::kOk);  // other records keep going
  EXPECT_EQ(batch[2].data, "fine");
}

TEST(DecompressionProcessorTest, OversizedOutputIsRefused) {
  std::string out;
  Status st = GunzipInto(Gzip(std::string(1 << 20, 'a')), &out, 1000);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
}

// --- CloudWatchLogProcessing ---

constexpr char kDataMessage[] = R"({"messageType":"DATA_MESSAGE","owner":"123456789012",
  "logGroup":"/aws/lambda/f","logStream":"2024/01/01/[$LATEST]abc",
  "subscriptionFilters":["to-firehose"],
  "logEvents":[{"id":"1","timestamp":1510109208016,"message":"log message 1"},
               {"id":"2","timestamp":1510109208017,"message":"{\"level\":\"INFO\"}"}]})";

TEST(CloudWatchLogProcessorTest, EachLogEventMessageBecomesARecord) {
  RecordBatch batch = {MakeRecord("r1", kDataMessage, 42), MakeRecord("r2", "x")};
  batch[1].result = RecordResult::kDropped;
  CloudWatchLogProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_THAT(Datas(batch), ElementsAre("log message 1", "{\"level\":\"INFO\"}", "x"));
  EXPECT_THAT(Ids(batch), ElementsAre("r1.0", "r1.1", "r2"));
  EXPECT_EQ(batch[1].arrival_millis, 42);
  EXPECT_EQ(batch[1].raw_data, kDataMessage);
}

TEST(CloudWatchLogProcessorTest, ControlMessageIsDropped) {
  RecordBatch batch = {MakeRecord("c", R"({"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs",
    "logGroup":"","logStream":"","subscriptionFilters":[],
    "logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]})")};
  CloudWatchLogProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].result, RecordResult::kDropped);
}

TEST(CloudWatchLogProcessorTest, NonCloudWatchPayloadFails) {
  RecordBatch batch = {
      MakeRecord("a", "not json"), MakeRecord("b", R"({"hello":1})"),
      MakeRecord("c", R"({"messageType":"DATA_MESSAGE","logEvents":[{"id":"1"}]})")};
  CloudWatchLogProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  for (const Record& r : batch) {
    EXPECT_EQ(r.result, RecordResult::kProcessingFailed) << r.record_id;
    EXPECT_EQ(r.error_code, kCloudWatchLogProcessingFailedCode);
  }
}

// --- KPL aggregation ---

TEST(KplAggregationTest, DecodesUserRecordsInOrder) {
  std::string agg = KplAggregate({"first", std::string("bin\0ary", 7), "{\"x\":3}"});
  auto records = DecodeKplAggregate(agg);
  ASSERT_TRUE(records.has_value());
  EXPECT_THAT(*records, ElementsAre("first", std::string("bin\0ary", 7), "{\"x\":3}"));
}

TEST(KplAggregationTest, LargeRecordUsesMultiByteLengths) {
  std::string big(300000, 'z');
  auto records = DecodeKplAggregate(KplAggregate({big, "s"}));
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ((*records)[0], big);
  EXPECT_EQ((*records)[1], "s");
}

TEST(KplAggregationTest, NotAnAggregateWhenMagicOrChecksumIsWrong) {
  std::string agg = KplAggregate({"a", "b"});
  std::string bad_md5 = agg;
  bad_md5.back() ^= 1;
  std::string bad_magic = agg;
  bad_magic[0] = 'x';
  EXPECT_FALSE(DecodeKplAggregate(bad_md5).has_value());
  EXPECT_FALSE(DecodeKplAggregate(bad_magic).has_value());
  EXPECT_FALSE(DecodeKplAggregate("plain record").has_value());
}

TEST(KplDeaggregationProcessorTest, ExpandsAggregatesAndPassesOthersThrough) {
  RecordBatch batch = {MakeRecord("1", KplAggregate({"a", "b", "c"}), 7), MakeRecord("2", "plain")};
  KplDeaggregationProcessor p;
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre("a", "b", "c", "plain"));
  EXPECT_THAT(Ids(batch), ElementsAre("1.0", "1.1", "1.2", "2"));
  EXPECT_EQ(batch[2].arrival_millis, 7);
}

// --- RecordDeAggregation ---

TEST(RecordDeAggregationTest, JsonSplitsConcatenatedAndNewlineDelimitedObjects) {
  using T = RecordDeAggregationProcessor::SubRecordType;
  RecordDeAggregationProcessor p(T::kJson, "");
  RecordBatch batch = {MakeRecord("a", R"({"a":1}{"a":2})"),
                       MakeRecord("b", "{\"a\":3}\n{\"s\":\"}{\\\"\",\"n\":{\"m\":[1,2]}}\n"),
                       MakeRecord("c", R"({"only":true})")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre(R"({"a":1})", R"({"a":2})", R"({"a":3})",
                                        R"({"s":"}{\"","n":{"m":[1,2]}})", R"({"only":true})"));
  EXPECT_THAT(Ids(batch), ElementsAre("a.0", "a.1", "b.0", "b.1", "c"));
}

TEST(RecordDeAggregationTest, JsonArrayOrMalformedInputFails) {
  using T = RecordDeAggregationProcessor::SubRecordType;
  RecordDeAggregationProcessor p(T::kJson, "");
  RecordBatch batch = {MakeRecord("arr", R"([{"a":1}, {"a":2}])"),
                       MakeRecord("bad", R"({"a":1}{"a":)"), MakeRecord("text", "hello"),
                       MakeRecord("ok", R"({"a":1})")};
  ASSERT_TRUE(p.Process(batch).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(batch[i].result, RecordResult::kProcessingFailed) << batch[i].record_id;
    EXPECT_EQ(batch[i].error_code, kDeAggregationFailedCode);
  }
  EXPECT_EQ(batch[3].result, RecordResult::kOk);
}

TEST(RecordDeAggregationTest, MoreThan500SubRecordsFails) {
  std::string data;
  for (int i = 0; i < 500; ++i) data += R"({"i":1})";
  std::vector<std::string> out;
  std::string error;
  EXPECT_TRUE(SplitJsonObjects(data, &out, &error));
  EXPECT_EQ(out.size(), 500u);
  out.clear();
  EXPECT_FALSE(SplitJsonObjects(data + R"({"i":2})", &out, &error));
  EXPECT_THAT(error, HasSubstr("500"));
}

TEST(RecordDeAggregationTest, DelimitedSplitsOnTheDelimiter) {
  using T = RecordDeAggregationProcessor::SubRecordType;
  RecordDeAggregationProcessor p(T::kDelimited, "####");
  RecordBatch batch = {MakeRecord("a", "one####two####three####"), MakeRecord("b", "single")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre("one", "two", "three", "single"));
  EXPECT_THAT(Ids(batch), ElementsAre("a.0", "a.1", "a.2", "b"));
}

TEST(RecordDeAggregationTest, KplAggregateOfJsonLinesIsFullyExpanded) {
  using T = RecordDeAggregationProcessor::SubRecordType;
  RecordDeAggregationProcessor p(T::kJson, "");
  RecordBatch batch = {MakeRecord("k", KplAggregate({R"({"a":1}{"a":2})", R"({"b":1})"}))};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre(R"({"a":1})", R"({"a":2})", R"({"b":1})"));
  EXPECT_THAT(Ids(batch), ElementsAre("k.0.0", "k.0.1", "k.1"));
  for (const Record& r : batch) EXPECT_EQ(r.raw_data, batch[0].raw_data);
}

// --- MetadataExtraction ---

std::unique_ptr<MetadataExtractionProcessor> Jq(const std::string& q) {
  auto p = MetadataExtractionProcessor::Create(q);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(*p);
}

TEST(MetadataExtractionTest, NestedFieldsAndStrftime) {
  // The example of the service's documentation: 1518037200 is 2018-02-07T21:00:00Z.
  auto p =
      Jq(R"({customer_id:.customer_id, device:.type.device, year:.event_timestamp|strftime("%Y"),)"
         R"( month:.event_timestamp|strftime("%m"), hour:.event_timestamp|strftime("%H")})");
  RecordBatch batch = {MakeRecord(
      "1", R"({"type":{"device":"mobile","event":"user_clicked_submit"},)"
           R"("customer_id":"1234567890","event_timestamp":1518037200,"region":"sample_value"})")};
  ASSERT_TRUE(p->Process(batch).ok());
  ASSERT_EQ(batch[0].result, RecordResult::kOk);
  EXPECT_EQ(batch[0].partition_keys,
            (std::map<std::string, std::string>{{"customer_id", "1234567890"},
                                                {"device", "mobile"},
                                                {"year", "2018"},
                                                {"month", "02"},
                                                {"hour", "21"}}));
  EXPECT_EQ(batch[0].data, batch[0].raw_data);  // data is not changed
}

// Records are parsed by simdjson and handed to jq as jq's own parser would have built them;
// what simdjson refuses goes to jq's parser. Expected values: the jq 1.6 command line.
TEST(MetadataExtractionTest, ParsesRecordsAsJq16Does) {
  auto p = Jq("{k: (.x|tojson)}");
  const std::pair<std::string, std::string> cases[] = {
      {R"({"x":1.0})", "1"},
      {R"({"x":100000000000000000001})", "1e+20"},
      {R"({"x":-0})", "-0"},
      {R"({"x":1e400})", "1.7976931348623157e+308"},  // out of simdjson's range: jq's parser
      {R"({"x":"\u00e9"})", "\"\xc3\xa9\""},
      {R"({"x":9007199254740993})", "9007199254740992"},
      {R"({"x":[1,{"a":null},true]})", R"([1,{"a":null},true])"},
      {R"({"x":1,"x":2})", "2"},
      {"{\"x\":\"a\xff" "b\"}", "\"a\xef\xbf\xbd" "b\""},  // invalid UTF-8: jq's replacement
  };
  for (const auto& [input, expected] : cases) {
    RecordBatch batch = {MakeRecord("1", input)};
    ASSERT_TRUE(p->Process(batch).ok());
    ASSERT_EQ(batch[0].result, RecordResult::kOk) << input;
    EXPECT_EQ(batch[0].partition_keys.at("k"), expected) << input;
  }
}

TEST(MetadataExtractionTest, NumbersAndOtherJq16Builtins) {
  auto p = Jq(R"({n:.count, f:.ratio, day:(.ts|todate|.[0:10]), up:(.name|ascii_upcase),)"
              R"( first:(.path|split("/")|.[1])})");
  RecordBatch batch = {
      MakeRecord("1", R"({"count":42,"ratio":1.5,"ts":1700000000,"name":"ab","path":"/x/y"})")};
  ASSERT_TRUE(p->Process(batch).ok());
  ASSERT_EQ(batch[0].result, RecordResult::kOk) << batch[0].error_message;
  EXPECT_EQ(batch[0].partition_keys,
            (std::map<std::string, std::string>{
                {"n", "42"}, {"f", "1.5"}, {"day", "2023-11-14"}, {"up", "AB"}, {"first", "x"}}));
}

TEST(MetadataExtractionTest, FailuresAreProcessingFailedWithTheServiceErrorCode) {
  auto p = Jq("{id:.id, v:(.v|tonumber)}");
  RecordBatch batch = {MakeRecord("notjson", "this is not json"),
                       MakeRecord("missing", R"({"v":"1"})"),              // .id is null
                       MakeRecord("error", R"({"id":"a","v":"abc"})"),     // tonumber fails
                       MakeRecord("object", R"({"id":{"x":1},"v":"1"})"),  // value not scalar
                       MakeRecord("ok", R"({"id":"a","v":"7"})")};
  ASSERT_TRUE(p->Process(batch).ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(batch[i].result, RecordResult::kProcessingFailed) << batch[i].record_id;
    EXPECT_EQ(batch[i].error_code, "DynamicPartitioning.MetadataExtractionFailed");
    EXPECT_FALSE(batch[i].error_message.empty());
  }
  EXPECT_EQ(batch[4].result, RecordResult::kOk);
  EXPECT_EQ(batch[4].partition_keys, (std::map<std::string, std::string>{{"id", "a"}, {"v", "7"}}));
}

TEST(MetadataExtractionTest, QueryNotProducingAnObjectFails) {
  auto p = Jq(".a");
  RecordBatch batch = {MakeRecord("1", R"({"a":"x"})"), MakeRecord("2", R"({"a":"x"})")};
  batch[1].result = RecordResult::kDropped;
  ASSERT_TRUE(p->Process(batch).ok());
  EXPECT_EQ(batch[0].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[1].result, RecordResult::kDropped);  // untouched
}

TEST(MetadataExtractionTest, MergesWithKeysFromAnEarlierProcessor) {
  auto p = Jq("{a:.a}");
  RecordBatch batch = {MakeRecord("1", R"({"a":"new"})")};
  batch[0].partition_keys = {{"a", "old"}, {"lambda_key", "v"}};
  ASSERT_TRUE(p->Process(batch).ok());
  EXPECT_EQ(batch[0].partition_keys,
            (std::map<std::string, std::string>{{"a", "new"}, {"lambda_key", "v"}}));
}

TEST(MetadataExtractionTest, MoreThan50KeysFails) {
  std::string q = "{";
  for (int i = 0; i < 51; ++i) q += (i ? ",k" : "k") + std::to_string(i) + ":.a";
  q += "}";
  auto p = Jq(q);
  RecordBatch batch = {MakeRecord("1", R"({"a":"x"})")};
  ASSERT_TRUE(p->Process(batch).ok());
  EXPECT_EQ(batch[0].result, RecordResult::kProcessingFailed);
}

TEST(MetadataExtractionTest, InvalidQueryIsRejectedAtCreation) {
  auto p = MetadataExtractionProcessor::Create("{a: .b | }");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("MetadataExtractionQuery"));
}

TEST(MetadataExtractionTest, ProcessorIsReusableAcrossManyRecords) {
  auto p = Jq("{k:.k}");
  RecordBatch batch;
  for (int i = 0; i < 2000; ++i) {
    batch.push_back(
        MakeRecord(std::to_string(i), i % 3 ? "{\"k\":\"" + std::to_string(i) + "\"}" : "bad"));
  }
  ASSERT_TRUE(p->Process(batch).ok());
  for (int i = 0; i < 2000; ++i) {
    if (i % 3) {
      ASSERT_EQ(batch[i].partition_keys.at("k"), std::to_string(i));
    } else {
      ASSERT_EQ(batch[i].result, RecordResult::kProcessingFailed);
    }
  }
}

}  // namespace
}  // namespace hydrant::processor
