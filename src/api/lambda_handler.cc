// LambdaHandler: request parsing, FunctionConfiguration rendering and Invoke.
#include "api/lambda_handler.h"

#include <openssl/sha.h>

#include <boost/json.hpp>
#include <thread>

#include "common/base64.h"
#include "common/ids.h"
#include "common/time_format.h"
#include "functions/local_invoker.h"

namespace hydrant::api {
namespace {

namespace json = boost::json;
using functions::FunctionDefinition;

constexpr std::string_view kPrefix = "/2015-03-31/functions";
constexpr std::string_view kLocalCodeBucket = "hydrant-local";
constexpr size_t kMaxInvokePayload = 6291456;  // Lambda's synchronous request limit

http::HttpResponse JsonOk(int status, const json::value& body) {
  http::HttpResponse res;
  res.status = status;
  res.SetHeader("Content-Type", "application/json");
  res.SetHeader("x-amzn-RequestId", NewUuid());
  res.body = json::serialize(body);
  return res;
}

// "2026-11-27T16:43:24.123+0000", the way Lambda writes LastModified.
std::string LambdaTimestamp(int64_t millis) {
  return FormatUtc(millis, "%Y-%m-%dT%H:%M:%S") + "." + std::to_string(1000 + millis % 1000).substr(1) + "+0000";
}

// A uuid-shaped id that changes whenever the function does.
std::string RevisionId(const FunctionDefinition& d) {
  std::string seed = d.name + "/" + std::to_string(d.last_modified_millis) + "/" + d.code_sha256;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

Status ParseBody(const http::HttpRequest& request, json::object* out) {
  if (request.body.empty()) {
    *out = {};
    return Status::Ok();
  }
  boost::system::error_code ec;
  json::value v = json::parse(request.body, ec);
  if (ec || !v.is_object()) return Status::Malformed("Could not parse request body into json");
  *out = std::move(v.as_object());
  return Status::Ok();
}

// Reads an optional member of the expected kind; a wrong kind is a validation error.
Status GetString(const json::object& o, const char* key, std::string* out, bool* present = nullptr) {
  if (present) *present = false;
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
  *out = std::string(v->as_string());
  if (present) *present = true;
  return Status::Ok();
}

Status GetInt(const json::object& o, const char* key, int* out) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_int64() && !v->is_uint64()) return Status::InvalidArgument(std::string(key) + " must be an integer");
  *out = static_cast<int>(v->to_number<int64_t>());
  return Status::Ok();
}

Status GetEnvironment(const json::object& o, std::map<std::string, std::string>* out, bool* present) {
  *present = false;
  auto* v = o.if_contains("Environment");
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_object()) return Status::InvalidArgument("Environment must be an object");
  *present = true;
  out->clear();
  if (auto* vars = v->as_object().if_contains("Variables"); vars && !vars->is_null()) {
    if (!vars->is_object()) return Status::InvalidArgument("Environment.Variables must be a map");
    for (const auto& [k, val] : vars->as_object()) {
      if (!val.is_string()) return Status::InvalidArgument("Environment variable values must be strings");
      (*out)[std::string(k)] = std::string(val.as_string());
    }
  }
  return Status::Ok();
}

// Code{ZipFile | S3Bucket "hydrant-local" + S3Key dir}: the zip bytes or the directory.
Status ParseCode(const json::object& code, std::string* zip, std::string* directory) {
  std::string zip_b64, bucket, key;
  HYDRANT_RETURN_IF_ERROR(GetString(code, "ZipFile", &zip_b64));
  HYDRANT_RETURN_IF_ERROR(GetString(code, "S3Bucket", &bucket));
  HYDRANT_RETURN_IF_ERROR(GetString(code, "S3Key", &key));
  if (code.contains("ImageUri")) return Status::InvalidArgument("Hydrant runs Zip functions only; ImageUri is not supported");
  if (!zip_b64.empty()) {
    if (!bucket.empty()) return Status::InvalidArgument("Please provide a source for function code.");
    if (!Base64Decode(zip_b64, zip)) return Status::InvalidArgument("ZipFile is not valid base64");
    return Status::Ok();
  }
  if (!bucket.empty()) {
    if (bucket != kLocalCodeBucket || key.empty()) {
      return Status::InvalidArgument(
          "Hydrant takes code as ZipFile, or as S3Bucket=hydrant-local with S3Key=<absolute local directory>");
    }
    *directory = key;
    return Status::Ok();
  }
  return Status::InvalidArgument("Please provide a source for function code.");
}

}  // namespace

