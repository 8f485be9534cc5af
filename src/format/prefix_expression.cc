// PrefixExpression: parsing, the DateTimeFormatter subset, evaluation and the prefix rules.
#include "format/prefix_expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "common/ids.h"

namespace hydrant::format {
namespace {

constexpr std::string_view kConstraint =
    "Ths supplied prefix(es) do not satisfy the following constraint: ";  // sic, as AWS sends it
constexpr size_t kRandomStringLength = 11;
// The longest error-output-type an S3 destination produces; bounds ErrorOutputPrefix's length.
constexpr std::string_view kLongestS3ErrorOutputType = "format-conversion-failed";

constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};
constexpr const char* kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};

// The calendar fields of one instant as a wall clock shows them.
struct CivilTime {
  int year, month, day, day_of_year, hour, minute, second;  // month 1-12, day_of_year 1-366
  int weekday;                                              // 0 = Sunday
  int64_t millis;
};

CivilTime ToCivil(int64_t epoch_millis) {
  int64_t secs = epoch_millis / 1000, ms = epoch_millis % 1000;
  if (ms < 0) {  // floor toward the past for pre-1970 instants
    ms += 1000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_yday + 1, tm.tm_hour, tm.tm_min,
          tm.tm_sec,         tm.tm_wday,    ms};
}

void AppendNumber(int64_t value, int min_width, std::string* out) {
  out->append(fmt::format("{:0{}d}", value, min_width));
}

void AppendText(std::string_view full, int count, std::string* out) {
  if (count <= 3) {
    out->append(full.substr(0, 3));
  } else if (count == 4) {
    out->append(full);
  } else {
    out->append(full.substr(0, 1));
  }
}

void AppendField(char letter, int count, const CivilTime& t, std::string* out) {
  switch (letter) {
    case 'y':
    case 'u':
      if (count == 2) return AppendNumber(((t.year % 100) + 100) % 100, 2, out);
      return AppendNumber(t.year, count, out);
    case 'M':
    case 'L':
      if (count <= 2) return AppendNumber(t.month, count, out);
      return AppendText(kMonths[t.month - 1], count, out);
    case 'd':
      return AppendNumber(t.day, count, out);
    case 'D':
      return AppendNumber(t.day_of_year, count, out);
    case 'H':
      return AppendNumber(t.hour, count, out);
    case 'h':
      return AppendNumber(t.hour % 12 == 0 ? 12 : t.hour % 12, count, out);
    case 'm':
      return AppendNumber(t.minute, count, out);
    case 's':
      return AppendNumber(t.second, count, out);
    case 'a':
      out->append(t.hour < 12 ? "AM" : "PM");
      return;
    case 'E':
      return AppendText(kWeekdays[t.weekday], count, out);
    case 'S': {
      std::string digits = fmt::format("{:03d}000000", t.millis);  // nanoseconds, 9 digits
      out->append(digits, 0, static_cast<size_t>(count));
      return;
    }
  }
}

