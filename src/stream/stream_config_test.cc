// Tests for StreamConfig: the service's rules, defaults, Describe rendering, merge and persistence.
#include "stream/stream_config.h"

#include "destination/http_endpoint/http_endpoint_kind.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hydrant::stream {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

// The seed's s3-config.json without its ProcessingConfiguration.
constexpr std::string_view kSeedDestination = R"({
  "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
  "BucketARN": "arn:aws:s3:::firehose-etl-demo-bucket",
  "Prefix": "etl-output/",
  "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
  "CompressionFormat": "UNCOMPRESSED"
})";

// The seed's ProcessingConfiguration.
constexpr std::string_view kSeedProcessing = R"({
  "Enabled": true,
  "Processors": [{"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn",
    "ParameterValue": "arn:aws:lambda:ap-northeast-2:123456789012:function:TransformETLFunction"}]}]
})";

// What DescribeDeliveryStream shows for the seed's destination, member order included.
constexpr std::string_view kSeedDescription = R"({
  "S3DestinationDescription": {
    "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
    "BucketARN": "arn:aws:s3:::firehose-etl-demo-bucket",
    "Prefix": "etl-output/",
    "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
    "CompressionFormat": "UNCOMPRESSED",
    "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
    "CloudWatchLoggingOptions": {"Enabled": false}
  },
  "ExtendedS3DestinationDescription": {
    "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
    "BucketARN": "arn:aws:s3:::firehose-etl-demo-bucket",
    "Prefix": "etl-output/",
    "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
    "CompressionFormat": "UNCOMPRESSED",
    "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
    "CloudWatchLoggingOptions": {"Enabled": false},
    "S3BackupMode": "Disabled"
  }
})";

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

// A create request for `name` with `destination` under `member`.
json::object CreateRequest(json::object destination,
                           std::string_view member = "ExtendedS3DestinationConfiguration") {
  json::object request{{"DeliveryStreamName", "firehose-etl-stream"}};
  request[member] = std::move(destination);
  return request;
}

// The seed destination with `patch` members set (a null value removes the member).
json::object Seed(std::string_view patch = "{}") {
  json::object d = Obj(kSeedDestination);
  for (auto& [k, v] : Obj(patch)) {
    if (v.is_null()) {
      d.erase(k);
    } else {
      d[k] = v;
    }
  }
  return d;
}

StreamConfig Create(const json::object& request) {
  auto config = StreamConfig::FromCreateRequest(request);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return std::move(config).value();
}

// The message of a create request that must fail with InvalidArgument.
std::string CreateError(const json::object& request) {
  auto config = StreamConfig::FromCreateRequest(request);
  EXPECT_FALSE(config.ok()) << json::serialize(request);
  if (config.ok()) return "";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << config.status().ToString();
  return config.status().message();
}

json::object Update(std::string_view member, std::string_view update) {
  json::object request{{"DeliveryStreamName", "firehose-etl-stream"},
                       {"CurrentDeliveryStreamVersionId", "1"},
                       {"DestinationId", "destinationId-000000000001"}};
  request[member] = Obj(update);
  return request;
}

const json::object& Extended(const json::object& description) {
  return description.at("ExtendedS3DestinationDescription").as_object();
}

TEST(StreamConfigTest, SeedAsExtendedS3DescribesWithDefaults) {
  StreamConfig config = Create(CreateRequest(Seed()));
  EXPECT_EQ(config.name(), "firehose-etl-stream");
  EXPECT_EQ(config.type(), "DirectPut");
  EXPECT_EQ(json::serialize(config.DescribeDestination()),
            json::serialize(json::parse(kSeedDescription)));
  EXPECT_FALSE(config.DescribeSource().has_value());
}

TEST(StreamConfigTest, SeedAsLegacyS3DescribesTheSameWay) {
  StreamConfig config = Create(CreateRequest(Seed(), "S3DestinationConfiguration"));
  EXPECT_EQ(json::serialize(config.DescribeDestination()),
            json::serialize(json::parse(kSeedDescription)));
}

TEST(StreamConfigTest, TypedViewForTheRuntime) {
  StreamConfig config = Create(CreateRequest(Seed()));
  const S3Destination& s3 = config.s3();
  EXPECT_EQ(s3.bucket, "firehose-etl-demo-bucket");
  EXPECT_EQ(s3.prefix, "etl-output/");
  EXPECT_EQ(s3.error_output_prefix, std::nullopt);
  EXPECT_EQ(s3.buffering, (BufferingHints{5, 300}));
  EXPECT_EQ(s3.compression, "UNCOMPRESSED");
  EXPECT_EQ(s3.file_extension, "");
  EXPECT_EQ(s3.custom_time_zone, "UTC");

  StreamConfig other = Create(CreateRequest(Seed(R"({"BucketARN": "arn:aws-cn:s3:::my.bucket-1",
      "Prefix": "p/!{timestamp:yyyy}/", "ErrorOutputPrefix": "e/!{firehose:error-output-type}/",
      "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}, "FileExtension": ".json"})")));
  EXPECT_EQ(other.s3().bucket, "my.bucket-1");
  EXPECT_EQ(other.s3().error_output_prefix, "e/!{firehose:error-output-type}/");
  EXPECT_EQ(other.s3().buffering, (BufferingHints{1, 0}));
  EXPECT_EQ(other.s3().file_extension, ".json");
}

