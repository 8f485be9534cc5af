// Tests for PrefixExpression: the service's expression syntax, evaluation and prefix rules.
#include "format/prefix_expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "format/time_zone.h"

namespace hydrant::format {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr int64_t k20180827T1030 = 1535365800000;    // Monday 2018-08-27 10:30:00Z
constexpr int64_t k20180706T230509 = 1530918309123;  // Friday 2018-07-06 23:05:09.123Z
constexpr int64_t k20260104T000708 = 1767485228500;  // Sunday 2026-01-04 00:07:08.500Z

std::string Eval(std::string_view prefix, int64_t millis, std::string_view error_type = {}) {
  auto expr = PrefixExpression::Parse(prefix);
  EXPECT_TRUE(expr.ok()) << expr.status().ToString();
  return expr.ok() ? expr->Evaluate({millis, error_type}) : "";
}

std::string ParseError(std::string_view prefix) {
  auto expr = PrefixExpression::Parse(prefix);
  EXPECT_FALSE(expr.ok()) << prefix;
  if (expr.ok()) return "";
  EXPECT_EQ(expr.status().code(), StatusCode::kInvalidArgument);
  return expr.status().message();
}

TEST(PrefixExpressionTest, LiteralPrefixHasNoExpressions) {
  auto expr = PrefixExpression::Parse("etl-output/");
  ASSERT_TRUE(expr.ok());
  EXPECT_FALSE(expr->has_expressions());
  EXPECT_FALSE(expr->has_timestamp());
  EXPECT_EQ(expr->Evaluate({k20180827T1030, {}}), "etl-output/");
  EXPECT_EQ(Eval("", k20180827T1030), "");
  // A '!' or a '{' alone is ordinary text.
  EXPECT_EQ(Eval("a!b{c}/", k20180827T1030), "a!b{c}/");
}

TEST(PrefixExpressionTest, TimestampFieldsEvaluateInUtc) {
  EXPECT_EQ(
      Eval("!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/", k20180706T230509),
      "2018/07/06/23/");
  EXPECT_EQ(Eval("!{timestamp:yyyy-MM-dd HH:mm:ss.SSS}", k20180706T230509),
            "2018-07-06 23:05:09.123");
  EXPECT_EQ(Eval("!{timestamp:yy M d H m s}", k20260104T000708), "26 1 4 0 7 8");
  EXPECT_EQ(Eval("!{timestamp:MMM MMMM EEE EEEE}", k20180827T1030), "Aug August Mon Monday");
  EXPECT_EQ(Eval("!{timestamp:hh a D DDD S SSSS}", k20260104T000708), "12 AM 4 004 5 5000");
  EXPECT_EQ(Eval("!{timestamp:h a}", k20180706T230509), "11 PM");
  EXPECT_EQ(Eval("!{timestamp:uuuu}", k20180827T1030), "2018");
}

const TimeZone* Zone(std::string_view name) {
  auto zone = LookupTimeZone(name);
  EXPECT_TRUE(zone.ok()) << zone.status().ToString();
  return zone.ok() ? *zone : nullptr;
}

TEST(PrefixExpressionTest, TimestampsShowTheCustomTimeZone) {
  auto expr = PrefixExpression::Parse("!{timestamp:yyyy-MM-dd HH:mm EEE a}/");
  ASSERT_TRUE(expr.ok());
  // Monday 10:30Z is Monday 19:30 in Tokyo; Saturday 2026-01-03 19:07 in New York.
  EXPECT_EQ(expr->Evaluate({k20180827T1030, {}, Zone("Asia/Tokyo")}), "2018-08-27 19:30 Mon PM/");
  EXPECT_EQ(expr->Evaluate({k20260104T000708, {}, Zone("America/New_York")}),
            "2026-01-03 19:07 Sat PM/");
  EXPECT_EQ(expr->Evaluate({k20180827T1030, {}, nullptr}), "2018-08-27 10:30 Mon AM/");
}

TEST(PrefixExpressionTest, DefaultFoldersAndErrorPrefixesUseTheZone) {
  const TimeZone* tokyo = Zone("Asia/Tokyo");
  // 23:05Z on Friday is already Saturday 08:05 in Tokyo.
  EXPECT_EQ(EvaluateDataPrefix("logs/", k20180706T230509, tokyo).value(), "logs/2018/07/07/08/");
  EXPECT_EQ(EvaluateErrorPrefix("logs/", std::nullopt, k20180706T230509, "processing-failed", tokyo)
                .value(),
            "logs/processing-failed/2018/07/07/08/");
  const std::string error_prefix = "err/!{firehose:error-output-type}/!{timestamp:dd}/";
  EXPECT_EQ(EvaluateErrorPrefix("", error_prefix, k20180706T230509, "processing-failed", tokyo)
                .value(),
            "err/processing-failed/07/");
}

TEST(PrefixExpressionTest, DaylightSavingChangesTheHourFolder) {
  const TimeZone* new_york = Zone("America/New_York");
  // 2026-03-08: 06:59:59Z is 01:59:59 EST; one second later it is 03:00:00 EDT (no 02 folder).
  EXPECT_EQ(EvaluateDataPrefix("", 1772953199000, new_york).value(), "2026/03/08/01/");
  EXPECT_EQ(EvaluateDataPrefix("", 1772953200000, new_york).value(), "2026/03/08/03/");
  // 2026-11-01: 05:30Z (EDT) and 06:30Z (EST) are both 01:30 local.
  EXPECT_EQ(EvaluateDataPrefix("", 1793511000000, new_york).value(), "2026/11/01/01/");
  EXPECT_EQ(EvaluateDataPrefix("", 1793514600000, new_york).value(), "2026/11/01/01/");
}

TEST(PrefixExpressionTest, QuotedTextIsLiteral) {
  // The service's documented example.
  EXPECT_EQ(Eval("myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/"
                 "!{firehose:error-output-type}",
                 k20180706T230509, "processing-failed"),
            "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed");
  EXPECT_EQ(Eval("dt=!{timestamp:yyyy'-'MM'-'dd}/", k20180827T1030), "dt=2018-08-27/");
  EXPECT_EQ(Eval("!{timestamp:''yyyy''}", k20180827T1030), "'2018'");
  EXPECT_EQ(Eval("!{timestamp:'it''s' yyyy}", k20180827T1030), "it's 2018");
}

TEST(PrefixExpressionTest, EveryTimestampShowsTheSameInstant) {
  EXPECT_EQ(
      Eval("y=!{timestamp:yyyy}/s=!{timestamp:ss.SSS}/again=!{timestamp:ss.SSS}", k20180706T230509),
      "y=2018/s=09.123/again=09.123");
}

TEST(PrefixExpressionTest, RandomStringIsElevenCharactersAndNewEachTime) {
  std::string out =
      Eval("myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}",
           k20180827T1030);
  EXPECT_THAT(out, MatchesRegex("myFirehose/DeliveredYear=2018/anyMonth/rand=[0-9a-f]{11}"));
  std::string two = Eval("!{firehose:random-string}/!{firehose:random-string}", k20180827T1030);
  ASSERT_EQ(two.size(), 23u);
  EXPECT_NE(two.substr(0, 11), two.substr(12, 11));
}

TEST(PrefixExpressionTest, ErrorOutputTypeIsTheSameInEveryOccurrence) {
  EXPECT_EQ(Eval("!{firehose:error-output-type}/x/!{firehose:error-output-type}", 0,
                 "format-conversion-failed"),
            "format-conversion-failed/x/format-conversion-failed");
}

TEST(PrefixExpressionTest, ReportsWhatItContains) {
  auto expr =
      PrefixExpression::Parse("a/!{firehose:error-output-type}/!{partitionKeyFromQuery:id}/");
  ASSERT_TRUE(expr.ok());
  EXPECT_TRUE(expr->has_expressions());
  EXPECT_FALSE(expr->has_timestamp());
  EXPECT_TRUE(expr->has_error_output_type());
  EXPECT_TRUE(expr->has_partition_keys());
  EXPECT_TRUE(HasTimestampExpression("x/!{timestamp:yyyy}"));
  EXPECT_FALSE(HasTimestampExpression("x/!{firehose:random-string}"));
  EXPECT_FALSE(HasTimestampExpression("x/!{timestamp:yyyy"));  // unparsable
}

TEST(PrefixExpressionTest, DefaultTimeFoldersAreAppendedWithoutASlash) {
  EXPECT_EQ(*EvaluateDataPrefix("myFirehosePrefix", k20180827T1030),
            "myFirehosePrefix2018/08/27/10/");
  EXPECT_EQ(*EvaluateDataPrefix("etl-output/", k20180827T1030), "etl-output/2018/08/27/10/");
  EXPECT_EQ(*EvaluateDataPrefix("", k20180827T1030), "2018/08/27/10/");
  EXPECT_THAT(*EvaluateDataPrefix("r/!{firehose:random-string}/", k20180827T1030),
              MatchesRegex("r/[0-9a-f]{11}/2018/08/27/10/"));
  // A timestamp expression anywhere replaces the default.
  EXPECT_EQ(*EvaluateDataPrefix("d=!{timestamp:yyyy-MM-dd}/", k20180827T1030), "d=2018-08-27/");
  EXPECT_FALSE(EvaluateDataPrefix("!{nope:x}", k20180827T1030).ok());
}

TEST(PrefixExpressionTest, ErrorPrefixDefaultsToPrefixTypeAndTime) {
  EXPECT_EQ(
      *EvaluateErrorPrefix("myFirehosePrefix/", std::nullopt, k20180827T1030, "processing-failed"),
      "myFirehosePrefix/processing-failed/2018/08/27/10/");
  EXPECT_EQ(*EvaluateErrorPrefix("", std::string(), k20180827T1030, "processing-failed"),
            "processing-failed/2018/08/27/10/");
  EXPECT_EQ(*EvaluateErrorPrefix("!{timestamp:yyyy}/",
                                 std::string("myFirehoseFailures/!{firehose:error-output-type}/"),
                                 k20180827T1030, "processing-failed"),
            "myFirehoseFailures/processing-failed/");
}

TEST(PrefixExpressionTest, MalformedExpressionsFailToParse) {
  EXPECT_THAT(ParseError("a/!{timestamp:yyyy"),
              HasSubstr("unterminated expression '!{timestamp:yyyy'"));
  EXPECT_THAT(ParseError("!{timestamp}"), HasSubstr("expected !{namespace:value}"));
  EXPECT_THAT(ParseError("!{date:yyyy}"), HasSubstr("unknown namespace 'date'"));
  EXPECT_THAT(ParseError("!{Timestamp:yyyy}"), HasSubstr("unknown namespace 'Timestamp'"));
  EXPECT_THAT(ParseError("!{firehose:uuid}"), HasSubstr("random-string and error-output-type"));
  EXPECT_THAT(ParseError("!{partitionKeyFromQuery:}"), HasSubstr("empty partition key"));
  EXPECT_THAT(ParseError("!{timestamp:}"), HasSubstr("empty timestamp pattern"));
  EXPECT_THAT(ParseError("!{timestamp:yyyy-QQ}"), HasSubstr("unsupported pattern letter 'Q'"));
  EXPECT_THAT(ParseError("!{timestamp:ddd}"), HasSubstr("too many pattern letters 'd'"));
  EXPECT_THAT(ParseError("!{timestamp:aa}"), HasSubstr("too many pattern letters 'a'"));
  EXPECT_THAT(ParseError("!{timestamp:yyyy[MM]}"), HasSubstr("reserved character '['"));
  EXPECT_THAT(ParseError("!{timestamp:'year=yyyy}"), HasSubstr("unterminated quote"));
  EXPECT_THAT(ParseError("ok/!{timestamp:!{}"), HasSubstr("reserved character '{'"));
}

TEST(PrefixExpressionTest, MaxEvaluatedLengthBoundsEvaluation) {
  auto expr = PrefixExpression::Parse(
      "p/!{timestamp:MMMM EEEE yyyy}/!{firehose:random-string}/!{firehose:error-output-type}");
  ASSERT_TRUE(expr.ok());
  std::string evaluated = expr->Evaluate({k20180827T1030, "processing-failed"});
  EXPECT_LE(evaluated.size(), expr->MaxEvaluatedLength("processing-failed"));
  EXPECT_EQ(expr->MaxEvaluatedLength("processing-failed"),
            2 + (9 + 1 + 9 + 1 + 4) + 1 + 11 + 1 + 17);
}

// --- The service's prefix rules -------------------------------------------------------------

constexpr std::string_view kConstraint =
    "Ths supplied prefix(es) do not satisfy the following constraint: ";

std::string RuleError(std::string_view prefix, std::optional<std::string> error_prefix) {
  Status s = ValidatePrefixes(prefix, error_prefix, false);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << prefix;
  return s.message();
}

TEST(ValidatePrefixesTest, AcceptsTheDocumentedExamples) {
  EXPECT_TRUE(ValidatePrefixes("", std::nullopt, false).ok());
  EXPECT_TRUE(ValidatePrefixes("myFirehosePrefix", std::nullopt, false).ok());
  EXPECT_TRUE(
      ValidatePrefixes("", std::string("myFirehoseFailures/!{firehose:error-output-type}/"), false)
          .ok());
  EXPECT_TRUE(
      ValidatePrefixes(
          "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}",
          std::string("myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/"
                      "!{timestamp:dd}"),
          false)
          .ok());
  // A literal ErrorOutputPrefix needs no error-output-type.
  EXPECT_TRUE(ValidatePrefixes("etl-output/", std::string("etl-errors/"), false).ok());
}

TEST(ValidatePrefixesTest, ExpressionsInPrefixNeedAnErrorOutputPrefix) {
  std::string expected =
      std::string(kConstraint) +
      "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions";
  EXPECT_EQ(RuleError("!{timestamp:yyyy/MM/dd}", std::nullopt), expected);
  EXPECT_EQ(RuleError("!{timestamp:yyyy/MM/dd}", std::string()), expected);
  EXPECT_EQ(RuleError("rand=!{firehose:random-string}/", std::nullopt), expected);
}

TEST(ValidatePrefixesTest, ErrorOutputTypeOnlyInErrorOutputPrefix) {
  EXPECT_EQ(
      RuleError("!{firehose:error-output-type}/", std::string("e/!{firehose:error-output-type}/")),
      std::string(kConstraint) + "Prefix cannot contain !{firehose:error-output-type}");
}

TEST(ValidatePrefixesTest, ErrorOutputPrefixWithExpressionsNeedsErrorOutputType) {
  EXPECT_EQ(RuleError("!{timestamp:yyyy}/", std::string("errors/!{timestamp:yyyy}/")),
            std::string(kConstraint) +
                "ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains "
                "expressions");
}

TEST(ValidatePrefixesTest, PartitionKeysNeedDynamicPartitioning) {
  const std::string expected =
      "Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic "
      "Partitioning "
      "is enabled.";
  EXPECT_EQ(RuleError("c=!{partitionKeyFromQuery:customer}/",
                      std::string("e/!{firehose:error-output-type}")),
            expected);
  EXPECT_EQ(RuleError("c=!{partitionKeyFromLambda:customer}/",
                      std::string("e/!{firehose:error-output-type}")),
            expected);
  EXPECT_TRUE(ValidatePrefixes("c=!{partitionKeyFromQuery:customer}/",
                               std::string("e/!{firehose:error-output-type}"), true)
                  .ok());
}

TEST(ValidatePrefixesTest, BadSyntaxNamesTheFieldAndExpression) {
  EXPECT_EQ(RuleError("x/!{timestamp:yyyy/", std::nullopt),
            std::string(kConstraint) + "Prefix has an unterminated expression '!{timestamp:yyyy/'");
  EXPECT_THAT(
      RuleError("x/", std::string("e/!{firehose:error_output_type}")),
      HasSubstr("ErrorOutputPrefix has an invalid expression !{firehose:error_output_type}"));
}

TEST(ValidatePrefixesTest, EvaluatedLengthIsAtMost512) {
  EXPECT_TRUE(ValidatePrefixes(std::string(512, 'a'), std::nullopt, false).ok());
  EXPECT_EQ(
      RuleError(std::string(513, 'a'), std::nullopt),
      std::string(kConstraint) + "Prefix cannot be longer than 512 characters after evaluation");
  // 500 literal characters + a 4-digit year grows past the limit only after evaluation.
  EXPECT_THAT(RuleError(std::string(500, 'a') + "!{timestamp:yyyy}!{firehose:random-string}",
                        std::string("e/!{firehose:error-output-type}")),
              HasSubstr("Prefix cannot be longer than 512"));
  EXPECT_THAT(RuleError("", std::string(500, 'e') + "!{firehose:error-output-type}"),
              HasSubstr("ErrorOutputPrefix cannot be longer than 512"));
}

}  // namespace
}  // namespace hydrant::format
