// WorkerPool / LocalInvoker tests against real python3 and node workers and the shipped bootstraps.
#include "functions/worker_pool.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

#include "common/ids.h"
#include "functions/local_invoker.h"

namespace hydrant::functions {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Outcome = InvokeResult::Outcome;

constexpr char kPythonHandlers[] = R"(
import json, os, time
def echo(event, context):
    return {"event": event, "name": context.function_name, "arn": context.invoked_function_arn,
            "request_id": context.aws_request_id, "remaining": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb, "env": os.environ.get("GREETING"),
            "task_root": os.environ.get("LAMBDA_TASK_ROOT"), "pid": os.getpid()}
def boom(event, context):
    raise ValueError("bad input " + str(event))
def slow(event, context):
    time.sleep(event.get("sleep", 10))
    return "slept"
def crash(event, context):
    os._exit(3)
)";

class WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    code_ = fs::temp_directory_path() / ("code-" + RandomHex(8));
    fs::create_directories(code_);
    std::ofstream(code_ / "handlers.py") << kPythonHandlers;
    std::ofstream(code_ / "broken.py") << "import does_not_exist_anywhere\n";
    std::ofstream(code_ / "index.js") << "exports.handler = async (event, context) => ({ok: event.n + 1, "
                                         "name: context.functionName, left: context.getRemainingTimeInMillis()});\n"
                                         "exports.cb = (event, context, callback) => callback(new Error('nope'));\n";
    std::ofstream(code_ / "esm.mjs") << "export const handler = async (e) => e.n * 2;\n";
  }
  void TearDown() override { fs::remove_all(code_); }

  FunctionDefinition Def(const std::string& handler, const std::string& runtime = "python3.11") {
    FunctionDefinition d;
    d.name = "fn";
    d.runtime = runtime;
    d.handler = handler;
    d.code_dir = code_.string();
    d.timeout_seconds = 3;
    d.environment = {{"GREETING", "hello"}};
    return d;
  }
  WorkerPoolOptions Options() {
    WorkerPoolOptions o;
    o.runtime_dir = HYDRANT_RUNTIME_DIR;
    o.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn";
    return o;
  }
  fs::path code_;
};

TEST_F(WorkerPoolTest, RunsPythonHandlerWithEventAndContextAndReusesTheWorker) {
  WorkerPool pool(Def("handlers.echo"), Options(), SystemClock::Default());
  InvokeResult first = pool.Invoke(R"({"k": [1, 2]})");
  ASSERT_EQ(first.outcome, Outcome::kOk) << first.error_type << " " << first.error_message;
  json::object r = json::parse(first.payload).as_object();
  EXPECT_EQ(json::serialize(r["event"]), R"({"k":[1,2]})");
  EXPECT_EQ(r["name"].as_string(), "fn");
  EXPECT_EQ(r["arn"].as_string(), "arn:aws:lambda:us-east-1:123456789012:function:fn");
  EXPECT_EQ(r["memory"].as_string(), "128");
  EXPECT_EQ(r["env"].as_string(), "hello");
  EXPECT_EQ(r["task_root"].as_string(), code_.string());
  EXPECT_GT(r["remaining"].as_int64(), 2000);
  EXPECT_LE(r["remaining"].as_int64(), 3000);
  InvokeResult second = pool.Invoke("{}");
  ASSERT_EQ(second.outcome, Outcome::kOk);
  json::object r2 = json::parse(second.payload).as_object();
  EXPECT_EQ(r2["pid"], r["pid"]);  // the same worker process, warm
  EXPECT_NE(r2["request_id"], r["request_id"]);
  EXPECT_EQ(pool.WorkerCount(), 1);
}

TEST_F(WorkerPoolTest, HandlerExceptionIsAFunctionError) {
  WorkerPool pool(Def("handlers.boom"), Options(), SystemClock::Default());
  InvokeResult r = pool.Invoke("7");
  ASSERT_EQ(r.outcome, Outcome::kFunctionError);
  EXPECT_EQ(r.error_type, "ValueError");
  EXPECT_EQ(r.error_message, "bad input 7");
  json::object doc = json::parse(r.payload).as_object();
  EXPECT_EQ(doc["errorType"].as_string(), "ValueError");
  EXPECT_TRUE(doc["stackTrace"].is_array());
}

