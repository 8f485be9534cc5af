// Tests for the HTTP endpoint destination's configuration: rules, defaults, Describe, merge.
#include "destination/http_endpoint/http_endpoint_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hydrant::destination::http_endpoint {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

// The smallest destination the model allows.
constexpr std::string_view kMinimal = R"({
  "EndpointConfiguration": {"Url": "https://receiver.example.com/ingest"},
  "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::failed"}
})";

// Every member of HttpEndpointDestinationConfiguration, in another order than the model's.
constexpr std::string_view kEveryMember = R"({
  "SecretsManagerConfiguration": {"Enabled": false, "SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"},
  "S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/s3", "BucketARN": "arn:aws:s3:::failed",
    "Prefix": "backup/", "ErrorOutputPrefix": "errors/", "CompressionFormat": "GZIP",
    "BufferingHints": {"SizeInMBs": 10, "IntervalInSeconds": 400}},
  "S3BackupMode": "AllData",
  "RetryOptions": {"DurationInSeconds": 60},
  "RoleARN": "arn:aws:iam::123456789012:role/http",
  "ProcessingConfiguration": {"Enabled": true, "Processors": [{"Type": "Lambda", "Parameters": [
    {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"}]}]},
  "RequestConfiguration": {"CommonAttributes": [{"AttributeName": "env", "AttributeValue": "prod"},
    {"AttributeName": "app", "AttributeValue": ""}], "ContentEncoding": "GZIP"},
  "CloudWatchLoggingOptions": {"Enabled": true, "LogGroupName": "g", "LogStreamName": "s"},
  "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
  "EndpointConfiguration": {"AccessKey": "secret-key", "Name": "receiver", "Url": "https://receiver.example.com/ingest?x=1"}
})";

// `base` with `patch` members set (a null value removes the member).
json::object With(std::string_view base, std::string_view patch) {
  json::object d = Obj(base);
  for (auto& [k, v] : Obj(patch)) {
    if (v.is_null()) {
      d.erase(k);
    } else {
      d[k] = v;
    }
  }
  return d;
}

// The stored form of `given`, which must be accepted.
json::object Stored(const json::object& given) {
  auto stored = FromCreateRequest(given);
  EXPECT_TRUE(stored.ok()) << stored.status().ToString();
  if (!stored.ok()) return {};
  auto parsed = Parse(*stored);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return *stored;
}

HttpEndpointDestination Parsed(const json::object& given) {
  auto parsed = Parse(Stored(given));
  return parsed.ok() ? *parsed : HttpEndpointDestination{};
}

// The status of creating `given`, which must be refused.
Status Refused(const json::object& given) {
  auto stored = FromCreateRequest(given);
  if (!stored.ok()) return stored.status();
  auto parsed = Parse(*stored);
  EXPECT_FALSE(parsed.ok()) << json::serialize(given);
  return parsed.ok() ? Status::Ok() : parsed.status();
}

std::string RefusedMessage(const json::object& given) {
  Status st = Refused(given);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  return st.message();
}

json::object Description(const json::object& given) {
  json::object stored = Stored(given);
  auto parsed = Parse(stored);
  if (!parsed.ok()) return {};
  json::object described = Describe(stored, *parsed);
  EXPECT_EQ(described.size(), 1u);
  return described.at("HttpEndpointDestinationDescription").as_object();
}

std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : o) keys.emplace_back(k);
  return keys;
}

// --- Parse: the typed view and its defaults -----------------------------------------------------

TEST(HttpEndpointConfigTest, MinimalDestinationGetsEveryDefault) {
  HttpEndpointDestination d = Parsed(Obj(kMinimal));
  EXPECT_EQ(d.url, "https://receiver.example.com/ingest");
  EXPECT_EQ(d.name, "");
  EXPECT_EQ(d.access_key, "");
  EXPECT_EQ(d.buffering, (s3::BufferingHints{5, 300}));
  EXPECT_FALSE(d.gzip);
  EXPECT_TRUE(d.common_attributes.empty());
  EXPECT_FALSE(d.processing.has_value());
  EXPECT_EQ(d.retry_seconds, 300);
  EXPECT_FALSE(d.all_data);
  EXPECT_EQ(d.s3.bucket, "failed");
  EXPECT_EQ(d.s3.prefix, "");
  EXPECT_EQ(d.s3.error_output_prefix, std::nullopt);
  EXPECT_EQ(d.s3.compression, "UNCOMPRESSED");
  EXPECT_EQ(d.s3.buffering, (s3::BufferingHints{5, 300}));
}

TEST(HttpEndpointConfigTest, EveryMemberIsRead) {
  HttpEndpointDestination d = Parsed(Obj(kEveryMember));
  EXPECT_EQ(d.url, "https://receiver.example.com/ingest?x=1");
  EXPECT_EQ(d.name, "receiver");
  EXPECT_EQ(d.access_key, "secret-key");
  EXPECT_EQ(d.buffering, (s3::BufferingHints{64, 60}));
  EXPECT_TRUE(d.gzip);
  EXPECT_EQ(d.common_attributes,
            (std::vector<CommonAttribute>{{"env", "prod"}, {"app", ""}}));  // in the order given
  ASSERT_TRUE(d.processing.has_value());
  EXPECT_EQ(d.processing->at("Processors").as_array().size(), 1u);
  EXPECT_EQ(d.retry_seconds, 60);
  EXPECT_TRUE(d.all_data);
  EXPECT_EQ(d.s3.bucket, "failed");
  EXPECT_EQ(d.s3.prefix, "backup/");
  EXPECT_EQ(d.s3.error_output_prefix, "errors/");
  EXPECT_EQ(d.s3.compression, "GZIP");
  EXPECT_EQ(d.s3.buffering, (s3::BufferingHints{10, 400}));
  EXPECT_FALSE(d.s3.processing.has_value());
  EXPECT_FALSE(d.s3.backup.has_value());
  EXPECT_FALSE(d.s3.dynamic_partitioning);
}

TEST(HttpEndpointConfigTest, StoredFormIsWhatWasConfiguredInTheModelsOrder) {
  json::object stored = Stored(Obj(kEveryMember));
  EXPECT_EQ(Keys(stored), (std::vector<std::string>{"EndpointConfiguration", "BufferingHints",
                                                     "CloudWatchLoggingOptions", "RequestConfiguration",
                                                     "ProcessingConfiguration", "RoleARN", "RetryOptions",
                                                     "S3BackupMode", "S3Configuration",
                                                     "SecretsManagerConfiguration"}));
  // Values as given (the AccessKey included: delivery needs it), no defaults added.
  EXPECT_EQ(stored.at("EndpointConfiguration"), Obj(kEveryMember).at("EndpointConfiguration"));
  EXPECT_EQ(Stored(Obj(kMinimal)), Obj(kMinimal));
}

TEST(HttpEndpointConfigTest, UnknownMembersAreNotStored) {
  // A hand-made request may carry members of other shapes; they are not part of the destination.
  json::object given = With(kMinimal, R"({"FileExtension": ".json", "BucketARN": "arn:aws:s3:::x"})");
  given["S3Configuration"].as_object()["FileExtension"] = ".txt";  // an ExtendedS3-only member
  json::object stored = Stored(given);
  EXPECT_FALSE(stored.contains("FileExtension"));
  EXPECT_FALSE(stored.contains("BucketARN"));
  EXPECT_FALSE(stored.at("S3Configuration").as_object().contains("FileExtension"));
}

// --- The service's rules ---------------------------------------------------------------------------

TEST(HttpEndpointConfigTest, UrlMustBeHttpsOrHttp) {
  // http:// is Hydrant's addition for receivers on the same host or network.
  EXPECT_EQ(Parsed(With(kMinimal, R"({"EndpointConfiguration": {"Url": "http://127.0.0.1:8080/"}})")).url,
            "http://127.0.0.1:8080/");
  EXPECT_EQ(Parsed(With(kMinimal, R"({"EndpointConfiguration": {"Url": "https://h"}})")).url, "https://h");
  for (const char* url : {"ftp://receiver.example.com/", "receiver.example.com", "HTTPS://receiver/",
                          "https:/receiver", " https://receiver/"}) {
    json::object given = Obj(kMinimal);
    given["EndpointConfiguration"].as_object()["Url"] = url;
    std::string message = RefusedMessage(given);
    EXPECT_EQ(message, "EndpointConfiguration.Url must start with https:// or http://")
        << url;
    EXPECT_THAT(message, ::testing::Not(HasSubstr(url))) << "the URL is sensitive";
  }
  for (const char* url : {"https://", "http:///path", "https://?q"}) {
    json::object given = Obj(kMinimal);
    given["EndpointConfiguration"].as_object()["Url"] = url;
    EXPECT_EQ(RefusedMessage(given), "EndpointConfiguration.Url must name a host after its scheme") << url;
  }
}

TEST(HttpEndpointConfigTest, RequiredMembers) {
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"EndpointConfiguration": null})")),
            "EndpointConfiguration is required");
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"EndpointConfiguration": {"Name": "n"}})")),
            "EndpointConfiguration.Url is required");
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"S3Configuration": null})")), "S3Configuration is required");
  // S3Configuration follows the S3 rules.
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"S3Configuration": {"BucketARN": "arn:aws:s3:::b"}})")),
            "RoleARN is required");
  EXPECT_THAT(RefusedMessage(With(kMinimal, R"({"S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r",
      "BucketARN": "arn:aws:s3:::b", "Prefix": "!{timestamp:yyyy}/"}})")),
              HasSubstr("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions"));
}

