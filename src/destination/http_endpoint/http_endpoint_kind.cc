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

}  // namespace

const HttpEndpointDestination* Of(const ParsedDestination& parsed) {
  return parsed.kind == &kKind ? static_cast<const HttpEndpointDestination*>(parsed.typed.get()) : nullptr;
}

const KindOperations kKind = {
    .stored_member = "HttpEndpointDestinationConfiguration",
    .metrics_name = "HttpEndpoint",
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
      return std::unique_ptr<Destination>(new HttpEndpointDelivery(context.outbound, Typed(parsed), std::move(options)));
    },
};

}  // namespace hydrant::destination::http_endpoint
