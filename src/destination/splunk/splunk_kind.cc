// The Splunk kind's operations: splunk_config.cc's rules, splunk_delivery.cc's delivery.
#include "destination/splunk/splunk_kind.h"

#include "destination/splunk/splunk_delivery.h"

namespace hydrant::destination::splunk {
namespace {

namespace json = boost::json;
using C = DeliveryCounters;

const SplunkDestination& Typed(const ParsedDestination& parsed) { return *Of(parsed); }

Result<ParsedDestination> ParseSplunk(const json::object& stored) {
  auto d = Parse(stored);
  if (!d.ok()) return d.status();
  ParsedDestination parsed{.kind = &kKind, .buffering = d->buffering, .processing = d->processing, .s3 = d->s3,
                           .typed = nullptr};
  parsed.typed = std::make_shared<const SplunkDestination>(std::move(*d));
  return parsed;
}

constexpr MetricFamily kMetrics[] = {
    {"firehose_delivery_to_splunk_records_total", false,
     "CloudWatch DeliveryToSplunk.Records: records HEC acknowledged (after processing).",
     [](const C& c) { return c.records_to_destination; }},
    {"firehose_delivery_to_splunk_bytes_total", false, "CloudWatch DeliveryToSplunk.Bytes: bytes of those records.",
     [](const C& c) { return c.bytes_to_destination; }},
    {"firehose_delivery_to_splunk_successful_requests_total", false,
     "CloudWatch DeliveryToSplunk.Success (numerator): batches HEC accepted and acknowledged, retries included.",
     [](const C& c) { return c.attempts_succeeded; }},
    {"firehose_delivery_to_splunk_failed_requests_total", false,
     "CloudWatch DeliveryToSplunk.Success (denominator is successful + failed): attempts that failed.",
     [](const C& c) { return c.attempts_failed; }},
    {"firehose_delivery_to_splunk_data_ack_latency_seconds", true,
     "CloudWatch DeliveryToSplunk.DataAckLatency: from sending the last batch to its indexer acknowledgement.",
     [](const C& c) { return static_cast<uint64_t>(c.ack_latency_millis); }, /*millis_as_seconds=*/true},
    {"firehose_delivery_to_splunk_data_freshness_seconds", true,
     "CloudWatch DeliveryToSplunk.DataFreshness: age of the oldest record not yet acknowledged; 0 when none.",
     [](const C& c) { return static_cast<uint64_t>(c.data_freshness_millis); }, /*millis_as_seconds=*/true},
};

}  // namespace

const SplunkDestination* Of(const ParsedDestination& parsed) {
  return parsed.kind == &kKind ? static_cast<const SplunkDestination*>(parsed.typed.get()) : nullptr;
}

const KindOperations kKind = {
    .stored_member = "SplunkDestinationConfiguration",
    .metrics = kMetrics,
    .from_create = [](const json::object& given, std::string_view) { return FromCreateRequest(given); },
    .parse = ParseSplunk,
    .merge = [](const json::object& stored, const json::object& update, std::string_view) {
      return MergeUpdate(stored, update);
    },
    .check_change = [](const ParsedDestination& before, const ParsedDestination& after) {
      return CheckChange(Typed(before), Typed(after));
    },
    .describe = [](const json::object& stored, const ParsedDestination& parsed) { return Describe(stored, Typed(parsed)); },
    .build = [](const ParsedDestination& parsed, const BuildContext& context) -> Result<std::unique_ptr<Destination>> {
      DeliveryOptions options;
      options.request_timeout_ms = context.http_timeout_ms;
      options.ca_bundle = context.http_ca_bundle;
      options.skip_verify = context.http_skip_verify;
      options.ack_timeout_ms = context.splunk_ack_timeout_ms;
      return std::unique_ptr<Destination>(new SplunkDelivery(context.outbound, Typed(parsed), std::move(options)));
    },
};

}  // namespace hydrant::destination::splunk
