// HttpEndpointDelivery: the request body and headers, and the response rules of the spec.
#include "destination/http_endpoint/http_endpoint_delivery.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>

#include "common/base64.h"
#include "format/compression.h"

namespace hydrant::destination::http_endpoint {
namespace {

namespace json = boost::json;

constexpr std::string_view kDestinationException = "HttpEndpoint.DestinationException";
constexpr std::string_view kInvalidResponse = "HttpEndpoint.InvalidResponseFromDestination";
// A response, headers included, may be at most 1 MiB.
constexpr size_t kMaxResponseBytes = 1 << 20;
// How much of a response an error message quotes.
constexpr size_t kQuotedBytes = 4096;

struct RequestPayload final : Payload {
  std::string body;  // compressed with GZIP when configured
  std::string request_id;
  uint64_t bytes() const override { return body.size(); }
};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Quote(const http::OutboundResponse& response) {
  std::string_view body = response.body;
  if (body.size() > kQuotedBytes) body = body.substr(0, kQuotedBytes);
  return fmt::format("Received the following response from the endpoint destination. {}: {}",
                     response.status, body);
}

DeliveryResult Retry(std::string_view code, std::string message) {
  return {Outcome::kRetryable, std::string(code), std::move(message)};
}

}  // namespace

std::string HttpEndpointDelivery::Plan(const BatchFacts& facts) const { return std::string(facts.batch_id); }

Result<std::unique_ptr<Payload>> HttpEndpointDelivery::Encode(std::string_view plan, std::span<const Record> records,
                                                              std::string* /*concatenated*/) const {
  auto payload = std::make_unique<RequestPayload>();
  payload->request_id = std::string(plan);
  // Base64 never needs JSON escaping, so the body is assembled directly.
  size_t size = 64 + plan.size();
  for (const Record& r : records) size += Base64EncodedSize(r.data.size()) + 12;
  std::string body;
  body.reserve(size);
  body += R"({"requestId":")";
  body += plan;
  body += R"(","timestamp":)";
  body += std::to_string(NowMillis());
  body += R"(,"records":[)";
  for (size_t i = 0; i < records.size(); ++i) {
    body += i == 0 ? R"({"data":")" : R"(,{"data":")";
    const size_t at = body.size();
    body.resize(at + Base64EncodedSize(records[i].data.size()));
    Base64EncodeTo(records[i].data, body.data() + at);
    body += R"("})";
  }
  body += "]}";
  if (config_.gzip) {
    auto compressed = format::Compress("GZIP", body, "");
    if (!compressed.ok()) return compressed.status();
    body = std::move(*compressed);
  }
  payload->body = std::move(body);
  return std::unique_ptr<Payload>(std::move(payload));
}

DeliveryResult HttpEndpointDelivery::Send(const Payload& payload) const {
  const auto& request_payload = static_cast<const RequestPayload&>(payload);
  http::OutboundRequest request;
  request.method = "POST";
  request.url = config_.url;
  request.body = request_payload.body;
  request.connect_timeout_ms = options_.connect_timeout_ms;
  request.timeout_ms = options_.request_timeout_ms;
  request.ca_bundle = options_.ca_bundle;
  request.skip_verify = options_.skip_verify;
  request.headers = {
      "Content-Type: application/json",
      "X-Amz-Firehose-Protocol-Version: 1.0",
      "X-Amz-Firehose-Request-Id: " + request_payload.request_id,
      "X-Amz-Firehose-Source-Arn: " + options_.stream_arn,
      // libcurl would otherwise wait for "100 Continue" before sending a large body.
      "Expect:",
  };
  if (!config_.access_key.empty()) request.headers.push_back("X-Amz-Firehose-Access-Key: " + config_.access_key);
  if (!config_.common_attributes.empty()) {
    json::object attributes;
    for (const CommonAttribute& a : config_.common_attributes) attributes[a.name] = a.value;
    request.headers.push_back("X-Amz-Firehose-Common-Attributes: " +
                              json::serialize(json::object{{"commonAttributes", attributes}}));
  }
  if (config_.gzip) request.headers.push_back("Content-Encoding: gzip");
  return ClassifyResponse(client_->Send(request), request_payload.request_id);
}

DeliveryResult ClassifyResponse(const http::OutboundResponse& response, std::string_view request_id) {
  using Transport = http::OutboundResponse::Transport;
  switch (response.transport) {
    case Transport::kOk: break;
    case Transport::kTimeout:
      return Retry("HttpEndpoint.RequestTimeout", response.transport_error);
    case Transport::kConnectFailed:
      return Retry("HttpEndpoint.ConnectionFailed", response.transport_error);
    case Transport::kFailed: {
      const std::string& e = response.transport_error;
      if (e.find("SSL") != std::string::npos || e.find("certificate") != std::string::npos) {
        return Retry("HttpEndpoint.SSLHandshakeFailure", e);
      }
      if (e.find("reset") != std::string::npos || e.find("Empty reply") != std::string::npos) {
        return Retry("HttpEndpoint.ConnectionReset", e);
      }
      return Retry("HttpEndpoint.ConnectionFailed", e);
    }
  }
  size_t response_bytes = response.body.size();
  for (const auto& [name, value] : response.headers) response_bytes += name.size() + value.size() + 4;
  if (response_bytes > kMaxResponseBytes) {
    return Retry("HttpEndpoint.ResponseTooLarge",
                 fmt::format("The response from the endpoint destination was larger than 1 MiB (status {})",
                             response.status));
  }
  if (response.status == 413) {
    // The spec's one permanent failure: the batch is too large for the endpoint.
    return {Outcome::kFailed, std::string(kDestinationException), Quote(response)};
  }
  if (response.status != 200) return Retry(kDestinationException, Quote(response));
  // Only a conforming body makes a 200 a success: JSON, with this request's id and a timestamp
  // (a number, or a string as the spec's own example sends it).
  auto content_type = response.headers.find("content-type");
  std::string_view media_type = content_type == response.headers.end() ? "" : std::string_view(content_type->second);
  media_type = media_type.substr(0, media_type.find(';'));
  while (!media_type.empty() && media_type.back() == ' ') media_type.remove_suffix(1);
  if (media_type != "application/json") {
    return Retry(kInvalidResponse, "The response's Content-Type is not application/json. " + Quote(response));
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(response.body, ec);
  if (ec || !parsed.is_object()) {
    return Retry(kInvalidResponse, "The response is not a JSON object. " + Quote(response));
  }
  const json::object& o = parsed.get_object();
  const json::value* id = o.if_contains("requestId");
  if (!id || !id->is_string() || id->get_string() != request_id) {
    return Retry(kInvalidResponse, "The response's requestId does not match the request's. " + Quote(response));
  }
  const json::value* timestamp = o.if_contains("timestamp");
  if (!timestamp || !(timestamp->is_number() || timestamp->is_string())) {
    return Retry(kInvalidResponse, "The response has no timestamp. " + Quote(response));
  }
  return {Outcome::kDelivered, "", ""};
}

std::string_view EncodedBody(const Payload& payload) {
  return static_cast<const RequestPayload&>(payload).body;
}

std::string HttpEndpointDelivery::Describe(std::string_view plan) const {
  return fmt::format("{} (request {})", config_.url, plan);
}

}  // namespace hydrant::destination::http_endpoint
