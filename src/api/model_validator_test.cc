// Tests for ServiceModel: every constraint kind with the service's exact message text.
#include "api/model_validator.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "common/base64.h"

namespace hydrant::api {
namespace {

namespace json = boost::json;
using Style = ServiceModel::ValueStyle;

Status Validate(std::string_view op, const json::value& body, Style style = Style::kOmitted) {
  return ServiceModel::Firehose().ValidateInput(op, body, style);
}
Status ValidateText(std::string_view op, std::string_view body, Style style = Style::kOmitted) {
  return Validate(op, json::parse(body), style);
}

void ExpectValidation(const Status& s, const std::string& message) {
  EXPECT_EQ(s.code(), StatusCode::kValidation) << s.ToString();
  EXPECT_EQ(s.message(), message);
}

constexpr char kRole[] = "arn:aws:iam::123456789012:role/FirehoseDeliveryRole";
constexpr char kBucket[] = "arn:aws:s3:::firehose-etl-demo-bucket";

// An ExtendedS3 CreateDeliveryStream body whose destination holds `extra` members too.
json::value CreateWithS3(const json::object& extra) {
  json::object dest{{"RoleARN", kRole}, {"BucketARN", kBucket}};
  for (const auto& kv : extra) dest[kv.key()] = kv.value();
  return json::object{{"DeliveryStreamName", "s"}, {"ExtendedS3DestinationConfiguration", dest}};
}

json::value RecordsOfSizes(std::initializer_list<size_t> sizes) {
  json::array records;
  for (size_t n : sizes)
    records.push_back(json::object{{"Data", Base64Encode(std::string(n, 'x'))}});
  return json::object{{"DeliveryStreamName", "s"}, {"Records", records}};
}

TEST(ServiceModelTest, KnowsEveryOperation) {
  const auto& model = ServiceModel::Firehose();
  for (const char* op :
       {"CreateDeliveryStream", "DeleteDeliveryStream", "DescribeDeliveryStream",
        "ListDeliveryStreams", "ListTagsForDeliveryStream", "PutRecord", "PutRecordBatch",
        "StartDeliveryStreamEncryption", "StopDeliveryStreamEncryption", "TagDeliveryStream",
        "UntagDeliveryStream", "UpdateDestination"}) {
    EXPECT_TRUE(model.HasOperation(op)) << op;
  }
  EXPECT_FALSE(model.HasOperation("CreateStream"));
  EXPECT_EQ(model.ValidateInput("CreateStream", json::object()).code(), StatusCode::kNotFound);
}

TEST(ServiceModelTest, PatternViolation) {
  const char* body = R"({"DeliveryStreamName": "bad name!"})";
  ExpectValidation(ValidateText("DescribeDeliveryStream", body),
                   "1 validation error detected: Value at 'deliveryStreamName' failed to satisfy "
                   "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  ExpectValidation(ValidateText("DescribeDeliveryStream", body, Style::kJava),
                   "1 validation error detected: Value 'bad name!' at 'deliveryStreamName' failed "
                   "to satisfy constraint: Member must satisfy regular expression pattern: "
                   "[a-zA-Z0-9_.-]+");
}

TEST(ServiceModelTest, PatternMustMatchTheWholeValue) {
  // "[a-zA-Z0-9_.-]+" finds "name" inside; Java's matches() needs all of it.
  EXPECT_EQ(ValidateText("DescribeDeliveryStream", R"({"DeliveryStreamName": "name\n"})").code(),
            StatusCode::kValidation);
  EXPECT_TRUE(ValidateText("DescribeDeliveryStream", R"({"DeliveryStreamName": "a-b_c.9"})").ok());
}

TEST(ServiceModelTest, RequiredMemberMissingOrNull) {
  const std::string omitted =
      "1 validation error detected: Value at 'deliveryStreamName' failed "
      "to satisfy constraint: Member must not be null";
  ExpectValidation(ValidateText("DeleteDeliveryStream", "{}"), omitted);
  ExpectValidation(ValidateText("DeleteDeliveryStream", R"({"DeliveryStreamName": null})"),
                   omitted);
  ExpectValidation(Validate("DeleteDeliveryStream", json::value(nullptr)), omitted);
  ExpectValidation(ValidateText("DeleteDeliveryStream", "{}", Style::kJava),
                   "1 validation error detected: Value null at 'deliveryStreamName' failed to "
                   "satisfy constraint: Member must not be null");
}

TEST(ServiceModelTest, StringLengthBounds) {
  json::value too_long = json::object{{"DeliveryStreamName", std::string(65, 'a')}};
  ExpectValidation(Validate("DescribeDeliveryStream", too_long),
                   "1 validation error detected: Value at 'deliveryStreamName' failed to satisfy "
                   "constraint: Member must have length less than or equal to 64");
  EXPECT_TRUE(
      Validate("DescribeDeliveryStream", json::object{{"DeliveryStreamName", std::string(64, 'a')}})
          .ok());
  // Empty breaks the minimum and the pattern, printed in that order.
  ExpectValidation(ValidateText("DescribeDeliveryStream", R"({"DeliveryStreamName": ""})"),
                   "2 validation errors detected: Value at 'deliveryStreamName' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 1; Value at "
                   "'deliveryStreamName' failed to satisfy constraint: Member must satisfy "
                   "regular expression pattern: [a-zA-Z0-9_.-]+");
}

TEST(ServiceModelTest, StringLengthCountsUtf16Units) {
  // Prefix: max 1024, pattern ".*". U+1F600 is two UTF-16 units, Hangul one.
  std::string emoji = "\xF0\x9F\x98\x80";
  std::string at_limit, over;
  for (int i = 0; i < 512; ++i) at_limit += emoji;
  over = at_limit + "\xED\x95\x9C";  // one more unit: 1025
  EXPECT_TRUE(Validate("CreateDeliveryStream", CreateWithS3({{"Prefix", at_limit}})).ok());
  ExpectValidation(Validate("CreateDeliveryStream", CreateWithS3({{"Prefix", over}})),
                   "1 validation error detected: Value at "
                   "'extendedS3DestinationConfiguration.prefix' failed to satisfy constraint: "
                   "Member must have length less than or equal to 1024");
}

TEST(ServiceModelTest, DotExcludesLineTerminatorsAsInJava) {
  ExpectValidation(Validate("CreateDeliveryStream", CreateWithS3({{"Prefix", "a\nb"}})),
                   "1 validation error detected: Value at "
                   "'extendedS3DestinationConfiguration.prefix' failed to satisfy constraint: "
                   "Member must satisfy regular expression pattern: .*");
  EXPECT_TRUE(
      Validate("CreateDeliveryStream", CreateWithS3({{"Prefix", "a\tb\xE2\x80\x83"}})).ok());
}

// HttpEndpointUrl: the service's pattern is https://.*; Hydrant's model also allows http://.
TEST(ServiceModelTest, HttpEndpointUrlIsHttpsOrHttp) {
  auto create = [](std::string_view url) {
    return json::object{
        {"DeliveryStreamName", "s"},
        {"HttpEndpointDestinationConfiguration",
         {{"EndpointConfiguration", {{"Url", url}}},
          {"S3Configuration", {{"RoleARN", kRole}, {"BucketARN", kBucket}}}}}};
  };
  EXPECT_TRUE(Validate("CreateDeliveryStream", create("https://receiver.example.com/in")).ok());
  EXPECT_TRUE(Validate("CreateDeliveryStream", create("http://127.0.0.1:8080/in")).ok());
  // The URL is sensitive: the Java style leaves its value out too.
  for (Style style : {Style::kOmitted, Style::kJava}) {
    ExpectValidation(Validate("CreateDeliveryStream", create("ftp://receiver.example.com/"), style),
                     "1 validation error detected: Value at "
                     "'httpEndpointDestinationConfiguration.endpointConfiguration.url' failed to "
                     "satisfy constraint: Member must satisfy regular expression pattern: https?://.*");
  }
}

TEST(ServiceModelTest, IntegerRange) {
  json::value big = CreateWithS3({{"BufferingHints", json::object{{"SizeInMBs", 200}}}});
  ExpectValidation(Validate("CreateDeliveryStream", big, Style::kJava),
                   "1 validation error detected: Value '200' at "
                   "'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to "
                   "satisfy constraint: Member must have value less than or equal to 128");
  json::value zero = CreateWithS3({{"BufferingHints", json::object{{"SizeInMBs", 0}}}});
  ExpectValidation(Validate("CreateDeliveryStream", zero),
                   "1 validation error detected: Value at "
                   "'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to "
                   "satisfy constraint: Member must have value greater than or equal to 1");
  // Jackson truncates a fraction toward the floor before the range check.
  EXPECT_TRUE(Validate("CreateDeliveryStream",
                       CreateWithS3({{"BufferingHints", json::object{{"SizeInMBs", 128.9}}}}))
                  .ok());
  EXPECT_EQ(Validate("CreateDeliveryStream",
                     CreateWithS3({{"BufferingHints", json::object{{"SizeInMBs", 0.5}}}}))
                .code(),
            StatusCode::kValidation);
}

TEST(ServiceModelTest, DoubleRange) {
  json::object orc{{"BloomFilterFalsePositiveProbability", 1.5}};
  json::value body = CreateWithS3(
      {{"DataFormatConversionConfiguration",
        json::object{{"OutputFormatConfiguration",
                      json::object{{"Serializer", json::object{{"OrcSerDe", orc}}}}}}}});
  ExpectValidation(Validate("CreateDeliveryStream", body, Style::kJava),
                   "1 validation error detected: Value '1.5' at 'extendedS3DestinationConfiguration"
                   ".dataFormatConversionConfiguration.outputFormatConfiguration.serializer"
                   ".orcSerDe.bloomFilterFalsePositiveProbability' failed to satisfy constraint: "
                   "Member must have value less than or equal to 1");
}

TEST(ServiceModelTest, EnumViolation) {
  ExpectValidation(
      Validate("CreateDeliveryStream", CreateWithS3({{"CompressionFormat", "FOO"}}), Style::kJava),
      "1 validation error detected: Value 'FOO' at "
      "'extendedS3DestinationConfiguration.compressionFormat' failed to satisfy "
      "constraint: Member must satisfy enum value set: "
      "[UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]");
  EXPECT_TRUE(
      Validate("CreateDeliveryStream", CreateWithS3({{"CompressionFormat", "Snappy"}})).ok());
}

TEST(ServiceModelTest, SeedTutorialConfigPasses) {
  // /work/shared/seed/s3-config.json, as create-delivery-stream.sh sends it.
  json::value config = json::parse(R"({
    "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
    "BucketARN": "arn:aws:s3:::firehose-etl-demo-bucket",
    "Prefix": "etl-output/",
    "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
    "CompressionFormat": "UNCOMPRESSED",
    "ProcessingConfiguration": {
      "Enabled": true,
      "Processors": [{
        "Type": "Lambda",
        "Parameters": [{
          "ParameterName": "LambdaArn",
          "ParameterValue": "arn:aws:lambda:ap-northeast-2:123456789012:function:TransformETLFunction"
        }]
      }]
    }
  })");
  json::value body = json::object{{"DeliveryStreamName", "etl-demo-stream"},
                                  {"DeliveryStreamType", "DirectPut"},
                                  {"ExtendedS3DestinationConfiguration", config}};
  Status s = Validate("CreateDeliveryStream", body);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(ServiceModelTest, ProcessorPathsAndOrder) {
  json::value body = CreateWithS3({{"ProcessingConfiguration", json::parse(R"({
    "Processors": [{"Type": "Lambda", "Parameters": []},
                   {"Type": "Bogus", "Parameters": [{"ParameterName": "LambdaArn"}]}]})")}});
  ExpectValidation(
      Validate("CreateDeliveryStream", body),
      "2 validation errors detected: Value at 'extendedS3DestinationConfiguration."
      "processingConfiguration.processors.2.member.type' failed to satisfy constraint: Member "
      "must satisfy enum value set: [RecordDeAggregation, Decompression, CloudWatchLogProcessing, "
      "Lambda, MetadataExtraction, AppendDelimiterToRecord]; Value at "
      "'extendedS3DestinationConfiguration.processingConfiguration.processors.2.member."
      "parameters.1.member.parameterValue' failed to satisfy constraint: Member must not be null");
}

TEST(ServiceModelTest, MembersReportedInServiceOrder) {
  // Probed on the service: maxPaddingBytes, blockSizeBytes, pageSizeBytes, compression,
  // writerVersion (Java HashMap order, not model order). Enum sets print in model order.
  json::object parquet{{"BlockSizeBytes", 1},
                       {"PageSizeBytes", 1},
                       {"Compression", "X"},
                       {"MaxPaddingBytes", -1},
                       {"WriterVersion", "V9"}};
  json::value body = CreateWithS3(
      {{"DataFormatConversionConfiguration",
        json::object{{"OutputFormatConfiguration",
                      json::object{{"Serializer", json::object{{"ParquetSerDe", parquet}}}}}}}});
  const std::string p =
      "Value at 'extendedS3DestinationConfiguration.dataFormatConversion"
      "Configuration.outputFormatConfiguration.serializer.parquetSerDe.";
  ExpectValidation(
      Validate("CreateDeliveryStream", body),
      "5 validation errors detected: " + p +
          "maxPaddingBytes' failed to satisfy constraint: Member must have value "
          "greater than or equal to 0; " +
          p +
          "blockSizeBytes' failed to satisfy constraint: Member must have value greater "
          "than or equal to 67108864; " +
          p +
          "pageSizeBytes' failed to satisfy constraint: Member must have value greater "
          "than or equal to 65536; " +
          p +
          "compression' failed to satisfy constraint: Member must satisfy enum value "
          "set: [UNCOMPRESSED, GZIP, SNAPPY]; " +
          p +
          "writerVersion' failed to satisfy constraint: Member must satisfy enum value "
          "set: [V1, V2]");
}

TEST(ServiceModelTest, LargeStructuresFollowTheGrownHashMap) {
  // 19 members: a HashMap of 32 buckets, whose order java.util.HashMap itself confirms:
  // ... prefix, ..., compressionFormat, ..., bucketARN, roleARN, ...
  json::value body = json::object{{"DeliveryStreamName", "s"},
                                  {"ExtendedS3DestinationConfiguration",
                                   json::object{{"CompressionFormat", "zip"}, {"Prefix", "\n"}}}};
  const std::string at = "Value at 'extendedS3DestinationConfiguration.";
  ExpectValidation(
      Validate("CreateDeliveryStream", body),
      "4 validation errors detected: " + at +
          "prefix' failed to satisfy constraint: Member must satisfy regular expression "
          "pattern: .*; " +
          at +
          "compressionFormat' failed to satisfy constraint: Member must satisfy enum "
          "value set: [UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]; " +
          at + "bucketARN' failed to satisfy constraint: Member must not be null; " + at +
          "roleARN' failed to satisfy constraint: Member must not be null");
}

TEST(ServiceModelTest, TopLevelOrderOfPutRecordBatch) {
  // HashMap order puts "records" before "deliveryStreamName".
  ExpectValidation(
      ValidateText("PutRecordBatch", R"({"DeliveryStreamName": "a b", "Records": []})"),
      "2 validation errors detected: Value at 'records' failed to satisfy "
      "constraint: Member must have length greater than or equal to 1; Value at "
      "'deliveryStreamName' failed to satisfy constraint: Member must satisfy "
      "regular expression pattern: [a-zA-Z0-9_.-]+");
}

TEST(ServiceModelTest, TagKeysAcceptUnicodeLettersAndRejectAwsPrefix) {
  const char* unicode = R"({"DeliveryStreamName": "s", "Tags": [
      {"Key": "환경 키_1", "Value": "프로덕션 값"}, {"Key": "Ünïcödé:/=+-@%", "Value": ""}]})";
  Status ok = ValidateText("TagDeliveryStream", unicode);
  EXPECT_TRUE(ok.ok()) << ok.ToString();