TEST(StreamConfigTest, MinimalDestinationGetsEveryDefault) {
  StreamConfig config = Create(CreateRequest(
      Obj(R"({"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::b"})")));
  // No Prefix member when none was configured (AWS omits it), defaults for the rest.
  EXPECT_EQ(json::serialize(Extended(config.DescribeDestination())),
            json::serialize(json::parse(R"({"RoleARN": "arn:aws:iam::123456789012:role/r",
              "BucketARN": "arn:aws:s3:::b", "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
              "CompressionFormat": "UNCOMPRESSED", "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
              "CloudWatchLoggingOptions": {"Enabled": false}, "S3BackupMode": "Disabled"})")));
  EXPECT_EQ(config.s3().prefix, "");
  EXPECT_EQ(config.s3().buffering, (BufferingHints{5, 300}));
}

TEST(StreamConfigTest, EchoesAcceptedOptionalMembers) {
  StreamConfig config = Create(CreateRequest(Seed(R"({
    "Prefix": "", "ErrorOutputPrefix": "errors/",
    "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
    "CloudWatchLoggingOptions": {"LogGroupName": "/aws/kinesisfirehose/x", "LogStreamName": "S3Delivery"},
    "ProcessingConfiguration": {"Enabled": false, "Processors": [{"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"}]}]},
    "S3BackupMode": "Disabled",
    "DataFormatConversionConfiguration": {"Enabled": false},
    "DynamicPartitioningConfiguration": {"Enabled": false},
    "FileExtension": ".log", "CustomTimeZone": "UTC"})")));
  json::object description = config.DescribeDestination();
  EXPECT_EQ(json::serialize(Extended(description)), json::serialize(json::parse(R"({
    "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
    "BucketARN": "arn:aws:s3:::firehose-etl-demo-bucket",
    "Prefix": "", "ErrorOutputPrefix": "errors/",
    "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
    "CompressionFormat": "UNCOMPRESSED",
    "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
    "CloudWatchLoggingOptions": {"Enabled": false, "LogGroupName": "/aws/kinesisfirehose/x", "LogStreamName": "S3Delivery"},
    "ProcessingConfiguration": {"Enabled": false, "Processors": [{"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        {"ParameterName": "NumberOfRetries", "ParameterValue": "3"},
        {"ParameterName": "RoleArn", "ParameterValue": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"},
        {"ParameterName": "BufferSizeInMBs", "ParameterValue": "1"},
        {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "60"}]}]},
    "S3BackupMode": "Disabled",
    "DataFormatConversionConfiguration": {"Enabled": false},
    "DynamicPartitioningConfiguration": {"RetryOptions": {"DurationInSeconds": 300}, "Enabled": false},
    "FileExtension": ".log", "CustomTimeZone": "UTC"})")));
  // The legacy description carries only the S3 members.
  const json::object& s3 = description.at("S3DestinationDescription").as_object();
  EXPECT_EQ(s3.size(), 8u);
  EXPECT_EQ(s3.at("ErrorOutputPrefix"), "errors/");
  EXPECT_FALSE(s3.contains("ProcessingConfiguration"));
  EXPECT_EQ(config.s3().error_output_prefix, "errors/");
}

TEST(StreamConfigTest, LegacyConfigurationKeepsOnlyLegacyMembers) {
  // A hand-made request can carry ExtendedS3 members in S3DestinationConfiguration; the shape has
  // none, so they are not part of the stream (AWS clients refuse to send them at all).
  StreamConfig config =
      Create(CreateRequest(Seed(R"({"FileExtension": ".txt"})"), "S3DestinationConfiguration"));
  EXPECT_FALSE(Extended(config.DescribeDestination()).contains("FileExtension"));
  EXPECT_EQ(config.s3().file_extension, "");
}

TEST(StreamConfigTest, DirectPutSourceAndTags) {
  json::object request = CreateRequest(Seed());
  request["DeliveryStreamType"] = "DirectPut";
  request["DirectPutSourceConfiguration"] = Obj(R"({"ThroughputHintInMBs": 10})");
  request["Tags"] = json::parse(R"([{"Key": "team", "Value": "etl"}])");
  StreamConfig config = Create(request);
  EXPECT_EQ(json::serialize(*config.DescribeSource()),
            R"({"DirectPutSourceDescription":{"ThroughputHintInMBs":10}})");
  EXPECT_EQ(json::serialize(config.initial_tags()), R"([{"Key":"team","Value":"etl"}])");
}

// --- Unsupported features and the service's rules ------------------------------------------

TEST(StreamConfigTest, SeedLambdaProcessingIsAcceptedAndValidated) {
  StreamConfig config = Create(CreateRequest(
      Seed(std::string(R"({"ProcessingConfiguration": )") + std::string(kSeedProcessing) + "}")));
  ASSERT_TRUE(config.s3().processing.has_value());
  // Describe shows the defaults the service fills in, after what was given, in its order.
  EXPECT_EQ(Extended(config.DescribeDestination()).at("ProcessingConfiguration"), json::parse(R"({
    "Enabled": true,
    "Processors": [{"Type": "Lambda", "Parameters": [
      {"ParameterName": "LambdaArn",
       "ParameterValue": "arn:aws:lambda:ap-northeast-2:123456789012:function:TransformETLFunction"},
      {"ParameterName": "NumberOfRetries", "ParameterValue": "3"},
      {"ParameterName": "RoleArn", "ParameterValue": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"},
      {"ParameterName": "BufferSizeInMBs", "ParameterValue": "1"},
      {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "60"}]}]})"));
  // Values given are kept; only the missing ones are filled in.
  StreamConfig tuned = Create(CreateRequest(Seed(R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "Lambda", "Parameters": [{"ParameterName": "BufferSizeInMBs", "ParameterValue": "3"},
                                        {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"},
                                        {"ParameterName": "NumberOfRetries", "ParameterValue": "0"}]}]}})")));
  EXPECT_EQ(json::serialize(Extended(tuned.DescribeDestination()).at("ProcessingConfiguration")),
            json::serialize(json::parse(R"({"Processors": [{"Type": "Lambda", "Parameters": [
      {"ParameterName": "BufferSizeInMBs", "ParameterValue": "3"},
      {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"},
      {"ParameterName": "NumberOfRetries", "ParameterValue": "0"},
      {"ParameterName": "RoleArn", "ParameterValue": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole"},
      {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "60"}]}]})")));
  // Enabled defaults to true when processors are listed.
  StreamConfig implicit = Create(CreateRequest(Seed(R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "AppendDelimiterToRecord"}]}})")));
  EXPECT_TRUE(implicit.s3().processing.has_value());
  // Disabled processing is kept for Describe but not run.
  StreamConfig disabled = Create(CreateRequest(Seed(R"({"ProcessingConfiguration": {"Enabled": false,
      "Processors": [{"Type": "AppendDelimiterToRecord"}]}})")));
  EXPECT_FALSE(disabled.s3().processing.has_value());
  // The processor stage's rules apply at creation.
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"ProcessingConfiguration": {"Enabled": true,
      "Processors": [{"Type": "Lambda"}]}})"))),
              HasSubstr("LambdaArn"));
}

TEST(StreamConfigTest, ExactlyOneDestination) {
  const std::string expected = "Exactly one destination configuration is supported for a Firehose";
  EXPECT_EQ(CreateError(json::object{{"DeliveryStreamName", "s"}}), expected);
  json::object two = CreateRequest(Seed());
  two["S3DestinationConfiguration"] = Seed();
  EXPECT_EQ(CreateError(two), expected);
  // A JSON null is the same as an absent member.
  json::object with_null = CreateRequest(Seed());
  with_null["RedshiftDestinationConfiguration"] = nullptr;
  EXPECT_TRUE(StreamConfig::FromCreateRequest(with_null).ok());
}

