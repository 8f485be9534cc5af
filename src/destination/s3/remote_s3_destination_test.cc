// Tests of the remote S3 destination's config parsing, error mapping and the bucket router.
// Uploads themselves are tested end to end against a real S3 server (tests/e2e/test_remote_s3.py).
#include "destination/s3/remote_s3_destination.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "destination/s3/bucket_router.h"

namespace hydrant::destination::s3 {
namespace {

using ::testing::HasSubstr;
namespace json = boost::json;

const char* NoEnv(const char*) { return nullptr; }

Result<RemoteS3Config> Parse(std::string_view text,
                             std::function<const char*(const char*)> getenv = NoEnv) {
  return ParseRemoteS3Config(json::parse(text), getenv);
}

TEST(RemoteS3ConfigTest, DefaultsToAwsVirtualHostedWithTheStreamBucketName) {
  auto c = Parse(R"({"name": "logs", "region": "eu-west-1", "access_key_id": "AK", "secret_access_key": "S"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(c->bucket, "logs");
  EXPECT_FALSE(c->path_style);
  EXPECT_EQ(c->multipart_threshold_bytes, 16u << 20);
  EXPECT_EQ(c->session_token, "");
}

TEST(RemoteS3ConfigTest, ExplicitEndpointIsPathStyleUnlessSaidOtherwise) {
  auto c = Parse(R"({"name": "logs", "region": "us-east-1", "endpoint": "http://127.0.0.1:9000/",
                     "bucket": "real-name", "access_key_id": "AK", "secret_access_key": "S",
                     "session_token": "T", "multipart_threshold_mb": 5})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c->bucket, "real-name");
  EXPECT_TRUE(c->path_style);
  EXPECT_EQ(c->session_token, "T");
  EXPECT_EQ(c->multipart_threshold_bytes, 5u << 20);
  auto v = Parse(R"({"name": "logs", "region": "us-east-1", "endpoint": "https://minio.example",
                     "path_style": false, "access_key_id": "AK", "secret_access_key": "S"})");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->path_style);
}

TEST(RemoteS3ConfigTest, CredentialsFallBackToTheEnvironment) {
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                            {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                            {"AWS_SESSION_TOKEN", "ENVTOKEN"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = Parse(R"({"name": "logs", "region": "us-east-1"})", getenv);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->secret_access_key, "ENVSECRET");
  EXPECT_EQ(c->session_token, "ENVTOKEN");
  // Keys in the file win over the environment.
  auto f = Parse(R"({"name": "logs", "region": "us-east-1", "access_key_id": "AK", "secret_access_key": "S"})", getenv);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->access_key_id, "AK");
}

TEST(RemoteS3ConfigTest, ClearErrors) {
  auto error = [](std::string_view text) { return Parse(text).status().message(); };
  EXPECT_THAT(error(R"({"name": "logs"})"), HasSubstr("remote bucket logs: region is required"));
  EXPECT_THAT(error(R"({"region": "us-east-1"})"), HasSubstr("has no name"));
  EXPECT_THAT(error(R"({"name": "logs", "region": "us-east-1"})"),
              HasSubstr("no credentials: set access_key_id and secret_access_key, or the AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(error(R"({"name": "logs", "region": "us-east-1", "access_key_id": "AK"})"),
              HasSubstr("go together"));
  EXPECT_THAT(error(R"({"name": "logs", "region": "us-east-1", "endpoint": "127.0.0.1:9000",
                        "access_key_id": "AK", "secret_access_key": "S"})"),
              HasSubstr("must start with http:// or https://"));
  EXPECT_THAT(error(R"({"name": "logs", "region": "us-east-1", "multipart_threshold_mb": 1,
                        "access_key_id": "AK", "secret_access_key": "S"})"),
              HasSubstr("multipart_threshold_mb must be a whole number from 5 to 5120"));
  EXPECT_THAT(error(R"({"name": "logs", "region": "us-east-1", "pathstyle": true,
                        "access_key_id": "AK", "secret_access_key": "S"})"),
              HasSubstr("unknown setting 'pathstyle'"));
  EXPECT_THAT(error(R"({"name": "logs", "region": "us-east-1", "ca_bundle": "/nonexistent/ca.pem",
                        "access_key_id": "AK", "secret_access_key": "S"})"),
              HasSubstr("ca_bundle /nonexistent/ca.pem cannot be read"));
}

RemoteS3Config Config() {
  RemoteS3Config c;
  c.name = "logs";
  c.bucket = "real-name";
  c.endpoint = "http://127.0.0.1:9000";
  c.region = "us-east-1";
  return c;
}