  const std::string pattern = "^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$";
  ExpectValidation(
      ValidateText("TagDeliveryStream", R"({"DeliveryStreamName": "s", "Tags": [
          {"Key": "ok", "Value": "v"}, {"Key": "aws:foo", "Value": "v"}]})"),
      "1 validation error detected: Value at 'tags.2.member.key' failed to satisfy constraint: "
      "Member must satisfy regular expression pattern: " +
          pattern);

  // A list of strings reports once, at the list, with every constraint of its element.
  ExpectValidation(
      ValidateText("UntagDeliveryStream",
                   R"({"DeliveryStreamName": "s", "TagKeys": ["ok", "aws:foo"]})", Style::kJava),
      "1 validation error detected: Value '[ok, aws:foo]' at 'tagKeys' failed to satisfy "
      "constraint: Member must satisfy constraint: [Member must have length less than or equal "
      "to 128, Member must have length greater than or equal to 1, Member must satisfy regular "
      "expression pattern: " +
          pattern + "]");
}

TEST(ServiceModelTest, NullListElement) {
  ExpectValidation(
      ValidateText("TagDeliveryStream", R"({"DeliveryStreamName": "s", "Tags": [null]})"),
      "1 validation error detected: Value at 'tags.1.member' failed to satisfy "
      "constraint: Member must not be null");
}

