// Tests of ProcessingConfiguration validation (every error) and chain construction.
#include "processor/processing_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "processor/test_util.h"

namespace hydrant::processor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::hydrant::processor::testing;

boost::json::object Config(std::string_view json) { return boost::json::parse(json).as_object(); }

// A config with Enabled=true and one processor of `type` with the given parameters.
boost::json::object One(std::string_view type,
                        std::vector<std::pair<std::string, std::string>> params) {
  boost::json::array ps;
  for (auto& [n, v] : params)
    ps.push_back(boost::json::object{{"ParameterName", n}, {"ParameterValue", v}});
  boost::json::object p{{"Type", type}};
  if (!params.empty()) p["Parameters"] = ps;
  return boost::json::object{{"Enabled", true}, {"Processors", boost::json::array{p}}};
}

Status Validate(const boost::json::object& c) { return ValidateProcessingConfiguration(c); }

void ExpectInvalid(const boost::json::object& c, std::string_view fragment) {
  Status st = Validate(c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr(std::string(fragment)));
}

// --- valid configurations ---

TEST(ValidateProcessingConfigurationTest, AcceptsEveryDocumentedProcessor) {
  EXPECT_TRUE(
      Validate(One("Lambda", {{"LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f"},
                              {"NumberOfRetries", "3"},
                              {"RoleArn", "arn:aws:iam::123456789012:role/r"},
                              {"BufferSizeInMBs", "0.2"},
                              {"BufferIntervalInSeconds", "60"}}))
          .ok());
  EXPECT_TRUE(
      Validate(One("MetadataExtraction", {{"MetadataExtractionQuery", "{customer_id:.customer_id}"},
                                          {"JsonParsingEngine", "JQ-1.6"}}))
          .ok());
  EXPECT_TRUE(Validate(One("RecordDeAggregation", {{"SubRecordType", "JSON"}})).ok());
  EXPECT_TRUE(Validate(One("RecordDeAggregation",
                           {{"SubRecordType", "DELIMITED"}, {"Delimiter", "IyMjIw=="}}))
                  .ok());
  EXPECT_TRUE(Validate(One("AppendDelimiterToRecord", {})).ok());
  EXPECT_TRUE(Validate(One("Decompression", {{"CompressionFormat", "GZIP"}})).ok());
  EXPECT_TRUE(Validate(One("Decompression", {})).ok());
  EXPECT_TRUE(Validate(Config(R"({"Enabled":true,"Processors":[
      {"Type":"Decompression","Parameters":[{"ParameterName":"CompressionFormat","ParameterValue":"GZIP"}]},
      {"Type":"CloudWatchLogProcessing","Parameters":[{"ParameterName":"DataMessageExtraction","ParameterValue":"true"}]}]})"))
                  .ok());
  EXPECT_TRUE(Validate(Config("{}")).ok());
}

TEST(ValidateProcessingConfigurationTest,
     DisabledConfigurationSkipsServiceRulesButNotModelConstraints) {
  auto c = One("Lambda", {});  // missing LambdaArn
  c["Enabled"] = false;
  EXPECT_TRUE(Validate(c).ok());
  auto bad_type = One("Bogus", {});
  bad_type["Enabled"] = false;
  EXPECT_EQ(Validate(bad_type).code(), StatusCode::kValidation);
}

// --- JSON types ---

TEST(ValidateProcessingConfigurationTest, WrongJsonTypesAreMalformed) {
  EXPECT_EQ(Validate(Config(R"({"Enabled":"true"})")).code(), StatusCode::kMalformed);
  EXPECT_EQ(Validate(Config(R"({"Enabled":true,"Processors":{}})")).code(), StatusCode::kMalformed);
  EXPECT_EQ(Validate(Config(R"({"Enabled":true,"Processors":[{"Type":1}]})")).code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Validate(Config(R"({"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":[
      {"ParameterName":"LambdaArn","ParameterValue":5}]}]})"))
                .code(),
            StatusCode::kMalformed);
}

// --- model constraints (ValidationException), with the service's exact wording ---

TEST(ValidateProcessingConfigurationTest, UnknownTypeFailsTheEnum) {
  Status st = Validate(One("Bogus", {}));
  EXPECT_EQ(st.code(), StatusCode::kValidation);
  EXPECT_EQ(
      st.message(),
      "1 validation error detected: Value at "
      "'extendedS3DestinationConfiguration.processingConfiguration"
      ".processors.1.member.type' failed to satisfy constraint: Member must satisfy enum value "
      "set: "
      "[Decompression, Lambda, RecordDeAggregation, MetadataExtraction, AppendDelimiterToRecord, "
      "CloudWatchLogProcessing]");
}

