// The Redshift kind's operations: redshift_config.cc's rules, redshift_delivery.cc's delivery.
#include "destination/redshift/redshift_kind.h"

#include "destination/redshift/redshift_delivery.h"

namespace hydrant::destination::redshift {
namespace {

namespace json = boost::json;
using C = DeliveryCounters;

const RedshiftDestination& Typed(const ParsedDestination& parsed) {
  return *static_cast<const RedshiftDestination*>(parsed.typed.get());
}

Result<ParsedDestination> ParseRedshift(const json::object& stored) {
  auto d = Parse(stored);
  if (!d.ok()) return d.status();
  ParsedDestination parsed{.kind = &kKind, .buffering = d->s3.buffering, .processing = d->processing, .s3 = d->s3,
                           .typed = nullptr};
  parsed.typed = std::make_shared<const RedshiftDestination>(std::move(*d));
  return parsed;
}

constexpr MetricFamily kMetrics[] = {
    {"firehose_delivery_to_redshift_records_total", false,
     "CloudWatch DeliveryToRedshift.Records: records in batches loaded into the table (after processing).",
     [](const C& c) { return c.records_to_destination; }},
    {"firehose_delivery_to_redshift_bytes_total", false,
     "CloudWatch DeliveryToRedshift.Bytes: bytes of those records.", [](const C& c) { return c.bytes_to_destination; }},
    {"firehose_delivery_to_redshift_successful_loads_total", false,
     "CloudWatch DeliveryToRedshift.Success (numerator): COPY loads that committed, retries included.",
     [](const C& c) { return c.attempts_succeeded; }},
    {"firehose_delivery_to_redshift_failed_loads_total", false,
     "CloudWatch DeliveryToRedshift.Success (denominator is successful + failed): loads that failed.",
     [](const C& c) { return c.attempts_failed; }},
    {"hydrant_delivery_to_redshift_rejected_rows_total", false,
     "Rows a load skipped within MAXERROR (Redshift keeps them in STL_LOAD_ERRORS; Hydrant logs them).",
     [](const C& c) { return c.rows_rejected; }},
    // The intermediate objects are delivered to S3 first: the service reports them as DeliveryToS3.*.
    {"firehose_delivery_to_s3_bytes_total", false, nullptr, [](const C& c) { return c.staged_bytes; }},
    {"firehose_delivery_to_s3_records_total", false, nullptr, [](const C& c) { return c.staged_records; }},
    {"firehose_delivery_to_s3_objects_total", false, nullptr,
     [](const C& c) { return c.staged_objects + c.objects_written; }},
    {"firehose_delivery_to_s3_successful_puts_total", false, nullptr,
     [](const C& c) { return c.staged_objects + c.s3_writes_succeeded; }},
    {"firehose_delivery_to_s3_failed_puts_total", false, nullptr, [](const C& c) { return c.s3_writes_failed; }},
};

}  // namespace

const KindOperations kKind = {
    .stored_member = "RedshiftDestinationConfiguration",
    .metrics = kMetrics,
    .from_create = [](const json::object& given, std::string_view) { return FromCreateRequest(given); },
    .parse = ParseRedshift,
    .merge = [](const json::object& stored, const json::object& update, std::string_view) {
      return MergeUpdate(stored, update);
    },
    .check_change = [](const ParsedDestination& before, const ParsedDestination& after) {
      return CheckChange(Typed(before), Typed(after));
    },
    .describe = [](const json::object& stored, const ParsedDestination& parsed) { return Describe(stored, Typed(parsed)); },
    .build = [](const ParsedDestination& parsed, const BuildContext& context) -> Result<std::unique_ptr<Destination>> {
      return std::unique_ptr<Destination>(new RedshiftDelivery(context.objects, Typed(parsed), context.seal_at_rest));
    },
};

}  // namespace hydrant::destination::redshift
