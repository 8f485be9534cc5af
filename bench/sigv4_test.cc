// Tests for the SigV4 signer against signatures computed by AWS's documentation and botocore.
#include "sigv4.h"

#include <gtest/gtest.h>

namespace hydrant::bench {
namespace {

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20150830T123600Z";

TEST(SigV4Test, AmzDateFormatsUtc) { EXPECT_EQ(AmzDate(1440938160), kDate); }

TEST(SigV4Test, Sha256OfPartsEqualsSha256OfWhole) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex({"hel", "", "lo"}), Sha256Hex("hello"));
}

// The worked example of the AWS General Reference (IAM ListUsers).
TEST(SigV4Test, MatchesAwsDocumentationExample) {
  SigV4Signer signer(kAccessKey, kSecretKey, "us-east-1", "iam");
  const SignedHeader headers[] = {
      {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
      {"host", "iam.amazonaws.com"},
      {"x-amz-date", kDate}};
  const std::string payload_hash = Sha256Hex("");
  const SigV4Request request{"GET", "/", "Action=ListUsers&Version=2010-05-08", headers,
                             payload_hash};
  EXPECT_EQ(signer.Authorization(request, kDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

// botocore 1.43 SigV4Auth for the same PutRecordBatch request.
TEST(SigV4Test, MatchesBotocoreFirehosePost) {
  SigV4Signer signer(kAccessKey, kSecretKey, "us-east-1", "firehose");
  const std::string body = R"({"DeliveryStreamName":"s","Records":[{"Data":"aGVsbG8K"}]})";
  const SignedHeader headers[] = {{"content-type", "application/x-amz-json-1.1"},
                                  {"host", "127.0.0.1:4573"},
                                  {"x-amz-date", kDate},
                                  {"x-amz-target", "Firehose_20150804.PutRecordBatch"}};
  const std::string payload_hash = Sha256Hex(body);
  const SigV4Request request{"POST", "/", "", headers, payload_hash};
  EXPECT_EQ(signer.Authorization(request, kDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/firehose/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=573c2cadbc20bb16aca4334ee572a4ed147138659e3c4d99dcefd193fc23f3c8");
}

// botocore 1.43 S3SigV4Auth for CreateBucket (PUT /bucket with x-amz-content-sha256).
TEST(SigV4Test, MatchesBotocoreS3Put) {
  SigV4Signer signer(kAccessKey, kSecretKey, "us-east-1", "s3");
  const std::string empty_hash = Sha256Hex("");
  const SignedHeader headers[] = {{"host", "127.0.0.1:4573"},
                                  {"x-amz-content-sha256", empty_hash},
                                  {"x-amz-date", kDate}};
  const SigV4Request request{"PUT", "/bench-bucket", "", headers, empty_hash};
  EXPECT_EQ(signer.Authorization(request, kDate),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=604fcc3c2296ce52458a11ef9a0f7b0e8118f549ed8e403963d4ef349134e19e");
}

TEST(SigV4Test, CanonicalValuesAreTrimmedAndCollapsed) {
  const SignedHeader headers[] = {{"host", "h"}, {"x-a", "  a   b \t c  "}};
  const SigV4Request request{"GET", "/", "", headers, "HASH"};
  EXPECT_EQ(SigV4Signer::CanonicalRequest(request), "GET\n/\n\nhost:h\nx-a:a b c\n\nhost;x-a\nHASH");
}

TEST(SigV4Test, SignatureChangesWithDate) {
  SigV4Signer signer(kAccessKey, kSecretKey, "us-east-1", "firehose");
  const std::string d1 = AmzDate(1440938160), d2 = AmzDate(1440938160 + 86400);
  const SignedHeader h1[] = {{"host", "h"}, {"x-amz-date", d1}};
  const SignedHeader h2[] = {{"host", "h"}, {"x-amz-date", d2}};
  const std::string a1 = signer.Authorization({"POST", "/", "", h1, "x"}, d1);
  const std::string a2 = signer.Authorization({"POST", "/", "", h2, "x"}, d2);
  EXPECT_NE(a1, a2);
  EXPECT_NE(a2.find("/20150831/"), std::string::npos);
  // Back to the first date: the re-derived key must give the first signature again.
  EXPECT_EQ(signer.Authorization({"POST", "/", "", h1, "x"}, d1), a1);
}

}  // namespace
}  // namespace hydrant::bench