TEST(ValidateProcessingConfigurationTest, UnknownParameterNameFailsTheEnumWithTheGivenPath) {
  ValidationContext ctx;
  ctx.member_path = "extendedS3DestinationUpdate.processingConfiguration";
  Status st =
      ValidateProcessingConfiguration(One("Lambda", {{"LambdaArn", "a"}, {"Bogus", "v"}}), ctx);
  EXPECT_EQ(st.code(), StatusCode::kValidation);
  EXPECT_EQ(
      st.message(),
      "1 validation error detected: Value at 'extendedS3DestinationUpdate.processingConfiguration"
      ".processors.1.member.parameters.2.member.parameterName' failed to satisfy constraint: "
      "Member "
      "must satisfy enum value set: [DataMessageExtraction, NumberOfRetries, Delimiter, RoleArn, "
      "JsonParsingEngine, SubRecordType, MetadataExtractionQuery, BufferIntervalInSeconds, "
      "LambdaArn, "
      "BufferSizeInMBs, CompressionFormat]");
}

TEST(ValidateProcessingConfigurationTest, MissingTypeAndParameterMembersAreNullViolations) {
  Status st = Validate(Config(R"({"Enabled":true,"Processors":[{"Parameters":[{}]}]})"));
  EXPECT_EQ(st.code(), StatusCode::kValidation);
  EXPECT_THAT(st.message(), HasSubstr("3 validation errors detected: "));
  EXPECT_THAT(
      st.message(),
      HasSubstr("processors.1.member.type' failed to satisfy constraint: Member must not be null"));
  EXPECT_THAT(st.message(), HasSubstr("parameters.1.member.parameterName' failed to satisfy "
                                      "constraint: Member must not be null"));
  EXPECT_THAT(st.message(), HasSubstr("parameters.1.member.parameterValue' failed to satisfy "
                                      "constraint: Member must not be null"));
}

TEST(ValidateProcessingConfigurationTest, EmptyValueFailsLengthThenPattern) {
  Status st = Validate(One("Lambda", {{"LambdaArn", ""}}));
  EXPECT_EQ(st.code(), StatusCode::kValidation);
  EXPECT_EQ(st.message(),
            "2 validation errors detected: Value at "
            "'extendedS3DestinationConfiguration.processingConfiguration"
            ".processors.1.member.parameters.1.member.parameterValue' failed to satisfy "
            "constraint: Member must "
            "have length greater than or equal to 1; Value at 'extendedS3DestinationConfiguration"
            ".processingConfiguration.processors.1.member.parameters.1.member.parameterValue' "
            "failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^(?!\\s*$).+");
}

TEST(ValidateProcessingConfigurationTest, BlankOrOverlongValueFails) {
  EXPECT_EQ(Validate(One("Lambda", {{"LambdaArn", "   "}})).code(), StatusCode::kValidation);
  EXPECT_THAT(Validate(One("Lambda", {{"LambdaArn", std::string(5121, 'a')}})).message(),
              HasSubstr("Member must have length less than or equal to 5120"));
}

// --- service rules (InvalidArgumentException) ---

TEST(ValidateProcessingConfigurationTest, DuplicateProcessorType) {
  ExpectInvalid(Config(R"({"Enabled":true,"Processors":[{"Type":"AppendDelimiterToRecord"},
                                                         {"Type":"AppendDelimiterToRecord"}]})"),
                "Processor type AppendDelimiterToRecord is specified more than once");
}

TEST(ValidateProcessingConfigurationTest, ParameterNotSupportedByType) {
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"SubRecordType", "JSON"}}),
                "Processor parameter SubRecordType is not supported for processor type Lambda");
  ExpectInvalid(One("Decompression", {{"DataMessageExtraction", "true"}}),
                "Processor parameter DataMessageExtraction is not supported for processor type "
                "Decompression");
}

TEST(ValidateProcessingConfigurationTest, DuplicateParameter) {
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"LambdaArn", "b"}}),
                "Processor parameter LambdaArn is specified more than once");
}

