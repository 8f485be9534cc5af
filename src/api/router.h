// Router: tells the protocols apart on the one port and hands each request to its handler.
//   X-Amz-Target: Firehose_20150804.<Op>   → Firehose (AWS JSON 1.1)
//   X-Amz-Target: AWSGlue.<Op>              → the Glue Data Catalog (AWS JSON 1.1)
//   GET /health                             → health check
//   GET /metrics                            → Prometheus metrics (docs/metrics.md)
//   /2015-03-31/functions...                → Lambda API (REST-JSON)
//   /console...                             → the web console and its JSON endpoints
//   anything else                           → S3 REST, path-style (the embedded store)
// The signing service in the Authorization header's credential scope decides where the path
// alone is ambiguous (a POST / signed for "firehose" without a target is a Firehose request).
// With credentials configured, every Firehose, Lambda and S3 request must carry a valid SigV4
// signature (auth/sigv4.h) scoped to its protocol; /health and /metrics stay open for load
// balancers and scrapers. A signed-in console session (its cookie, api/console_handler.h) may
// call every API as its access key without a signature.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "api/firehose_handler.h"
#include "api/console_handler.h"
#include "api/glue_handler.h"
#include "api/lambda_handler.h"
#include "api/metrics_handler.h"
#include "api/s3_handler.h"
#include "auth/authenticator.h"
#include "common/clock.h"
#include "http/http_server.h"

namespace hydrant::api {

// Thread-safe.
class Router {
 public:
  // `authenticator` null or not enabled: requests are not authenticated.
  Router(FirehoseHandler* firehose, S3Handler* s3, LambdaHandler* lambda, MetricsHandler* metrics,
         const auth::Authenticator* authenticator = nullptr, const Clock* clock = SystemClock::Default())
      : firehose_(firehose),
        s3_(s3),
        lambda_(lambda),
        metrics_(metrics),
        authenticator_(authenticator && authenticator->enabled() ? authenticator : nullptr),
        clock_(clock) {}
  void Handle(http::HttpRequest request, http::Respond respond);
  // The protocol's throttling error for a request refused before its body was read (the
  // server's in-flight body budget is spent): Firehose ServiceUnavailableException, S3 SlowDown,
  // Lambda TooManyRequestsException. `head` has the method, target and headers only.
  http::HttpResponse Throttled(const http::HttpRequest& head) const;
  // While draining, /health answers 503 so load balancers stop sending.
  void SetDraining() { draining_ = true; }
  // Browser pages from these origins ("https://app.example.com", or "*") may call every API:
  // preflight OPTIONS requests are answered and responses carry Access-Control-* headers.
  // Empty (the default): no CORS headers, OPTIONS goes to the protocols like any request.
  void SetCorsOrigins(std::vector<std::string> origins) { cors_origins_ = std::move(origins); }
  // The Glue Data Catalog's operations; without it, AWSGlue targets are unknown operations.
  void SetGlue(GlueHandler* glue) { glue_ = glue; }
  // The web console; without it, /console is an S3 path like any other.
  void SetConsole(ConsoleHandler* console) { console_ = console; }
  // More for /health (cluster mode): whether the node is healthy, and a JSON object whose
  // members are added to the answer. Unhealthy answers 503.
  using HealthDetail = std::function<std::pair<bool, std::string>()>;
  void SetHealthDetail(HealthDetail detail) { health_detail_ = std::move(detail); }

 private:
  enum class Route { kFirehose, kGlue, kHealth, kMetrics, kLambda, kConsole, kS3 };
  Route RouteOf(const http::HttpRequest& request, const std::optional<auth::SigV4Credential>& credential) const;
  void HandleConsole(http::HttpRequest request, http::Respond respond,
                     const std::optional<const auth::Credential*>& session);
  // nullopt when requests are not authenticated.
  std::optional<auth::Verdict> Authenticate(const http::HttpRequest& request, std::string_view service,
                                            int64_t now) const;
  bool CorsAllows(std::string_view origin) const;
  http::HttpResponse S3AuthError(const http::HttpRequest& request, const auth::Verdict& verdict, int64_t now) const;

  FirehoseHandler* firehose_;
  S3Handler* s3_;
  LambdaHandler* lambda_;
  MetricsHandler* metrics_;
  GlueHandler* glue_ = nullptr;
  ConsoleHandler* console_ = nullptr;
  HealthDetail health_detail_;
  const auth::Authenticator* authenticator_;
  const Clock* clock_;
  std::atomic<bool> draining_{false};
  std::vector<std::string> cors_origins_;
};

}  // namespace hydrant::api
