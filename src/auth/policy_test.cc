// Tests for IAM policy evaluation, on the patterns IAM's documentation uses to explain it:
// default deny, an explicit Deny overriding an Allow, NotAction, wildcards, and conditions on
// the source IP and on TLS.
#include "auth/policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace hydrant::auth {
namespace {

Policy Parse(std::string_view text) {
  auto policy = Policy::Parse(boost::json::parse(text));
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return policy.ok() ? std::move(*policy) : Policy();
}

Decision Ask(const Policy& policy, std::string_view action, std::string_view resource,
             std::map<std::string, std::string> keys = {}) {
  return policy.Evaluate({action, resource, std::move(keys)});
}

constexpr std::string_view kStream = "arn:aws:firehose:us-east-1:123456789012:deliverystream/web-clicks";

TEST(PolicyTest, NothingIsAllowedUnlessAStatementAllowsIt) {
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["firehose:PutRecord","firehose:PutRecordBatch"],"Resource":"arn:aws:firehose:us-east-1:123456789012:deliverystream/web-clicks"}]})");
  EXPECT_EQ(Ask(p, "firehose:PutRecord", kStream), Decision::kAllow);
  EXPECT_EQ(Ask(p, "firehose:DeleteDeliveryStream", kStream), Decision::kImplicitDeny);
  EXPECT_EQ(Ask(p, "firehose:PutRecord", "arn:aws:firehose:us-east-1:123456789012:deliverystream/other"),
            Decision::kImplicitDeny);
}

TEST(PolicyTest, AnExplicitDenyOverridesEveryAllow) {
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"*","Resource":"*"},
      {"Effect":"Deny","Action":"firehose:Delete*","Resource":"*"}]})");
  EXPECT_EQ(Ask(p, "firehose:PutRecord", kStream), Decision::kAllow);
  EXPECT_EQ(Ask(p, "firehose:DeleteDeliveryStream", kStream), Decision::kExplicitDeny);
}

TEST(PolicyTest, ActionsMatchCaseInsensitivelyWithWildcards) {
  Policy p = Parse(R"({"Statement":{"Effect":"Allow","Action":"Firehose:Put?ecord*","Resource":"arn:aws:firehose:*:123456789012:deliverystream/web-*"}})");
  EXPECT_EQ(Ask(p, "firehose:PutRecordBatch", kStream), Decision::kAllow);
  EXPECT_EQ(Ask(p, "FIREHOSE:putrecord", kStream), Decision::kAllow);
  // Resources are case-sensitive.
  EXPECT_EQ(Ask(p, "firehose:PutRecord", "arn:aws:firehose:us-east-1:123456789012:deliverystream/WEB-clicks"),
            Decision::kImplicitDeny);
}

TEST(PolicyTest, NotActionAllowsEverythingElse) {
  // IAM's example: everything except IAM.
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}})");
  EXPECT_EQ(Ask(p, "s3:GetObject", "arn:aws:s3:::bucket/key"), Decision::kAllow);
  EXPECT_EQ(Ask(p, "iam:CreateUser", "*"), Decision::kImplicitDeny);
}