TEST(ValidateProcessingConfigurationTest, MissingRequiredParameters) {
  ExpectInvalid(One("Lambda", {{"NumberOfRetries", "3"}}),
                "Processor type Lambda requires the processor parameter LambdaArn");
  ExpectInvalid(One("MetadataExtraction", {{"JsonParsingEngine", "JQ-1.6"}}),
                "requires the processor parameter MetadataExtractionQuery");
  ExpectInvalid(One("MetadataExtraction", {{"MetadataExtractionQuery", "{a:.a}"}}),
                "requires the processor parameter JsonParsingEngine");
  ExpectInvalid(One("RecordDeAggregation", {}), "requires the processor parameter SubRecordType");
  ExpectInvalid(One("RecordDeAggregation", {{"SubRecordType", "DELIMITED"}}),
                "requires the processor parameter Delimiter");
  ExpectInvalid(
      Config(
          R"({"Enabled":true,"Processors":[{"Type":"Decompression"},{"Type":"CloudWatchLogProcessing"}]})"),
      "requires the processor parameter DataMessageExtraction");
}

TEST(ValidateProcessingConfigurationTest, LambdaValueRanges) {
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"NumberOfRetries", "301"}}), "NumberOfRetries");
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"NumberOfRetries", "three"}}),
                "NumberOfRetries");
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"BufferSizeInMBs", "0.1"}}), "BufferSizeInMBs");
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"BufferSizeInMBs", "4"}}), "BufferSizeInMBs");
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"BufferIntervalInSeconds", "901"}}),
                "BufferIntervalInSeconds");
  ExpectInvalid(One("Lambda", {{"LambdaArn", "a"}, {"BufferIntervalInSeconds", "1.5"}}),
                "BufferIntervalInSeconds");
  EXPECT_TRUE(Validate(One("Lambda", {{"LambdaArn", "a"},
                                      {"NumberOfRetries", "0"},
                                      {"BufferSizeInMBs", "3"},
                                      {"BufferIntervalInSeconds", "900"}}))
                  .ok());
}

TEST(ValidateProcessingConfigurationTest, JsonParsingEngineMustBeJq16) {
  ExpectInvalid(One("MetadataExtraction",
                    {{"MetadataExtractionQuery", "{a:.a}"}, {"JsonParsingEngine", "JQ-1.7"}}),
                "MetaDataExtraction JSON Parsing Engine has to be one of JQ-1.6");
}

TEST(ValidateProcessingConfigurationTest, QueryMustCompile) {
  ExpectInvalid(One("MetadataExtraction",
                    {{"MetadataExtractionQuery", "{a: .a | }"}, {"JsonParsingEngine", "JQ-1.6"}}),
                "MetadataExtractionQuery is not a valid jq 1.6 expression");
}

TEST(ValidateProcessingConfigurationTest, DeAggregationValues) {
  ExpectInvalid(One("RecordDeAggregation", {{"SubRecordType", "CSV"}}),
                "must be one of JSON, DELIMITED");
  ExpectInvalid(One("RecordDeAggregation", {{"SubRecordType", "JSON"}, {"Delimiter", "IyMjIw=="}}),
                "Delimiter can only be specified when SubRecordType is DELIMITED");
  ExpectInvalid(One("RecordDeAggregation", {{"SubRecordType", "DELIMITED"}, {"Delimiter", "####"}}),
                "must be a base64-encoded non-empty string");
}

TEST(ValidateProcessingConfigurationTest, DecompressionAndCloudWatchValues) {
  ExpectInvalid(One("Decompression", {{"CompressionFormat", "ZIP"}}), "must be GZIP");
  ExpectInvalid(Config(R"({"Enabled":true,"Processors":[{"Type":"Decompression"},
      {"Type":"CloudWatchLogProcessing","Parameters":[{"ParameterName":"DataMessageExtraction","ParameterValue":"yes"}]}]})"),
                "must be true or false");
}

TEST(ValidateProcessingConfigurationTest, CloudWatchLogProcessingRequiresDecompression) {
  ExpectInvalid(One("CloudWatchLogProcessing", {{"DataMessageExtraction", "true"}}),
                "CloudWatchLogProcessing processor requires a Decompression processor");
}

TEST(ValidateProcessingConfigurationTest, MetadataExtractionRequiresDynamicPartitioning) {
  auto c = One("MetadataExtraction",
               {{"MetadataExtractionQuery", "{a:.a}"}, {"JsonParsingEngine", "JQ-1.6"}});
  ValidationContext ctx;
  ctx.dynamic_partitioning_enabled = false;
  Status st = ValidateProcessingConfiguration(c, ctx);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("dynamic partitioning"));
  ctx.dynamic_partitioning_enabled = true;
  EXPECT_TRUE(ValidateProcessingConfiguration(c, ctx).ok());
}