TEST(ServiceModelTest, MapKeysAndValues) {
  json::value body = CreateWithS3({{"DataFormatConversionConfiguration", json::parse(R"({
    "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {
      "ColumnToJsonKeyMappings": {"good": "v", "bad key": "v", "k": " "}}}}})")}});
  const std::string at =
      "Value at 'extendedS3DestinationConfiguration.dataFormatConversion"
      "Configuration.inputFormatConfiguration.deserializer.openXJsonSerDe."
      "columnToJsonKeyMappings' failed to satisfy constraint: ";
  ExpectValidation(Validate("CreateDeliveryStream", body),
                   "2 validation errors detected: " + at +
                       "Map keys must satisfy constraint: [Member must have length less than or "
                       "equal to 1024, Member must have length greater than or equal to 1, Member "
                       "must satisfy regular expression pattern: ^\\S+$]; " +
                       at +
                       "Map value must satisfy constraint: [Member must have length less than or "
                       "equal to 1024, Member must have length greater than or equal to 1, Member "
                       "must satisfy regular expression pattern: ^(?!\\s*$).+]");
}

TEST(ServiceModelTest, SensitiveValuesStayHidden) {
  json::value body = json::parse(R"({"DeliveryStreamName": "s",
    "HttpEndpointDestinationConfiguration": {
      "EndpointConfiguration": {"Url": "https://example.com", "AccessKey": ""},
      "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r",
                          "BucketARN": "arn:aws:s3:::b"}}})");
  body.at("HttpEndpointDestinationConfiguration").at("EndpointConfiguration").at("AccessKey") =
      std::string(4097, 'k');
  ExpectValidation(Validate("CreateDeliveryStream", body, Style::kJava),
                   "1 validation error detected: Value at 'httpEndpointDestinationConfiguration."
                   "endpointConfiguration.accessKey' failed to satisfy constraint: Member must "
                   "have length less than or equal to 4096");
}

