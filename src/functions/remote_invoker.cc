// RemoteInvoker: a SigV4-signed POST ("aws:amz:<region>:lambda") through the outbound client.
#include "functions/remote_invoker.h"

#include <boost/json.hpp>
#include <string>

#include "common/sha256.h"
#include "http/http_types.h"

namespace hydrant::functions {

InvokeResult RemoteInvoker::Invoke(const FunctionDefinition& d, std::string_view payload) {
  InvokeResult result;
  std::string endpoint = d.remote_endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string& function = d.remote_function.empty() ? d.name : d.remote_function;
  http::OutboundRequest request;
  request.method = "POST";
  request.url = endpoint + "/2015-03-31/functions/" + http::PercentEncode(function) + "/invocations";
  // libcurl 7.88 signs x-amz-content-sha256 only when the header is present (clients-and-peers §4).
  request.headers = {"Content-Type: application/json", "x-amz-content-sha256: " + HexSha256(payload),
                     "X-Amz-Invocation-Type: RequestResponse"};
  request.body = payload;
  request.sigv4 = "aws:amz:" + (d.remote_region.empty() ? std::string("us-east-1") : d.remote_region) + ":lambda";
  request.access_key_id = d.remote_access_key;
  request.secret_access_key = d.remote_secret_key;
  request.ca_bundle = d.remote_ca_bundle;
  request.skip_verify = d.remote_skip_verify;
  request.connect_timeout_ms = 5000;
  request.timeout_ms = static_cast<int64_t>(d.timeout_seconds) * 1000 + 5000;
  http::OutboundResponse response = client_.Send(request);

  if (response.transport == http::OutboundResponse::Transport::kTimeout) {
    result.outcome = InvokeResult::Outcome::kTimeout;
    result.error_type = "Sandbox.Timedout";
    result.error_message = "remote invocation of " + function + " timed out";
    return result;
  }
  if (response.transport != http::OutboundResponse::Transport::kOk) {
    result.outcome = InvokeResult::Outcome::kUnavailable;
    result.error_type = "ServiceException";
    result.error_message = "remote invoke failed: " + response.transport_error;
    return result;
  }
  if (response.status >= 200 && response.status < 300) {
    if (auto it = response.headers.find("x-amz-function-error"); it != response.headers.end()) {
      result.outcome = InvokeResult::Outcome::kFunctionError;
      boost::system::error_code ec;
      auto v = boost::json::parse(response.body, ec);
      if (!ec && v.is_object()) {
        if (auto* t = v.as_object().if_contains("errorType"); t && t->is_string()) result.error_type = t->as_string();
        if (auto* m = v.as_object().if_contains("errorMessage"); m && m->is_string()) result.error_message = m->as_string();
      }
      if (result.error_type.empty()) result.error_type = it->second;
    }
    result.payload = std::move(response.body);
    return result;
  }
  std::string type = response.headers.count("x-amzn-errortype") ? response.headers["x-amzn-errortype"] : "";
  type = type.substr(0, type.find(':'));
  result.outcome = response.status == 404 ? InvokeResult::Outcome::kNotFound : InvokeResult::Outcome::kUnavailable;
  result.error_type = type.empty() ? "HTTP " + std::to_string(response.status) : type;
  result.error_message = std::move(response.body);
  return result;
}

}  // namespace hydrant::functions