// --- BuildChain ---

// A stand-in Lambda processor that tags every Ok record.
class TagProcessor : public Processor {
 public:
  Status Process(RecordBatch& batch) override {
    for (Record& r : batch) {
      if (r.result == RecordResult::kOk) r.data = "[" + r.data + "]";
    }
    return Status::Ok();
  }
};

Status RunChain(std::vector<std::unique_ptr<Processor>>& chain, RecordBatch& batch) {
  for (auto& p : chain) HYDRANT_RETURN_IF_ERROR(p->Process(batch));
  return Status::Ok();
}

TEST(BuildChainTest, CloudWatchLogsToLineDelimitedMessagesWhateverTheListOrder) {
  // Listed out of processing order on purpose: the service's order is fixed.
  auto chain = BuildChain(Config(R"({"Enabled":true,"Processors":[
      {"Type":"AppendDelimiterToRecord"},
      {"Type":"CloudWatchLogProcessing","Parameters":[{"ParameterName":"DataMessageExtraction","ParameterValue":"true"}]},
      {"Type":"Decompression","Parameters":[{"ParameterName":"CompressionFormat","ParameterValue":"GZIP"}]}]})"),
                          ChainContext{});
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_EQ(chain->size(), 3u);
  std::string payload = R"({"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s",
      "subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"m1"},
      {"id":"2","timestamp":2,"message":"m2"}]})";
  std::string control = R"({"messageType":"CONTROL_MESSAGE","logEvents":[]})";
  RecordBatch batch = {MakeRecord("a", Gzip(payload)), MakeRecord("b", Gzip(control)),
                       MakeRecord("c", "not gzip")};
  ASSERT_TRUE(RunChain(*chain, batch).ok());
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_THAT(Datas(batch), ElementsAre("m1\n", "m2\n", batch[2].data, "not gzip"));
  EXPECT_EQ(batch[2].result, RecordResult::kDropped);
  EXPECT_EQ(batch[3].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[3].raw_data, "not gzip");
}