// Highest repetition DateTimeFormatter accepts for each supported letter.
int MaxCount(char letter) {
  switch (letter) {
    case 'y':
    case 'u':
    case 'S':
      return 9;
    case 'M':
    case 'L':
    case 'E':
      return 5;
    case 'D':
      return 3;
    case 'd':
    case 'H':
    case 'h':
    case 'm':
    case 's':
      return 2;
    case 'a':
      return 1;
    default:
      return 0;  // not supported
  }
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

Result<std::vector<PrefixExpression::TimeField>> PrefixExpression::CompilePattern(
    std::string_view pattern) {
  if (pattern.empty()) return Status::InvalidArgument("empty timestamp pattern");
  std::vector<TimeField> fields;
  auto add_literal = [&fields](std::string_view text) {
    if (fields.empty() || fields.back().letter != 0) fields.push_back({});
    fields.back().literal.append(text);
  };
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {  // '' is one quote
        add_literal("'");
        i += 2;
        continue;
      }
      std::string quoted;
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= pattern.size()) {
          return Status::InvalidArgument(
              fmt::format("unterminated quote in timestamp pattern '{}'", pattern));
        }
        if (pattern[j] != '\'') {
          quoted += pattern[j];
        } else if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
          quoted += '\'';
          ++j;
        } else {
          break;
        }
      }
      add_literal(quoted);
      i = j + 1;
    } else if (IsAsciiLetter(c)) {
      size_t j = i;
      while (j < pattern.size() && pattern[j] == c) ++j;
      int count = static_cast<int>(j - i);
      int max = MaxCount(c);
      if (max == 0) {
        return Status::InvalidArgument(
            fmt::format("unsupported pattern letter '{}' in timestamp pattern '{}'", c, pattern));
      }
      if (count > max) {
        return Status::InvalidArgument(
            fmt::format("too many pattern letters '{}' in timestamp pattern '{}'", c, pattern));
      }
      fields.push_back({c, count, {}});
      i = j;
    } else if (c == '[' || c == ']' || c == '{' || c == '}' || c == '#') {
      return Status::InvalidArgument(
          fmt::format("reserved character '{}' in timestamp pattern '{}'", c, pattern));
    } else {
      add_literal(std::string_view(&pattern[i], 1));
      ++i;
    }
  }
  return fields;
}

Result<PrefixExpression> PrefixExpression::Parse(std::string_view text) {
  PrefixExpression expr;
  expr.text_ = std::string(text);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("!{", pos);
    if (open == std::string_view::npos) open = text.size();
    if (open > pos) {
      expr.segments_.push_back({Kind::kLiteral, std::string(text.substr(pos, open - pos)), {}});
    }
    if (open == text.size()) break;

    size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(
          fmt::format("unterminated expression '{}'", text.substr(open)));
    }
    std::string_view whole = text.substr(open, close + 1 - open);
    std::string_view inner = text.substr(open + 2, close - open - 2);
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument(
          fmt::format("invalid expression {}: expected !{{namespace:value}}", whole));
    }
    std::string_view ns = inner.substr(0, colon), value = inner.substr(colon + 1);
    Segment segment;
    if (ns == "timestamp") {
      auto fields = CompilePattern(value);
      if (!fields.ok()) {
        return Status::InvalidArgument(
            fmt::format("invalid expression {}: {}", whole, fields.status().message()));
      }
      segment = {Kind::kTimestamp, {}, false, std::move(fields).value()};
    } else if (ns == "firehose") {
      if (value == "random-string") {
        segment.kind = Kind::kRandomString;
      } else if (value == "error-output-type") {
        segment.kind = Kind::kErrorOutputType;
      } else {
        return Status::InvalidArgument(
            fmt::format("invalid expression {}: the firehose namespace has only random-string and "
                        "error-output-type",
                        whole));
      }
    } else if (ns == "partitionKeyFromQuery" || ns == "partitionKeyFromLambda") {
      if (value.empty()) {
        return Status::InvalidArgument(
            fmt::format("invalid expression {}: empty partition key", whole));
      }
      segment = {Kind::kPartitionKey, std::string(value), ns == "partitionKeyFromLambda", {}};
    } else {
      return Status::InvalidArgument(
          fmt::format("invalid expression {}: unknown namespace '{}' (valid: firehose, timestamp, "
                      "partitionKeyFromQuery, partitionKeyFromLambda)",
                      whole, ns));
    }
    expr.segments_.push_back(std::move(segment));
    pos = close + 1;
  }
  return expr;
}

bool PrefixExpression::Has(Kind kind) const {
  return std::any_of(segments_.begin(), segments_.end(),
                     [kind](const Segment& s) { return s.kind == kind; });
}