TEST(StreamConfigTest, OtherDestinationsAreNotSupportedYet) {
  std::string message = CreateError(CreateRequest(
      Obj(R"({"RoleARN": "arn:aws:iam::123456789012:role/r", "AccountUrl": "https://a.snowflakecomputing.com"})"),
      "SnowflakeDestinationConfiguration"));
  EXPECT_EQ(message,
            "SnowflakeDestinationConfiguration (this version serves S3DestinationConfiguration, "
            "ExtendedS3DestinationConfiguration, RedshiftDestinationConfiguration, ElasticsearchDestinationConfiguration, "
            "AmazonopensearchserviceDestinationConfiguration, SplunkDestinationConfiguration, "
            "HttpEndpointDestinationConfiguration, AmazonOpenSearchServerlessDestinationConfiguration) "
            "is not supported by this version of Hydrant yet");
}

TEST(StreamConfigTest, OnlyDirectPutStreams) {
  json::object request = CreateRequest(Seed());
  request["DeliveryStreamType"] = "KinesisStreamAsSource";
  EXPECT_THAT(CreateError(request), HasSubstr("DeliveryStreamType KinesisStreamAsSource"));

  request = CreateRequest(Seed());
  request["KinesisStreamSourceConfiguration"] =
      Obj(R"({"KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
      "RoleARN": "arn:aws:iam::123456789012:role/r"})");
  EXPECT_EQ(CreateError(request),
            "KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type");
}

TEST(StreamConfigTest, EveryCompressionFormatIsAccepted) {
  for (const char* format : {"GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"}) {
    json::object d = Seed();
    d["CompressionFormat"] = format;
    StreamConfig config = Create(CreateRequest(d));
    EXPECT_EQ(config.s3().compression, format);
    EXPECT_EQ(Extended(config.DescribeDestination()).at("CompressionFormat"), format);
  }
}

TEST(StreamConfigTest, EncryptionConfiguration) {
  EXPECT_EQ(CreateError(CreateRequest(Seed(R"({"EncryptionConfiguration": {}})"))),
            "Exactly one of NoEncryptionConfig or KMSEncryptionConfig must be specified");
  EXPECT_EQ(CreateError(CreateRequest(
                Seed(R"({"EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption",
      "KMSEncryptionConfig": {"AWSKMSKeyARN": "arn:aws:kms:us-east-1:123456789012:key/k"}}})"))),
            "Exactly one of NoEncryptionConfig or KMSEncryptionConfig must be specified");
}

TEST(StreamConfigTest, KmsEncryptionKeepsTheKeyAndDescribesItAsGiven) {
  const json::value encryption =
      json::parse(R"({"KMSEncryptionConfig": {"AWSKMSKeyARN": "arn:aws:kms:us-east-1:123456789012:key/k"}})");
  json::object d = Seed();
  d["EncryptionConfiguration"] = encryption;
  StreamConfig config = Create(CreateRequest(d));
  EXPECT_EQ(config.s3().kms_key_arn, "arn:aws:kms:us-east-1:123456789012:key/k");
  EXPECT_EQ(Extended(config.DescribeDestination()).at("EncryptionConfiguration"), encryption);
  EXPECT_EQ(config.DescribeDestination().at("S3DestinationDescription").at("EncryptionConfiguration"),
            encryption);
  // It survives persistence.
  auto stored = StreamConfig::FromJson(config.ToJson());
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->s3().kms_key_arn, config.s3().kms_key_arn);
  // Without it, objects are not encrypted.
  EXPECT_EQ(Create(CreateRequest(Seed())).s3().kms_key_arn, "");
}

TEST(StreamConfigTest, FormatConversionRules) {
  constexpr std::string_view kConversion = R"("DataFormatConversionConfiguration": {
      "SchemaConfiguration": {"DatabaseName": "db", "TableName": "t", "RoleARN": "arn:aws:iam::123456789012:role/r"},
      "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {"CaseInsensitive": false}}},
      "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "GZIP", "WriterVersion": "V2"}}}})";
  // Enabled by default once the structure is given: the three parts are then required.
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"DataFormatConversionConfiguration": {}})"))),
              HasSubstr("requires SchemaConfiguration, InputFormatConfiguration and OutputFormatConfiguration"));
  StreamConfig converted = Create(CreateRequest(Seed(R"({"BufferingHints": null, )" + std::string(kConversion) + "}")));
  ASSERT_TRUE(converted.s3().conversion);
  EXPECT_EQ(converted.s3().conversion->database, "db");
  EXPECT_EQ(converted.s3().conversion->version_id, "LATEST");
  EXPECT_FALSE(converted.s3().conversion->case_insensitive);
  EXPECT_EQ(converted.s3().conversion->compression, "GZIP");
  EXPECT_TRUE(converted.s3().conversion->writer_v2);
  EXPECT_EQ(converted.s3().buffering.size_mb, 128);  // the default when conversion is on
  EXPECT_THAT(CreateError(CreateRequest(
                  Seed(R"({"BufferingHints": null, "CompressionFormat": "GZIP", )" + std::string(kConversion) + "}"))),
              HasSubstr("CompressionFormat must be UNCOMPRESSED"));
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60}, )" +
                                             std::string(kConversion) + "}"))),
              HasSubstr("at least 64"));
  std::string orc(kConversion);
  orc.replace(orc.find("\"ParquetSerDe\": {\"Compression\": \"GZIP\", \"WriterVersion\": \"V2\"}"),
              std::string_view("\"ParquetSerDe\": {\"Compression\": \"GZIP\", \"WriterVersion\": \"V2\"}").size(),
              "\"OrcSerDe\": {}");
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"BufferingHints": null, )" + orc + "}"))), HasSubstr("OrcSerDe"));
}