TEST_F(WorkerPoolTest, TimeoutKillsTheWorkerAndTheNextInvocationGetsANewOne) {
  auto def = Def("handlers.slow");
  def.timeout_seconds = 1;
  WorkerPool pool(def, Options(), SystemClock::Default());
  auto start = std::chrono::steady_clock::now();
  InvokeResult r = pool.Invoke(R"({"sleep": 30})");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.outcome, Outcome::kTimeout);
  EXPECT_NE(r.error_message.find("Task timed out after 1.00 seconds"), std::string::npos);
  EXPECT_LT(elapsed, std::chrono::seconds(4));
  InvokeResult ok = pool.Invoke(R"({"sleep": 0})");
  ASSERT_EQ(ok.outcome, Outcome::kOk) << ok.error_message;
  EXPECT_EQ(ok.payload, "\"slept\"");
}

TEST_F(WorkerPoolTest, CrashedWorkerIsReportedAndReplaced) {
  WorkerPool pool(Def("handlers.crash"), Options(), SystemClock::Default());
  InvokeResult r = pool.Invoke("{}");
  ASSERT_EQ(r.outcome, Outcome::kCrashed);
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_NE(r.error_message.find("exit status 3"), std::string::npos);
  EXPECT_EQ(pool.Invoke("{}").outcome, Outcome::kCrashed);  // a fresh worker, crashing again
}

TEST_F(WorkerPoolTest, WorkerKilledFromOutsideDuringAnInvocation) {
  WorkerPool pool(Def("handlers.slow"), Options(), SystemClock::Default());
  auto pending = std::async(std::launch::async, [&] { return pool.Invoke(R"({"sleep": 2})"); });
  while (pool.WorkerPids().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pool.WorkerPids()[0], SIGKILL);
  InvokeResult r = pending.get();
  EXPECT_EQ(r.outcome, Outcome::kCrashed);
  EXPECT_NE(r.error_message.find("signal"), std::string::npos) << r.error_message;
}

TEST_F(WorkerPoolTest, InitErrorFailsTheInvocation) {
  WorkerPool pool(Def("broken.handler"), Options(), SystemClock::Default());
  InvokeResult r = pool.Invoke("{}");
  ASSERT_EQ(r.outcome, Outcome::kFunctionError);
  EXPECT_EQ(r.error_type, "Runtime.ImportModuleError");
  EXPECT_NE(r.error_message.find("does_not_exist_anywhere"), std::string::npos);
  WorkerPool missing(Def("handlers.nothing_here"), Options(), SystemClock::Default());
  EXPECT_EQ(missing.Invoke("{}").error_type, "Runtime.HandlerNotFound");
}

TEST_F(WorkerPoolTest, ConcurrencyIsBoundedAndInvocationsQueue) {
  auto def = Def("handlers.slow");
  def.concurrency = 2;
  WorkerPool pool(def, Options(), SystemClock::Default());
  ASSERT_EQ(pool.Invoke(R"({"sleep": 0})").outcome, Outcome::kOk);  // warm one worker
  auto start = std::chrono::steady_clock::now();
  std::vector<std::future<InvokeResult>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&] { return pool.Invoke(R"({"sleep": 0.6})"); }));
  }
  for (auto& c : calls) EXPECT_EQ(c.get().outcome, Outcome::kOk);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1200));  // 4 calls, 2 at a time
  EXPECT_LT(elapsed, std::chrono::milliseconds(2400));
  EXPECT_EQ(pool.WorkerCount(), 2);
}