TEST(HttpEndpointConfigTest, BufferingHintsRange) {
  for (int64_t size : {1, 64}) {
    json::object given = With(kMinimal, R"({"BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})");
    given["BufferingHints"].as_object()["SizeInMBs"] = size;
    EXPECT_EQ(Parsed(given).buffering, (s3::BufferingHints{size, 0}));
  }
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"BufferingHints": {"SizeInMBs": 65, "IntervalInSeconds": 60}})")),
            "BufferingHints.SizeInMBs must be between 1 and 64");
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"BufferingHints": {"SizeInMBs": 0, "IntervalInSeconds": 60}})")),
            "BufferingHints.SizeInMBs must be between 1 and 64");
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 901}})")),
            "BufferingHints.IntervalInSeconds must be between 0 and 900");
  // S3Configuration keeps the S3 range (up to 128).
  EXPECT_EQ(Parsed(With(kMinimal, R"({"S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r",
      "BucketARN": "arn:aws:s3:::b", "BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 60}}})"))
                .s3.buffering.size_mb,
            128);
}

TEST(HttpEndpointConfigTest, BufferingHintsNameBothMembersOnCreate) {
  const std::string expected =
      "BufferingHints: if you specify a value for one of SizeInMBs and IntervalInSeconds, you must "
      "also provide a value for the other";
  auto one = FromCreateRequest(With(kMinimal, R"({"BufferingHints": {"SizeInMBs": 10}})"));
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().message(), expected);
  auto s3_one = FromCreateRequest(With(kMinimal, R"({"S3Configuration": {"RoleARN": "arn:aws:iam::123456789012:role/r",
      "BucketARN": "arn:aws:s3:::b", "BufferingHints": {"IntervalInSeconds": 10}}})"));
  ASSERT_FALSE(s3_one.ok());
  EXPECT_EQ(s3_one.status().message(), expected);
  EXPECT_EQ(Parsed(With(kMinimal, R"({"BufferingHints": {}})")).buffering, (s3::BufferingHints{5, 300}));
}