TEST(StreamConfigTest, CustomTimeZoneIsLookedUpOnceAndDescribedAsGiven) {
  StreamConfig tokyo = Create(CreateRequest(Seed(R"({"CustomTimeZone": "Asia/Tokyo"})")));
  EXPECT_EQ(tokyo.s3().custom_time_zone, "Asia/Tokyo");
  EXPECT_EQ(tokyo.s3().time_zone, format::LookupTimeZone("Asia/Tokyo").value());
  EXPECT_EQ(tokyo.DescribeDestination()
                .at("ExtendedS3DestinationDescription")
                .at("CustomTimeZone")
                .as_string(),
            "Asia/Tokyo");
  // Survives persistence.
  auto reloaded = StreamConfig::FromJson(tokyo.ToJson());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->s3().time_zone, tokyo.s3().time_zone);

  // Absent, empty and "UTC" all mean UTC, which needs no zone.
  for (const char* given : {"{}", R"({"CustomTimeZone": ""})", R"({"CustomTimeZone": "UTC"})"}) {
    StreamConfig utc = Create(CreateRequest(Seed(given)));
    EXPECT_EQ(utc.s3().time_zone, nullptr) << given;
    EXPECT_EQ(utc.s3().custom_time_zone, "UTC") << given;
  }
  EXPECT_EQ(Create(CreateRequest(Seed(R"({"CustomTimeZone": ""})")))
                .DescribeDestination()
                .at("ExtendedS3DestinationDescription")
                .at("CustomTimeZone")
                .as_string(),
            "");
}

TEST(StreamConfigTest, UnknownCustomTimeZoneIsAnInvalidArgument) {
  Status st = StreamConfig::FromCreateRequest(
                  CreateRequest(Seed(R"({"CustomTimeZone": "Asia/Tokio"})")))
                  .status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("CustomTimeZone Asia/Tokio is not a supported time zone"));

  // UpdateDestination applies the same rule and leaves the stream as it was.
  StreamConfig config = Create(CreateRequest(Seed()));
  auto updated = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"CustomTimeZone": "Nowhere/City"})"));
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(updated.status().message(), HasSubstr("Nowhere/City"));
  auto moved = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"CustomTimeZone": "America/New_York"})"));
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->s3().time_zone, format::LookupTimeZone("America/New_York").value());
  EXPECT_EQ(config.s3().time_zone, nullptr);
}

TEST(StreamConfigTest, CloudWatchLoggingNeedsNamesWhenEnabled) {
  EXPECT_THAT(
      CreateError(CreateRequest(Seed(R"({"CloudWatchLoggingOptions": {"Enabled": true}})"))),
      HasSubstr("LogGroupName and LogStreamName are required"));
  EXPECT_THAT(CreateError(CreateRequest(
                  Seed(R"({"CloudWatchLoggingOptions": {"Enabled": true, "LogGroupName": "g"}})"))),
              HasSubstr("LogGroupName and LogStreamName are required"));
  // Accepted and echoed; Hydrant logs to its own log, not to CloudWatch.
  StreamConfig config = Create(CreateRequest(Seed(
      R"({"CloudWatchLoggingOptions": {"Enabled": true, "LogGroupName": "g", "LogStreamName": "s"}})")));
  EXPECT_EQ(Extended(config.DescribeDestination()).at("CloudWatchLoggingOptions"),
            json::parse(R"({"Enabled": true, "LogGroupName": "g", "LogStreamName": "s"})"));
}

TEST(StreamConfigTest, BufferingHintsNameBothMembersOnCreate) {
  const std::string expected =
      "BufferingHints: if you specify a value for one of SizeInMBs and IntervalInSeconds, you must "
      "also "
      "provide a value for the other";
  EXPECT_EQ(CreateError(CreateRequest(Seed(R"({"BufferingHints": {"SizeInMBs": 64}})"))), expected);
  EXPECT_EQ(CreateError(CreateRequest(Seed(R"({"BufferingHints": {"IntervalInSeconds": 60}})"))),
            expected);
  StreamConfig config = Create(CreateRequest(Seed(R"({"BufferingHints": {}})")));
  EXPECT_EQ(config.s3().buffering, (BufferingHints{5, 300}));
}

TEST(StreamConfigTest, PrefixRules) {
  EXPECT_EQ(CreateError(CreateRequest(Seed(R"({"Prefix": "!{timestamp:yyyy'-'MM'-'dd}/"})"))),
            "Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix "
            "cannot be "
            "null or empty when Prefix contains expressions");
  EXPECT_EQ(CreateError(CreateRequest(
                Seed(R"({"Prefix": "!{timestamp:yyyy}/", "ErrorOutputPrefix": ""})"))),
            "Ths supplied prefix(es) do not satisfy the following constraint: ErrorOutputPrefix "
            "cannot be "
            "null or empty when Prefix contains expressions");
  EXPECT_EQ(CreateError(CreateRequest(Seed(R"({"Prefix": "c=!{partitionKeyFromQuery:customer}/",
      "ErrorOutputPrefix": "e/!{firehose:error-output-type}/"})"))),
            "Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic "
            "Partitioning "
            "is enabled.");
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "!{firehose:error-output-type}/",
      "ErrorOutputPrefix": "e/!{firehose:error-output-type}/"})"))),
              HasSubstr("Prefix cannot contain !{firehose:error-output-type}"));
  EXPECT_THAT(CreateError(CreateRequest(
                  Seed(R"({"Prefix": "x/", "ErrorOutputPrefix": "e/!{timestamp:yyyy}/"})"))),
              HasSubstr("ErrorOutputPrefix must contain !{firehose:error-output-type}"));
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "x/!{time:yyyy}/"})"))),
              HasSubstr("unknown namespace 'time'"));
  // Legacy destinations follow the same rules (serverless/serverless#6015).
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "!{timestamp:yyyy}/"})"),
                                        "S3DestinationConfiguration")),
              HasSubstr("ErrorOutputPrefix cannot be null or empty"));
}

TEST(StreamConfigTest, WrongJsonTypesAreMalformed) {
  auto config = StreamConfig::FromCreateRequest(CreateRequest(Seed(R"({"Prefix": 7})")));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kMalformed);
  config = StreamConfig::FromCreateRequest(
      CreateRequest(Seed(R"({"BufferingHints": {"SizeInMBs": "5", "IntervalInSeconds": 1}})")));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kMalformed);
}

// --- UpdateDestination ----------------------------------------------------------------------