TEST_F(WorkerPoolTest, NodeHandlersCommonJsCallbackAndEsm) {
  WorkerPool pool(Def("index.handler", "nodejs20.x"), Options(), SystemClock::Default());
  InvokeResult r = pool.Invoke(R"({"n": 41})");
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.error_type << " " << r.error_message;
  json::object o = json::parse(r.payload).as_object();
  EXPECT_EQ(o["ok"].as_int64(), 42);
  EXPECT_EQ(o["name"].as_string(), "fn");
  EXPECT_GT(o["left"].as_int64(), 2000);
  WorkerPool callback(Def("index.cb", "nodejs20.x"), Options(), SystemClock::Default());
  InvokeResult e = callback.Invoke("{}");
  EXPECT_EQ(e.outcome, Outcome::kFunctionError);
  EXPECT_EQ(e.error_message, "nope");
  WorkerPool esm(Def("esm.handler", "nodejs20.x"), Options(), SystemClock::Default());
  InvokeResult m = esm.Invoke(R"({"n": 21})");
  ASSERT_EQ(m.outcome, Outcome::kOk) << m.error_message;
  EXPECT_EQ(m.payload, "42");
}

TEST(FunctionReferenceTest, ParsesNamesQualifiersAndArns) {
  std::string name, qualifier;
  ASSERT_TRUE(ParseFunctionReference("TransformETLFunction", &name, &qualifier));
  EXPECT_EQ(name, "TransformETLFunction");
  EXPECT_EQ(qualifier, "");
  ASSERT_TRUE(ParseFunctionReference("fn:$LATEST", &name, &qualifier));
  EXPECT_EQ(name, "fn");
  EXPECT_EQ(qualifier, "$LATEST");
  ASSERT_TRUE(ParseFunctionReference("arn:aws:lambda:ap-northeast-2:123456789012:function:f-1:7", &name, &qualifier));
  EXPECT_EQ(name, "f-1");
  EXPECT_EQ(qualifier, "7");
  EXPECT_FALSE(ParseFunctionReference("arn:aws:s3:::bucket", &name, &qualifier));
  EXPECT_FALSE(ParseFunctionReference("", &name, &qualifier));
  EXPECT_FALSE(ParseFunctionReference("fn:", &name, &qualifier));
}

TEST_F(WorkerPoolTest, LocalInvokerResolvesArnsAndPicksUpChangedDefinitions) {
  fs::path data = fs::temp_directory_path() / ("inv-" + RandomHex(8));
  FakeClock clock;
  auto registry = FunctionRegistry::Open(Env::Default(), (data / "functions").string(), &clock);
  ASSERT_TRUE(registry.ok());
  auto def = Def("handlers.echo");
  ASSERT_TRUE((*registry)->CreateFromDirectory(def, code_.string()).ok());
  LocalInvoker invoker(registry->get(), {"us-east-1", "123456789012", HYDRANT_RUNTIME_DIR, 10000},
                       SystemClock::Default());
  EXPECT_EQ(invoker.Invoke("nope", "{}").outcome, Outcome::kNotFound);
  InvokeResult r = invoker.Invoke("arn:aws:lambda:us-east-1:123456789012:function:fn", "{}");
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.error_message;
  EXPECT_EQ(json::parse(r.payload).as_object()["env"].as_string(), "hello");
  ASSERT_TRUE((*registry)->UpdateConfiguration("fn", [](FunctionDefinition* d) {
    d->environment["GREETING"] = "changed";
    return Status::Ok();
  }).ok());
  r = invoker.Invoke("fn:$LATEST", "{}");
  ASSERT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(json::parse(r.payload).as_object()["env"].as_string(), "changed");
  ASSERT_TRUE((*registry)->Delete("fn").ok());
  EXPECT_EQ(invoker.Invoke("fn", "{}").outcome, Outcome::kNotFound);
  fs::remove_all(data);
}

}  // namespace
}  // namespace hydrant::functions

namespace hydrant::functions {
namespace {

TEST(WorkerPoolStartTest, WorkerThatCannotStartFailsTheInvocationPromptly) {
  FunctionDefinition d;
  d.name = "fn";
  d.runtime = "python3.11";
  d.handler = "a.b";
  d.code_dir = fs::temp_directory_path().string();
  WorkerPoolOptions o;
  o.runtime_dir = "/nonexistent-runtime-dir";
  WorkerPool pool(d, o, SystemClock::Default());
  auto start = std::chrono::steady_clock::now();
  InvokeResult r = pool.Invoke("{}");
  EXPECT_EQ(r.outcome, InvokeResult::Outcome::kCrashed);
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
}  // namespace hydrant::functions