TEST(PolicyTest, NotResourceAllowsEverywhereElse) {
  Policy p = Parse(R"({"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secrets/*"}})");
  EXPECT_EQ(Ask(p, "s3:GetObject", "arn:aws:s3:::public/report"), Decision::kAllow);
  EXPECT_EQ(Ask(p, "s3:GetObject", "arn:aws:s3:::secrets/key"), Decision::kImplicitDeny);
}

TEST(PolicyTest, SourceIpConditions) {
  // IAM's "deny access based on the source IP" example, beside an allow.
  Policy p = Parse(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":"firehose:*","Resource":"*"},
      {"Effect":"Deny","Action":"*","Resource":"*",
       "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24","2001:db8::/32"]}}}]})");
  EXPECT_EQ(Ask(p, "firehose:PutRecord", kStream, {{"aws:sourceip", "192.0.2.77"}}), Decision::kAllow);
  EXPECT_EQ(Ask(p, "firehose:PutRecord", kStream, {{"aws:sourceip", "2001:db8:1::5"}}), Decision::kAllow);
  EXPECT_EQ(Ask(p, "firehose:PutRecord", kStream, {{"aws:sourceip", "198.51.100.1"}}), Decision::kExplicitDeny);
  Policy allow_from = Parse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
      "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}}})");
  EXPECT_EQ(Ask(allow_from, "s3:GetObject", "x", {{"aws:sourceip", "127.0.0.1"}}), Decision::kAllow);
  EXPECT_EQ(Ask(allow_from, "s3:GetObject", "x", {{"aws:sourceip", "127.0.0.2"}}), Decision::kImplicitDeny);
  EXPECT_EQ(Ask(allow_from, "s3:GetObject", "x"), Decision::kImplicitDeny);  // no key: no match
}

TEST(PolicyTest, SecureTransportAndStringConditions) {
  Policy p = Parse(R"({"Statement":[
      {"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["logs/*",""]},"StringEquals":{"aws:username":"alice"}}},
      {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]})");
  std::map<std::string, std::string> tls = {{"aws:securetransport", "true"}, {"aws:username", "alice"}, {"s3:prefix", "logs/2026/"}};
  EXPECT_EQ(Ask(p, "s3:ListBucket", "arn:aws:s3:::b", tls), Decision::kAllow);
  auto plain = tls;
  plain["aws:securetransport"] = "false";
  EXPECT_EQ(Ask(p, "s3:ListBucket", "arn:aws:s3:::b", plain), Decision::kExplicitDeny);
  auto bob = tls;
  bob["aws:username"] = "bob";
  EXPECT_EQ(Ask(p, "s3:ListBucket", "arn:aws:s3:::b", bob), Decision::kImplicitDeny);
  auto other_prefix = tls;
  other_prefix["s3:prefix"] = "private/";
  EXPECT_EQ(Ask(p, "s3:ListBucket", "arn:aws:s3:::b", other_prefix), Decision::kImplicitDeny);
}

TEST(PolicyTest, IfExistsAndNull) {
  Policy p = Parse(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
      "Condition":{"StringEqualsIfExists":{"s3:prefix":"logs/"},"Null":{"aws:TokenIssueTime":"true"}}}})");
  EXPECT_EQ(Ask(p, "s3:GetObject", "x"), Decision::kAllow);
  EXPECT_EQ(Ask(p, "s3:GetObject", "x", {{"s3:prefix", "other/"}}), Decision::kImplicitDeny);
  EXPECT_EQ(Ask(p, "s3:GetObject", "x", {{"aws:tokenissuetime", "2026"}}), Decision::kImplicitDeny);
}

std::string SeedFile(const std::string& name) {
  for (const char* dir : {"../shared/seed/", "../../shared/seed/", "../../../shared/seed/", "/work/shared/seed/"}) {
    std::ifstream in(std::string(dir) + name);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      return text.str();
    }
  }
  return "";
}

TEST(PolicyTest, TheTutorialsPoliciesParse) {
  for (const char* name : {"delivery-role-policy.json", "bucket-policy.json"}) {
    std::string text = SeedFile(name);
    ASSERT_FALSE(text.empty()) << name << " not found";
    auto policy = Policy::Parse(boost::json::parse(text));
    EXPECT_TRUE(policy.ok()) << name << ": " << policy.status().ToString();
  }
  Policy role = Parse(SeedFile("delivery-role-policy.json"));
  EXPECT_EQ(Ask(role, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:f"), Decision::kAllow);
  EXPECT_EQ(Ask(role, "firehose:DeleteDeliveryStream", kStream), Decision::kImplicitDeny);
}

TEST(PolicyTest, MalformedDocumentsAreRefusedWithTheReason) {
  auto refused = [](std::string_view text) {
    auto p = Policy::Parse(boost::json::parse(text));
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_EQ(refused(R"({"Statement":{"Action":"*","Resource":"*"}})"), "Statement[0] has no Effect");
  EXPECT_EQ(refused(R"({"Version":"2013-01-01","Statement":[]})"),
            "the policy's Version must be \"2012-10-17\" or \"2008-10-17\"");
  EXPECT_EQ(refused(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringMatches":{"a":"b"}}}})"),
            "Statement[0]: condition operator 'StringMatches' is not supported");
  EXPECT_EQ(refused(R"({"Statement":{"Effect":"Allow","Action":"PutRecord","Resource":"*"}})"),
            "Statement[0]: action 'PutRecord' must be <service>:<action>");
  EXPECT_FALSE(refused(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}})").empty());
  EXPECT_FALSE(refused(R"({"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}})").empty());
}

TEST(WildcardTest, StarsAndQuestionMarks) {
  EXPECT_TRUE(WildcardMatch("*", "", false));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXXbYYc", false));
  EXPECT_FALSE(WildcardMatch("a*b*c", "aXXbYY", false));
  EXPECT_TRUE(WildcardMatch("a?c", "abc", false));
  EXPECT_FALSE(WildcardMatch("a?c", "ac", false));
  EXPECT_TRUE(WildcardMatch("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", false));
}

}  // namespace
}  // namespace hydrant::auth