http::HttpResponse LambdaErrorResponse(std::string_view type, int http_status, std::string_view message) {
  http::HttpResponse res;
  res.status = http_status;
  res.SetHeader("Content-Type", "application/json");
  res.SetHeader("x-amzn-ErrorType", std::string(type));
  res.SetHeader("x-amzn-RequestId", NewUuid());
  res.body = json::serialize(json::object{{"Type", "User"}, {"message", message}});
  return res;
}

LambdaHandler::LambdaHandler(functions::FunctionRegistry* registry, functions::FunctionInvoker* invoker,
                             std::string region, std::string account_id)
    : registry_(registry), invoker_(invoker), region_(std::move(region)), account_id_(std::move(account_id)) {}

LambdaHandler::~LambdaHandler() { Drain(); }

void LambdaHandler::Drain() {
  std::unique_lock lock(mu_);
  draining_ = true;
  idle_cv_.wait(lock, [&] { return running_ == 0; });
}

bool LambdaHandler::IsLambdaPath(std::string_view raw_path) {
  return raw_path.starts_with(kPrefix) &&
         (raw_path.size() == kPrefix.size() || raw_path[kPrefix.size()] == '/');
}

std::string LambdaHandler::Arn(const std::string& name) const {
  return functions::FunctionArn(region_, account_id_, name);
}

http::HttpResponse LambdaHandler::Error(const Status& status, const std::string& name) const {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return LambdaErrorResponse("ResourceNotFoundException", 404, "Function not found: " + Arn(name));
    case StatusCode::kAlreadyExists:
      return LambdaErrorResponse("ResourceConflictException", 409, "Function already exist: " + name);
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceInUse:
      return LambdaErrorResponse("ResourceConflictException", 409, status.message());
    case StatusCode::kValidation:
      return LambdaErrorResponse("ValidationException", 400, status.message());
    case StatusCode::kInvalidArgument:
      return LambdaErrorResponse("InvalidParameterValueException", 400, status.message());
    case StatusCode::kMalformed:
      return LambdaErrorResponse("InvalidRequestContentException", 400, status.message());
    case StatusCode::kLimitExceeded:
    case StatusCode::kResourceExhausted:
      return LambdaErrorResponse("TooManyRequestsException", 429, status.message());
    default:
      return LambdaErrorResponse("ServiceException", 500, status.message());
  }
}