bool PrefixExpression::has_expressions() const {
  return std::any_of(segments_.begin(), segments_.end(),
                     [](const Segment& s) { return s.kind != Kind::kLiteral; });
}
bool PrefixExpression::has_timestamp() const { return Has(Kind::kTimestamp); }
bool PrefixExpression::has_error_output_type() const { return Has(Kind::kErrorOutputType); }
bool PrefixExpression::has_partition_keys() const { return Has(Kind::kPartitionKey); }

bool PrefixExpression::uses_query_keys() const {
  return std::any_of(segments_.begin(), segments_.end(), [](const Segment& s) {
    return s.kind == Kind::kPartitionKey && !s.from_lambda;
  });
}

bool PrefixExpression::uses_lambda_keys() const {
  return std::any_of(segments_.begin(), segments_.end(), [](const Segment& s) {
    return s.kind == Kind::kPartitionKey && s.from_lambda;
  });
}

std::optional<std::string> PrefixExpression::MissingPartitionKey(
    const std::map<std::string, std::string>& keys) const {
  for (const Segment& segment : segments_) {
    if (segment.kind == Kind::kPartitionKey && !keys.count(segment.text)) {
      return fmt::format("{}:{}", segment.from_lambda ? "partitionKeyFromLambda" : "partitionKeyFromQuery",
                         segment.text);
    }
  }
  return std::nullopt;
}

std::string PrefixExpression::PartitionIdentity(const std::map<std::string, std::string>& keys) const {
  std::string identity;
  for (const Segment& segment : segments_) {
    if (segment.kind != Kind::kPartitionKey) continue;
    auto it = keys.find(segment.text);
    if (it != keys.end()) identity += it->second;
    identity += '\0';
  }
  return identity;
}

std::string PrefixExpression::Evaluate(const PrefixContext& ctx) const {
  // One instant for every timestamp expression, as the configured zone's wall clock shows it.
  const CivilTime time = ToCivil(LocalMillis(ctx.epoch_millis, ctx.time_zone));
  std::string out;
  for (const Segment& segment : segments_) {
    switch (segment.kind) {
      case Kind::kLiteral:
        out += segment.text;
        break;
      case Kind::kTimestamp:
        for (const TimeField& field : segment.fields) {
          if (field.letter == 0) {
            out += field.literal;
          } else {
            AppendField(field.letter, field.count, time, &out);
          }
        }
        break;
      case Kind::kRandomString:
        out += RandomHex(kRandomStringLength);
        break;
      case Kind::kErrorOutputType:
        out += ctx.error_output_type;
        break;
      case Kind::kPartitionKey:
        if (ctx.partition_keys) {
          auto it = ctx.partition_keys->find(segment.text);
          if (it != ctx.partition_keys->end()) out += it->second;
        }
        break;
    }
  }
  return out;
}

std::string PrefixExpression::EvaluateWithDefaultTime(const PrefixContext& ctx) const {
  std::string out = Evaluate(ctx);
  if (!has_timestamp()) {
    static const PrefixExpression kDefault =
        Parse(fmt::format("!{{timestamp:{}}}", kDefaultTimePattern)).value();
    out += kDefault.Evaluate(ctx);
  }
  return out;
}

size_t PrefixExpression::MaxFieldWidth(const TimeField& field) {
  switch (field.letter) {
    case 0:
      return field.literal.size();
    case 'y':
    case 'u':
      return field.count == 2 ? 2 : std::max(field.count, 4);
    case 'M':
    case 'L':
      return field.count <= 2 ? 2 : field.count == 3 ? 3 : field.count == 4 ? 9 : 1;
    case 'E':
      return field.count <= 3 ? 3 : field.count == 4 ? 9 : 1;
    case 'D':
      return 3;
    case 'S':
      return static_cast<size_t>(field.count);
    default:
      return 2;  // d H h m s a
  }
}