TEST(ServiceModelTest, BatchOf501Records) {
  json::array records;
  for (int i = 0; i < 501; ++i) records.push_back(json::object{{"Data", "eA=="}});
  json::value body = json::object{{"DeliveryStreamName", "s"}, {"Records", records}};
  ExpectValidation(Validate("PutRecordBatch", body),
                   "1 validation error detected: Value at 'records' failed to satisfy "
                   "constraint: Member must have length less than or equal to 500");
  Status java = Validate("PutRecordBatch", body, Style::kJava);
  EXPECT_EQ(java.message().rfind("1 validation error detected: Value '[com.amazonaws.firehose."
                                 "v20150804.Record@",
                                 0),
            0u)
      << java.message();
  records.pop_back();
  EXPECT_TRUE(
      Validate("PutRecordBatch", json::object{{"DeliveryStreamName", "s"}, {"Records", records}})
          .ok());
}

TEST(ServiceModelTest, RecordLargerThanLimitByDecodedSize) {
  EXPECT_TRUE(Validate("PutRecordBatch", RecordsOfSizes({1024000})).ok());
  ExpectValidation(
      Validate("PutRecordBatch", RecordsOfSizes({10, 1024001, 5, 2000000}), Style::kJava),
      "2 validation errors detected: Value 'java.nio.HeapByteBuffer[pos=0 "
      "lim=1024001 cap=1024001]' at 'records.2.member.data' failed to satisfy "
      "constraint: Member must have length less than or equal to 1024000; Value "
      "'java.nio.HeapByteBuffer[pos=0 lim=2000000 cap=2000000]' at "
      "'records.4.member.data' failed to satisfy constraint: Member must have "
      "length less than or equal to 1024000");
  json::value one =
      json::object{{"DeliveryStreamName", "s"},
                   {"Record", json::object{{"Data", Base64Encode(std::string(1024001, 'x'))}}}};
  ExpectValidation(Validate("PutRecord", one),
                   "1 validation error detected: Value at 'record.data' failed to satisfy "
                   "constraint: Member must have length less than or equal to 1024000");
}