TEST(StreamConfigTest, UpdatePrefixOnlyKeepsEverythingElse) {
  StreamConfig config =
      Create(CreateRequest(Seed(R"({"BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
      "FileExtension": ".log"})")));
  auto updated = config.ApplyUpdate(Update("ExtendedS3DestinationUpdate", R"({"Prefix": "raw/"})"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->s3().prefix, "raw/");
  EXPECT_EQ(updated->s3().buffering, (BufferingHints{64, 60}));
  EXPECT_EQ(updated->s3().file_extension, ".log");
  EXPECT_EQ(updated->s3().bucket, "firehose-etl-demo-bucket");
  EXPECT_EQ(updated->name(), "firehose-etl-stream");
  // The original is untouched.
  EXPECT_EQ(config.s3().prefix, "etl-output/");
}

TEST(StreamConfigTest, UpdateOneBufferingHintKeepsTheOther) {
  StreamConfig config = Create(
      CreateRequest(Seed(R"({"BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 600}})")));
  auto updated = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"BufferingHints": {"IntervalInSeconds": 60}})"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->s3().buffering, (BufferingHints{64, 60}));
  EXPECT_EQ(Extended(updated->DescribeDestination()).at("BufferingHints"),
            json::parse(R"({"SizeInMBs": 64, "IntervalInSeconds": 60})"));

  // Over the defaults (no BufferingHints at creation) the other member stays at its default.
  StreamConfig plain = Create(CreateRequest(Seed(R"({"BufferingHints": null})")));
  auto sized = plain.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"BufferingHints": {"SizeInMBs": 1}})"));
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->s3().buffering, (BufferingHints{1, 300}));
}

TEST(StreamConfigTest, LegacyUpdateMergesIntoAnExtendedStream) {
  StreamConfig config = Create(CreateRequest(Seed(R"({"FileExtension": ".log",
      "ProcessingConfiguration": {"Enabled": false}})")));
  auto updated = config.ApplyUpdate(
      Update("S3DestinationUpdate",
             R"({"BucketARN": "arn:aws:s3:::other-bucket", "CompressionFormat": "UNCOMPRESSED"})"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->s3().bucket, "other-bucket");
  EXPECT_EQ(updated->s3().file_extension, ".log");
  json::object description = updated->DescribeDestination();
  const json::object& extended = Extended(description);
  EXPECT_EQ(extended.at("BucketARN"), "arn:aws:s3:::other-bucket");
  EXPECT_EQ(extended.at("ProcessingConfiguration"), json::parse(R"({"Enabled": false})"));
  // The legacy update shape has no ExtendedS3 members: they are not taken from it.
  auto ignored = config.ApplyUpdate(Update("S3DestinationUpdate", R"({"FileExtension": ".csv"})"));
  ASSERT_TRUE(ignored.ok());
  EXPECT_EQ(ignored->s3().file_extension, ".log");
}

TEST(StreamConfigTest, ExtendedUpdateOnALegacyStream) {
  StreamConfig config = Create(CreateRequest(Seed(), "S3DestinationConfiguration"));
  auto updated = config.ApplyUpdate(Update(
      "ExtendedS3DestinationUpdate",
      R"({"Prefix": "d=!{timestamp:yyyy-MM-dd}/", "ErrorOutputPrefix": "e/!{firehose:error-output-type}/",
          "FileExtension": ".json"})"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->s3().prefix, "d=!{timestamp:yyyy-MM-dd}/");
  EXPECT_EQ(updated->s3().file_extension, ".json");
  EXPECT_EQ(Extended(updated->DescribeDestination()).at("FileExtension"), ".json");
}

TEST(StreamConfigTest, UpdateMergesStructuresMemberWise) {
  StreamConfig config = Create(CreateRequest(Seed(R"({"CloudWatchLoggingOptions": {"Enabled": true,
      "LogGroupName": "g", "LogStreamName": "s"}})")));
  auto updated = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"CloudWatchLoggingOptions": {"Enabled": false}})"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(Extended(updated->DescribeDestination()).at("CloudWatchLoggingOptions"),
            json::parse(R"({"Enabled": false, "LogGroupName": "g", "LogStreamName": "s"})"));

  // Enabling stored but disabled processors validates them as at creation.
  StreamConfig disabled =
      Create(CreateRequest(Seed(R"({"ProcessingConfiguration": {"Enabled": false,
      "Processors": [{"Type": "Lambda"}]}})")));
  auto enabled = disabled.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"ProcessingConfiguration": {"Enabled": true}})"));
  ASSERT_FALSE(enabled.ok());
  EXPECT_THAT(enabled.status().message(), HasSubstr("LambdaArn"));
  // A new Processors list replaces the old one.
  auto emptied = disabled.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate",
             R"({"ProcessingConfiguration": {"Enabled": true, "Processors": []}})"));
  ASSERT_TRUE(emptied.ok()) << emptied.status().ToString();
  EXPECT_EQ(Extended(emptied->DescribeDestination()).at("ProcessingConfiguration"),
            json::parse(R"({"Enabled": true, "Processors": []})"));
}

TEST(StreamConfigTest, UpdateMustLeaveAValidConfiguration) {
  StreamConfig config = Create(CreateRequest(Seed()));
  auto expressions = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"Prefix": "!{timestamp:yyyy}/"})"));
  ASSERT_FALSE(expressions.ok());
  EXPECT_THAT(expressions.status().message(),
              HasSubstr("ErrorOutputPrefix cannot be null or empty"));

  auto lambda = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate",
             R"({"ProcessingConfiguration": {"Enabled": true, "Processors": [{"Type": "Lambda"}]}})"));
  ASSERT_FALSE(lambda.ok());
  EXPECT_THAT(lambda.status().message(), HasSubstr("LambdaArn"));

  auto gzip = config.ApplyUpdate(Update("S3DestinationUpdate", R"({"CompressionFormat": "GZIP"})"));
  ASSERT_TRUE(gzip.ok()) << gzip.status().ToString();
  EXPECT_EQ(gzip->s3().compression, "GZIP");

  auto backup = config.ApplyUpdate(
      Update("ExtendedS3DestinationUpdate", R"({"S3BackupUpdate": {"Prefix": "b/"}})"));
  ASSERT_FALSE(backup.ok());
  EXPECT_THAT(backup.status().message(), HasSubstr("S3BackupConfiguration.RoleARN is required"));
}

TEST(StreamConfigTest, UpdateNeedsExactlyOneS3Update) {
  StreamConfig config = Create(CreateRequest(Seed()));
  json::object none = Update("ExtendedS3DestinationUpdate", "{}");
  none.erase("ExtendedS3DestinationUpdate");
  auto result = config.ApplyUpdate(none);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "Exactly one destination configuration is supported for a Firehose");

  auto other = config.ApplyUpdate(Update("SplunkDestinationUpdate", R"({"HECToken": "t"})"));
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.status().message(), HasSubstr("SplunkDestinationUpdate"));
  EXPECT_THAT(other.status().message(), HasSubstr("not supported by this version of Hydrant yet"));
}

