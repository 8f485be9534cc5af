// The HTTP endpoint kind's operations: http_endpoint_config.cc's rules, http_endpoint_delivery.cc's
// delivery.
#include "destination/http_endpoint/http_endpoint_kind.h"

#include "destination/http_endpoint/http_endpoint_delivery.h"

namespace hydrant::destination::http_endpoint {
namespace {

const HttpEndpointDestination& Typed(const ParsedDestination& parsed) { return *Of(parsed); }

Result<ParsedDestination> ParseHttpEndpoint(const boost::json::object& stored) {
  auto endpoint = Parse(stored);
  if (!endpoint.ok()) return endpoint.status();
  ParsedDestination parsed{
      .kind = &kKind, .buffering = endpoint->buffering, .processing = endpoint->processing, .s3 = endpoint->s3, .typed = nullptr};
  parsed.typed = std::make_shared<const HttpEndpointDestination>(std::move(*endpoint));
  return parsed;
}

using C = DeliveryCounters;

constexpr MetricFamily kMetrics[] = {
    {"firehose_delivery_to_http_endpoint_bytes_total", false,
     "CloudWatch DeliveryToHttpEndpoint.Bytes: bytes of records delivered (after processing, "
     "before encoding).",
     [](const C& c) { return c.bytes_to_destination; }},
    {"firehose_delivery_to_http_endpoint_records_total", false,
     "CloudWatch DeliveryToHttpEndpoint.Records: records delivered (after processing).",
     [](const C& c) { return c.records_to_destination; }},
    {"firehose_delivery_to_http_endpoint_successful_requests_total", false,
     "CloudWatch DeliveryToHttpEndpoint.Success (numerator): requests the endpoint accepted, "
     "retries included.",
     [](const C& c) { return c.attempts_succeeded; }},
    {"firehose_delivery_to_http_endpoint_failed_requests_total", false,
     "CloudWatch DeliveryToHttpEndpoint.Success (denominator is successful + failed): requests "
     "that failed.",
     [](const C& c) { return c.attempts_failed; }},
    {"firehose_delivery_to_http_endpoint_processed_records_total", false,
     "CloudWatch DeliveryToHttpEndpoint.ProcessedRecords: records sent, retries included.",
     [](const C& c) { return c.records_attempted; }},
    {"firehose_delivery_to_http_endpoint_processed_bytes_total", false,
     "CloudWatch DeliveryToHttpEndpoint.ProcessedBytes: request bytes sent, retries included.",
     [](const C& c) { return c.bytes_attempted; }},
    {"firehose_delivery_to_http_endpoint_data_freshness_seconds", true,
     "CloudWatch DeliveryToHttpEndpoint.DataFreshness: age of the oldest record not yet "
     "delivered to the endpoint; 0 when everything is delivered.",
     [](const C& c) { return static_cast<uint64_t>(c.data_freshness_millis); }, /*millis_as_seconds=*/true},
};

}  // namespace

const HttpEndpointDestination* Of(const ParsedDestination& parsed) {
  return parsed.kind == &kKind ? static_cast<const HttpEndpointDestination*>(parsed.typed.get()) : nullptr;
}

const KindOperations kKind = {
    .stored_member = "HttpEndpointDestinationConfiguration",
    .metrics = kMetrics,
    .from_create = [](const boost::json::object& given, std::string_view) { return FromCreateRequest(given); },
    .parse = ParseHttpEndpoint,
    .merge = [](const boost::json::object& stored, const boost::json::object& update, std::string_view) {
      return MergeUpdate(stored, update);
    },
    .check_change = [](const ParsedDestination& before, const ParsedDestination& after) {
      return CheckChange(Typed(before), Typed(after));
    },
    .describe = [](const boost::json::object& stored, const ParsedDestination& parsed) {
      return Describe(stored, Typed(parsed));
    },
    .build = [](const ParsedDestination& parsed, const BuildContext& context) -> Result<std::unique_ptr<Destination>> {
      DeliveryOptions options;
      options.stream_arn = context.stream_arn;
      options.request_timeout_ms = context.http_timeout_ms;
      options.ca_bundle = context.http_ca_bundle;
      options.skip_verify = context.http_skip_verify;
      return std::unique_ptr<Destination>(new HttpEndpointDelivery(context.outbound, Typed(parsed), std::move(options)));
    },
};

}  // namespace hydrant::destination::http_endpoint
