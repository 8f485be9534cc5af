// LambdaHandler tests: REST-JSON routing, response shapes and Lambda-style errors.
#include "api/lambda_handler.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <future>

#include "common/base64.h"
#include "common/ids.h"

namespace hydrant::api {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using functions::InvokeResult;

std::string MakeZip(const std::string& name, const std::string& data) {
  std::string path = (fs::temp_directory_path() / ("lh-" + RandomHex(8) + ".zip")).string();
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  zip_file_add(z, name.c_str(), zip_source_buffer(z, data.data(), data.size(), 0), 0);
  zip_close(z);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return bytes;
}

class FakeInvoker : public functions::FunctionInvoker {
 public:
  InvokeResult Invoke(std::string_view function, std::string_view payload) override {
    last_function = std::string(function);
    last_payload = std::string(payload);
    return next;
  }
  InvokeResult next;
  std::string last_function, last_payload;
};

class LambdaHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("lh-" + RandomHex(8));
    registry_ = std::move(*functions::FunctionRegistry::Open(Env::Default(), (root_ / "functions").string(), &clock_));
    handler_ = std::make_unique<LambdaHandler>(registry_.get(), &invoker_, "ap-northeast-2", "111122223333");
  }
  void TearDown() override {
    handler_.reset();
    fs::remove_all(root_);
  }
  http::HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::map<std::string, std::string> headers = {}) {
    http::HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    for (auto& [k, v] : headers) request.headers[k] = v;
    std::promise<http::HttpResponse> done;
    handler_->Handle(std::move(request), [&](http::HttpResponse r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }
  static std::string Header(const http::HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (strcasecmp(k.c_str(), std::string(name).c_str()) == 0) return v;
    }
    return "";
  }
  std::string CreateBody(const std::string& name) {
    json::object o{{"FunctionName", name},
                   {"Runtime", "python3.11"},
                   {"Role", "arn:aws:iam::111122223333:role/x"},
                   {"Handler", "lambda_function.lambda_handler"},
                   {"Timeout", 10},
                   {"Environment", {{"Variables", {{"K", "V"}}}}},
                   {"Code", {{"ZipFile", Base64Encode(MakeZip("lambda_function.py", "x = 1\n"))}}}};
    return json::serialize(o);
  }

  fs::path root_;
  FakeClock clock_{1764261804123};  // 2025-11-27T16:43:24.123Z
  FakeInvoker invoker_;
  std::unique_ptr<functions::FunctionRegistry> registry_;
  std::unique_ptr<LambdaHandler> handler_;
};

TEST_F(LambdaHandlerTest, CreateGetListAndDelete) {
  http::HttpResponse created = Call("POST", "/2015-03-31/functions", CreateBody("fn"));
  ASSERT_EQ(created.status, 201) << created.body;
  json::object c = json::parse(created.body).as_object();
  EXPECT_EQ(c["FunctionArn"].as_string(), "arn:aws:lambda:ap-northeast-2:111122223333:function:fn");
  EXPECT_EQ(c["LastModified"].as_string(), "2025-11-27T16:43:24.123+0000");
  EXPECT_EQ(c["Version"].as_string(), "$LATEST");
  EXPECT_EQ(c["State"].as_string(), "Active");
  EXPECT_EQ(c["Timeout"].as_int64(), 10);
  EXPECT_EQ(c["Environment"].at("Variables").at("K").as_string(), "V");

  http::HttpResponse got = Call("GET", "/2015-03-31/functions/fn");
  ASSERT_EQ(got.status, 200);
  json::object g = json::parse(got.body).as_object();
  EXPECT_EQ(g["Configuration"].at("CodeSha256"), c["CodeSha256"]);
  EXPECT_EQ(g["Code"].at("RepositoryType").as_string(), "S3");
  // By ARN, percent-encoded, as the SDKs send it.
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aap-northeast-2%3A111122223333%3Afunction%3Afn/configuration").status, 200);

  http::HttpResponse dup = Call("POST", "/2015-03-31/functions", CreateBody("fn"));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Header(dup, "x-amzn-ErrorType"), "ResourceConflictException");
  EXPECT_EQ(json::parse(dup.body).at("message").as_string(), "Function already exist: fn");

  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("fn2")).status, 201);
  json::object listed = json::parse(Call("GET", "/2015-03-31/functions/?MaxItems=1").body).as_object();
  ASSERT_EQ(listed["Functions"].as_array().size(), 1u);
  EXPECT_EQ(listed["NextMarker"].as_string(), "fn");
  listed = json::parse(Call("GET", "/2015-03-31/functions/?Marker=fn").body).as_object();
  ASSERT_EQ(listed["Functions"].as_array().size(), 1u);
  EXPECT_EQ(listed["Functions"].as_array()[0].at("FunctionName").as_string(), "fn2");

  EXPECT_EQ(Call("DELETE", "/2015-03-31/functions/fn").status, 204);
  http::HttpResponse missing = Call("GET", "/2015-03-31/functions/fn");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Header(missing, "x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(json::parse(missing.body).at("message").as_string(),
            "Function not found: arn:aws:lambda:ap-northeast-2:111122223333:function:fn");
}

