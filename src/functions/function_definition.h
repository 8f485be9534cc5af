// FunctionDefinition: what Hydrant knows about one Lambda function it runs locally or calls
// remotely.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace hydrant::functions {

struct FunctionDefinition {
  std::string name;
  std::string runtime;        // "python3.11", "nodejs20.x", ... (python3.* and nodejs* run locally)
  std::string handler;        // "module.function", e.g. "lambda_function.lambda_handler"
  std::string code_dir;       // unpacked code; the handler's module is looked up here
  int timeout_seconds = 3;    // Lambda's default
  int memory_mb = 128;
  std::map<std::string, std::string> environment;
  int concurrency = 2;        // worker processes at most
  std::string description;
  std::string role;
  int64_t last_modified_millis = 0;
  std::string code_sha256;    // base64 of the SHA-256 of the deployment package, as Lambda reports
  int64_t code_size = 0;
  // Remote function: Invoke is forwarded to this Lambda-compatible endpoint instead.
  std::string remote_endpoint;  // e.g. "https://lambda.us-east-1.amazonaws.com"; "" = local
  std::string remote_region;
  std::string remote_access_key;
  std::string remote_secret_key;
  std::string remote_function;  // name or ARN at the remote end
  std::string remote_ca_bundle;  // PEM file of CAs an https endpoint is verified against; "" = the system's
  bool remote_skip_verify = false;  // insecure_skip_verify: the endpoint's certificate is not verified
};

}  // namespace hydrant::functions
