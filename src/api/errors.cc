// Status → AWS error type, HTTP status and JSON body.
#include "api/errors.h"

#include <boost/json.hpp>

namespace hydrant::api {

std::string_view AwsErrorType(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return "";
    case StatusCode::kInvalidArgument: return "InvalidArgumentException";
    case StatusCode::kValidation: return "ValidationException";
    case StatusCode::kMalformed: return "SerializationException";
    case StatusCode::kNotFound: return "ResourceNotFoundException";
    case StatusCode::kAlreadyExists:
    case StatusCode::kResourceInUse: return "ResourceInUseException";
    case StatusCode::kLimitExceeded: return "LimitExceededException";
    case StatusCode::kFailedPrecondition: return "ConcurrentModificationException";
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable: return "ServiceUnavailableException";
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return "InternalFailure";
  }
  return "InternalFailure";
}

int AwsErrorHttpStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return 500;
    default: return 400;
  }
}

http::HttpResponse JsonErrorResponse(std::string_view type, int http_status, std::string_view message,
                               const std::string& request_id) {
  boost::json::object body;
  body["__type"] = type;
  body["message"] = message;
  http::HttpResponse res;
  res.status = http_status;
  res.SetHeader("Content-Type", "application/x-amz-json-1.1");
  res.SetHeader("x-amzn-RequestId", request_id);
  res.SetHeader("X-Amzn-ErrorType", std::string(type));
  res.body = boost::json::serialize(body);
  return res;
}

http::HttpResponse JsonErrorResponse(const Status& status, const std::string& request_id) {
  return JsonErrorResponse(AwsErrorType(status), AwsErrorHttpStatus(status), status.message(),
                           request_id);
}

}  // namespace hydrant::api