TEST_F(LambdaHandlerTest, BadRequestsGetLambdaErrors) {
  json::object no_code = json::parse(CreateBody("x")).as_object();
  no_code.erase("Code");
  http::HttpResponse r = Call("POST", "/2015-03-31/functions", json::serialize(no_code));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "InvalidParameterValueException");
  json::object bad_zip = json::parse(CreateBody("x")).as_object();
  bad_zip["Code"] = {{"ZipFile", Base64Encode("not a zip")}};
  r = Call("POST", "/2015-03-31/functions", json::serialize(bad_zip));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "InvalidParameterValueException");
  json::object bad_timeout = json::parse(CreateBody("x")).as_object();
  bad_timeout["Timeout"] = 0;
  r = Call("POST", "/2015-03-31/functions", json::serialize(bad_timeout));
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "ValidationException");
  EXPECT_EQ(Call("POST", "/2015-03-31/functions", "{oops").status, 400);
  EXPECT_EQ(Call("GET", "/2015-03-31/functions/fn:7").status, 404);
}

TEST_F(LambdaHandlerTest, UpdatesAndInvoke) {
  ASSERT_EQ(Call("POST", "/2015-03-31/functions", CreateBody("fn")).status, 201);
  clock_.Advance(5000);
  http::HttpResponse conf = Call("PUT", "/2015-03-31/functions/fn/configuration",
                           R"({"Timeout": 60, "Environment": {"Variables": {}}})");
  ASSERT_EQ(conf.status, 200) << conf.body;
  json::object c = json::parse(conf.body).as_object();
  EXPECT_EQ(c["Timeout"].as_int64(), 60);
  EXPECT_FALSE(c.contains("Environment"));
  EXPECT_EQ(c["LastModified"].as_string(), "2025-11-27T16:43:29.123+0000");
  std::string v2 = MakeZip("lambda_function.py", "x = 2\n");
  http::HttpResponse code = Call("PUT", "/2015-03-31/functions/fn/code",
                           json::serialize(json::object{{"ZipFile", Base64Encode(v2)}}));
  ASSERT_EQ(code.status, 200);
  EXPECT_EQ(json::parse(code.body).at("CodeSha256").as_string(), functions::CodeSha256(v2));

  invoker_.next.payload = R"({"ok":true})";
  http::HttpResponse ok = Call("POST", "/2015-03-31/functions/fn/invocations", R"({"a":1})");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"ok":true})");
  EXPECT_EQ(Header(ok, "X-Amz-Executed-Version"), "$LATEST");
  EXPECT_EQ(Header(ok, "X-Amz-Function-Error"), "");
  EXPECT_EQ(invoker_.last_function, "fn");
  EXPECT_EQ(invoker_.last_payload, R"({"a":1})");

  invoker_.next.outcome = InvokeResult::Outcome::kTimeout;
  invoker_.next.payload = R"({"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 60.00 seconds"})";
  http::HttpResponse timeout = Call("POST", "/2015-03-31/functions/fn/invocations", "{}");
  EXPECT_EQ(timeout.status, 200);
  EXPECT_EQ(Header(timeout, "X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(timeout.body, invoker_.next.payload);

  EXPECT_EQ(Call("POST", "/2015-03-31/functions/fn/invocations", "not json").status, 400);
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/nope/invocations", "{}").status, 404);
  EXPECT_EQ(Call("POST", "/2015-03-31/functions/fn/invocations", "{}", {{"X-Amz-Invocation-Type", "DryRun"}}).status, 204);
}

}  // namespace
}  // namespace hydrant::api
