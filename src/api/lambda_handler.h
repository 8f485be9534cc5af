// LambdaHandler: the AWS Lambda API (REST-JSON, version 2015-03-31) on Hydrant's port:
// CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode,
// UpdateFunctionConfiguration, DeleteFunction and Invoke, for the aws CLI and the SDKs.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "functions/function_invoker.h"
#include "functions/function_registry.h"
#include "http/http_server.h"
#include "http/http_types.h"

namespace hydrant::api {

// Every request whose path starts with /2015-03-31/functions belongs here.
//
// Code sources: Code.ZipFile (base64 zip, what `--zip-file fileb://fn.zip` sends), or the Hydrant
// extension Code.S3Bucket = "hydrant-local" with Code.S3Key = an absolute local directory, used in
// place (`--code S3Bucket=hydrant-local,S3Key=/path/to/src`). Other S3 buckets and container
// images are rejected with InvalidParameterValueException.
//
// Errors are Lambda's: header x-amzn-ErrorType plus {"Type":"User","message":...}
// (ResourceNotFoundException 404, ResourceConflictException 409, InvalidParameterValueException
// 400, ValidationException 400, InvalidRequestContentException 400, ServiceException 500).
//
// Thread-safe. Invoke runs on its own thread (the I/O thread is not held while a function runs);
// `respond` is called from that thread. The destructor (or Drain) waits for running invocations,
// so it must run before the http::HttpServer whose callbacks they hold is stopped.
class LambdaHandler {
 public:
  LambdaHandler(functions::FunctionRegistry* registry, functions::FunctionInvoker* invoker,
                std::string region, std::string account_id);
  ~LambdaHandler();
  LambdaHandler(const LambdaHandler&) = delete;
  LambdaHandler& operator=(const LambdaHandler&) = delete;

  static bool IsLambdaPath(std::string_view raw_path);
  // `caller`: the request's verified sender, whose policy must allow the lambda:<action> on the
  // function (null when requests are not authenticated).
  void Handle(http::HttpRequest request, http::Respond respond, const auth::Caller* caller = nullptr);
  // Rejects new invocations with ServiceException and waits for running ones to answer.
  void Drain();

 private:
  http::HttpResponse Create(const http::HttpRequest& request);
  http::HttpResponse Get(const std::string& name, bool configuration_only);
  http::HttpResponse List(const http::HttpRequest& request);
  http::HttpResponse UpdateCode(const std::string& name, const http::HttpRequest& request);
  http::HttpResponse UpdateConfiguration(const std::string& name, const http::HttpRequest& request);
  http::HttpResponse Delete(const std::string& name);
  void Invoke(const std::string& name, http::HttpRequest request, http::Respond respond);
  http::HttpResponse Error(const Status& status, const std::string& name) const;
  std::string Arn(const std::string& name) const;

  functions::FunctionRegistry* registry_;
  functions::FunctionInvoker* invoker_;
  const std::string region_;
  const std::string account_id_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  int running_ = 0;
  bool draining_ = false;
};

// Lambda's REST-JSON error response.
http::HttpResponse LambdaErrorResponse(std::string_view type, int http_status, std::string_view message);

}  // namespace hydrant::api
