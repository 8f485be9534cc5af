// Router: protocol detection and authentication-header checks.
#include "api/router.h"

#include "api/errors.h"
#include "api/sigv4.h"
#include "common/ids.h"

namespace hydrant::api {
namespace {
constexpr std::string_view kFirehoseTargetPrefix = "Firehose_20150804.";
}

Router::Route Router::RouteOf(const http::HttpRequest& request, const std::optional<SigV4Credential>& credential) {
  if (!request.Header("X-Amz-Target").empty() ||
      (credential && credential->service == "firehose" && request.RawPath() == "/")) {
    return Route::kFirehose;
  }
  // A request signed for S3 is S3 even on /health (a bucket may be called "health").
  bool signed_for_s3 = credential && credential->service == "s3";
  if (request.RawPath() == "/health" && !signed_for_s3 &&
      (request.method == "GET" || request.method == "HEAD")) {
    return Route::kHealth;
  }
  // Likewise for a bucket called "metrics".
  if (request.RawPath() == "/metrics" && !signed_for_s3 && request.method == "GET") return Route::kMetrics;
  // A bucket may be called "2015-03-31" too: a request signed for S3 stays S3.
  if (!signed_for_s3 && LambdaHandler::IsLambdaPath(request.RawPath())) return Route::kLambda;
  return Route::kS3;
}

void Router::Handle(http::HttpRequest request, http::Respond respond) {
  std::string_view target = request.Header("X-Amz-Target");
  std::string_view authorization = request.Header("Authorization");
  std::optional<SigV4Credential> credential;
  if (!authorization.empty()) credential = ParseSigV4Authorization(authorization);

  switch (RouteOf(request, credential)) {
    case Route::kFirehose: {
      std::string request_id = NewUuid();
      if (authorization.empty()) {
        return respond(JsonErrorResponse("MissingAuthenticationTokenException", 403,
                                         "Missing Authentication Token", request_id));
      }
      if (!credential) {
        return respond(JsonErrorResponse(
            "IncompleteSignatureException", 400,
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters "
            "of an AWS4-HMAC-SHA256 signature.",
            request_id));
      }
      if (request.method != "POST" ||
          target.substr(0, kFirehoseTargetPrefix.size()) != kFirehoseTargetPrefix) {
        return respond(JsonErrorResponse("UnknownOperationException", 400, "", request_id));
      }
      std::string operation(target.substr(kFirehoseTargetPrefix.size()));
      return firehose_->Handle(operation, std::move(request), std::move(respond));
    }
    case Route::kHealth: {
      http::HttpResponse res;
      res.status = draining_ ? 503 : 200;
      res.SetHeader("Content-Type", "application/json");
      res.body = draining_ ? R"({"status":"draining"})" : R"({"status":"ok"})";
      return respond(std::move(res));
    }
    case Route::kMetrics:
      return respond(metrics_->Handle());
    case Route::kLambda:
      return lambda_->Handle(std::move(request), std::move(respond));
    case Route::kS3:
      return respond(s3_->Handle(request));
  }
}

http::HttpResponse Router::Throttled(const http::HttpRequest& head) const {
  std::optional<SigV4Credential> credential;
  if (std::string_view authorization = head.Header("Authorization"); !authorization.empty()) {
    credential = ParseSigV4Authorization(authorization);
  }
  switch (RouteOf(head, credential)) {
    case Route::kFirehose:
      return JsonErrorResponse("ServiceUnavailableException", 503, "Slow down.", NewUuid());
    case Route::kLambda:
      return LambdaErrorResponse("TooManyRequestsException", 429, "Rate Exceeded.");
    case Route::kS3:
      return s3_->SlowDown(head);
    case Route::kHealth:
    case Route::kMetrics:
      break;
  }
  http::HttpResponse res;
  res.status = 503;
  res.body = "server busy: too many request bodies in flight";
  return res;
}

}  // namespace hydrant::api
