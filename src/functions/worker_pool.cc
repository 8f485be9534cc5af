// WorkerPool: worker processes, their Runtime API endpoints, timeouts and crash replacement.
#include "functions/worker_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstring>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "common/time_format.h"

extern char** environ;

namespace hydrant::functions {
namespace {

namespace json = boost::json;

constexpr std::string_view kRuntimePrefix = "/2018-06-01/runtime/";
constexpr size_t kMaxResponseBytes = 6291556;  // Lambda's synchronous response limit

http::HttpResponse JsonResponse(int status, std::string body) {
  http::HttpResponse res;
  res.status = status;
  res.SetHeader("Content-Type", "application/json");
  res.body = std::move(body);
  return res;
}

http::HttpResponse RuntimeError(int status, std::string_view type, std::string_view message) {
  return JsonResponse(status, json::serialize(json::object{{"errorType", type}, {"errorMessage", message}}));
}

std::string ErrorDocument(std::string_view type, std::string_view message) {
  return json::serialize(json::object{{"errorType", type}, {"errorMessage", message}});
}

// An invocation that ended without a response: the outcome, and Lambda's error document.
InvokeResult FailedInvocation(InvokeResult::Outcome outcome, std::string type, std::string message) {
  InvokeResult r;
  r.outcome = outcome;
  r.payload = ErrorDocument(type, message);
  r.error_type = std::move(type);
  r.error_message = std::move(message);
  return r;
}

// Fills error_type/error_message from a runtime's error document (best effort: any body counts).
InvokeResult FunctionError(std::string body, std::string_view type_header) {
  InvokeResult result;
  result.outcome = InvokeResult::Outcome::kFunctionError;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (auto* t = v.as_object().if_contains("errorType"); t && t->is_string()) result.error_type = t->as_string();
    if (auto* m = v.as_object().if_contains("errorMessage"); m && m->is_string()) result.error_message = m->as_string();
  }
  if (result.error_type.empty()) result.error_type = type_header.empty() ? "Unhandled" : std::string(type_header);
  if (ec) body = ErrorDocument(result.error_type, body);
  result.payload = std::move(body);
  return result;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal: ") + strsignal(WTERMSIG(status));
  return "unknown exit";
}

}  // namespace

struct WorkerPool::Invocation {
  std::string id;
  std::string payload;
  int64_t enqueued_ms = 0;
  int64_t deadline_ms = 0;  // monotonic; 0 until a worker has it
  bool done = false;
  InvokeResult result;
};

struct WorkerPool::Worker {
  pid_t pid = -1;
  std::unique_ptr<http::HttpServer> server;
  http::Respond waiting;                 // a parked GET .../invocation/next
  std::shared_ptr<Invocation> current;  // the invocation this worker holds
  bool polled = false;                  // asked for work at least once (its init succeeded)
  bool init_failed = false;             // reported an init error (already charged to an invocation)
  bool dead = false;
};

WorkerPool::WorkerPool(FunctionDefinition definition, WorkerPoolOptions options, Clock* clock)
    : definition_(std::move(definition)), options_(std::move(options)), clock_(clock) {
  monitor_ = std::thread([this] { MonitorLoop(); });
}

WorkerPool::~WorkerPool() {
  std::vector<std::shared_ptr<Worker>> retired;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& invocation : queue_) {
      InvokeResult r;
      r.outcome = InvokeResult::Outcome::kUnavailable;
      r.error_type = "ServiceException";
      r.error_message = "the function's workers are shutting down";
      CompleteLocked(invocation, std::move(r));
    }
    queue_.clear();
    while (!workers_.empty()) RetireLocked(workers_.back(), &retired);
  }
  monitor_cv_.notify_all();
  monitor_.join();
  for (auto& w : retired) {
    w->server->Stop();
    w->waiting = nullptr;
  }
}

int WorkerPool::WorkerCount() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(workers_.size());
}

std::vector<pid_t> WorkerPool::WorkerPids() const {
  std::lock_guard lock(mu_);
  std::vector<pid_t> pids;
  for (const auto& w : workers_) pids.push_back(w->pid);
  return pids;
}

