// LocalInvoker: name/ARN resolution and one WorkerPool per function definition.
#include "functions/local_invoker.h"

#include <unistd.h>

#include <filesystem>

namespace hydrant::functions {

std::string FunctionArn(std::string_view region, std::string_view account_id, std::string_view name) {
  return "arn:aws:lambda:" + std::string(region) + ":" + std::string(account_id) + ":function:" + std::string(name);
}

bool ParseFunctionReference(std::string_view reference, std::string* name, std::string* qualifier) {
  std::string_view rest = reference;
  if (rest.starts_with("arn:")) {
    // arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
    for (int i = 0; i < 6; ++i) {
      auto colon = rest.find(':');
      if (colon == std::string_view::npos) return false;
      std::string_view part = rest.substr(0, colon);
      if ((i == 2 && part != "lambda") || (i == 5 && part != "function")) return false;
      rest.remove_prefix(colon + 1);
    }
  }
  auto colon = rest.find(':');
  *name = std::string(rest.substr(0, colon));
  *qualifier = colon == std::string_view::npos ? "" : std::string(rest.substr(colon + 1));
  return FunctionRegistry::ValidName(*name) && qualifier->find(':') == std::string::npos &&
         (colon == std::string_view::npos || !qualifier->empty());
}

std::string RuntimeDirFor(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "runtime";
  for (auto candidate : {exe.parent_path() / "runtime", exe.parent_path().parent_path() / "runtime"}) {
    if (std::filesystem::exists(candidate / "python" / "bootstrap.py", ec)) return candidate.string();
  }
  return (exe.parent_path() / "runtime").string();
}

LocalInvoker::LocalInvoker(FunctionRegistry* registry, LocalInvokerOptions options, Clock* clock)
    : registry_(registry), options_(std::move(options)), clock_(clock) {}

LocalInvoker::~LocalInvoker() = default;

std::shared_ptr<WorkerPool> LocalInvoker::PoolFor(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = pools_.find(name);
  return it == pools_.end() ? nullptr : it->second;
}

InvokeResult LocalInvoker::Invoke(std::string_view function, std::string_view payload) {
  std::string name, qualifier;
  InvokeResult not_found;
  not_found.outcome = InvokeResult::Outcome::kNotFound;
  not_found.error_type = "ResourceNotFoundException";
  not_found.error_message = "Function not found: " + std::string(function);
  if (!ParseFunctionReference(function, &name, &qualifier)) return not_found;
  auto definition = registry_->Get(name);
  if (!definition.ok()) {
    std::lock_guard lock(mu_);
    pools_.erase(name);
    return not_found;
  }
  if (!definition->remote_endpoint.empty()) return remote_.Invoke(*definition, payload);
  std::shared_ptr<WorkerPool> pool;
  std::shared_ptr<WorkerPool> replaced;  // destroyed outside the lock: it kills its workers
  {
    std::lock_guard lock(mu_);
    auto& slot = pools_[name];
    if (!slot || slot->definition().last_modified_millis != definition->last_modified_millis) {
      WorkerPoolOptions pool_options;
      pool_options.runtime_dir = RuntimeDirFor(options_.runtime_dir);
      pool_options.region = options_.region;
      pool_options.function_arn = FunctionArn(options_.region, options_.account_id, name);
      pool_options.start_timeout_ms = options_.start_timeout_ms;
      replaced = std::move(slot);
      slot = std::make_shared<WorkerPool>(*definition, pool_options, clock_);
    }
    pool = slot;
  }
  replaced.reset();
  return pool->Invoke(payload);
}

}  // namespace hydrant::functions
