// WorkerPool: the worker processes of one local function and the Lambda Runtime API they poll
// (GET /2018-06-01/runtime/invocation/next, POST .../invocation/{id}/response|error,
// POST /2018-06-01/runtime/init/error), served by Hydrant itself on a loopback port per worker.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "functions/function_definition.h"
#include "functions/function_invoker.h"
#include "http/http_server.h"


namespace hydrant::functions {

struct WorkerPoolOptions {
  // Holds python/bootstrap.py and node/bootstrap.js.
  std::string runtime_dir;
  std::string region = "us-east-1";
  std::string function_arn;       // arn:aws:lambda:<region>:<account>:function:<name>
  std::string python = "python3";  // interpreters, looked up on PATH
  std::string node = "node";
  // How long an invocation may wait for a worker to start and ask for it before it fails as
  // kUnavailable (on top of the function's timeout, which starts once a worker has it).
  int start_timeout_ms = 10000;
};

// One per function definition (a changed definition gets a new pool). Thread-safe: any number of
// threads may Invoke concurrently; at most `definition.concurrency` run at once, the rest queue.
// Workers start lazily (one per queued invocation, up to concurrency) and are reused. Each worker
// gets AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME/_VERSION/
// _MEMORY_SIZE, AWS_REGION and the function's Environment. An invocation that exceeds the
// function's Timeout ends kTimeout and its worker is killed; a worker that exits while holding an
// invocation ends it kCrashed; an init error (POST /runtime/init/error) ends the oldest queued
// invocation kFunctionError, and a worker that exits before asking for work without reporting
// one ends the oldest queued invocation kCrashed. Dead workers are replaced on demand. Worker stdout/stderr go to the
// server's stderr. The destructor kills the workers and fails queued invocations kUnavailable.
class WorkerPool {
 public:
  WorkerPool(FunctionDefinition definition, WorkerPoolOptions options, Clock* clock);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Blocks until the invocation ends. kFunctionError carries the runtime's error document
  // ({"errorMessage","errorType","stackTrace"}) in `payload` as well as error_type/message; so do
  // kTimeout and kCrashed (Lambda's "Sandbox.Timedout" / "Runtime.ExitError" documents).
  InvokeResult Invoke(std::string_view payload);

  const FunctionDefinition& definition() const { return definition_; }
  // Live worker processes (for tests and metrics).
  int WorkerCount() const;
  // Pids of the live workers (tests kill them to simulate crashes).
  std::vector<pid_t> WorkerPids() const;

 private:
  struct Invocation;
  struct Worker;

  void HandleRuntimeApi(const std::shared_ptr<Worker>& worker, http::HttpRequest request,
                        http::Respond respond);
  Status SpawnLocked();
  void DispatchLocked(const std::shared_ptr<Worker>& worker, std::shared_ptr<Invocation> invocation);
  void CompleteLocked(const std::shared_ptr<Invocation>& invocation, InvokeResult result);
  void RetireLocked(std::shared_ptr<Worker> worker, std::vector<std::shared_ptr<Worker>>* retired);
  void MonitorLoop();

  const FunctionDefinition definition_;
  const WorkerPoolOptions options_;
  Clock* clock_;

  mutable std::mutex mu_;
  std::condition_variable done_cv_;     // an invocation completed
  std::condition_variable monitor_cv_;  // something for the monitor to look at
  std::deque<std::shared_ptr<Invocation>> queue_;
  std::vector<std::shared_ptr<Worker>> workers_;
  bool stopping_ = false;
  std::thread monitor_;
};

}  // namespace hydrant::functions