TEST(HttpEndpointConfigTest, RequestConfiguration) {
  EXPECT_FALSE(Parsed(With(kMinimal, R"({"RequestConfiguration": {"ContentEncoding": "NONE"}})")).gzip);
  EXPECT_FALSE(Parsed(With(kMinimal, R"({"RequestConfiguration": {}})")).gzip);
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"RequestConfiguration": {"ContentEncoding": "gzip"}})")),
            "RequestConfiguration.ContentEncoding must be NONE or GZIP");
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"RequestConfiguration": {"CommonAttributes": [
      {"AttributeName": "a", "AttributeValue": "1"}, {"AttributeName": "a", "AttributeValue": "2"}]}})")),
            "RequestConfiguration.CommonAttributes: each AttributeName may appear only once");
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"RequestConfiguration": {"CommonAttributes": [
      {"AttributeName": "a"}]}})")),
            "RequestConfiguration.CommonAttributes: AttributeName and AttributeValue are required");
  Status wrong_type = Refused(With(kMinimal, R"({"RequestConfiguration": {"CommonAttributes": ["a"]}})"));
  EXPECT_EQ(wrong_type.code(), StatusCode::kMalformed);
}

TEST(HttpEndpointConfigTest, RetryOptionsAndBackupMode) {
  EXPECT_EQ(Parsed(With(kMinimal, R"({"RetryOptions": {"DurationInSeconds": 0}})")).retry_seconds, 0);
  EXPECT_EQ(Parsed(With(kMinimal, R"({"RetryOptions": {"DurationInSeconds": 7200}})")).retry_seconds, 7200);
  EXPECT_EQ(Parsed(With(kMinimal, R"({"RetryOptions": {}})")).retry_seconds, 300);
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"RetryOptions": {"DurationInSeconds": 7201}})")),
            "RetryOptions.DurationInSeconds must be between 0 and 7200");
  EXPECT_FALSE(Parsed(With(kMinimal, R"({"S3BackupMode": "FailedDataOnly"})")).all_data);
  EXPECT_TRUE(Parsed(With(kMinimal, R"({"S3BackupMode": "AllData"})")).all_data);
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"S3BackupMode": "Enabled"})")),
            "S3BackupMode must be FailedDataOnly or AllData");
}