size_t PrefixExpression::MaxEvaluatedLength(std::string_view error_output_type) const {
  size_t length = 0;
  for (const Segment& segment : segments_) {
    switch (segment.kind) {
      case Kind::kLiteral:
        length += segment.text.size();
        break;
      case Kind::kTimestamp:
        for (const TimeField& field : segment.fields) length += MaxFieldWidth(field);
        break;
      case Kind::kRandomString:
        length += kRandomStringLength;
        break;
      case Kind::kErrorOutputType:
        length += error_output_type.size();
        break;
      case Kind::kPartitionKey:
        break;  // unknown until records arrive
    }
  }
  return length;
}

Result<std::string> EvaluateDataPrefix(std::string_view prefix, int64_t epoch_millis,
                                       const TimeZone* time_zone) {
  auto expr = PrefixExpression::Parse(prefix);
  if (!expr.ok()) return expr.status();
  return expr->EvaluateWithDefaultTime({epoch_millis, {}, time_zone});
}

Result<std::string> EvaluateErrorPrefix(std::string_view prefix,
                                        const std::optional<std::string>& error_output_prefix,
                                        int64_t epoch_millis, std::string_view error_output_type,
                                        const TimeZone* time_zone) {
  PrefixContext ctx{epoch_millis, error_output_type, time_zone};
  if (error_output_prefix && !error_output_prefix->empty()) {
    auto expr = PrefixExpression::Parse(*error_output_prefix);
    if (!expr.ok()) return expr.status();
    return expr->Evaluate(ctx);
  }
  auto expr = PrefixExpression::Parse(
      fmt::format("{}{}/!{{timestamp:{}}}", prefix, error_output_type, kDefaultTimePattern));
  if (!expr.ok()) return expr.status();
  return expr->Evaluate(ctx);
}

bool HasTimestampExpression(std::string_view prefix) {
  auto expr = PrefixExpression::Parse(prefix);
  return expr.ok() && expr->has_timestamp();
}

Status ValidatePrefixes(std::string_view prefix,
                        const std::optional<std::string>& error_output_prefix,
                        bool dynamic_partitioning_enabled) {
  auto violation = [](std::string_view rule) {
    return Status::InvalidArgument(fmt::format("{}{}", kConstraint, rule));
  };
  auto data = PrefixExpression::Parse(prefix);
  if (!data.ok()) return violation(fmt::format("Prefix has an {}", data.status().message()));
  std::optional<PrefixExpression> error;
  if (error_output_prefix && !error_output_prefix->empty()) {
    auto parsed = PrefixExpression::Parse(*error_output_prefix);
    if (!parsed.ok()) {
      return violation(fmt::format("ErrorOutputPrefix has an {}", parsed.status().message()));
    }
    error = std::move(parsed).value();
  }

  if ((data->has_partition_keys() || (error && error->has_partition_keys())) &&
      !dynamic_partitioning_enabled) {
    // The service's own text for this rule (terraform-provider-aws#29092).
    return Status::InvalidArgument(
        "Dynamic Partitioning Namespaces can only be part of a prefix expression when Dynamic "
        "Partitioning is enabled.");
  }
  if (data->has_error_output_type()) {
    return violation("Prefix cannot contain !{firehose:error-output-type}");
  }
  if (data->has_expressions() && !error) {
    return violation("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions");
  }
  if (error && error->has_expressions() && !error->has_error_output_type()) {
    return violation(
        "ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains "
        "expressions");
  }
  if (data->MaxEvaluatedLength({}) > kMaxEvaluatedPrefixLength) {
    return violation(fmt::format("Prefix cannot be longer than {} characters after evaluation",
                                 kMaxEvaluatedPrefixLength));
  }
  if (error && error->MaxEvaluatedLength(kLongestS3ErrorOutputType) > kMaxEvaluatedPrefixLength) {
    return violation(
        fmt::format("ErrorOutputPrefix cannot be longer than {} characters after evaluation",
                    kMaxEvaluatedPrefixLength));
  }
  return Status::Ok();
}

}  // namespace hydrant::format
