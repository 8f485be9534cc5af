// FunctionInvoker: how a Lambda processor calls a function, wherever it runs (local worker
// processes speaking the Lambda Runtime API, or a remote Lambda-compatible Invoke endpoint).
#pragma once

#include <string>
#include <string_view>

namespace hydrant::functions {

struct InvokeResult {
  enum class Outcome {
    kOk,             // `payload` is the function's response
    kFunctionError,  // the handler raised / returned an error (error_* set)
    kTimeout,        // exceeded the function's Timeout; the worker was replaced
    kCrashed,        // the worker process died mid-invocation; it was replaced
    kNotFound,       // no function with that name/ARN
    kUnavailable,    // could not be invoked now (no worker could start, remote unreachable)
  };
  Outcome outcome = Outcome::kOk;
  std::string payload;        // response bytes (JSON) when kOk
  std::string error_type;     // e.g. "Runtime.ExitError", the handler's exception type
  std::string error_message;
};

// Thread-safe. Blocks the calling thread until the invocation ends (the delivery loop's thread).
class FunctionInvoker {
 public:
  virtual ~FunctionInvoker() = default;
  // `function` is a function name, a name with ":qualifier", or a function ARN
  // (arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]).
  virtual InvokeResult Invoke(std::string_view function, std::string_view payload) = 0;
};

}  // namespace hydrant::functions