TEST(HttpEndpointConfigTest, ProcessingIsValidatedByTheProcessorStage) {
  EXPECT_TRUE(Parsed(With(kMinimal, R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "AppendDelimiterToRecord"}]}})")).processing.has_value());
  // Disabled or empty: stored and described, nothing runs.
  EXPECT_FALSE(Parsed(With(kMinimal, R"({"ProcessingConfiguration": {"Enabled": false, "Processors": [
      {"Type": "Lambda"}]}})")).processing.has_value());
  EXPECT_FALSE(Parsed(With(kMinimal, R"({"ProcessingConfiguration": {"Enabled": true, "Processors": []}})"))
                   .processing.has_value());
  EXPECT_THAT(RefusedMessage(With(kMinimal, R"({"ProcessingConfiguration": {"Enabled": true,
      "Processors": [{"Type": "Lambda"}]}})")),
              HasSubstr("LambdaArn"));
  // MetadataExtraction needs dynamic partitioning, which only S3 destinations have.
  EXPECT_THAT(RefusedMessage(With(kMinimal, R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "MetadataExtraction", "Parameters": [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{a: .a}"},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]}})")),
              HasSubstr("dynamic partitioning"));
  // Model-constraint messages name this destination's member.
  Status model = Refused(With(kMinimal, R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": ""}]}]}})"));
  EXPECT_THAT(model.message(), HasSubstr("httpEndpointDestinationConfiguration.processingConfiguration"));
}