namespace {

json::object Configuration(const FunctionDefinition& d, const std::string& arn) {
  json::object c{{"FunctionName", d.name},
                 {"FunctionArn", arn},
                 {"Runtime", d.runtime},
                 {"Role", d.role},
                 {"Handler", d.handler},
                 {"CodeSize", d.code_size},
                 {"Description", d.description},
                 {"Timeout", d.timeout_seconds},
                 {"MemorySize", d.memory_mb},
                 {"LastModified", LambdaTimestamp(d.last_modified_millis)},
                 {"CodeSha256", d.code_sha256},
                 {"Version", "$LATEST"},
                 {"TracingConfig", {{"Mode", "PassThrough"}}},
                 {"RevisionId", RevisionId(d)},
                 {"State", "Active"},
                 {"LastUpdateStatus", "Successful"},
                 {"PackageType", "Zip"},
                 {"Architectures", json::array{"x86_64"}},
                 {"EphemeralStorage", {{"Size", 512}}},
                 {"LoggingConfig", {{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/" + d.name}}}};
  if (!d.environment.empty()) {
    json::object vars;
    for (const auto& [k, v] : d.environment) vars[k] = v;
    c["Environment"] = json::object{{"Variables", std::move(vars)}};
  }
  return c;
}

}  // namespace

void LambdaHandler::Handle(http::HttpRequest request, http::Respond respond, const auth::Caller* caller) {
  // The key's policy decides before the function is looked at, as IAM does.
  auto denied = [&](std::string_view action, const std::string& name) {
    if (!caller) return false;
    auto denial = caller->Denied(action, name.empty() ? std::string("*") : Arn(name));
    if (denial) respond(LambdaErrorResponse("AccessDeniedException", 403, *denial));
    return denial.has_value();
  };
  std::string_view raw = request.RawPath();
  std::string_view rest = raw.substr(std::min(raw.size(), kPrefix.size()));
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) {
    if (request.method == "POST") {
      std::string name;
      if (caller) {
        json::object body;
        std::string reference, qualifier;
        if (ParseBody(request, &body).ok() && GetString(body, "FunctionName", &reference).ok()) {
          functions::ParseFunctionReference(reference, &name, &qualifier);
        }
      }
      if (denied("lambda:CreateFunction", name)) return;
      return respond(Create(request));
    }
    if (request.method == "GET") {
      if (denied("lambda:ListFunctions", "")) return;
      return respond(List(request));
    }
    return respond(LambdaErrorResponse("UnknownOperationException", 400, "Unknown operation"));
  }
  auto slash = rest.find('/');
  std::string reference;
  if (!http::PercentDecode(rest.substr(0, slash), &reference)) {
    return respond(LambdaErrorResponse("InvalidParameterValueException", 400, "Bad FunctionName"));
  }
  std::string_view sub = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  std::string name, qualifier;
  if (!functions::ParseFunctionReference(reference, &name, &qualifier)) {
    return respond(LambdaErrorResponse(
        "ValidationException", 400,
        "1 validation error detected: Value '" + reference +
            "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"));
  }
  for (const auto& [k, v] : request.Query()) {
    if (k == "Qualifier") qualifier = v;
  }
  // Hydrant keeps no published versions: only $LATEST exists.
  if (!qualifier.empty() && qualifier != "$LATEST") {
    return respond(LambdaErrorResponse("ResourceNotFoundException", 404,
                                       "Function not found: " + Arn(name) + ":" + qualifier));
  }
  if (sub.empty()) {
    if (request.method == "GET") return denied("lambda:GetFunction", name) ? void() : respond(Get(name, false));
    if (request.method == "DELETE") return denied("lambda:DeleteFunction", name) ? void() : respond(Delete(name));
  } else if (sub == "configuration") {
    if (request.method == "GET") {
      return denied("lambda:GetFunctionConfiguration", name) ? void() : respond(Get(name, true));
    }
    if (request.method == "PUT") {
      return denied("lambda:UpdateFunctionConfiguration", name) ? void()
                                                                : respond(UpdateConfiguration(name, request));
    }
  } else if (sub == "code" && request.method == "PUT") {
    return denied("lambda:UpdateFunctionCode", name) ? void() : respond(UpdateCode(name, request));
  } else if (sub == "invocations" && request.method == "POST") {
    if (denied("lambda:InvokeFunction", name)) return;
    return Invoke(name, std::move(request), std::move(respond));
  }
  respond(LambdaErrorResponse("UnknownOperationException", 400, "Unknown operation"));
}

http::HttpResponse LambdaHandler::Create(const http::HttpRequest& request) {
  json::object body;
  if (Status s = ParseBody(request, &body); !s.ok()) return Error(s, "");
  FunctionDefinition d;
  std::string reference;
  bool env_present = false;
  Status s = GetString(body, "FunctionName", &reference);
  if (s.ok()) s = GetString(body, "Runtime", &d.runtime);
  if (s.ok()) s = GetString(body, "Role", &d.role);
  if (s.ok()) s = GetString(body, "Handler", &d.handler);
  if (s.ok()) s = GetString(body, "Description", &d.description);
  if (s.ok()) s = GetInt(body, "Timeout", &d.timeout_seconds);
  if (s.ok()) s = GetInt(body, "MemorySize", &d.memory_mb);
  if (s.ok()) s = GetEnvironment(body, &d.environment, &env_present);
  if (!s.ok()) return Error(s, "");
  std::string qualifier;
  if (!functions::ParseFunctionReference(reference, &d.name, &qualifier) || !qualifier.empty()) {
    return LambdaErrorResponse("ValidationException", 400,
                               "1 validation error detected: Value '" + reference +
                                   "' at 'functionName' failed to satisfy constraint: Member must satisfy "
                                   "regular expression pattern: [a-zA-Z0-9-_]+");
  }
  if (d.role.empty()) return LambdaErrorResponse("InvalidParameterValueException", 400, "Role is required");
  if (auto* p = body.if_contains("PackageType"); p && p->is_string() && p->as_string() != "Zip") {
    return LambdaErrorResponse("InvalidParameterValueException", 400, "Hydrant runs Zip functions only");
  }
  if (d.runtime.empty()) return LambdaErrorResponse("InvalidParameterValueException", 400, "Runtime is required for a Zip function");
  if (d.handler.empty()) return LambdaErrorResponse("InvalidParameterValueException", 400, "Handler is required for a Zip function");
  auto* code = body.if_contains("Code");
  if (!code || !code->is_object()) {
    return LambdaErrorResponse("InvalidParameterValueException", 400, "Please provide a source for function code.");
  }
  std::string zip, directory;
  if (Status cs = ParseCode(code->as_object(), &zip, &directory); !cs.ok()) return Error(cs, d.name);
  std::string name = d.name;
  auto created = directory.empty() ? registry_->CreateFromZip(std::move(d), zip)
                                   : registry_->CreateFromDirectory(std::move(d), directory);
  if (!created.ok()) return Error(created.status(), name);
  return JsonOk(201, Configuration(*created, Arn(name)));
}

http::HttpResponse LambdaHandler::Get(const std::string& name, bool configuration_only) {
  auto d = registry_->Get(name);
  if (!d.ok()) return Error(d.status(), name);
  json::object configuration = Configuration(*d, Arn(name));
  if (configuration_only) return JsonOk(200, configuration);
  json::object code{{"RepositoryType", d->remote_endpoint.empty() ? "S3" : "Remote"},
                    {"Location", d->remote_endpoint.empty() ? "file://" + d->code_dir : d->remote_endpoint}};
  return JsonOk(200, json::object{{"Configuration", std::move(configuration)}, {"Code", std::move(code)}});
}

http::HttpResponse LambdaHandler::List(const http::HttpRequest& request) {
  size_t max_items = 50;
  std::string marker;
  for (const auto& [k, v] : request.Query()) {
    if (k == "MaxItems") {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 10000) {
        return LambdaErrorResponse("InvalidParameterValueException", 400, "MaxItems must be between 1 and 10000");
      }
      max_items = std::min<size_t>(static_cast<size_t>(n), 50);
    } else if (k == "Marker") {
      marker = v;
    }
  }
  json::array functions;
  std::string next_marker;
  for (const auto& d : registry_->List()) {
    if (!marker.empty() && d.name <= marker) continue;
    if (functions.size() == max_items) {
      next_marker = functions.back().as_object().at("FunctionName").as_string().c_str();
      break;
    }
    functions.push_back(Configuration(d, Arn(d.name)));
  }
  json::object out{{"Functions", std::move(functions)}};
  if (!next_marker.empty()) out["NextMarker"] = next_marker;
  return JsonOk(200, out);
}

http::HttpResponse LambdaHandler::UpdateCode(const std::string& name, const http::HttpRequest& request) {
  json::object body;
  if (Status s = ParseBody(request, &body); !s.ok()) return Error(s, name);
  std::string zip, directory;
  if (Status s = ParseCode(body, &zip, &directory); !s.ok()) return Error(s, name);
  auto updated = directory.empty() ? registry_->UpdateCodeFromZip(name, zip)
                                   : registry_->UpdateCodeFromDirectory(name, directory);
  if (!updated.ok()) return Error(updated.status(), name);
  return JsonOk(200, Configuration(*updated, Arn(name)));
}

http::HttpResponse LambdaHandler::UpdateConfiguration(const std::string& name, const http::HttpRequest& request) {
  json::object body;
  if (Status s = ParseBody(request, &body); !s.ok()) return Error(s, name);
  auto updated = registry_->UpdateConfiguration(name, [&](FunctionDefinition* d) {
    bool env_present = false;
    std::map<std::string, std::string> env;
    HYDRANT_RETURN_IF_ERROR(GetString(body, "Runtime", &d->runtime));
    HYDRANT_RETURN_IF_ERROR(GetString(body, "Role", &d->role));
    HYDRANT_RETURN_IF_ERROR(GetString(body, "Handler", &d->handler));
    HYDRANT_RETURN_IF_ERROR(GetString(body, "Description", &d->description));
    HYDRANT_RETURN_IF_ERROR(GetInt(body, "Timeout", &d->timeout_seconds));
    HYDRANT_RETURN_IF_ERROR(GetInt(body, "MemorySize", &d->memory_mb));
    HYDRANT_RETURN_IF_ERROR(GetEnvironment(body, &env, &env_present));
    if (env_present) d->environment = std::move(env);
    return Status::Ok();
  });
  if (!updated.ok()) return Error(updated.status(), name);
  return JsonOk(200, Configuration(*updated, Arn(name)));
}

http::HttpResponse LambdaHandler::Delete(const std::string& name) {
  if (Status s = registry_->Delete(name); !s.ok()) return Error(s, name);
  http::HttpResponse res;
  res.status = 204;
  res.SetHeader("x-amzn-RequestId", NewUuid());
  return res;
}

void LambdaHandler::Invoke(const std::string& name, http::HttpRequest request, http::Respond respond) {
  std::string type(request.Header("X-Amz-Invocation-Type"));
  if (type.empty()) type = "RequestResponse";
  if (type != "RequestResponse" && type != "Event" && type != "DryRun") {
    return respond(LambdaErrorResponse("InvalidParameterValueException", 400,
                                       "Invalid invocation type: " + type));
  }
  if (!registry_->Get(name).ok()) return respond(Error(Status::NotFound(name), name));
  if (request.body.size() > kMaxInvokePayload) {
    return respond(LambdaErrorResponse("RequestTooLargeException", 413,
                                       "Request must be smaller than 6291456 bytes for the InvokeFunction operation"));
  }
  std::string payload = request.body.empty() ? "{}" : std::move(request.body);
  boost::system::error_code ec;
  (void)json::parse(payload, ec);
  if (ec) {
    return respond(LambdaErrorResponse("InvalidRequestContentException", 400,
                                       "Could not parse request body into json: " + ec.message()));
  }
  if (type == "DryRun") {
    http::HttpResponse res;
    res.status = 204;
    res.SetHeader("x-amzn-RequestId", NewUuid());
    return respond(std::move(res));
  }
  {
    std::lock_guard lock(mu_);
    if (draining_) return respond(LambdaErrorResponse("ServiceException", 500, "the server is shutting down"));
    ++running_;
  }
  bool event = type == "Event";
  if (event) {
    http::HttpResponse res;
    res.status = 202;
    res.SetHeader("x-amzn-RequestId", NewUuid());
    respond(std::move(res));
    respond = nullptr;
  }
  // A thread per running invocation: it spends its life blocked on the function.
  std::thread([this, name, payload = std::move(payload), respond = std::move(respond)]() mutable {
    functions::InvokeResult result = invoker_->Invoke(name, payload);
    if (respond) {
      http::HttpResponse res;
      using Outcome = functions::InvokeResult::Outcome;
      switch (result.outcome) {
        case Outcome::kOk:
          res.status = 200;
          res.body = std::move(result.payload);
          break;
        case Outcome::kFunctionError:
        case Outcome::kTimeout:
        case Outcome::kCrashed:
          res.status = 200;
          res.SetHeader("X-Amz-Function-Error", "Unhandled");
          res.body = !result.payload.empty()
                         ? std::move(result.payload)
                         : json::serialize(json::object{{"errorMessage", result.error_message},
                                                        {"errorType", result.error_type},
                                                        {"stackTrace", json::array{}}});
          break;
        case Outcome::kNotFound:
          res = Error(Status::NotFound(name), name);
          break;
        case Outcome::kUnavailable:
          res = LambdaErrorResponse("ServiceException", 500, result.error_message);
          break;
      }
      if (res.status == 200) {
        res.SetHeader("Content-Type", "application/json");
        res.SetHeader("X-Amz-Executed-Version", "$LATEST");
        res.SetHeader("x-amzn-RequestId", NewUuid());
      }
      respond(std::move(res));
    }
    std::lock_guard lock(mu_);
    --running_;
    idle_cv_.notify_all();
  }).detach();
}

}  // namespace hydrant::api
