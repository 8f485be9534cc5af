// SplunkDelivery: HEC requests, indexer acknowledgement and HEC's error codes.
#include "destination/splunk/splunk_delivery.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "common/base64.h"
#include "destination/failed_record.h"

namespace hydrant::destination::splunk {
namespace {

namespace json = boost::json;

struct BatchPayload final : Payload {
  std::string body;
  std::string channel;
  uint64_t bytes() const override { return body.size(); }
};

constexpr size_t kQuotedBytes = 2048;

DeliveryResult Retry(std::string_view code, std::string message) {
  return {Outcome::kRetryable, std::string(code), std::move(message)};
}

std::string Quote(const http::OutboundResponse& response) {
  std::string_view body = response.body;
  if (body.size() > kQuotedBytes) body = body.substr(0, kQuotedBytes);
  return fmt::format("HEC answered {}: {}", response.status, body);
}

DeliveryResult TransportFailure(const http::OutboundResponse& response) {
  using Transport = http::OutboundResponse::Transport;
  const std::string& e = response.transport_error;
  if (response.transport == Transport::kTimeout) return Retry("Splunk.ConnectionTimeout", e);
  if (response.transport == Transport::kConnectFailed) return Retry("Splunk.InvalidEndpoint", e);
  if (e.find("SSL") != std::string::npos || e.find("certificate") != std::string::npos) {
    return Retry("Splunk.SSLHandshake", e);
  }
  return Retry("Splunk.ConnectionClosed", e);
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DeliveryResult ClassifyHecResponse(const http::OutboundResponse& response, int64_t* ack_id) {
  if (response.transport != http::OutboundResponse::Transport::kOk) return TransportFailure(response);
  boost::system::error_code ec;
  json::value parsed = json::parse(response.body, ec);
  const json::object* o = !ec && parsed.is_object() ? &parsed.get_object() : nullptr;
  const json::value* code_value = o ? o->if_contains("code") : nullptr;
  const int64_t code = code_value && code_value->is_int64() ? code_value->get_int64() : -1;
  if (response.status == 200 && code == 0) {
    const json::value* ack = o->if_contains("ackId");
    if (!ack || !ack->is_int64()) {
      return Retry("Splunk.DisabledAck", "HEC answered without an ackId: enable indexer acknowledgement on the token. " +
                                             Quote(response));
    }
    *ack_id = ack->get_int64();
    return {Outcome::kDelivered, "", ""};
  }
  // HEC's status codes ("Troubleshoot HTTP Event Collector").
  switch (code) {
    case 1: return Retry("Splunk.DisabledToken", Quote(response));
    case 2:
    case 3:
    case 4: return Retry("Splunk.InvalidToken", Quote(response));
    case 5:
    case 6:
    case 12:
    case 13:  // the data itself: sending it again cannot help
      return {Outcome::kFailed, "Splunk.InvalidDataFormat", Quote(response)};
    case 7: return Retry("Splunk.InvalidIndex", Quote(response));
    case 10:
    case 11: return Retry("Splunk.ProxyWithoutStickySessions", Quote(response));
    case 14: return Retry("Splunk.DisabledAck", Quote(response));
    default: return Retry("Splunk.ServerError", Quote(response));
  }
}

std::string SplunkDelivery::Plan(const BatchFacts& facts) const { return std::string(facts.batch_id); }

Result<std::unique_ptr<Payload>> SplunkDelivery::Encode(std::string_view plan, std::span<const Record> records,
                                                        std::string* concatenated) const {
  auto payload = std::make_unique<BatchPayload>();
  payload->channel = std::string(plan);
  size_t bytes = 0;
  for (const Record& r : records) bytes += r.data.size();
  if (concatenated && concatenated->size() == bytes) {
    payload->body = std::move(*concatenated);
  } else {
    payload->body.reserve(bytes);
    for (const Record& r : records) payload->body.append(r.data);
  }
  return std::unique_ptr<Payload>(std::move(payload));
}

http::OutboundRequest SplunkDelivery::Request(const std::string& url, const std::string& channel,
                                              std::string_view body) const {
  http::OutboundRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.connect_timeout_ms = options_.connect_timeout_ms;
  request.timeout_ms = options_.request_timeout_ms;
  request.ca_bundle = options_.ca_bundle;
  request.skip_verify = options_.skip_verify;
  request.headers = {"Authorization: Splunk " + config_.token, "X-Splunk-Request-Channel: " + channel,
                     "Content-Type: application/json", "Expect:"};
  return request;
}

DeliveryResult SplunkDelivery::Send(const Payload& payload) const {
  const auto& batch = static_cast<const BatchPayload&>(payload);
  std::string base = config_.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + (config_.raw ? "/services/collector/raw?channel=" : "/services/collector/event?channel=") +
                          batch.channel;
  int64_t ack_id = -1;
  const int64_t sent = SteadyMillis();
  DeliveryResult posted = ClassifyHecResponse(client_->Send(Request(url, batch.channel, batch.body)), &ack_id);
  if (posted.outcome != Outcome::kDelivered) return posted;
  DeliveryResult acked = AwaitAck(batch.channel, ack_id);
  if (acked.outcome == Outcome::kDelivered) acked.ack_latency_millis = SteadyMillis() - sent;
  return acked;
}

DeliveryResult SplunkDelivery::AwaitAck(const std::string& channel, int64_t ack_id) const {
  std::string base = config_.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/services/collector/ack?channel=" + channel;
  const std::string body = json::serialize(json::object{{"acks", json::array{ack_id}}});
  const int64_t timeout = options_.ack_timeout_ms > 0 ? options_.ack_timeout_ms : config_.ack_timeout_seconds * 1000;
  const int64_t deadline = SteadyMillis() + timeout;
  int64_t wait = 50;  // quick at first: an idle indexer acknowledges within milliseconds
  std::string last;
  for (;;) {
    http::OutboundResponse response = client_->Send(Request(url, channel, body));
    if (response.transport == http::OutboundResponse::Transport::kOk && response.status == 200) {
      boost::system::error_code ec;
      json::value parsed = json::parse(response.body, ec);
      const json::value* acks = !ec && parsed.is_object() ? parsed.get_object().if_contains("acks") : nullptr;
      const json::value* mine = acks && acks->is_object() ? acks->get_object().if_contains(std::to_string(ack_id)) : nullptr;
      if (mine && mine->is_bool() && mine->get_bool()) return {Outcome::kDelivered, "", ""};
      last = Quote(response);
    } else {
      last = response.transport == http::OutboundResponse::Transport::kOk ? Quote(response) : response.transport_error;
    }
    if (SteadyMillis() + wait > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    wait = std::min(wait * 2, options_.ack_poll_millis);
  }
  return Retry("Splunk.AckTimeout",
               fmt::format("Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout of {} "
                           "seconds expired (ackId {} on channel {}; last answer: {})",
                           timeout / 1000, ack_id, channel, last));
}

void SplunkDelivery::AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const {
  json::object doc = FailureDocument(record, failure);
  doc.emplace("rawData", Base64Encode(record.data));
  // The service's EventId is the record's sequence number; Hydrant's is its place in the log.
  doc.emplace("EventId", std::string(record.record_id) + "." + std::to_string(record.subsequence));
  AppendDocument(doc, out);
}

std::string SplunkDelivery::Describe(std::string_view plan) const {
  return fmt::format("{} ({} endpoint, channel {})", config_.endpoint, config_.raw ? "raw" : "event", plan);
}

}  // namespace hydrant::destination::splunk