TEST(HttpEndpointConfigTest, SecretsManagerOnlyDisabled) {
  EXPECT_TRUE(Parse(Stored(With(kMinimal, R"({"SecretsManagerConfiguration": {"Enabled": false}})"))).ok());
  std::string message = RefusedMessage(With(kMinimal, R"({"SecretsManagerConfiguration": {"Enabled": true,
      "SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"}})"));
  EXPECT_THAT(message, HasSubstr("SecretsManagerConfiguration"));
  EXPECT_THAT(message, HasSubstr("is not supported by this version of Hydrant yet"));
  EXPECT_EQ(RefusedMessage(With(kMinimal, R"({"SecretsManagerConfiguration": {}})")),
            "SecretsManagerConfiguration.Enabled is required");
}

TEST(HttpEndpointConfigTest, CloudWatchLoggingNeedsNamesWhenEnabled) {
  EXPECT_THAT(RefusedMessage(With(kMinimal, R"({"CloudWatchLoggingOptions": {"Enabled": true}})")),
              HasSubstr("LogGroupName and LogStreamName are required"));
  EXPECT_TRUE(Parse(Stored(With(kMinimal, R"({"CloudWatchLoggingOptions": {"Enabled": false}})"))).ok());
}

TEST(HttpEndpointConfigTest, WrongJsonTypesAreMalformed) {
  EXPECT_EQ(Refused(With(kMinimal, R"({"EndpointConfiguration": {"Url": 7}})")).code(), StatusCode::kMalformed);
  EXPECT_EQ(Refused(With(kMinimal, R"({"RetryOptions": {"DurationInSeconds": "60"}})")).code(),
            StatusCode::kMalformed);
  EXPECT_EQ(Refused(With(kMinimal, R"({"RequestConfiguration": []})")).code(), StatusCode::kMalformed);
}

// --- Describe --------------------------------------------------------------------------------------

TEST(HttpEndpointConfigTest, MinimalDescriptionShowsTheDefaultsInTheModelsOrder) {
  EXPECT_EQ(json::serialize(Description(Obj(kMinimal))), json::serialize(json::parse(R"({
    "EndpointConfiguration": {"Url": "https://receiver.example.com/ingest"},
    "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
    "CloudWatchLoggingOptions": {"Enabled": false},
    "RequestConfiguration": {"ContentEncoding": "NONE"},
    "RetryOptions": {"DurationInSeconds": 300},
    "S3BackupMode": "FailedDataOnly",
    "S3DestinationDescription": {
      "RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::failed",
      "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300}, "CompressionFormat": "UNCOMPRESSED",
      "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
      "CloudWatchLoggingOptions": {"Enabled": false}}
  })")));
}

TEST(HttpEndpointConfigTest, FullDescriptionNeverShowsTheAccessKey) {
  json::object described = Description(Obj(kEveryMember));
  EXPECT_EQ(json::serialize(described), json::serialize(json::parse(R"({
    "EndpointConfiguration": {"Url": "https://receiver.example.com/ingest?x=1", "Name": "receiver"},
    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
    "CloudWatchLoggingOptions": {"Enabled": true, "LogGroupName": "g", "LogStreamName": "s"},
    "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [
      {"AttributeName": "env", "AttributeValue": "prod"}, {"AttributeName": "app", "AttributeValue": ""}]},
    "ProcessingConfiguration": {"Enabled": true, "Processors": [{"Type": "Lambda", "Parameters": [
      {"ParameterName": "LambdaArn", "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"},
      {"ParameterName": "NumberOfRetries", "ParameterValue": "3"},
      {"ParameterName": "RoleArn", "ParameterValue": "arn:aws:iam::123456789012:role/http"},
      {"ParameterName": "BufferSizeInMBs", "ParameterValue": "1"},
      {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "60"}]}]},
    "RoleARN": "arn:aws:iam::123456789012:role/http",
    "RetryOptions": {"DurationInSeconds": 60},
    "S3BackupMode": "AllData",
    "S3DestinationDescription": {
      "RoleARN": "arn:aws:iam::123456789012:role/s3", "BucketARN": "arn:aws:s3:::failed",
      "Prefix": "backup/", "ErrorOutputPrefix": "errors/",
      "BufferingHints": {"SizeInMBs": 10, "IntervalInSeconds": 400}, "CompressionFormat": "GZIP",
      "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
      "CloudWatchLoggingOptions": {"Enabled": false}},
    "SecretsManagerConfiguration": {"SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
      "Enabled": false}
  })")));
  EXPECT_EQ(json::serialize(described).find("secret-key"), std::string::npos);
  EXPECT_EQ(json::serialize(described).find("AccessKey"), std::string::npos);
}