InvokeResult WorkerPool::Invoke(std::string_view payload) {
  auto invocation = std::make_shared<Invocation>();
  invocation->id = NewUuid();
  invocation->payload = std::string(payload);
  std::unique_lock lock(mu_);
  if (stopping_) {
    InvokeResult r;
    r.outcome = InvokeResult::Outcome::kUnavailable;
    return r;
  }
  invocation->enqueued_ms = clock_->MonotonicMillis();
  std::shared_ptr<Worker> idle;
  for (const auto& w : workers_) {
    if (!w->dead && !w->current && w->waiting) {
      idle = w;
      break;
    }
  }
  if (idle) {
    DispatchLocked(idle, invocation);
  } else {
    queue_.push_back(invocation);
    size_t free_workers = 0;
    for (const auto& w : workers_) free_workers += (!w->dead && !w->current) ? 1 : 0;
    if (free_workers < queue_.size() && static_cast<int>(workers_.size()) < definition_.concurrency) {
      if (Status s = SpawnLocked(); !s.ok()) {
        spdlog::warn("function {}: cannot start a worker: {}", definition_.name, s.ToString());
      }
    }
  }
  monitor_cv_.notify_all();
  done_cv_.wait(lock, [&] { return invocation->done; });
  return std::move(invocation->result);
}

void WorkerPool::DispatchLocked(const std::shared_ptr<Worker>& worker, std::shared_ptr<Invocation> invocation) {
  invocation->deadline_ms = clock_->MonotonicMillis() + int64_t{definition_.timeout_seconds} * 1000;
  http::HttpResponse res;
  res.status = 200;
  res.SetHeader("Content-Type", "application/json");
  res.SetHeader("Lambda-Runtime-Aws-Request-Id", invocation->id);
  res.SetHeader("Lambda-Runtime-Deadline-Ms",
                std::to_string(clock_->NowMillis() + int64_t{definition_.timeout_seconds} * 1000));
  res.SetHeader("Lambda-Runtime-Invoked-Function-Arn", options_.function_arn);
  res.SetHeader("Lambda-Runtime-Trace-Id",
                "Root=1-" + RandomHex(8) + "-" + RandomHex(24) + ";Parent=" + RandomHex(16) + ";Sampled=0");
  res.body = invocation->payload;
  worker->current = std::move(invocation);
  http::Respond respond = std::move(worker->waiting);
  worker->waiting = nullptr;
  respond(std::move(res));
}

void WorkerPool::CompleteLocked(const std::shared_ptr<Invocation>& invocation, InvokeResult result) {
  if (invocation->done) return;
  invocation->done = true;
  invocation->result = std::move(result);
  done_cv_.notify_all();
}

void WorkerPool::RetireLocked(std::shared_ptr<Worker> worker, std::vector<std::shared_ptr<Worker>>* retired) {
  if (!worker->dead && worker->pid > 0) {
    ::kill(-worker->pid, SIGKILL);
    ::kill(worker->pid, SIGKILL);
    int status;
    ::waitpid(worker->pid, &status, 0);
  }
  worker->dead = true;
  std::erase(workers_, worker);
  retired->push_back(worker);
}

