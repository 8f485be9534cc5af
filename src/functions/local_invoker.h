// LocalInvoker: the FunctionInvoker the server uses. Resolves a name, name:qualifier or function
// ARN through the FunctionRegistry, runs local functions in a WorkerPool per function and
// forwards remote ones (remote_endpoint set) to a RemoteInvoker.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "functions/function_invoker.h"
#include "functions/function_registry.h"
#include "functions/remote_invoker.h"
#include "functions/worker_pool.h"

namespace hydrant::functions {

struct LocalInvokerOptions {
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  std::string runtime_dir;  // see RuntimeDirFor()
  int start_timeout_ms = 10000;
};

// The function's ARN as Lambda spells it: arn:aws:lambda:<region>:<account>:function:<name>.
std::string FunctionArn(std::string_view region, std::string_view account_id, std::string_view name);

// Splits "name", "name:qualifier" or "arn:aws:lambda:<region>:<account>:function:<name>[:q]"
// into the name (and qualifier, "" when absent). False when it is none of these shapes.
bool ParseFunctionReference(std::string_view reference, std::string* name, std::string* qualifier);

// The runtime directory: `configured` if set, else <dir of the executable>/runtime, else
// <dir of the executable>/../runtime (a build directory inside the repository).
std::string RuntimeDirFor(const std::string& configured);

// Thread-safe. Pools start on first use and are replaced when the function's definition changes
// (a new LastModified): the next invocation runs the new code/configuration, invocations already
// running in the old pool finish there. Qualifiers other than "$LATEST" resolve to $LATEST
// (Hydrant keeps no versions). kNotFound for an unknown function.
class LocalInvoker final : public FunctionInvoker {
 public:
  LocalInvoker(FunctionRegistry* registry, LocalInvokerOptions options, Clock* clock);
  ~LocalInvoker() override;

  InvokeResult Invoke(std::string_view function, std::string_view payload) override;

  // The live pool of a function, or null (tests).
  std::shared_ptr<WorkerPool> PoolFor(const std::string& name);

 private:
  FunctionRegistry* registry_;
  const LocalInvokerOptions options_;
  Clock* clock_;
  RemoteInvoker remote_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<WorkerPool>> pools_;
};

}  // namespace hydrant::functions
