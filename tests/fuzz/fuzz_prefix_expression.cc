// Fuzzes S3 Prefix/ErrorOutputPrefix expressions: Parse, Evaluate in several time zones, the
// evaluated-length bound the 512-character rule relies on, and the prefix-pair validation.
//
// Input: bytes 0-7 the arrival time (folded into 1970..9999, as a clock gives), byte 8 the zone,
// byte 9 flags (bit 0 dynamic partitioning, bit 1 use the text as ErrorOutputPrefix too), then
// the prefix text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "format/prefix_expression.h"
#include "format/time_zone.h"

namespace {

namespace format = hydrant::format;

void Check(bool ok, const char* what, std::string_view text) {
  if (!ok) {
    fprintf(stderr, "check failed: %s for prefix '%.*s'\n", what, static_cast<int>(text.size()),
            text.data());
    abort();
  }
}

constexpr const char* kZones[] = {"", "UTC", "Asia/Tokyo", "America/New_York",
                                  "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"};
// 9999-12-31T23:59:59.999Z: the last instant with a four-digit year.
constexpr int64_t kMaxMillis = 253402300799999;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 10) return 0;
  uint64_t raw;
  memcpy(&raw, data, 8);
  // A day short of the end, so a zone's offset cannot push a local time past year 9999 either.
  const int64_t epoch_millis = static_cast<int64_t>(raw % (kMaxMillis - 86'400'000));
  auto zone = format::LookupTimeZone(kZones[data[8] % std::size(kZones)]);
  Check(zone.ok(), "known zone", "");
  const bool dynamic = data[9] & 1;
  const bool also_error = data[9] & 2;
  const std::string_view text(reinterpret_cast<const char*>(data) + 10, size - 10);

  (void)format::ValidatePrefixes(text, also_error ? std::optional<std::string>(text) : std::nullopt, dynamic);
  (void)format::EvaluateDataPrefix(text, epoch_millis, *zone);
  (void)format::EvaluateErrorPrefix(text, std::nullopt, epoch_millis, "processing-failed", *zone);
  (void)format::EvaluateErrorPrefix("p/", std::string(text), epoch_millis, "format-conversion-failed", *zone);
  (void)format::HasTimestampExpression(text);

  auto expr = format::PrefixExpression::Parse(text);
  if (!expr.ok()) return 0;
  const std::map<std::string, std::string> keys = {{"id", "42"}, {"a", "x/y"}, {"", "empty"}};
  for (std::string_view type : {std::string_view(), std::string_view("processing-failed")}) {
    format::PrefixContext ctx{.epoch_millis = epoch_millis, .error_output_type = type,
                              .time_zone = *zone, .partition_keys = nullptr};
    const std::string evaluated = expr->Evaluate(ctx);
    Check(evaluated.size() <= expr->MaxEvaluatedLength(type), "evaluated length within the bound", text);
    Check(expr->has_expressions() || evaluated == text, "plain text evaluates to itself", text);
    const std::string with_time = expr->EvaluateWithDefaultTime(ctx);
    Check(with_time.compare(0, evaluated.size(), evaluated) == 0 || expr->has_expressions(),
          "default time is appended", text);
    ctx.partition_keys = &keys;
    (void)expr->Evaluate(ctx);
  }
  (void)expr->MissingPartitionKey(keys);
  (void)expr->PartitionIdentity(keys);
  return 0;
}