// --- Persistence ----------------------------------------------------------------------------

TEST(StreamConfigTest, JsonRoundTrip) {
  json::object request = CreateRequest(Seed(R"({"Prefix": "p/!{timestamp:yyyy}/",
      "ErrorOutputPrefix": "e/!{firehose:error-output-type}/", "FileExtension": ".log",
      "ProcessingConfiguration": {"Enabled": false}})"));
  request["DirectPutSourceConfiguration"] = Obj(R"({"ThroughputHintInMBs": 5})");
  StreamConfig config = Create(request);
  // Through text, as the catalog stores it.
  auto restored = StreamConfig::FromJson(json::parse(json::serialize(config.ToJson())));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->name(), config.name());
  EXPECT_EQ(restored->type(), config.type());
  EXPECT_EQ(restored->s3(), config.s3());
  EXPECT_EQ(json::serialize(restored->DescribeDestination()),
            json::serialize(config.DescribeDestination()));
  EXPECT_EQ(json::serialize(*restored->DescribeSource()),
            json::serialize(*config.DescribeSource()));
  EXPECT_EQ(json::serialize(restored->ToJson()), json::serialize(config.ToJson()));
  EXPECT_TRUE(restored->initial_tags().empty());
}

TEST(StreamConfigTest, PersistedFormStoresWhatWasConfigured) {
  StreamConfig config = Create(CreateRequest(Seed(), "S3DestinationConfiguration"));
  EXPECT_EQ(config.ToJson(),
            json::parse(R"({"format_version": 1, "DeliveryStreamName": "firehose-etl-stream",
      "DeliveryStreamType": "DirectPut", "ExtendedS3DestinationConfiguration": {
        "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
        "BucketARN": "arn:aws:s3:::firehose-etl-demo-bucket", "Prefix": "etl-output/",
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300}, "CompressionFormat": "UNCOMPRESSED"}})"));
}

TEST(StreamConfigTest, FromJsonRejectsDamagedInput) {
  json::object good = Create(CreateRequest(Seed())).ToJson().as_object();
  auto expect_corruption = [](const json::value& v) {
    auto config = StreamConfig::FromJson(v);
    ASSERT_FALSE(config.ok()) << json::serialize(v);
    EXPECT_EQ(config.status().code(), StatusCode::kCorruption);
  };
  expect_corruption(json::array{});
  json::object v2 = good;
  v2["format_version"] = 2;
  expect_corruption(v2);
  json::object no_destination = good;
  no_destination.erase("ExtendedS3DestinationConfiguration");
  expect_corruption(no_destination);
  json::object bad_prefix = good;
  bad_prefix["ExtendedS3DestinationConfiguration"].as_object()["Prefix"] = "!{timestamp:yyyy}";
  expect_corruption(bad_prefix);
}


// DynamicPartitioningConfiguration Enabled: the rules that come with it (firehose-spec §4.1, §4.3).
TEST(StreamConfigTest, DynamicPartitioning) {
  const std::string jq = R"("ProcessingConfiguration": {"Enabled": true, "Processors": [
      {"Type": "MetadataExtraction", "Parameters": [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer: .customer}"},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]})";
  json::object request = CreateRequest(Seed(R"({
    "Prefix": "c=!{partitionKeyFromQuery:customer}/", "ErrorOutputPrefix": "e/!{firehose:error-output-type}/",
    "DynamicPartitioningConfiguration": {"Enabled": true}, )" + jq + "}"));
  request["ExtendedS3DestinationConfiguration"].as_object().erase("BufferingHints");
  StreamConfig config = Create(request);
  EXPECT_TRUE(config.s3().dynamic_partitioning);
  EXPECT_EQ(config.s3().buffering.size_mb, 64);  // the smallest size allowed, when none is given
  EXPECT_EQ(config.s3().partitioning_retry_seconds, 300);
  EXPECT_EQ(json::serialize(Extended(config.DescribeDestination()).at("DynamicPartitioningConfiguration")),
            R"({"RetryOptions":{"DurationInSeconds":300},"Enabled":true})");

  // MetadataExtraction needs dynamic partitioning.
  EXPECT_THAT(CreateError(CreateRequest(Seed("{" + jq + "}"))),
              HasSubstr("MetadataExtraction processor can only be used when dynamic partitioning is enabled"));
  // An error prefix is mandatory.
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "p/",
    "DynamicPartitioningConfiguration": {"Enabled": true}})"))),
              HasSubstr("ErrorOutputPrefix is required"));
  // At least 64 MB, no zero buffering.
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "p/", "ErrorOutputPrefix": "e/",
    "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60},
    "DynamicPartitioningConfiguration": {"Enabled": true}})"))),
              HasSubstr("at least 64"));
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "p/", "ErrorOutputPrefix": "e/",
    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 0},
    "DynamicPartitioningConfiguration": {"Enabled": true}})"))),
              HasSubstr("zero buffering"));
  // A key namespace needs the processor that produces it.
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "c=!{partitionKeyFromQuery:customer}/",
    "ErrorOutputPrefix": "e/!{firehose:error-output-type}/", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
    "DynamicPartitioningConfiguration": {"Enabled": true}})"))),
              HasSubstr("no enabled MetadataExtraction processor"));
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"Prefix": "c=!{partitionKeyFromLambda:customer}/",
    "ErrorOutputPrefix": "e/!{firehose:error-output-type}/", "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
    "DynamicPartitioningConfiguration": {"Enabled": true}, )" + jq + "}"))),
              HasSubstr("no enabled Lambda processor"));

  // It cannot be switched on or off by UpdateDestination.
  StreamConfig static_partitioning = Create(CreateRequest(Seed(R"({"Prefix": "p/", "ErrorOutputPrefix": "e/",
    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}, "DynamicPartitioningConfiguration": {"Enabled": true}})")));
  auto off = static_partitioning.ApplyUpdate(json::parse(R"({"ExtendedS3DestinationUpdate":
    {"DynamicPartitioningConfiguration": {"Enabled": false}}})").as_object());
  ASSERT_FALSE(off.ok());
  EXPECT_THAT(off.status().message(), HasSubstr("cannot be disabled"));
  StreamConfig plain = Create(CreateRequest(Seed("{}")));
  auto on = plain.ApplyUpdate(json::parse(R"({"ExtendedS3DestinationUpdate": {"ErrorOutputPrefix": "e/",
    "BufferingHints": {"SizeInMBs": 64}, "DynamicPartitioningConfiguration": {"Enabled": true}}})").as_object());
  ASSERT_FALSE(on.ok());
  EXPECT_THAT(on.status().message(), HasSubstr("cannot be enabled"));
}

