// OutboundClient: libcurl easy handles from a pool, one request each at a time.
#include "http/outbound_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace hydrant::http {
namespace {

size_t AppendToString(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = std::string(value);
  }
  return size * n;
}

OutboundResponse::Transport TransportOf(CURLcode code) {
  switch (code) {
    case CURLE_OK: return OutboundResponse::Transport::kOk;
    case CURLE_OPERATION_TIMEDOUT: return OutboundResponse::Transport::kTimeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return OutboundResponse::Transport::kConnectFailed;
    default: return OutboundResponse::Transport::kFailed;
  }
}

}  // namespace

OutboundClient::OutboundClient(OutboundClientOptions options) : options_(std::move(options)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // reference-counted; thread-safe in libcurl >= 7.84
}

OutboundClient::~OutboundClient() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* OutboundClient::TakeHandle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void OutboundClient::ReturnHandle(void* handle) {
  std::lock_guard lock(mu_);
  idle_.push_back(handle);
}

OutboundResponse OutboundClient::Send(const OutboundRequest& request) {
  OutboundResponse response;
  CURL* curl = static_cast<CURL*>(TakeHandle());
  if (!curl) {
    response.transport = OutboundResponse::Transport::kFailed;
    response.transport_error = "curl_easy_init failed";
    return response;
  }
  curl_easy_reset(curl);  // options back to defaults; open connections stay
  curl_slist* headers = nullptr;
  for (const std::string& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  const std::string userpwd = request.access_key_id + ":" + request.secret_access_key;
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  if (request.method == "POST" || request.method == "PUT" || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);  // a HEAD answer has no body to wait for
  } else if (request.method != "POST" && request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!request.sigv4.empty()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, request.sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  }
  if (request.path_as_is) curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  const std::string& ca_bundle = request.ca_bundle.empty() ? options_.ca_bundle : request.ca_bundle;
  if (!ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_bundle.c_str());
  const bool verify = !(request.skip_verify || options_.skip_verify);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);  // pooled handles: set every time
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
  if (request.timeout_ms > 0) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  if (request.stall_timeout_ms > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>((request.stall_timeout_ms + 999) / 1000));
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  response.transport = TransportOf(code);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  } else {
    response.transport_error = request.method + " " + request.url + ": " + curl_easy_strerror(code);
  }
  ReturnHandle(curl);
  return response;
}

}  // namespace hydrant::http