TEST(BuildChainTest, DelimitedDeAggregationLambdaAndPartitioningInServiceOrder) {
  std::map<std::string, std::string> lambda_params;
  ChainContext ctx;
  ctx.lambda_factory =
      [&](const std::map<std::string, std::string>& params) -> Result<std::unique_ptr<Processor>> {
    lambda_params = params;
    return std::unique_ptr<Processor>(new TagProcessor());
  };
  auto chain = BuildChain(Config(R"({"Enabled":true,"Processors":[
      {"Type":"MetadataExtraction","Parameters":[
         {"ParameterName":"MetadataExtractionQuery","ParameterValue":"{k:.[0]}"},
         {"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]},
      {"Type":"Lambda","Parameters":[
         {"ParameterName":"LambdaArn","ParameterValue":"arn:aws:lambda:us-east-1:123456789012:function:f"},
         {"ParameterName":"NumberOfRetries","ParameterValue":"1"}]},
      {"Type":"RecordDeAggregation","Parameters":[
         {"ParameterName":"SubRecordType","ParameterValue":"DELIMITED"},
         {"ParameterName":"Delimiter","ParameterValue":"IyMjIw=="}]}]})"),
                          ctx);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(lambda_params, (std::map<std::string, std::string>{
                               {"LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f"},
                               {"NumberOfRetries", "1"}}));
  // De-aggregation first, then the "Lambda" wraps each piece in brackets, then jq reads the
  // Lambda's output: `.[0]` only works on the bracketed (transformed) pieces.
  RecordBatch batch = {MakeRecord("r", "\"ab\"####\"cd\"")};
  ASSERT_TRUE(RunChain(*chain, batch).ok());
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_THAT(Datas(batch), ElementsAre("[\"ab\"]", "[\"cd\"]"));
  ASSERT_EQ(batch[0].result, RecordResult::kOk) << batch[0].error_message;
  EXPECT_EQ(batch[0].partition_keys.at("k"), "ab");
  EXPECT_EQ(batch[1].partition_keys.at("k"), "cd");
}

TEST(BuildChainTest, QueryThatDoesNotCompileIsInvalidArgument) {
  auto chain = BuildChain(One("MetadataExtraction", {{"MetadataExtractionQuery", "{a: .a | }"},
                                                     {"JsonParsingEngine", "JQ-1.6"}}),
                          ChainContext{});
  EXPECT_EQ(chain.status().code(), StatusCode::kInvalidArgument);
}

TEST(BuildChainTest, PartitionKeysComeFromTheTransformedRecord) {
  ChainContext ctx;
  ctx.lambda_factory =
      [](const std::map<std::string, std::string>&) -> Result<std::unique_ptr<Processor>> {
    return std::unique_ptr<Processor>(new TagProcessor());
  };
  auto chain = BuildChain(Config(R"({"Enabled":true,"Processors":[
      {"Type":"MetadataExtraction","Parameters":[
         {"ParameterName":"MetadataExtractionQuery","ParameterValue":"{first:.[0].id}"},
         {"ParameterName":"JsonParsingEngine","ParameterValue":"JQ-1.6"}]},
      {"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"f"}]}]})"),
                          ctx);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  RecordBatch batch = {MakeRecord("r", R"({"id":"x1"})")};
  ASSERT_TRUE(RunChain(*chain, batch).ok());
  ASSERT_EQ(batch[0].result, RecordResult::kOk) << batch[0].error_message;
  EXPECT_EQ(batch[0].partition_keys.at("first"), "x1");
}

TEST(BuildChainTest, LambdaFactoryErrorsAndAbsenceAreReported) {
  auto config = One("Lambda", {{"LambdaArn", "f"}});
  EXPECT_EQ(BuildChain(config, ChainContext{}).status().code(), StatusCode::kFailedPrecondition);
  ChainContext ctx;
  ctx.lambda_factory =
      [](const std::map<std::string, std::string>&) -> Result<std::unique_ptr<Processor>> {
    return Status::NotFound("no such function");
  };
  EXPECT_EQ(BuildChain(config, ctx).status().code(), StatusCode::kNotFound);
}

TEST(BuildChainTest, DisabledOrInvalidConfiguration) {
  auto disabled = One("Lambda", {{"LambdaArn", "f"}});
  disabled["Enabled"] = false;
  bool called = false;
  ChainContext ctx;
  ctx.lambda_factory =
      [&](const std::map<std::string, std::string>&) -> Result<std::unique_ptr<Processor>> {
    called = true;
    return std::unique_ptr<Processor>(new TagProcessor());
  };
  auto chain = BuildChain(disabled, ctx);
  ASSERT_TRUE(chain.ok());
  EXPECT_TRUE(chain->empty());
  EXPECT_FALSE(called);
  EXPECT_EQ(BuildChain(One("Lambda", {}), ctx).status().code(), StatusCode::kInvalidArgument);
}

TEST(BuildChainTest, AbsentEnabledCountsAsEnabled) {
  auto chain =
      BuildChain(Config(R"({"Processors":[{"Type":"AppendDelimiterToRecord"}]})"), ChainContext{});
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->size(), 1u);
  EXPECT_EQ(Validate(Config(R"({"Processors":[{"Type":"Lambda"}]})")).code(),
            StatusCode::kInvalidArgument);
}

TEST(BuildChainTest, KinesisSourceSplitsKplAggregatesFirst) {
  ChainContext ctx;
  ctx.kpl_deaggregation = true;
  auto chain = BuildChain(One("AppendDelimiterToRecord", {}), ctx);
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  RecordBatch batch = {MakeRecord("s", KplAggregate({"a", "b"}))};
  ASSERT_TRUE(RunChain(*chain, batch).ok());
  EXPECT_THAT(Datas(batch), ElementsAre("a\n", "b\n"));
}

TEST(BuildChainTest, DataMessageExtractionFalseAddsNoExtractionStep) {
  auto chain = BuildChain(Config(R"({"Enabled":true,"Processors":[{"Type":"Decompression"},
      {"Type":"CloudWatchLogProcessing","Parameters":[{"ParameterName":"DataMessageExtraction","ParameterValue":"false"}]}]})"),
                          ChainContext{});
  ASSERT_TRUE(chain.ok());
  RecordBatch batch = {MakeRecord("a", Gzip(R"({"messageType":"DATA_MESSAGE","logEvents":[]})"))};
  ASSERT_TRUE(RunChain(*chain, batch).ok());
  EXPECT_EQ(batch[0].data, R"({"messageType":"DATA_MESSAGE","logEvents":[]})");
}

}  // namespace
}  // namespace hydrant::processor
