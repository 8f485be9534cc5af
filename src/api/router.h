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

#include "api/firehose_handler.h"
#include "api/http_server.h"
#include "api/lambda_handler.h"
#include "api/metrics_handler.h"
#include "api/s3_handler.h"

namespace hydrant::api {

// Thread-safe.
class Router {
 public:
  Router(FirehoseHandler* firehose, S3Handler* s3, LambdaHandler* lambda, MetricsHandler* metrics)
      : firehose_(firehose), s3_(s3), lambda_(lambda), metrics_(metrics) {}
  void Handle(HttpRequest request, Respond respond);
  // While draining, /health answers 503 so load balancers stop sending.
  void SetDraining() { draining_ = true; }

 private:
  FirehoseHandler* firehose_;
  S3Handler* s3_;
  LambdaHandler* lambda_;
  MetricsHandler* metrics_;
  std::atomic<bool> draining_{false};
};

}  // namespace hydrant::api