Status WorkerPool::SpawnLocked() {
  auto worker = std::make_shared<Worker>();
  std::weak_ptr<Worker> weak = worker;
  http::HttpServerOptions http;
  http.host = "127.0.0.1";
  http.port = 0;
  http.io_threads = 1;
  http.idle_timeout_seconds = 3600;
  worker->server = std::make_unique<http::HttpServer>(http, [this, weak](http::HttpRequest request, http::Respond respond) {
    if (auto w = weak.lock()) {
      HandleRuntimeApi(w, std::move(request), std::move(respond));
    } else {
      respond(RuntimeError(410, "WorkerGone", "this worker was retired"));
    }
  });
  auto port = worker->server->Start();
  if (!port.ok()) return port.status();

  bool python = definition_.runtime.starts_with("python");
  std::string interpreter = python ? options_.python : options_.node;
  std::string bootstrap = options_.runtime_dir + (python ? "/python/bootstrap.py" : "/node/bootstrap.js");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("AWS_") || entry.starts_with("_HANDLER=") || entry.starts_with("LAMBDA_")) continue;
    env_strings.emplace_back(entry);
  }
  auto set = [&](const std::string& key, const std::string& value) { env_strings.push_back(key + "=" + value); };
  set("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + std::to_string(*port));
  set("_HANDLER", definition_.handler);
  set("LAMBDA_TASK_ROOT", definition_.code_dir);
  set("LAMBDA_RUNTIME_DIR", options_.runtime_dir);
  set("AWS_LAMBDA_FUNCTION_NAME", definition_.name);
  set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
  set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(definition_.memory_mb));
  set("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + definition_.name);
  set("AWS_LAMBDA_LOG_STREAM_NAME", FormatUtc(clock_->NowMillis(), "%Y/%m/%d/") + "[$LATEST]" + RandomHex(32));
  set("AWS_EXECUTION_ENV", "AWS_Lambda_" + definition_.runtime);
  set("AWS_REGION", options_.region);
  set("AWS_DEFAULT_REGION", options_.region);
  set("PYTHONUNBUFFERED", "1");
  for (const auto& [k, v] : definition_.environment) set(k, v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {interpreter, bootstrap};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno("fork", errno);
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(2, 1);  // function logs go to the server's stderr
    ::close_range(3, ~0U, 0);
    if (!definition_.code_dir.empty() && ::chdir(definition_.code_dir.c_str()) != 0) _exit(127);
    ::execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  worker->pid = pid;
  workers_.push_back(std::move(worker));
  spdlog::debug("function {}: started worker pid {} (runtime API port {})", definition_.name, pid, *port);
  return Status::Ok();
}

void WorkerPool::HandleRuntimeApi(const std::shared_ptr<Worker>& worker, http::HttpRequest request,
                                  http::Respond respond) {
  std::string path = request.Path();
  if (!path.starts_with(kRuntimePrefix)) return respond(RuntimeError(404, "NotFound", "unknown path " + path));
  std::string_view rest = std::string_view(path).substr(kRuntimePrefix.size());
  std::unique_lock lock(mu_);
  if (worker->dead || stopping_) return respond(RuntimeError(410, "WorkerGone", "this worker was retired"));

  if (request.method == "GET" && rest == "invocation/next") {
    if (worker->current) {
      // The runtime asked for more work without answering: Lambda treats that as a failure.
      InvokeResult r = FunctionError(ErrorDocument("Runtime.InvalidResponse", "the runtime asked for the next event without responding"), "");
      CompleteLocked(worker->current, std::move(r));
      worker->current = nullptr;
    }
    worker->polled = true;
    worker->waiting = std::move(respond);
    if (!queue_.empty()) {
      auto invocation = std::move(queue_.front());
      queue_.pop_front();
      DispatchLocked(worker, std::move(invocation));
    }
    return;
  }
  if (request.method == "POST" && rest == "init/error") {
    InvokeResult r = FunctionError(std::move(request.body), request.Header("Lambda-Runtime-Function-Error-Type"));
    spdlog::warn("function {}: init error: {}: {}", definition_.name, r.error_type, r.error_message);
    worker->init_failed = true;
    if (!queue_.empty()) {
      auto invocation = std::move(queue_.front());
      queue_.pop_front();
      CompleteLocked(invocation, std::move(r));
    }
    return respond(JsonResponse(202, R"({"status":"OK"})"));
  }
  if (request.method == "POST" && rest.starts_with("invocation/")) {
    std::string_view tail = rest.substr(strlen("invocation/"));
    auto slash = tail.find('/');
    std::string_view id = tail.substr(0, slash);
    std::string_view verb = slash == std::string_view::npos ? "" : tail.substr(slash + 1);
    if (verb != "response" && verb != "error") return respond(RuntimeError(404, "NotFound", "unknown path " + path));
    if (!worker->current || worker->current->id != id) {
      return respond(RuntimeError(400, "InvalidRequestID", "Invalid request ID"));
    }
    auto invocation = std::move(worker->current);
    worker->current = nullptr;
    if (verb == "response") {
      if (request.body.size() > kMaxResponseBytes) {
        CompleteLocked(invocation, FunctionError(ErrorDocument("Function.ResponseSizeTooLarge",
            fmt::format("Response payload size ({} bytes) exceeded maximum allowed payload size ({} bytes).",
                        request.body.size(), kMaxResponseBytes)), ""));
        return respond(RuntimeError(413, "RequestEntityTooLarge", "response too large"));
      }
      InvokeResult r;
      r.payload = std::move(request.body);
      CompleteLocked(invocation, std::move(r));
    } else {
      CompleteLocked(invocation, FunctionError(std::move(request.body),
                                               request.Header("Lambda-Runtime-Function-Error-Type")));
    }
    return respond(JsonResponse(202, R"({"status":"OK"})"));
  }
  respond(RuntimeError(404, "NotFound", "unknown path " + path));
}

void WorkerPool::MonitorLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    int64_t now = clock_->MonotonicMillis();
    int64_t wake = now + 50;  // worker exits are noticed by polling waitpid
    std::vector<std::shared_ptr<Worker>> retired;
    for (auto w : std::vector<std::shared_ptr<Worker>>(workers_)) {
      int status = 0;
      if (::waitpid(w->pid, &status, WNOHANG) == w->pid) {
        w->dead = true;
        if (w->current) {
          CompleteLocked(w->current, FailedInvocation(InvokeResult::Outcome::kCrashed, "Runtime.ExitError",
                                                      fmt::format("RequestId: {} Error: Runtime exited with error: {}",
                                                                  w->current->id, DescribeExit(status))));
        } else if (!w->polled && !w->init_failed && !queue_.empty()) {
          // Died during init without a word (bad interpreter, bootstrap missing): the invocation
          // that started it fails, rather than respawning until the start timeout.
          CompleteLocked(queue_.front(), FailedInvocation(InvokeResult::Outcome::kCrashed, "Runtime.ExitError",
                                                          fmt::format("RequestId: {} Error: Runtime exited with error: {}",
                                                                      queue_.front()->id, DescribeExit(status))));
          queue_.pop_front();
        }
        spdlog::info("function {}: worker pid {} exited ({})", definition_.name, w->pid, DescribeExit(status));
        RetireLocked(w, &retired);
      } else if (w->current && now >= w->current->deadline_ms) {
        CompleteLocked(w->current, FailedInvocation(InvokeResult::Outcome::kTimeout, "Sandbox.Timedout",
                                                    fmt::format("{} {} Task timed out after {}.00 seconds",
                                                                FormatIso8601Millis(clock_->NowMillis()),
                                                                w->current->id, definition_.timeout_seconds)));
        spdlog::info("function {}: invocation timed out; killing worker pid {}", definition_.name, w->pid);
        RetireLocked(w, &retired);
      } else if (w->current) {
        wake = std::min(wake, w->current->deadline_ms);
      }
    }
    // Invocations nobody picked up in time (workers that cannot start).
    while (!queue_.empty() && now - queue_.front()->enqueued_ms >= options_.start_timeout_ms) {
      InvokeResult r;
      r.outcome = InvokeResult::Outcome::kUnavailable;
      r.error_type = "ServiceException";
      r.error_message = "no worker of function " + definition_.name + " started within " +
                        std::to_string(options_.start_timeout_ms) + " ms";
      CompleteLocked(queue_.front(), std::move(r));
      queue_.pop_front();
    }
    size_t free_workers = 0;
    for (const auto& w : workers_) free_workers += w->current ? 0 : 1;
    while (free_workers < queue_.size() && static_cast<int>(workers_.size()) < definition_.concurrency) {
      if (Status s = SpawnLocked(); !s.ok()) {
        spdlog::warn("function {}: cannot start a worker: {}", definition_.name, s.ToString());
        break;
      }
      ++free_workers;
    }
    if (!retired.empty()) {
      // Stopping a server joins its I/O thread, which may be waiting for mu_.
      lock.unlock();
      for (auto& w : retired) {
        w->server->Stop();
        w->waiting = nullptr;
      }
      retired.clear();
      lock.lock();
      continue;
    }
    monitor_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, wake - now)));
  }
}

}  // namespace hydrant::functions
