// Router: protocol detection, and each protocol's answer to a request that fails
// authentication.
#include "api/router.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "api/errors.h"
#include "common/ids.h"

#include <boost/json.hpp>

namespace hydrant::api {
namespace {

constexpr std::string_view kFirehoseTargetPrefix = "Firehose_20150804.";
constexpr std::string_view kGlueTargetPrefix = "AWSGlue.";

using auth::Failure;
using auth::Verdict;

// The JSON protocols' error (Firehose: AWS JSON 1.1, status 400; Lambda: REST-JSON, 403) for a
// failed verification, as the services word them.
struct JsonAuthError {
  std::string_view type;
  int status;
  std::string message;
};

JsonAuthError JsonAuthErrorOf(const Verdict& v, std::string_view service, int status) {
  switch (v.failure) {
    case Failure::kMissing:
      return {"MissingAuthenticationTokenException", 403, "Missing Authentication Token"};
    case Failure::kIncomplete:
      return {"IncompleteSignatureException", status, v.message};
    case Failure::kNoDate:
      return {"IncompleteSignatureException", status,
              "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."};
    case Failure::kUnknownKey:
    case Failure::kBadToken:
      return {"UnrecognizedClientException", status, "The security token included in the request is invalid."};
    case Failure::kWrongService:
      return {"InvalidSignatureException", status,
              "Credential should be scoped to correct service: '" + std::string(service) + "'. "};
    case Failure::kWrongScopeDate:
    case Failure::kSkewed:
    case Failure::kExpired:
      return {"InvalidSignatureException", status, v.message};
    default:
      return {"InvalidSignatureException", status,
              "The request signature we calculated does not match the signature you provided. Check your AWS "
              "Secret Access Key and signing method. Consult the service documentation for details.\n\nThe "
              "Canonical String for this request should have been\n'" +
                  v.canonical_request + "'\n\nThe String-to-Sign should have been\n'" + v.string_to_sign + "'\n"};
  }
}

// "41 57 53 ...": S3's *Bytes elements.
std::string SpacedHex(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (!out.empty()) out += ' ';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// 2026-12-06T10:16:53Z
std::string IsoTime(int64_t millis) {
  std::string amz = auth::AmzDate(millis);
  return amz.substr(0, 4) + "-" + amz.substr(4, 2) + "-" + amz.substr(6, 2) + "T" + amz.substr(9, 2) + ":" +
         amz.substr(11, 2) + ":" + amz.substr(13, 2) + "Z";
}

}  // namespace

http::HttpResponse Router::S3AuthError(const http::HttpRequest& request, const Verdict& v, int64_t now) const {
  using Details = std::vector<std::pair<std::string, std::string>>;
  switch (v.failure) {
    case Failure::kMissing:
      return s3_->Refuse(request, "AccessDenied", 403, "Access Denied");
    case Failure::kIncomplete:
      return request.Header("Authorization").empty()
                 ? s3_->Refuse(request, "AuthorizationQueryParametersError", 400, v.message)
                 : s3_->Refuse(request, "AuthorizationHeaderMalformed", 400,
                               "The authorization header is malformed; " + v.message);
    case Failure::kNoDate:
      return s3_->Refuse(request, "AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header");
    case Failure::kUnknownKey:
      return s3_->Refuse(request, "InvalidAccessKeyId", 403,
                         "The AWS Access Key Id you provided does not exist in our records.",
                         Details{{"AWSAccessKeyId", v.access_key}});
    case Failure::kBadToken:
      return s3_->Refuse(request, "InvalidToken", 400, "The provided token is malformed or otherwise invalid.");
    case Failure::kWrongService:
      return s3_->Refuse(request, "AuthorizationHeaderMalformed", 400,
                         "The authorization header is malformed; incorrect service \"" + v.message +
                             "\". This endpoint belongs to \"s3\".");
    case Failure::kWrongScopeDate:
      return s3_->Refuse(request, "AuthorizationHeaderMalformed", 400,
                         "The authorization header is malformed; Invalid credential date. Date is not the same as "
                         "X-Amz-Date.");
    case Failure::kSkewed:
      return s3_->Refuse(request, "RequestTimeTooSkewed", 403,
                         "The difference between the request time and the current time is too large.",
                         Details{{"RequestTime", v.request_time},
                                 {"ServerTime", IsoTime(now)},
                                 {"MaxAllowedSkewMilliseconds", std::to_string(auth::kMaxSkewMillis)}});
    case Failure::kExpired:
      if (v.request_time.empty()) {  // a Signature Version 2 URL: Expires is a time
        return s3_->Refuse(request, "AccessDenied", 403, v.message,
                           Details{{"Expires", IsoTime(std::atoll(v.expires.c_str()) * 1000)},
                                   {"ServerTime", IsoTime(now)}});
      }
      return s3_->Refuse(request, "AccessDenied", 403, v.message,
                         Details{{"X-Amz-Expires", v.expires}, {"ServerTime", IsoTime(now)}});
    case Failure::kBadChunkEncoding:
      return s3_->Refuse(request, "IncompleteBody", 400,
                         "The request body terminated unexpectedly or is not valid aws-chunked encoding");
    default:
      break;
  }
  Details details{{"AWSAccessKeyId", v.access_key},
                  {"StringToSign", v.string_to_sign},
                  {"SignatureProvided", v.signature_provided},
                  {"StringToSignBytes", SpacedHex(v.string_to_sign)}};
  if (!v.canonical_request.empty()) {
    details.emplace_back("CanonicalRequest", v.canonical_request);
    details.emplace_back("CanonicalRequestBytes", SpacedHex(v.canonical_request));
  }
  return s3_->Refuse(request, "SignatureDoesNotMatch", 403,
                     "The request signature we calculated does not match the signature you provided. Check your "
                     "key and signing method.",
                     std::move(details));
}

// Verifies `request` for `service` when credentials are configured; logs a refusal.
std::optional<Verdict> Router::Authenticate(const http::HttpRequest& request, std::string_view service,
                                            int64_t now) const {
  if (!authenticator_) return std::nullopt;
  Verdict verdict = authenticator_->Verify(request, service, now);
  if (!verdict.ok()) {
    spdlog::info("refused {} {} from {}: {} request not authenticated (access key '{}')", request.method,
                 request.RawPath(), request.remote, service, verdict.access_key);
  }
  return verdict;
}

Router::Route Router::RouteOf(const http::HttpRequest& request,
                             const std::optional<auth::SigV4Credential>& credential) const {
  if (request.Header("X-Amz-Target").starts_with(kGlueTargetPrefix)) return Route::kGlue;
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
  if (console_ && !signed_for_s3 && ConsoleHandler::IsConsolePath(request.RawPath())) return Route::kConsole;
  return Route::kS3;
}

bool Router::CorsAllows(std::string_view origin) const {
  if (origin.empty()) return false;
  for (const std::string& allowed : cors_origins_) {
    if (allowed == "*" || allowed == origin) return true;
  }
  return false;
}

void Router::Handle(http::HttpRequest request, http::Respond respond) {
  if (std::string origin(request.Header("Origin")); CorsAllows(origin)) {
    if (request.method == "OPTIONS" && !request.Header("Access-Control-Request-Method").empty()) {
      // A browser's preflight: it carries no credentials, so it is answered before authentication.
      http::HttpResponse preflight;
      preflight.SetHeader("Access-Control-Allow-Origin", origin);
      preflight.SetHeader("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD");
      if (auto headers = request.Header("Access-Control-Request-Headers"); !headers.empty()) {
        preflight.SetHeader("Access-Control-Allow-Headers", std::string(headers));
      }
      preflight.SetHeader("Access-Control-Max-Age", "600");
      preflight.SetHeader("Vary", "Origin");
      return respond(std::move(preflight));
    }
    // Every answer to an allowed origin, errors included, so the page can read them.
    respond = [respond = std::move(respond), origin](http::HttpResponse response) {
      response.SetHeader("Access-Control-Allow-Origin", origin);
      response.SetHeader("Access-Control-Expose-Headers",
                         "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-request-id, x-amz-id-2, "
                         "ETag, Date, Content-Length");
      response.SetHeader("Vary", "Origin");
      respond(std::move(response));
    };
  }
  std::string_view target = request.Header("X-Amz-Target");
  std::string_view authorization = request.Header("Authorization");
  std::optional<auth::SigV4Credential> credential;
  if (!authorization.empty()) credential = auth::ParseSigV4Authorization(authorization);
  // A console session acts as its key (none when credentials are not configured).
  std::optional<const auth::Credential*> session;
  if (console_ && authorization.empty() && request.RawPath().find("X-Amz-Signature") == std::string_view::npos) {
    session = console_->SessionOf(request);
  }
  std::optional<auth::Caller> session_caller;
  if (session && authenticator_) session_caller = authenticator_->CallerOf(*session, request, request.secure);
  const auth::Caller* as_session = session_caller ? &*session_caller : nullptr;

  const Route route = RouteOf(request, credential);
  if (session && route != Route::kHealth && route != Route::kMetrics && route != Route::kConsole) {
    switch (route) {
      case Route::kFirehose:
        if (request.method != "POST" || !target.starts_with(kFirehoseTargetPrefix)) {
          return respond(JsonErrorResponse("UnknownOperationException", 400, "", NewUuid()));
        }
        return firehose_->Handle(std::string(target.substr(kFirehoseTargetPrefix.size())), std::move(request),
                                 std::move(respond), as_session);
      case Route::kGlue:
        if (!glue_ || request.method != "POST") {
          return respond(JsonErrorResponse("UnknownOperationException", 400, "", NewUuid()));
        }
        return glue_->Handle(std::string(target.substr(kGlueTargetPrefix.size())), request, std::move(respond),
                             as_session);
      case Route::kLambda:
        return lambda_->Handle(std::move(request), std::move(respond), as_session);
      default:
        return respond(s3_->Handle(request, as_session));
    }
  }

  switch (route) {
    case Route::kConsole:
      return HandleConsole(std::move(request), std::move(respond), session);
    case Route::kFirehose: {
      std::string request_id = NewUuid();
      auto verdict = Authenticate(request, "firehose", clock_->NowMillis());
      if (verdict && !verdict->ok()) {
        JsonAuthError e = JsonAuthErrorOf(*verdict, "firehose", 400);
        return respond(JsonErrorResponse(e.type, e.status, e.message, request_id));
      }
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
      if (verdict) {
        const auth::Caller caller = authenticator_->CallerOf(*verdict, request, request.secure);
        return firehose_->Handle(operation, std::move(request), std::move(respond), &caller);
      }
      return firehose_->Handle(operation, std::move(request), std::move(respond));
    }
    case Route::kGlue: {
      std::string request_id = NewUuid();
      auto verdict = Authenticate(request, "glue", clock_->NowMillis());
      if (verdict && !verdict->ok()) {
        JsonAuthError e = JsonAuthErrorOf(*verdict, "glue", 400);
        return respond(JsonErrorResponse(e.type, e.status, e.message, request_id));
      }
      if (!glue_ || request.method != "POST") {
        return respond(JsonErrorResponse("UnknownOperationException", 400, "", request_id));
      }
      std::string operation(target.substr(kGlueTargetPrefix.size()));
      if (verdict) {
        const auth::Caller caller = authenticator_->CallerOf(*verdict, request, request.secure);
        return glue_->Handle(operation, request, std::move(respond), &caller);
      }
      return glue_->Handle(operation, request, std::move(respond));
    }
    case Route::kHealth: {
      http::HttpResponse res;
      res.status = draining_ ? 503 : 200;
      res.SetHeader("Content-Type", "application/json");
      res.body = draining_ ? R"({"status":"draining"})" : R"({"status":"ok"})";
      if (health_detail_ && !draining_) {
        auto [healthy, members] = health_detail_();
        res.status = healthy ? 200 : 503;
        // {"status":"..."} + the detail's members.
        res.body = std::string(healthy ? R"({"status":"ok")" : R"({"status":"disconnected")") +
                   (members.size() > 2 ? "," + members.substr(1) : "}");
      }
      return respond(std::move(res));
    }
    case Route::kMetrics:
      return respond(metrics_->Handle());
    case Route::kLambda: {
      auto verdict = Authenticate(request, "lambda", clock_->NowMillis());
      if (!verdict) return lambda_->Handle(std::move(request), std::move(respond));
      if (!verdict->ok()) {
        JsonAuthError e = JsonAuthErrorOf(*verdict, "lambda", 403);
        return respond(LambdaErrorResponse(e.type, e.status, e.message));
      }
      const auth::Caller caller = authenticator_->CallerOf(*verdict, request, request.secure);
      return lambda_->Handle(std::move(request), std::move(respond), &caller);
    }
    case Route::kS3: {
      const int64_t now = clock_->NowMillis();
      auto verdict = Authenticate(request, "s3", now);
      if (!verdict) return respond(s3_->Handle(request));
      if (!verdict->ok()) return respond(S3AuthError(request, *verdict, now));
      const auth::Caller caller = authenticator_->CallerOf(*verdict, request, request.secure);
      return respond(s3_->Handle(request, &caller));
    }
  }
}

void Router::HandleConsole(http::HttpRequest request, http::Respond respond,
                           const std::optional<const auth::Credential*>& session) {
  if (!authenticator_) return respond(console_->Handle(request, /*authenticated=*/true, nullptr));
  if (session) {
    const auth::Caller caller = authenticator_->CallerOf(*session, request, request.secure);
    return respond(console_->Handle(request, true, &caller));
  }
  if (request.Header("Authorization").empty()) return respond(console_->Handle(request, false, nullptr));
  // The operator commands sign their requests for "firehose".
  auto verdict = Authenticate(request, "firehose", clock_->NowMillis());
  if (!verdict->ok()) {
    JsonAuthError e = JsonAuthErrorOf(*verdict, "firehose", 403);
    http::HttpResponse res;
    res.status = e.status;
    res.SetHeader("Content-Type", "application/json");
    res.body = boost::json::serialize(boost::json::object{{"message", e.message}, {"__type", e.type}});
    return respond(std::move(res));
  }
  const auth::Caller caller = authenticator_->CallerOf(*verdict, request, request.secure);
  respond(console_->Handle(request, true, &caller));
}

http::HttpResponse Router::Throttled(const http::HttpRequest& head) const {
  std::optional<auth::SigV4Credential> credential;
  if (std::string_view authorization = head.Header("Authorization"); !authorization.empty()) {
    credential = auth::ParseSigV4Authorization(authorization);
  }
  switch (RouteOf(head, credential)) {
    case Route::kFirehose:
      return JsonErrorResponse("ServiceUnavailableException", 503, "Slow down.", NewUuid());
    case Route::kGlue:
      return JsonErrorResponse("ThrottlingException", 400, "Rate exceeded", NewUuid());
    case Route::kLambda:
      return LambdaErrorResponse("TooManyRequestsException", 429, "Rate Exceeded.");
    case Route::kS3:
      return s3_->SlowDown(head);
    case Route::kHealth:
    case Route::kMetrics:
    case Route::kConsole:
      break;
  }
  http::HttpResponse res;
  res.status = 503;
  res.body = "server busy: too many request bodies in flight";
  return res;
}

}  // namespace hydrant::api