TEST(S3ErrorMappingTest, CredentialErrorsAreRetryableAndNameTheBucketAndEndpoint) {
  for (const char* code : {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}) {
    DeliveryResult r = MapS3Error(403, code, "no", Config());
    EXPECT_EQ(r.outcome, Outcome::kRetryable) << code;
    EXPECT_EQ(r.error_code, std::string("S3.") + code);
    EXPECT_THAT(r.error_message, HasSubstr("access to bucket real-name at http://127.0.0.1:9000 was denied"));
    EXPECT_THAT(r.error_message, HasSubstr("remote bucket logs"));
  }
  EXPECT_EQ(MapS3Error(403, "", "", Config()).error_code, "S3.AccessDenied");
}

TEST(S3ErrorMappingTest, MissingBucketServerErrorsAndThrottlingAreRetryable) {
  DeliveryResult missing = MapS3Error(404, "NoSuchBucket", "The specified bucket does not exist", Config());
  EXPECT_EQ(missing.outcome, Outcome::kRetryable);
  EXPECT_EQ(missing.error_code, "S3.NoSuchBucket");
  EXPECT_THAT(missing.error_message, HasSubstr("bucket real-name at http://127.0.0.1:9000 does not exist"));
  EXPECT_EQ(MapS3Error(500, "InternalError", "x", Config()).outcome, Outcome::kRetryable);
  EXPECT_EQ(MapS3Error(502, "", "", Config()).error_code, "S3.InternalError");
  EXPECT_EQ(MapS3Error(503, "SlowDown", "x", Config()).error_code, "S3.SlowDown");
  EXPECT_EQ(MapS3Error(400, "RequestTimeout", "x", Config()).outcome, Outcome::kRetryable);
  DeliveryResult region = MapS3Error(400, "AuthorizationHeaderMalformed", "wrong region", Config());
  EXPECT_EQ(region.outcome, Outcome::kRetryable);
  EXPECT_THAT(region.error_message, HasSubstr("check the region and endpoint"));
  DeliveryResult down = MapTransportError("Couldn't connect to server", Config());
  EXPECT_EQ(down.outcome, Outcome::kRetryable);
  EXPECT_THAT(down.error_message, HasSubstr("cannot reach http://127.0.0.1:9000"));
}

TEST(S3ErrorMappingTest, OnlyErrorsNoRetryCanFixAreRejected) {
  EXPECT_EQ(MapS3Error(400, "EntityTooLarge", "x", Config()).outcome, Outcome::kFailed);
  EXPECT_EQ(MapS3Error(400, "KeyTooLongError", "x", Config()).outcome, Outcome::kFailed);
  EXPECT_EQ(MapS3Error(400, "InvalidRequest", "x", Config()).outcome, Outcome::kRetryable);
}

class RecordingDestination : public ObjectWriter {
 public:
  DeliveryResult Write(const format::Object& object) override {
    buckets.push_back(object.bucket);
    return {};
  }
  std::vector<std::string> buckets;
};

TEST(BucketRouterTest, RemoteBucketsByNameOthersLocal) {
  RecordingDestination local;
  auto remote = json::parse(R"([{"name": "logs", "region": "us-east-1", "endpoint": "http://127.0.0.1:1",
                                  "access_key_id": "AK", "secret_access_key": "S", "connect_timeout_seconds": 1}])");
  auto router = BucketRouter::Create(&local, remote.as_array(), NoEnv);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  ASSERT_NE((*router)->RemoteFor("logs"), nullptr);
  EXPECT_EQ((*router)->RemoteFor("other"), nullptr);
  format::Object object;
  object.bucket = "other";
  EXPECT_EQ((*router)->Write(object).outcome, Outcome::kDelivered);
  EXPECT_EQ(local.buckets, std::vector<std::string>{"other"});
  // Nothing listens on port 1: the remote bucket's delivery fails, retryably, and the local
  // destination never sees it.
  object.bucket = "logs";
  object.key = "a/b";
  DeliveryResult r = (*router)->Write(object);
  EXPECT_EQ(r.outcome, Outcome::kRetryable);
  EXPECT_EQ(r.error_code, "S3.ConnectionError");
  EXPECT_EQ(local.buckets.size(), 1u);

  auto twice = json::parse(R"([{"name": "logs", "region": "us-east-1", "access_key_id": "AK", "secret_access_key": "S"},
                               {"name": "logs", "region": "us-east-1", "access_key_id": "AK", "secret_access_key": "S"}])");
  EXPECT_THAT(BucketRouter::Create(&local, twice.as_array(), NoEnv).status().message(), HasSubstr("listed twice"));
}

}  // namespace
}  // namespace hydrant::destination::s3