TEST(ServiceModelTest, AtMostTenViolationsAreReported) {
  json::array records;
  for (int i = 0; i < 12; ++i) records.push_back(json::object{});
  Status s =
      Validate("PutRecordBatch", json::object{{"DeliveryStreamName", "s"}, {"Records", records}});
  ASSERT_EQ(s.code(), StatusCode::kValidation);
  EXPECT_EQ(s.message().rfind("10 validation errors detected: Value at 'records.1.member.data'", 0),
            0u);
  EXPECT_NE(s.message().find("'records.10.member.data'"), std::string::npos);
  EXPECT_EQ(s.message().find("'records.11.member.data'"), std::string::npos);
}

TEST(ServiceModelTest, BadBase64IsMalformed) {
  for (const char* data : {"abc", "ab!=", "QR==", "=AAA", "AA=A", "eA==\n"}) {
    json::value body =
        json::object{{"DeliveryStreamName", "s"}, {"Record", json::object{{"Data", data}}}};
    EXPECT_EQ(Validate("PutRecord", body).code(), StatusCode::kMalformed) << data;
  }
  json::value body =
      json::object{{"DeliveryStreamName", "s"}, {"Record", json::object{{"Data", "abc"}}}};
  EXPECT_EQ(Validate("PutRecord", body).message(),
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
}

TEST(ServiceModelTest, WrongJsonTypesAreMalformed) {
  struct Case {
    const char* op;
    const char* body;
    const char* message;
  } cases[] = {
      {"DescribeDeliveryStream", R"({"DeliveryStreamName": 5})",
       "class java.lang.Short can not be converted to an String"},
      {"DescribeDeliveryStream", R"({"DeliveryStreamName": "s", "Limit": "5"})",
       "class java.lang.String can not be converted to an Integer"},
      {"DescribeDeliveryStream", R"({"DeliveryStreamName": "s", "Limit": 3000000000})",
       "Numeric value (3000000000) out of range of int"},
      {"PutRecordBatch", R"({"DeliveryStreamName": "s", "Records": {}})",
       "Start of structure or map found where not expected."},
      {"PutRecord", R"({"DeliveryStreamName": "s", "Record": "eA=="})", "Expected null"},
      {"PutRecord", R"({"DeliveryStreamName": "s", "Record": {"Data": 1}})",
       "class java.lang.Short can not be converted to a Blob"},
      {"DeleteDeliveryStream", R"({"DeliveryStreamName": "s", "AllowForceDelete": "true"})",
       "class java.lang.String can not be converted to an Boolean"},
      {"ListDeliveryStreams", R"([])", "Start of list found where not expected"},
  };
  for (const Case& c : cases) {
    Status s = ValidateText(c.op, c.body);
    EXPECT_EQ(s.code(), StatusCode::kMalformed) << c.body;
    EXPECT_EQ(s.message(), c.message) << c.body;
  }
}

TEST(ServiceModelTest, MalformedWinsOverViolationsAnywhere) {
  // Twelve violations first, then a type error in the last record: deserialization fails.
  json::array records;
  for (int i = 0; i < 12; ++i) records.push_back(json::object{});
  records.push_back(json::object{{"Data", 7}});
  json::value body = json::object{{"DeliveryStreamName", "bad name"}, {"Records", records}};
  EXPECT_EQ(Validate("PutRecordBatch", body).code(), StatusCode::kMalformed);
}

TEST(ServiceModelTest, UnknownMembersAreIgnored) {
  EXPECT_TRUE(ValidateText("DescribeDeliveryStream",
                           R"({"DeliveryStreamName": "s", "deliveryStreamName": 1, "Extra": [1]})")
                  .ok());
}

TEST(ServiceModelTest, TimestampsAreEpochSeconds) {
  json::value body = json::parse(R"({"DeliveryStreamName": "s", "DeliveryStreamType": "MSKAsSource",
    "MSKSourceConfiguration": {"MSKClusterARN": "arn:aws:kafka:us-east-1:123456789012:cluster/c",
      "TopicName": "t", "ReadFromTimestamp": 1700000000.5,
      "AuthenticationConfiguration": {"RoleARN": "arn:aws:iam::123456789012:role/r",
                                      "Connectivity": "PUBLIC"}}})");
  EXPECT_TRUE(Validate("CreateDeliveryStream", body).ok());
  body.at("MSKSourceConfiguration").at("ReadFromTimestamp") = "2024-01-01T00:00:00Z";
  EXPECT_EQ(Validate("CreateDeliveryStream", body).code(), StatusCode::kMalformed);
}

