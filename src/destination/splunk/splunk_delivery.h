// SplunkDelivery: the Splunk destination's delivery through the HTTP Event Collector. A batch is
// one POST of its records back to back (the service concatenates them; with HECEndpointType Event
// each must be an HEC event object) to /services/collector/event or /services/collector/raw, with
// `Authorization: Splunk <token>` and the batch id as the request channel. The answer's ackId is
// then polled on /services/collector/ack until the indexers acknowledge it; none within
// HECAcknowledgmentTimeoutInSeconds is Splunk.AckTimeout and the batch is sent again. HEC's error
// codes decide: a batch HEC refuses as data (invalid format, missing or blank event) fails for
// good; everything else (busy, token, connection) is retried.
#pragma once

#include <string>

#include "destination/destination.h"
#include "destination/splunk/splunk_config.h"
#include "http/outbound_client.h"

namespace hydrant::destination::splunk {

struct DeliveryOptions {
  int64_t request_timeout_ms = 180'000;
  int64_t connect_timeout_ms = 10'000;
  int64_t ack_timeout_ms = 0;        // 0: HECAcknowledgmentTimeoutInSeconds (tests shorten it)
  int64_t ack_poll_millis = 1000;    // the longest wait between two ack queries
  std::string ca_bundle;
  bool skip_verify = false;
};

class SplunkDelivery final : public Destination {
 public:
  SplunkDelivery(http::OutboundClient* client, SplunkDestination config, DeliveryOptions options)
      : client_(client), config_(std::move(config)), options_(std::move(options)) {}

  std::string Plan(const BatchFacts& facts) const override;  // the batch id: the request channel
  Result<std::unique_ptr<Payload>> Encode(std::string_view plan, std::span<const Record> records,
                                          std::string* concatenated = nullptr) const override;
  DeliveryResult Send(const Payload& payload) const override;
  std::string Describe(std::string_view plan) const override;
  std::optional<int64_t> retry_window_millis() const override { return config_.retry_seconds * 1000; }
  std::string_view failed_output_type() const override { return "splunk-failed"; }
  bool backup_all() const override { return config_.all_events; }
  // attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData,
  // EventId.
  void AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const override;

 private:
  // Polls the ack of `ack_id` on `channel`; kDelivered once acknowledged.
  DeliveryResult AwaitAck(const std::string& channel, int64_t ack_id) const;
  http::OutboundRequest Request(const std::string& url, const std::string& channel, std::string_view body) const;

  http::OutboundClient* client_;
  const SplunkDestination config_;
  const DeliveryOptions options_;
};

// The outcome of HEC's answer to a data request (exposed for tests); `ack_id` is set on success.
DeliveryResult ClassifyHecResponse(const http::OutboundResponse& response, int64_t* ack_id);

}  // namespace hydrant::destination::splunk
