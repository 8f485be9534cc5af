// PrefixExpression: an S3 Prefix/ErrorOutputPrefix with !{namespace:value} expressions, parsed
// and evaluated.
//
// The managed service's rules (firehose-spec §4.2-4.3, AWS "Custom Prefixes for Amazon S3
// Objects"):
//   !{timestamp:<java.time.DateTimeFormatter pattern>}  all occurrences show the same instant
//   !{firehose:random-string}      11 random characters, a fresh value per occurrence
//   !{firehose:error-output-type}  processing-failed, ...; ErrorOutputPrefix only
//   !{partitionKeyFromQuery:<key>}, !{partitionKeyFromLambda:<key>}  dynamic partitioning only
// The sequence "!{" may appear only as the start of such an expression. Timestamps are evaluated
// in the stream's CustomTimeZone (time_zone.h; UTC by default).
//
// Supported timestamp pattern letters (a subset of DateTimeFormatter; others fail Parse):
//   y u  year: yy two digits, otherwise at least as many digits as letters
//   M L  month: M, MM numeric; MMM Jan; MMMM January; MMMMM J
//   d    day of month: d, dd           D  day of year: D, DD, DDD
//   H    hour 0-23: H, HH              h  hour 1-12: h, hh             a  AM/PM
//   m    minute: m, mm                 s  second: s, ss
//   S    fraction of second: S to SSSSSSSSS
//   E    day of week: E to EEE Mon; EEEE Monday; EEEEE M
// Text in single quotes is literal ('' is one quote); other non-letters are literal; '[', ']',
// '{', '}' and '#' are rejected (optional sections / reserved characters).
//
// Thread-safety: a PrefixExpression is immutable after Parse; Evaluate is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "format/time_zone.h"

namespace hydrant::format {

// Appended verbatim (no slash inserted) to a Prefix that has no timestamp expression.
inline constexpr std::string_view kDefaultTimePattern = "yyyy/MM/dd/HH/";
// Longest evaluated Prefix/ErrorOutputPrefix the service allows.
inline constexpr size_t kMaxEvaluatedPrefixLength = 512;

// What one evaluation depends on.
struct PrefixContext {
  // Approximate arrival time of the oldest record in the object.
  int64_t epoch_millis = 0;
  // The value of !{firehose:error-output-type}, e.g. "processing-failed"; empty for data prefixes.
  std::string_view error_output_type{};
  // The zone timestamps are shown in (CustomTimeZone); nullptr = UTC.
  const TimeZone* time_zone = nullptr;
  // A record's dynamic-partitioning keys (MetadataExtraction and the Lambda's
  // metadata.partitionKeys share one map); null when the prefix has none.
  const std::map<std::string, std::string>* partition_keys = nullptr;
};

class PrefixExpression {
 public:
  // Parses `text`. Fails with kInvalidArgument, naming the offending expression, when a "!{" does
  // not start a well-formed expression: no closing '}', no ':', unknown namespace, unknown firehose
  // value, empty partition key, or a timestamp pattern outside the supported subset.
  static Result<PrefixExpression> Parse(std::string_view text);

  const std::string& text() const { return text_; }
  bool has_expressions() const;
  bool has_timestamp() const;
  bool has_error_output_type() const;
  bool has_partition_keys() const;

  bool uses_query_keys() const;   // has !{partitionKeyFromQuery:...}
  bool uses_lambda_keys() const;  // has !{partitionKeyFromLambda:...}

  // Every expression replaced: timestamps from ctx.epoch_millis in ctx.time_zone, each
  // random-string a new 11-character lower-case hex value, error-output-type from
  // ctx.error_output_type, partition keys from ctx.partition_keys (a missing key evaluates to
  // nothing: check MissingPartitionKey).
  std::string Evaluate(const PrefixContext& ctx) const;

  // The first partition key the prefix uses that `keys` lacks, as written ("partitionKeyFromQuery:
  // id"); nullopt when every key is there.
  std::optional<std::string> MissingPartitionKey(const std::map<std::string, std::string>& keys) const;
  // What tells a record's partition apart: the values of the partition keys the prefix uses, in
  // order, NUL-separated. Records with equal identities share one buffer and one object.
  std::string PartitionIdentity(const std::map<std::string, std::string>& keys) const;

  // The key prefix of delivered data: Evaluate(), then kDefaultTimePattern evaluated and appended
  // verbatim when the prefix has no timestamp expression ("logs" -> "logs2026/11/27/15/").
  std::string EvaluateWithDefaultTime(const PrefixContext& ctx) const;

  // An upper bound of Evaluate()'s length when error-output-type evaluates to `error_output_type`.
  size_t MaxEvaluatedLength(std::string_view error_output_type) const;

 private:
  // One timestamp pattern element: a pattern letter repeated `count` times, or literal text.
  struct TimeField {
    char letter = 0;  // 0 for literal text
    int count = 0;
    std::string literal;
  };
  enum class Kind { kLiteral, kTimestamp, kRandomString, kErrorOutputType, kPartitionKey };
  struct Segment {
    Kind kind = Kind::kLiteral;
    std::string text;               // literal text, or the partition key name
    bool from_lambda = false;       // kPartitionKey: partitionKeyFromLambda (else FromQuery)
    std::vector<TimeField> fields{};  // kTimestamp only
  };

  bool Has(Kind kind) const;
  static Result<std::vector<TimeField>> CompilePattern(std::string_view pattern);
  static size_t MaxFieldWidth(const TimeField& field);

  std::string text_;
  std::vector<Segment> segments_;
};

// One-off evaluation of a data Prefix (with the default time folders when it has no timestamp),
// times shown in `time_zone` (nullptr = UTC).
Result<std::string> EvaluateDataPrefix(std::string_view prefix, int64_t epoch_millis,
                                       const TimeZone* time_zone = nullptr);

// The key prefix of an error-output object: the evaluated ErrorOutputPrefix when one is set
// (non-empty), otherwise "<Prefix><error_output_type>/yyyy/MM/dd/HH/" (the service's default;
// Prefix then has no expressions, a rule StreamConfig enforces). Times shown in `time_zone`
// (nullptr = UTC).
Result<std::string> EvaluateErrorPrefix(std::string_view prefix,
                                        const std::optional<std::string>& error_output_prefix,
                                        int64_t epoch_millis, std::string_view error_output_type,
                                        const TimeZone* time_zone = nullptr);

// True when `prefix` parses and contains a !{timestamp:...} expression.
bool HasTimestampExpression(std::string_view prefix);

// The service's semantic rules for a Prefix/ErrorOutputPrefix pair (kInvalidArgument otherwise):
// both parse; Prefix has no error-output-type; partition keys only with dynamic partitioning;
// ErrorOutputPrefix non-empty when Prefix has expressions; an ErrorOutputPrefix with expressions
// contains error-output-type; neither longer than 512 characters after evaluation. Messages follow
// the service's "Ths supplied prefix(es) do not satisfy the following constraint: ..." (sic).
Status ValidatePrefixes(std::string_view prefix,
                        const std::optional<std::string>& error_output_prefix,
                        bool dynamic_partitioning_enabled);

}  // namespace hydrant::format