// S3BackupMode Enabled: source records go to S3BackupConfiguration with its own buffering and
// compression; it can be enabled by UpdateDestination but never disabled again.
TEST(StreamConfigTest, SourceRecordBackup) {
  EXPECT_THAT(CreateError(CreateRequest(Seed(R"({"S3BackupMode": "Enabled"})"))),
              HasSubstr("S3BackupConfiguration is required when S3BackupMode is Enabled"));
  StreamConfig config = Create(CreateRequest(Seed(R"({"S3BackupMode": "Enabled",
    "S3BackupConfiguration": {"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::backup",
      "Prefix": "source/", "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 60},
      "CompressionFormat": "GZIP"}})")));
  ASSERT_TRUE(config.s3().backup);
  EXPECT_EQ(config.s3().backup->bucket, "backup");
  EXPECT_EQ(config.s3().backup->prefix, "source/");
  EXPECT_EQ(config.s3().backup->buffering, (BufferingHints{2, 60}));
  EXPECT_EQ(config.s3().backup->compression, "GZIP");
  const json::object description = config.DescribeDestination();
  const json::object& extended = Extended(description);
  EXPECT_EQ(extended.at("S3BackupMode"), "Enabled");
  EXPECT_EQ(json::serialize(extended.at("S3BackupDescription")), json::serialize(json::parse(R"({
    "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::backup", "Prefix": "source/",
    "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 60}, "CompressionFormat": "GZIP",
    "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
    "CloudWatchLoggingOptions": {"Enabled": false}})")));

  auto disabled = config.ApplyUpdate(json::parse(R"({"ExtendedS3DestinationUpdate": {"S3BackupMode": "Disabled"}})").as_object());
  ASSERT_FALSE(disabled.ok());
  EXPECT_THAT(disabled.status().message(), HasSubstr("cannot be changed from Enabled to Disabled"));
  auto resized = config.ApplyUpdate(json::parse(R"({"ExtendedS3DestinationUpdate":
    {"S3BackupUpdate": {"BufferingHints": {"SizeInMBs": 3}}}})").as_object());
  ASSERT_TRUE(resized.ok()) << resized.status().ToString();
  EXPECT_EQ(resized->s3().backup->buffering, (BufferingHints{3, 60}));

  StreamConfig plain = Create(CreateRequest(Seed("{}")));
  EXPECT_FALSE(plain.s3().backup);
  auto enabled = plain.ApplyUpdate(json::parse(R"({"ExtendedS3DestinationUpdate": {"S3BackupMode": "Enabled",
    "S3BackupUpdate": {"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::later"}}})").as_object());
  ASSERT_TRUE(enabled.ok()) << enabled.status().ToString();
  EXPECT_EQ(enabled->s3().backup->bucket, "later");
}

// --- HTTP endpoint destinations ---------------------------------------------------------------

constexpr std::string_view kHttpDestination = R"({
  "EndpointConfiguration": {"Url": "https://receiver.example.com/in", "Name": "receiver", "AccessKey": "k1"},
  "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 30},
  "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [{"AttributeName": "env", "AttributeValue": "dev"}]},
  "ProcessingConfiguration": {"Enabled": true, "Processors": [{"Type": "AppendDelimiterToRecord"}]},
  "RetryOptions": {"DurationInSeconds": 120},
  "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::failed",
    "ErrorOutputPrefix": "http-errors/", "CompressionFormat": "GZIP",
    "BufferingHints": {"SizeInMBs": 8, "IntervalInSeconds": 600}}
})";

StreamConfig CreateHttp(std::string_view destination = kHttpDestination) {
  return Create(CreateRequest(Obj(destination), "HttpEndpointDestinationConfiguration"));
}

TEST(StreamConfigTest, HttpEndpointStream) {
  StreamConfig config = CreateHttp();
  EXPECT_EQ(config.destination_member(), "HttpEndpointDestinationConfiguration");
  const auto* http = destination::http_endpoint::Of(config.destination());
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(http->url, "https://receiver.example.com/in");
  EXPECT_EQ(http->access_key, "k1");
  EXPECT_TRUE(http->gzip);
  EXPECT_EQ(http->retry_seconds, 120);
  // The destination's own buffering and processing...
  EXPECT_EQ(config.buffering(), (BufferingHints{2, 30}));
  ASSERT_TRUE(config.processing().has_value());
  EXPECT_EQ(config.processing(), http->processing);
  // ...and s3() is the S3Configuration, where failed records go.
  EXPECT_EQ(config.s3().bucket, "failed");
  EXPECT_EQ(config.s3().error_output_prefix, "http-errors/");
  EXPECT_EQ(config.s3().compression, "GZIP");
  EXPECT_EQ(config.s3().buffering, (BufferingHints{8, 600}));
  EXPECT_FALSE(config.s3().processing.has_value());
  EXPECT_FALSE(config.s3().backup.has_value());

  json::object description = config.DescribeDestination();
  ASSERT_EQ(description.size(), 1u);
  const json::object& http_description = description.at("HttpEndpointDestinationDescription").as_object();
  EXPECT_EQ(http_description.at("EndpointConfiguration"),
            json::parse(R"({"Url": "https://receiver.example.com/in", "Name": "receiver"})"));
  EXPECT_EQ(http_description.at("S3DestinationDescription").at("BucketARN"), "arn:aws:s3:::failed");
  EXPECT_EQ(json::serialize(description).find("k1"), std::string::npos);
}

TEST(StreamConfigTest, S3StreamsKeepTheirAccessors) {
  StreamConfig config = Create(CreateRequest(Seed(R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "AppendDelimiterToRecord"}]}, "BufferingHints": {"SizeInMBs": 3, "IntervalInSeconds": 70}})")));
  EXPECT_EQ(config.destination_member(), "ExtendedS3DestinationConfiguration");
  EXPECT_EQ(destination::http_endpoint::Of(config.destination()), nullptr);
  EXPECT_EQ(config.buffering(), (BufferingHints{3, 70}));
  EXPECT_EQ(config.buffering(), config.s3().buffering);
  ASSERT_TRUE(config.processing());
  EXPECT_EQ(config.processing(), config.s3().processing);
  EXPECT_EQ(Create(CreateRequest(Seed(), "S3DestinationConfiguration")).destination_member(),
            "ExtendedS3DestinationConfiguration");
}