TEST(HttpEndpointConfigTest, LambdaRoleDefaultsToTheS3ConfigurationsRoleWithoutRoleArn) {
  json::object described = Description(With(kMinimal, R"({"ProcessingConfiguration": {"Processors": [
      {"Type": "Lambda", "Parameters": [{"ParameterName": "LambdaArn",
        "ParameterValue": "arn:aws:lambda:us-east-1:123456789012:function:f"}]}]}})"));
  EXPECT_FALSE(described.contains("RoleARN"));
  EXPECT_EQ(described.at("ProcessingConfiguration").at("Processors").at(0).at("Parameters").at(2),
            json::parse(R"({"ParameterName": "RoleArn", "ParameterValue": "arn:aws:iam::123456789012:role/r"})"));
}

TEST(HttpEndpointConfigTest, DescribedCommonAttributesAsConfigured) {
  EXPECT_EQ(Description(With(kMinimal, R"({"RequestConfiguration": {"CommonAttributes": []}})"))
                .at("RequestConfiguration"),
            json::parse(R"({"ContentEncoding": "NONE", "CommonAttributes": []})"));
}

// --- UpdateDestination ---------------------------------------------------------------------------------

// The stored destination after `update`, which must pass every rule.
json::object Updated(const json::object& stored, std::string_view update) {
  auto merged = MergeUpdate(stored, Obj(update));
  EXPECT_TRUE(merged.ok()) << merged.status().ToString();
  if (!merged.ok()) return {};
  auto parsed = Parse(*merged);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return *merged;
}

TEST(HttpEndpointConfigTest, UpdateUrlAndAccessKeyKeepsTheRest) {
  json::object stored = Stored(Obj(kEveryMember));
  json::object updated = Updated(stored, R"({"EndpointConfiguration": {"Url": "http://10.0.0.5:9000/in",
      "AccessKey": "new-key"}})");
  HttpEndpointDestination d = *Parse(updated);
  EXPECT_EQ(d.url, "http://10.0.0.5:9000/in");
  EXPECT_EQ(d.access_key, "new-key");
  EXPECT_EQ(d.name, "receiver");  // merged member by member
  HttpEndpointDestination before = *Parse(stored);
  EXPECT_EQ(d.buffering, before.buffering);
  EXPECT_EQ(d.common_attributes, before.common_attributes);
  EXPECT_EQ(d.s3, before.s3);
  EXPECT_EQ(Keys(updated), Keys(stored));
}

TEST(HttpEndpointConfigTest, UpdateMergesStructuresAndReplacesLists) {
  json::object stored = Stored(Obj(kEveryMember));
  HttpEndpointDestination d = *Parse(Updated(stored, R"({"BufferingHints": {"SizeInMBs": 1},
      "RequestConfiguration": {"CommonAttributes": [{"AttributeName": "only", "AttributeValue": "one"}]},
      "RetryOptions": {"DurationInSeconds": 0}, "S3BackupMode": "AllData"})"));
  EXPECT_EQ(d.buffering, (s3::BufferingHints{1, 60}));
  EXPECT_TRUE(d.gzip);  // ContentEncoding kept
  EXPECT_EQ(d.common_attributes, (std::vector<CommonAttribute>{{"only", "one"}}));
  EXPECT_EQ(d.retry_seconds, 0);

  // Over the defaults, members not yet configured are added in the model's order.
  json::object minimal = Stored(Obj(kMinimal));
  json::object added = Updated(minimal, R"({"RetryOptions": {"DurationInSeconds": 10},
      "BufferingHints": {"IntervalInSeconds": 0}, "RoleARN": "arn:aws:iam::123456789012:role/x"})");
  EXPECT_EQ(Keys(added), (std::vector<std::string>{"EndpointConfiguration", "BufferingHints", "RoleARN",
                                                    "RetryOptions", "S3Configuration"}));
  EXPECT_EQ(Parse(added)->buffering, (s3::BufferingHints{5, 0}));
}

