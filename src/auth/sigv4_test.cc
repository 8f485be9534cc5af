// Tests for SigV4 verification, on the examples AWS publishes (the SigV4 test suite's
// get-vanilla, and the S3 documentation's GET, presigned URL and aws-chunked upload), and on
// what changes when one part of a request is wrong.
#include "auth/sigv4.h"

#include <gtest/gtest.h>

namespace hydrant::auth {
namespace {

constexpr int64_t k20150830T123600Z = 1440938160000;
constexpr int64_t k20130524T000000Z = 1369353600000;

http::HttpRequest Request(std::string method, std::string target, std::map<std::string, std::string> headers,
                          std::string body = "") {
  http::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  for (auto& [name, value] : headers) r.headers.emplace(name, value);
  r.body = std::move(body);
  return r;
}

CredentialStore Store(std::string key, std::string secret) {
  return CredentialStore({Credential{.access_key_id = std::move(key), .secret_access_key = std::move(secret),
                                     .session_token = "", .user = "", .policy = nullptr}});
}

http::HttpRequest GetVanilla() {
  return Request("GET", "/",
                 {{"Host", "example.amazonaws.com"},
                  {"X-Amz-Date", "20150830T123600Z"},
                  {"Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                   "SignedHeaders=host;x-amz-date, "
                   "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}});
}

TEST(SigV4VerifyTest, TestSuiteGetVanilla) {
  CredentialStore store = Store("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  SigV4Verifier verifier(&store);
  Verdict v = verifier.Verify(GetVanilla(), "service", k20150830T123600Z);
  EXPECT_TRUE(v.ok()) << v.message << "\n" << v.canonical_request;
  EXPECT_EQ(v.credential->access_key_id, "AKIDEXAMPLE");
  // Twice: the second from the cached signing key.
  EXPECT_TRUE(verifier.Verify(GetVanilla(), "service", k20150830T123600Z).ok());
}

TEST(SigV4VerifyTest, EachWrongPartIsNamed) {
  CredentialStore store = Store("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  SigV4Verifier verifier(&store);
  http::HttpRequest tampered = GetVanilla();
  tampered.target = "/other";
  Verdict v = verifier.Verify(tampered, "service", k20150830T123600Z);
  EXPECT_EQ(v.failure, Failure::kBadSignature);
  EXPECT_EQ(v.canonical_request,
            "GET\n/other\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(v.string_to_sign.rfind("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n", 0),
            0u);

  CredentialStore other = Store("AKIDEXAMPLE", "a-different-secret");
  EXPECT_EQ(SigV4Verifier(&other).Verify(GetVanilla(), "service", k20150830T123600Z).failure, Failure::kBadSignature);
  CredentialStore unknown = Store("SOMEONEELSE", "x");
  EXPECT_EQ(SigV4Verifier(&unknown).Verify(GetVanilla(), "service", k20150830T123600Z).failure, Failure::kUnknownKey);
  EXPECT_EQ(verifier.Verify(GetVanilla(), "firehose", k20150830T123600Z).failure, Failure::kWrongService);

  // 15 minutes either way is allowed; a second more is not.
  EXPECT_TRUE(verifier.Verify(GetVanilla(), "service", k20150830T123600Z + kMaxSkewMillis).ok());
  Verdict stale = verifier.Verify(GetVanilla(), "service", k20150830T123600Z + kMaxSkewMillis + 1000);
  EXPECT_EQ(stale.failure, Failure::kSkewed);
  EXPECT_EQ(stale.message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)");
  EXPECT_EQ(verifier.Verify(GetVanilla(), "service", k20150830T123600Z - kMaxSkewMillis - 1000).failure,
            Failure::kSkewed);

  http::HttpRequest undated = GetVanilla();
  undated.headers.erase("X-Amz-Date");
  EXPECT_EQ(verifier.Verify(undated, "service", k20150830T123600Z).failure, Failure::kNoDate);
  http::HttpRequest unsigned_request = GetVanilla();
  unsigned_request.headers.erase("Authorization");
  EXPECT_EQ(verifier.Verify(unsigned_request, "service", k20150830T123600Z).failure, Failure::kMissing);
  http::HttpRequest garbled = GetVanilla();
  garbled.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015";
  EXPECT_EQ(verifier.Verify(garbled, "service", k20150830T123600Z).failure, Failure::kIncomplete);
}

TEST(SigV4VerifyTest, SessionTokenMustMatch) {
  CredentialStore store({Credential{.access_key_id = "AKIDEXAMPLE",
                                    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                    .session_token = "token-1", .user = "", .policy = nullptr}});
  SigV4Verifier verifier(&store);
  EXPECT_EQ(verifier.Verify(GetVanilla(), "service", k20150830T123600Z).failure, Failure::kBadToken);
}

TEST(SigV4VerifyTest, S3DocumentationGetObject) {
  CredentialStore store = Store("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  SigV4Verifier verifier(&store);
  http::HttpRequest get = Request(
      "GET", "/test.txt",
      {{"Host", "examplebucket.s3.amazonaws.com"},
       {"Range", "bytes=0-9"},
       {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
       {"x-amz-date", "20130524T000000Z"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}});
  Verdict v = verifier.Verify(get, "s3", k20130524T000000Z);
  EXPECT_TRUE(v.ok()) << v.canonical_request;
}

TEST(SigV4VerifyTest, S3DocumentationPresignedUrlAndItsExpiry) {
  CredentialStore store = Store("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  SigV4Verifier verifier(&store);
  http::HttpRequest get = Request(
      "GET",
      "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
      "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      {{"Host", "examplebucket.s3.amazonaws.com"}});
  Verdict v = verifier.Verify(get, "s3", k20130524T000000Z + 3600'000);  // an hour later: still valid
  EXPECT_TRUE(v.ok()) << v.canonical_request;
  Verdict late = verifier.Verify(get, "s3", k20130524T000000Z + 86401'000);
  EXPECT_EQ(late.failure, Failure::kExpired);
  EXPECT_EQ(late.message, "Request has expired");
  http::HttpRequest changed = get;
  changed.target.replace(changed.target.find("86400"), 5, "86399");
  EXPECT_EQ(verifier.Verify(changed, "s3", k20130524T000000Z).failure, Failure::kBadSignature);
}

TEST(SigV4VerifyTest, S3DocumentationSignatureVersion2PresignedUrl) {
  CredentialStore store = Store("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  SigV4Verifier verifier(&store);
  http::HttpRequest get = Request(
      "GET", "/johnsmith/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
      {{"Host", "s3.amazonaws.com"}});
  Verdict v = verifier.Verify(get, "s3", 1175139620'000 - 60'000);
  EXPECT_TRUE(v.ok()) << v.string_to_sign;
  EXPECT_EQ(verifier.Verify(get, "s3", 1175139621'000).failure, Failure::kExpired);
  http::HttpRequest other = get;
  other.target.replace(other.target.find("puppy"), 5, "kitty");
  Verdict wrong = verifier.Verify(other, "s3", 1175139620'000 - 60'000);
  EXPECT_EQ(wrong.failure, Failure::kBadSignature);
  EXPECT_EQ(wrong.string_to_sign, "GET\n\n\n1175139620\n/johnsmith/photos/kitty.jpg");
}

TEST(SigV4VerifyTest, S3DocumentationChunkedUploadVerifiesEveryChunk) {
  CredentialStore store = Store("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  SigV4Verifier verifier(&store);
  auto chunk = [](size_t size, const char* signature) {
    char head[32];
    std::snprintf(head, sizeof head, "%zx", size);
    return std::string(head) + ";chunk-signature=" + signature + "\r\n" + std::string(size, 'a') + "\r\n";
  };
  std::string body = chunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") +
                     chunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497") +
                     chunk(0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
  ASSERT_EQ(body.size(), 66824u);
  http::HttpRequest put = Request(
      "PUT", "/examplebucket/chunkObject.txt",
      {{"Host", "s3.amazonaws.com"},
       {"x-amz-date", "20130524T000000Z"},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
       {"Content-Encoding", "aws-chunked"},
       {"x-amz-decoded-content-length", "66560"},
       {"Content-Length", "66824"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class,"
        "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"}},
      body);
  Verdict v = verifier.Verify(put, "s3", k20130524T000000Z);
  EXPECT_TRUE(v.ok()) << static_cast<int>(v.failure) << "\n" << v.canonical_request;
  // One byte changed in the second chunk: its signature no longer fits.
  http::HttpRequest changed = put;
  changed.body[65536 + 200] = 'b';
  EXPECT_EQ(verifier.Verify(changed, "s3", k20130524T000000Z).failure, Failure::kBadChunkSignature);
  http::HttpRequest cut = put;
  cut.body.resize(65536 + 100);
  EXPECT_EQ(verifier.Verify(cut, "s3", k20130524T000000Z).failure, Failure::kBadChunkEncoding);
}

TEST(CredentialsTest, ParseChecksEveryEntry) {
  auto ok = CredentialStore::Parse(boost::json::parse(
      R"([{"access_key_id":"AK1","secret_access_key":"s","policy":"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}"},
          {"access_key_id":"AK2","secret_access_key":"t","session_token":"tok"}])"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_NE((*ok)[0].policy, nullptr);
  EXPECT_EQ((*ok)[1].policy, nullptr);
  EXPECT_FALSE(CredentialStore::Parse(boost::json::parse(R"([{"access_key_id":"AK1"}])")).ok());
  EXPECT_FALSE(CredentialStore::Parse(boost::json::parse(
      R"([{"access_key_id":"A","secret_access_key":"s"},{"access_key_id":"A","secret_access_key":"t"}])")).ok());
  EXPECT_FALSE(CredentialStore::Parse(boost::json::parse(R"([{"access_key_id":"A","secret_access_key":"s","x":1}])")).ok());
}

}  // namespace
}  // namespace hydrant::auth
