// OutboundClient: every HTTP request Hydrant sends (remote S3 uploads, remote Lambda
// invocations, and the destinations that deliver over HTTP) goes through this one libcurl
// client: kept-alive connections reused across requests, connect / total / stall timeouts, TLS
// verified against the system's CAs or a configured bundle, redirects never followed, and
// libcurl's SigV4 signing when asked.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hydrant::http {

struct OutboundRequest {
  std::string method = "GET";  // a body is sent with any method when `body` is not empty or
                               // the method is POST or PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // not copied: valid until Send returns
  // Signed by libcurl (CURLOPT_AWS_SIGV4) when set: "aws:amz:<region>:<service>". libcurl signs
  // x-amz-content-sha256 only when that header is among `headers`.
  std::string sigv4;
  std::string access_key_id;
  std::string secret_access_key;
  int64_t connect_timeout_ms = 10'000;
  int64_t timeout_ms = 0;        // the whole exchange; 0 = no limit
  int64_t stall_timeout_ms = 0;  // abort when under 1 KiB/s for this long; 0 = no limit
  bool path_as_is = false;       // send the path as written ("." and ".." segments kept)
  std::string ca_bundle;         // PEM file of trusted CAs for this request; "" = the client's
  bool skip_verify = false;      // do not verify the server's certificate (an explicit option)
};

struct OutboundResponse {
  enum class Transport {
    kOk,             // an HTTP response arrived (any status)
    kTimeout,        // connect, total or stall timeout
    kConnectFailed,  // refused, unreachable, name not resolved
    kFailed,         // anything else: TLS, reset, malformed response
  };
  Transport transport = Transport::kOk;
  std::string transport_error;  // libcurl's words, with method and URL, when not kOk
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; a repeated name keeps the last
  std::string body;

  bool ok() const { return transport == Transport::kOk && status >= 200 && status < 300; }
};

struct OutboundClientOptions {
  std::string ca_bundle;     // PEM file of trusted CAs; "" = the system's
  bool skip_verify = false;  // do not verify servers' certificates (an explicit, logged option)
};

// Thread-safe: concurrent requests each take a libcurl handle from a pool; a handle keeps its
// connections open after a request, so the next request to the same host reuses one.
class OutboundClient {
 public:
  explicit OutboundClient(OutboundClientOptions options = {});
  ~OutboundClient();
  OutboundClient(const OutboundClient&) = delete;
  OutboundClient& operator=(const OutboundClient&) = delete;

  OutboundResponse Send(const OutboundRequest& request);

 private:
  void* TakeHandle();
  void ReturnHandle(void* handle);

  const OutboundClientOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // guarded by mu_: CURL handles with their open connections
};

}  // namespace hydrant::http