TEST(HttpEndpointConfigTest, S3UpdateMergesIntoS3Configuration) {
  json::object stored = Stored(Obj(kEveryMember));
  json::object updated = Updated(stored, R"({"S3Update": {"BucketARN": "arn:aws:s3:::other",
      "BufferingHints": {"SizeInMBs": 3}, "FileExtension": ".x"}})");
  HttpEndpointDestination d = *Parse(updated);
  EXPECT_EQ(d.s3.bucket, "other");
  EXPECT_EQ(d.s3.buffering, (s3::BufferingHints{3, 400}));
  EXPECT_EQ(d.s3.prefix, "backup/");
  // S3DestinationUpdate has no ExtendedS3 members.
  EXPECT_FALSE(updated.at("S3Configuration").as_object().contains("FileExtension"));
}

TEST(HttpEndpointConfigTest, UpdateCannotRemoveRequiredMembers) {
  json::object stored = Stored(Obj(kMinimal));
  // Null members are the same as absent ones: nothing changes.
  json::object nulls = Updated(stored, R"({"EndpointConfiguration": {"Url": null}, "RoleARN": null,
      "S3Update": {"RoleARN": null, "BucketARN": null}})");
  EXPECT_EQ(nulls, stored);
  EXPECT_EQ(Updated(stored, R"({"EndpointConfiguration": null})"), stored);
  // A new value must pass the rules.
  auto ftp = MergeUpdate(stored, Obj(R"({"EndpointConfiguration": {"Url": "ftp://x/"}})"));
  ASSERT_TRUE(ftp.ok());
  EXPECT_THAT(Parse(*ftp).status().message(), HasSubstr("must start with https:// or http://"));
  auto big = MergeUpdate(stored, Obj(R"({"BufferingHints": {"SizeInMBs": 65}})"));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(Parse(*big).status().message(), "BufferingHints.SizeInMBs must be between 1 and 64");
}

TEST(HttpEndpointConfigTest, AllDataCannotGoBackToFailedDataOnly) {
  HttpEndpointDestination failed_only = Parsed(Obj(kMinimal));
  HttpEndpointDestination all_data = Parsed(With(kMinimal, R"({"S3BackupMode": "AllData"})"));
  EXPECT_TRUE(CheckChange(failed_only, all_data).ok());
  EXPECT_TRUE(CheckChange(all_data, all_data).ok());
  Status back = CheckChange(all_data, failed_only);
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(back.message(), "S3BackupMode cannot be changed from AllData to FailedDataOnly");
}

TEST(HttpEndpointConfigTest, EnablingSecretsManagerByUpdateIsRefused) {
  json::object stored = Stored(With(kMinimal, R"({"SecretsManagerConfiguration": {"Enabled": false,
      "SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"}})"));
  auto merged = MergeUpdate(stored, Obj(R"({"SecretsManagerConfiguration": {"Enabled": true}})"));
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->at("SecretsManagerConfiguration").at("SecretARN"),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:s");
  EXPECT_THAT(Parse(*merged).status().message(), HasSubstr("not supported by this version of Hydrant yet"));
}

}  // namespace
}  // namespace hydrant::destination::http_endpoint