TEST(StreamConfigTest, HttpEndpointRulesApplyAtCreation) {
  json::object ftp = Obj(kHttpDestination);
  ftp["EndpointConfiguration"].as_object()["Url"] = "ftp://receiver.example.com/";
  EXPECT_THAT(CreateError(CreateRequest(ftp, "HttpEndpointDestinationConfiguration")),
              HasSubstr("EndpointConfiguration.Url must start with https:// or http://"));
  json::object http = Obj(kHttpDestination);
  http["EndpointConfiguration"].as_object()["Url"] = "http://localhost:9000/";
  EXPECT_EQ(destination::http_endpoint::Of(Create(CreateRequest(http, "HttpEndpointDestinationConfiguration")).destination())->url,
            "http://localhost:9000/");
  json::object secrets = Obj(kHttpDestination);
  secrets["SecretsManagerConfiguration"] = Obj(R"({"Enabled": true})");
  EXPECT_THAT(CreateError(CreateRequest(secrets, "HttpEndpointDestinationConfiguration")),
              HasSubstr("not supported by this version of Hydrant yet"));
  // Exactly one destination, whatever the kinds.
  json::object two = CreateRequest(Obj(kHttpDestination), "HttpEndpointDestinationConfiguration");
  two["ExtendedS3DestinationConfiguration"] = Seed();
  EXPECT_EQ(CreateError(two), "Exactly one destination configuration is supported for a Firehose");
}

TEST(StreamConfigTest, HttpEndpointUpdate) {
  StreamConfig config = CreateHttp();
  auto updated = config.ApplyUpdate(Update("HttpEndpointDestinationUpdate",
      R"({"EndpointConfiguration": {"Url": "http://10.1.2.3:8080/in", "AccessKey": "k2"},
          "S3Update": {"Prefix": "p/"}})"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(destination::http_endpoint::Of(updated->destination())->url, "http://10.1.2.3:8080/in");
  EXPECT_EQ(destination::http_endpoint::Of(updated->destination())->access_key, "k2");
  EXPECT_EQ(destination::http_endpoint::Of(updated->destination())->name, "receiver");
  EXPECT_EQ(updated->s3().prefix, "p/");
  EXPECT_EQ(updated->s3().error_output_prefix, "http-errors/");
  EXPECT_EQ(updated->buffering(), (BufferingHints{2, 30}));
  EXPECT_EQ(destination::http_endpoint::Of(config.destination())->url, "https://receiver.example.com/in");  // untouched

  auto too_big = config.ApplyUpdate(
      Update("HttpEndpointDestinationUpdate", R"({"BufferingHints": {"SizeInMBs": 65}})"));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().message(), "BufferingHints.SizeInMBs must be between 1 and 64");

  StreamConfig all_data = *config.ApplyUpdate(
      Update("HttpEndpointDestinationUpdate", R"({"S3BackupMode": "AllData"})"));
  EXPECT_TRUE(destination::http_endpoint::Of(all_data.destination())->all_data);
  auto back = all_data.ApplyUpdate(
      Update("HttpEndpointDestinationUpdate", R"({"S3BackupMode": "FailedDataOnly"})"));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message(), "S3BackupMode cannot be changed from AllData to FailedDataOnly");
}

TEST(StreamConfigTest, UpdateOfAnotherDestinationKindIsRefused) {
  StreamConfig http = CreateHttp();
  for (const char* member : {"ExtendedS3DestinationUpdate", "S3DestinationUpdate"}) {
    auto result = http.ApplyUpdate(Update(member, R"({"Prefix": "x/"})"));
    ASSERT_FALSE(result.ok()) << member;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(result.status().message(),
              "Changing the destination type with UpdateDestination (" + std::string(member) +
                  " on a stream whose destination is HttpEndpointDestinationConfiguration) is not "
                  "supported by this version of Hydrant yet");
  }
  StreamConfig s3 = Create(CreateRequest(Seed()));
  auto result = s3.ApplyUpdate(Update("HttpEndpointDestinationUpdate", R"({"RoleARN": "arn:aws:iam::123456789012:role/r"})"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "Changing the destination type with UpdateDestination (HttpEndpointDestinationUpdate on a "
            "stream whose destination is ExtendedS3DestinationConfiguration) is not supported by this "
            "version of Hydrant yet");
}

TEST(StreamConfigTest, HttpEndpointJsonRoundTrip) {
  StreamConfig config = CreateHttp();
  json::object stored = config.ToJson().as_object();
  EXPECT_FALSE(stored.contains("ExtendedS3DestinationConfiguration"));
  ASSERT_TRUE(stored.contains("HttpEndpointDestinationConfiguration"));
  // The stored form keeps the AccessKey: delivery needs it after a restart.
  EXPECT_EQ(stored.at("HttpEndpointDestinationConfiguration").at("EndpointConfiguration").at("AccessKey"), "k1");
  auto restored = StreamConfig::FromJson(json::parse(json::serialize(stored)));
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->destination_member(), "HttpEndpointDestinationConfiguration");
  ASSERT_NE(destination::http_endpoint::Of(restored->destination()), nullptr);
  EXPECT_EQ(*destination::http_endpoint::Of(restored->destination()), *destination::http_endpoint::Of(config.destination()));
  EXPECT_EQ(json::serialize(restored->DescribeDestination()), json::serialize(config.DescribeDestination()));
  EXPECT_EQ(json::serialize(restored->ToJson()), json::serialize(config.ToJson()));

  // Both destination members, or neither, is not a stream.
  json::object both = stored;
  both["ExtendedS3DestinationConfiguration"] = Seed();
  EXPECT_EQ(StreamConfig::FromJson(both).status().code(), StatusCode::kCorruption);
  json::object neither = stored;
  neither.erase("HttpEndpointDestinationConfiguration");
  EXPECT_EQ(StreamConfig::FromJson(neither).status().code(), StatusCode::kCorruption);
  json::object bad_url = stored;
  bad_url["HttpEndpointDestinationConfiguration"].as_object()["EndpointConfiguration"].as_object()["Url"] =
      "ftp://x/";
  EXPECT_EQ(StreamConfig::FromJson(bad_url).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace hydrant::stream
