// RemoteInvoker: forwards an invocation to a Lambda-compatible Invoke endpoint
// (POST <endpoint>/2015-03-31/functions/<function>/invocations), SigV4-signed, through the
// shared outbound HTTP client.
#pragma once

#include <string_view>

#include "functions/function_definition.h"
#include "functions/function_invoker.h"
#include "http/outbound_client.h"

namespace hydrant::functions {

// Thread-safe; connections to an endpoint are reused across invocations. Outcomes: kOk with the response body; kFunctionError
// when the endpoint answers with X-Amz-Function-Error (payload = its error document); kNotFound
// for a 404 ResourceNotFoundException; kUnavailable for transport failures and other errors.
// The request times out after the function's Timeout plus 5 s (kTimeout).
class RemoteInvoker {
 public:
  InvokeResult Invoke(const FunctionDefinition& definition, std::string_view payload);

 private:
  http::OutboundClient client_;
};

}  // namespace hydrant::functions
