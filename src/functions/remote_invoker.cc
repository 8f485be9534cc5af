// RemoteInvoker: libcurl POST with CURLOPT_AWS_SIGV4 ("aws:amz:<region>:lambda").
#include "functions/remote_invoker.h"

#include <curl/curl.h>

#include <boost/json.hpp>
#include <string>

#include "http/http_types.h"
#include "common/outbound_http.h"

namespace hydrant::functions {

RemoteInvoker::RemoteInvoker() { curl_global_init(CURL_GLOBAL_DEFAULT); }
RemoteInvoker::~RemoteInvoker() = default;

InvokeResult RemoteInvoker::Invoke(const FunctionDefinition& d, std::string_view payload) {
  InvokeResult result;
  std::string endpoint = d.remote_endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const std::string& function = d.remote_function.empty() ? d.name : d.remote_function;
  std::string url = endpoint + "/2015-03-31/functions/" + http::PercentEncode(function) + "/invocations";
  std::string region = d.remote_region.empty() ? "us-east-1" : d.remote_region;
  std::string sigv4 = "aws:amz:" + region + ":lambda";
  std::string userpwd = d.remote_access_key + ":" + d.remote_secret_key;

  CURL* curl = curl_easy_init();
  if (!curl) {
    result.outcome = InvokeResult::Outcome::kUnavailable;
    result.error_message = "curl_easy_init failed";
    return result;
  }
  // libcurl 7.88 signs x-amz-content-sha256 only when the header is present (clients-and-peers §4).
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, ("x-amz-content-sha256: " + HexSha256(payload)).c_str());
  headers = curl_slist_append(headers, "X-Amz-Invocation-Type: RequestResponse");
  std::string body;
  std::map<std::string, std::string> response_headers;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response_headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(d.timeout_seconds) * 1000 + 5000);
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  if (code == CURLE_OPERATION_TIMEDOUT) {
    result.outcome = InvokeResult::Outcome::kTimeout;
    result.error_type = "Sandbox.Timedout";
    result.error_message = "remote invocation of " + function + " timed out";
    return result;
  }
  if (code != CURLE_OK) {
    result.outcome = InvokeResult::Outcome::kUnavailable;
    result.error_type = "ServiceException";
    result.error_message = std::string("remote invoke failed: ") + curl_easy_strerror(code);
    return result;
  }
  if (status >= 200 && status < 300) {
    if (auto it = response_headers.find("x-amz-function-error"); it != response_headers.end()) {
      result.outcome = InvokeResult::Outcome::kFunctionError;
      boost::system::error_code ec;
      auto v = boost::json::parse(body, ec);
      if (!ec && v.is_object()) {
        if (auto* t = v.as_object().if_contains("errorType"); t && t->is_string()) result.error_type = t->as_string();
        if (auto* m = v.as_object().if_contains("errorMessage"); m && m->is_string()) result.error_message = m->as_string();
      }
      if (result.error_type.empty()) result.error_type = it->second;
    }
    result.payload = std::move(body);
    return result;
  }
  std::string type = response_headers.count("x-amzn-errortype") ? response_headers["x-amzn-errortype"] : "";
  type = type.substr(0, type.find(':'));
  result.outcome = status == 404 ? InvokeResult::Outcome::kNotFound : InvokeResult::Outcome::kUnavailable;
  result.error_type = type.empty() ? "HTTP " + std::to_string(status) : type;
  result.error_message = body;
  return result;
}

}  // namespace hydrant::functions
