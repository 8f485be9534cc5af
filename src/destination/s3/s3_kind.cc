// The S3 kind's operations: s3_config.cc's rules, s3_delivery.cc's delivery.
#include "destination/s3/s3_kind.h"

#include "destination/s3/s3_delivery.h"

namespace hydrant::destination::s3 {
namespace {

const S3Destination& Typed(const ParsedDestination& parsed) {
  return *static_cast<const S3Destination*>(parsed.typed.get());
}

Result<ParsedDestination> ParseS3(const boost::json::object& stored) {
  auto s3 = Parse(stored);
  if (!s3.ok()) return s3.status();
  ParsedDestination parsed{.kind = &kKind, .buffering = s3->buffering, .processing = s3->processing, .s3 = *s3, .typed = nullptr};
  parsed.typed = std::make_shared<const S3Destination>(std::move(*s3));
  return parsed;
}

using C = DeliveryCounters;

constexpr MetricFamily kMetrics[] = {
    {"firehose_delivery_to_s3_bytes_total", false,
     "CloudWatch DeliveryToS3.Bytes: bytes of records in delivered data objects (after "
     "processing, before compression).",
     [](const C& c) { return c.bytes_to_destination; }},
    {"firehose_delivery_to_s3_records_total", false,
     "CloudWatch DeliveryToS3.Records: records in delivered data objects (after processing).",
     [](const C& c) { return c.records_to_destination; }},
    {"firehose_delivery_to_s3_objects_total", false,
     "CloudWatch DeliveryToS3.ObjectCount: objects written to S3, error output included.",
     // An S3 stream's successful sends are its data objects; objects_written the others.
     [](const C& c) { return c.objects_written + c.attempts_succeeded; }},
    {"firehose_delivery_to_s3_successful_puts_total", false,
     "CloudWatch DeliveryToS3.Success (numerator): S3 puts that succeeded, retries included.",
     [](const C& c) { return c.attempts_succeeded + c.s3_writes_succeeded; }},
    {"firehose_delivery_to_s3_failed_puts_total", false,
     "CloudWatch DeliveryToS3.Success (denominator is successful + failed): S3 puts that failed "
     "and will be retried.",
     [](const C& c) { return c.attempts_failed + c.s3_writes_failed; }},
    {"firehose_delivery_to_s3_data_freshness_seconds", true,
     "CloudWatch DeliveryToS3.DataFreshness: age of the oldest record not yet delivered to S3; "
     "0 when everything is delivered.",
     [](const C& c) { return static_cast<uint64_t>(c.data_freshness_millis); }, /*millis_as_seconds=*/true},
};

}  // namespace

const KindOperations kKind = {
    .stored_member = "ExtendedS3DestinationConfiguration",
    .metrics = kMetrics,
    .from_create = [](const boost::json::object& given, std::string_view member) {
      return FromCreateRequest(given, /*legacy=*/member == "S3DestinationConfiguration");
    },
    .parse = ParseS3,
    .merge = [](const boost::json::object& stored, const boost::json::object& update, std::string_view member) {
      return MergeUpdate(stored, update, /*legacy=*/member == "S3DestinationUpdate");
    },
    .check_change = [](const ParsedDestination& before, const ParsedDestination& after) {
      return CheckChange(Typed(before), Typed(after));
    },
    .describe = [](const boost::json::object& stored, const ParsedDestination& parsed) {
      return Describe(stored, Typed(parsed));
    },
    .build = [](const ParsedDestination& parsed, const BuildContext& context) -> Result<std::unique_ptr<Destination>> {
      return std::unique_ptr<Destination>(
          new S3Delivery(context.objects, Typed(parsed), context.seal_at_rest, context.glue, context.stream_arn));
    },
};

}  // namespace hydrant::destination::s3
