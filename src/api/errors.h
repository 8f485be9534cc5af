// The one place where Hydrant's Status codes become AWS JSON 1.1 error responses.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "http/http_types.h"

namespace hydrant::api {

// The AWS error type name (the body's "__type") for a failure.
std::string_view AwsErrorType(const Status& status);
int AwsErrorHttpStatus(const Status& status);

// {"__type": ..., "message": ...} with X-Amzn-ErrorType and x-amzn-RequestId headers.
http::HttpResponse JsonErrorResponse(const Status& status, const std::string& request_id);
// The same for an explicitly named type (UnknownOperationException, auth errors...).
http::HttpResponse JsonErrorResponse(std::string_view type, int http_status, std::string_view message,
                               const std::string& request_id);

}  // namespace hydrant::api
