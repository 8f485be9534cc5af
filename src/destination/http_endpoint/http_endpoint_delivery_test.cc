// Tests for the HTTP endpoint delivery's request body and its reading of responses. The wire
// itself (headers, retries, a live receiver) is tested end to end in
// tests/e2e/test_http_endpoint.py.
#include "destination/http_endpoint/http_endpoint_delivery.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/base64.h"

namespace hydrant::destination::http_endpoint {
namespace {

namespace json = boost::json;
using Transport = http::OutboundResponse::Transport;

constexpr std::string_view kId = "0f8fad5b-d9cb-469f-a165-70867728950e";

http::OutboundResponse Answer(long status, std::string body, std::string content_type = "application/json") {
  http::OutboundResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!content_type.empty()) r.headers["content-type"] = content_type;
  return r;
}

std::string Conforming(std::string_view id, std::string_view timestamp = "1578090901599") {
  return "{\"requestId\":\"" + std::string(id) + "\",\"timestamp\":" + std::string(timestamp) + "}";
}

TEST(ClassifyResponseTest, OnlyA200EchoingTheRequestIdIsSuccess) {
  EXPECT_EQ(ClassifyResponse(Answer(200, Conforming(kId)), kId).outcome, Outcome::kDelivered);
  // The spec's own example sends the timestamp as a string.
  EXPECT_EQ(ClassifyResponse(Answer(200, Conforming(kId, "\"1578090901599\"")), kId).outcome, Outcome::kDelivered);
  EXPECT_EQ(ClassifyResponse(Answer(200, Conforming(kId), "application/json; charset=utf-8"), kId).outcome,
            Outcome::kDelivered);

  for (const auto& [response, code] : std::vector<std::pair<http::OutboundResponse, std::string>>{
           {Answer(200, Conforming("another-id")), "HttpEndpoint.InvalidResponseFromDestination"},
           {Answer(200, "{\"requestId\":\"" + std::string(kId) + "\"}"), "HttpEndpoint.InvalidResponseFromDestination"},
           {Answer(200, "not json"), "HttpEndpoint.InvalidResponseFromDestination"},
           {Answer(200, Conforming(kId), "text/plain"), "HttpEndpoint.InvalidResponseFromDestination"},
           {Answer(201, Conforming(kId)), "HttpEndpoint.DestinationException"},
           {Answer(302, ""), "HttpEndpoint.DestinationException"},
           {Answer(401, "denied", "text/plain"), "HttpEndpoint.DestinationException"},
           {Answer(500, Conforming(kId)), "HttpEndpoint.DestinationException"},
           {Answer(200, std::string(1 << 20, ' ') + Conforming(kId)), "HttpEndpoint.ResponseTooLarge"},
       }) {
    DeliveryResult result = ClassifyResponse(response, kId);
    EXPECT_EQ(result.outcome, Outcome::kRetryable) << response.status << " " << response.body.substr(0, 40);
    EXPECT_EQ(result.error_code, code) << response.status << " " << response.body.substr(0, 40);
  }
}

TEST(ClassifyResponseTest, A413FailsForGoodAndTheMessageQuotesTheResponse) {
  DeliveryResult result = ClassifyResponse(Answer(413, "{\"errorMessage\":\"too big\"}"), kId);
  EXPECT_EQ(result.outcome, Outcome::kFailed);
  EXPECT_EQ(result.error_code, "HttpEndpoint.DestinationException");
  EXPECT_EQ(result.error_message,
            "Received the following response from the endpoint destination. 413: {\"errorMessage\":\"too big\"}");
}

TEST(ClassifyResponseTest, TransportFailuresHaveTheirCodes) {
  auto failure = [](Transport t, std::string text) {
    http::OutboundResponse r;
    r.transport = t;
    r.transport_error = std::move(text);
    return ClassifyResponse(r, kId);
  };
  EXPECT_EQ(failure(Transport::kTimeout, "timed out").error_code, "HttpEndpoint.RequestTimeout");
  EXPECT_EQ(failure(Transport::kConnectFailed, "refused").error_code, "HttpEndpoint.ConnectionFailed");
  EXPECT_EQ(failure(Transport::kFailed, "Recv failure: Connection reset by peer").error_code,
            "HttpEndpoint.ConnectionReset");
  EXPECT_EQ(failure(Transport::kFailed, "SSL certificate problem").error_code, "HttpEndpoint.SSLHandshakeFailure");
  EXPECT_EQ(failure(Transport::kTimeout, "x").outcome, Outcome::kRetryable);
}

TEST(HttpEndpointDeliveryTest, EncodesTheSpecsBodyWithEveryRecordInBase64) {
  HttpEndpointDestination config;
  config.url = "http://127.0.0.1:1/x";
  HttpEndpointDelivery delivery(nullptr, config, {});
  const std::string data[] = {"{\"a\":1}", "", std::string("\0\xff", 2)};
  std::vector<Record> records;
  for (const std::string& d : data) records.push_back({d, 1000, "7"});
  EXPECT_EQ(delivery.Plan({.batch_id = kId}), kId);
  auto payload = delivery.Encode(kId, records);
  ASSERT_TRUE(payload.ok());
  json::object body = json::parse(EncodedBody(**payload)).as_object();
  ASSERT_EQ(body.size(), 3u);
  EXPECT_EQ(body.at("requestId").as_string(), kId);
  EXPECT_TRUE(body.at("timestamp").is_int64());
  const json::array& out = body.at("records").as_array();
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].as_object().size(), 1u);
    std::string decoded;
    ASSERT_TRUE(Base64Decode(out[i].at("data").as_string(), &decoded));
    EXPECT_EQ(decoded, data[i]);
  }
}

}  // namespace
}  // namespace hydrant::destination::http_endpoint