TEST(ServiceModelTest, ParseRejectsBrokenModels) {
  EXPECT_EQ(ServiceModel::Parse("[]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ServiceModel::Parse(R"({"operations": {}, "shapes": {"S": {"type": "string",
                                     "pattern": "[a-"}}})")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ServiceModel::Parse(R"({"operations": {}, "shapes": {"L": {"type": "list",
                                     "member": {"shape": "Missing"}}}})")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(ServiceModelTest, JavaUnicodeEscapesInPatterns) {
  auto model = ServiceModel::Parse(R"({
    "operations": {"Op": {"input": {"shape": "In"}}},
    "shapes": {"In": {"type": "structure", "members": {"Name": {"shape": "N"}}},
               "N": {"type": "string", "pattern": "[\\u0001-\\uFFFF]*"}}})");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE((*model)->ValidateInput("Op", json::parse(R"({"Name": "héllo 한"})")).ok());
  // U+1F600 lies outside \u0001-\uFFFF: Java matches code points, so does PCRE2 in UTF mode.
  EXPECT_EQ((*model)->ValidateInput("Op", json::object{{"Name", "\xF0\x9F\x98\x80"}}).code(),
            StatusCode::kValidation);
}

}  // namespace
}  // namespace hydrant::api

namespace hydrant::api {
namespace {

// Glue's single-line string pattern names supplementary characters as Java surrogate pairs
// ([\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*): each pair is one code point range.
TEST(ServiceModelTest, GlueNamesAllowSupplementaryCharactersAndRefuseControlCharacters) {
  const ServiceModel& glue = ServiceModel::Glue();
  EXPECT_TRUE(glue.HasOperation("CreateTable"));
  EXPECT_FALSE(glue.HasOperation("StartJobRun"));
  EXPECT_TRUE(glue.ValidateInput("GetDatabase", json::parse(R"({"Name": "events \ud83d\ude00\t"})")).ok());
  const Status control = glue.ValidateInput("GetDatabase", json::parse(R"({"Name": "bad\u0001name"})"));
  EXPECT_EQ(control.code(), StatusCode::kValidation);
  EXPECT_NE(control.message().find("Value at 'name' failed to satisfy constraint: Member must satisfy regular "
                                   "expression pattern"),
            std::string::npos)
      << control.message();
}

}  // namespace
}  // namespace hydrant::api
