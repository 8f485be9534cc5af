// Router: tells the protocols apart on the one port and hands each request to its handler.
//   X-Amz-Target: Firehose_20150804.<Op>   → Firehose (AWS JSON 1.1)
//   GET /health                             → health check
//   GET /metrics                            → Prometheus metrics (docs/metrics.md)
//   /2015-03-31/functions...                → Lambda API (REST-JSON)
//   anything else                           → S3 REST, path-style (the embedded store)
// The signing service in the Authorization header's credential scope decides where the path
// alone is ambiguous (a POST / signed for "firehose" without a target is a Firehose request).
#pragma once

#include <atomic>
#include <optional>

#include "api/firehose_handler.h"
#include "api/lambda_handler.h"
#include "api/metrics_handler.h"
#include "api/s3_handler.h"
#include "api/sigv4.h"
#include "http/http_server.h"

namespace hydrant::api {

// Thread-safe.
class Router {
 public:
  Router(FirehoseHandler* firehose, S3Handler* s3, LambdaHandler* lambda, MetricsHandler* metrics)
      : firehose_(firehose), s3_(s3), lambda_(lambda), metrics_(metrics) {}
  void Handle(http::HttpRequest request, http::Respond respond);
  // The protocol's throttling error for a request refused before its body was read (the
  // server's in-flight body budget is spent): Firehose ServiceUnavailableException, S3 SlowDown,
  // Lambda TooManyRequestsException. `head` has the method, target and headers only.
  http::HttpResponse Throttled(const http::HttpRequest& head) const;
  // While draining, /health answers 503 so load balancers stop sending.
  void SetDraining() { draining_ = true; }

 private:
  enum class Route { kFirehose, kHealth, kMetrics, kLambda, kS3 };
  static Route RouteOf(const http::HttpRequest& request, const std::optional<SigV4Credential>& credential);

  FirehoseHandler* firehose_;
  S3Handler* s3_;
  LambdaHandler* lambda_;
  MetricsHandler* metrics_;
  std::atomic<bool> draining_{false};
};

}  // namespace hydrant::api
