// HttpEndpointDelivery: the HTTP endpoint destination kind's delivery, as the service's
// "HTTP endpoint delivery request and response specifications" describe it. A batch is one
// POST of {"requestId","timestamp","records":[{"data":"<base64>"},...]} with the
// X-Amz-Firehose-* headers; only a 200 whose JSON body echoes the request id is success.
#pragma once

#include <string>

#include "destination/destination.h"
#include "destination/http_endpoint/http_endpoint_config.h"
#include "http/outbound_client.h"

namespace hydrant::destination::http_endpoint {

struct DeliveryOptions {
  std::string stream_arn;                 // X-Amz-Firehose-Source-Arn
  int64_t request_timeout_ms = 180'000;   // the service waits 3 minutes for a response
  int64_t connect_timeout_ms = 10'000;
  std::string ca_bundle;                  // PEM file of trusted CAs; "" = the system's
  bool skip_verify = false;               // endpoints' certificates are not verified
};

class HttpEndpointDelivery final : public Destination {
 public:
  // `client` is not owned and outlives this.
  HttpEndpointDelivery(http::OutboundClient* client, HttpEndpointDestination config, DeliveryOptions options)
      : client_(client), config_(std::move(config)), options_(std::move(options)) {}

  // The request id: the batch id, a GUID, sent with every attempt of the batch.
  std::string Plan(const BatchFacts& facts) const override;
  Result<std::unique_ptr<Payload>> Encode(std::string_view plan, std::span<const Record> records,
                                          std::string* concatenated = nullptr) const override;
  DeliveryResult Send(const Payload& payload) const override;
  std::string Describe(std::string_view plan) const override;
  std::optional<int64_t> retry_window_millis() const override { return config_.retry_seconds * 1000; }
  std::string_view failed_output_type() const override { return "http-endpoint-failed"; }
  bool backup_all() const override { return config_.all_data; }

 private:
  http::OutboundClient* client_;
  const HttpEndpointDestination config_;
  const DeliveryOptions options_;
};

// The request body an Encode of this destination made (for tests).
std::string_view EncodedBody(const Payload& payload);

// The outcome of one exchange, by the specification's rules (exposed for tests).
DeliveryResult ClassifyResponse(const http::OutboundResponse& response, std::string_view request_id);

}  // namespace hydrant::destination::http_endpoint
