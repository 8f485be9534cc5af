// HttpServer: the one listening port. HTTP/1.1 with keep-alive on a pool of I/O threads;
// every request is handed to a Handler, which answers through a callback from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/http_types.h"
#include "common/status.h"

namespace hydrant::http {

// Invoked once per request, on an I/O thread. `respond` must be called exactly once, from any
// thread, possibly later (e.g. after a WAL group commit); the connection waits for it.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest request, Respond respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4573;          // 0 picks a free port
  int io_threads = 2;
  uint64_t max_body_bytes = 64ull << 20;
  int idle_timeout_seconds = 60;   // a connection that sends nothing for this long is closed
  // Server-wide cap on the request bodies held in memory: from the header (Content-Length is
  // reserved up front; chunked bodies as they grow) until the response. A request whose body
  // does not fit is answered at once with `throttled(head)` and its connection closed.
  uint64_t max_inflight_body_bytes = 256ull << 20;
  std::function<HttpResponse(const HttpRequest& head)> throttled;  // empty: a plain 503
  // PEM files of the certificate chain and its key: the port speaks HTTPS only (TLS 1.2, 1.3).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads. Returns the bound port (useful with port 0).
  Result<uint16_t> Start();
  // Reads the TLS certificate and key again (SIGHUP): new connections get them, open ones keep
  // theirs. On an error the old certificate stays.
  Status ReloadTls();
  // Stops accepting new connections; in-flight requests finish (up to a short grace period).
  void StopAccepting();
  // Stops every thread; pending responses are dropped.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hydrant::http
