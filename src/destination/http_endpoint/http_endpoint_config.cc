// The HTTP endpoint destination's configuration: the service's rules and defaults,
// UpdateDestination's merge, Describe.
#include "destination/http_endpoint/http_endpoint_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/config_fields.h"
#include "destination/destination_config.h"
#include "processor/processing_config.h"

namespace hydrant::destination::http_endpoint {
namespace {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetArray;
using config::GetInt;
using config::GetObject;
using config::GetString;

// HttpEndpointDestinationConfiguration's members, in the model's order.
constexpr std::array<std::string_view, 10> kMembers = {
    "EndpointConfiguration", "BufferingHints", "CloudWatchLoggingOptions", "RequestConfiguration",
    "ProcessingConfiguration", "RoleARN", "RetryOptions", "S3BackupMode", "S3Configuration",
    "SecretsManagerConfiguration"};
// HttpEndpointDestinationUpdate's members other than S3Update, which merges into S3Configuration.
constexpr std::array<std::string_view, 9> kUpdateMembers = {
    "EndpointConfiguration", "BufferingHints", "CloudWatchLoggingOptions", "RequestConfiguration",
    "ProcessingConfiguration", "RoleARN", "RetryOptions", "S3BackupMode",
    "SecretsManagerConfiguration"};
// Update members merged member by member (lists inside replaced) instead of replaced whole.
constexpr std::array<std::string_view, 7> kMergedMembers = {
    "EndpointConfiguration",   "BufferingHints", "CloudWatchLoggingOptions", "RequestConfiguration",
    "ProcessingConfiguration", "RetryOptions",   "SecretsManagerConfiguration"};

constexpr int64_t kMaxBufferMb = 64;  // HttpEndpointBufferingSizeInMBs
// Where the processor stage's model-constraint messages point.
constexpr std::string_view kProcessingPath = "httpEndpointDestinationConfiguration.processingConfiguration";

// RequestConfiguration: ContentEncoding and CommonAttributes.
Status CheckRequest(const json::object& request, HttpEndpointDestination* d) {
  std::optional<std::string> encoding;
  const json::array* attributes;
  HYDRANT_RETURN_IF_ERROR(GetString(request, "ContentEncoding", &encoding));
  HYDRANT_RETURN_IF_ERROR(GetArray(request, "CommonAttributes", &attributes));
  if (encoding && *encoding != "NONE" && *encoding != "GZIP") {
    return Status::InvalidArgument("RequestConfiguration.ContentEncoding must be NONE or GZIP");
  }
  d->gzip = encoding == "GZIP";
  if (!attributes) return Status::Ok();
  for (const json::value& item : *attributes) {
    if (!item.is_object()) {
      return Status::Malformed("RequestConfiguration.CommonAttributes must be a list of structures");
    }
    std::optional<std::string> name, value;
    HYDRANT_RETURN_IF_ERROR(GetString(item.get_object(), "AttributeName", &name));
    HYDRANT_RETURN_IF_ERROR(GetString(item.get_object(), "AttributeValue", &value));
    if (!name || !value) {
      return Status::InvalidArgument(
          "RequestConfiguration.CommonAttributes: AttributeName and AttributeValue are required");
    }
    // The receiver gets them as the members of one JSON object, where a name can appear once.
    // Names are sensitive in the model, so the message does not quote it.
    auto same_name = [&](const CommonAttribute& a) { return a.name == *name; };
    if (std::any_of(d->common_attributes.begin(), d->common_attributes.end(), same_name)) {
      return Status::InvalidArgument(
          "RequestConfiguration.CommonAttributes: each AttributeName may appear only once");
    }
    d->common_attributes.push_back({std::move(*name), std::move(*value)});
  }
  return Status::Ok();
}

}  // namespace

Result<json::object> FromCreateRequest(const json::object& given) { return StoreCreateMembers(given, kMembers); }

Result<HttpEndpointDestination> Parse(const json::object& stored) {
  HttpEndpointDestination d;
  const json::object *endpoint, *hints, *logging, *request, *processing, *retry, *s3_configuration,
      *secrets;
  std::optional<std::string> role, backup_mode;
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "EndpointConfiguration", &endpoint));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "BufferingHints", &hints));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "CloudWatchLoggingOptions", &logging));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "RequestConfiguration", &request));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "ProcessingConfiguration", &processing));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "RoleARN", &role));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "RetryOptions", &retry));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "S3BackupMode", &backup_mode));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "S3Configuration", &s3_configuration));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "SecretsManagerConfiguration", &secrets));

  if (!endpoint) return Status::InvalidArgument("EndpointConfiguration is required");
  std::optional<std::string> url, name, access_key;
  HYDRANT_RETURN_IF_ERROR(GetString(*endpoint, "Url", &url));
  HYDRANT_RETURN_IF_ERROR(GetString(*endpoint, "Name", &name));
  HYDRANT_RETURN_IF_ERROR(GetString(*endpoint, "AccessKey", &access_key));
  if (!url) return Status::InvalidArgument("EndpointConfiguration.Url is required");
  HYDRANT_RETURN_IF_ERROR(CheckHttpUrl("EndpointConfiguration.Url", *url));
  d.url = std::move(*url);
  d.name = name.value_or("");
  d.access_key = access_key.value_or("");

  if (hints) HYDRANT_RETURN_IF_ERROR(CheckBufferingHints(*hints, kMaxBufferMb, &d.buffering));
  if (logging) HYDRANT_RETURN_IF_ERROR(CheckCloudWatchLogging(*logging));
  if (request) HYDRANT_RETURN_IF_ERROR(CheckRequest(*request, &d));
  if (processing) {
    auto processors = CheckProcessing(*processing, kProcessingPath);
    if (!processors.ok()) return processors.status();
    d.processing = std::move(*processors);
  }
  if (retry) HYDRANT_RETURN_IF_ERROR(CheckRetryOptions(*retry, &d.retry_seconds));
  if (backup_mode && *backup_mode != "FailedDataOnly" && *backup_mode != "AllData") {
    return Status::InvalidArgument("S3BackupMode must be FailedDataOnly or AllData");
  }
  d.all_data = backup_mode == "AllData";
  if (!s3_configuration) return Status::InvalidArgument("S3Configuration is required");
  auto s3 = s3::Parse(*s3_configuration);
  if (!s3.ok()) return s3.status();
  d.s3 = std::move(*s3);
  if (secrets) HYDRANT_RETURN_IF_ERROR(CheckSecretsManager(*secrets));
  return d;
}

Result<json::object> MergeUpdate(const json::object& stored, const json::object& update) {
  return MergeUpdateMembers(stored, update, kMembers, kUpdateMembers, kMergedMembers);
}

Status CheckChange(const HttpEndpointDestination& before, const HttpEndpointDestination& after) {
  if (before.all_data && !after.all_data) {
    return Status::InvalidArgument("S3BackupMode cannot be changed from AllData to FailedDataOnly");
  }
  return s3::CheckChange(before.s3, after.s3);
}

json::object Describe(const json::object& stored, const HttpEndpointDestination& parsed) {
  json::object out;
  json::object endpoint{{"Url", parsed.url}};
  if (const json::value* given = Find(stored, "EndpointConfiguration"); given && given->is_object()) {
    CopyMembers(given->get_object(), std::array<std::string_view, 1>{"Name"}, &endpoint);
  }
  out["EndpointConfiguration"] = std::move(endpoint);
  out["BufferingHints"] = {{"SizeInMBs", parsed.buffering.size_mb},
                           {"IntervalInSeconds", parsed.buffering.interval_seconds}};
  out["CloudWatchLoggingOptions"] = CloudWatchDescription(stored);

  json::object request{{"ContentEncoding", parsed.gzip ? "GZIP" : "NONE"}};
  const json::value* given_request = Find(stored, "RequestConfiguration");
  if (given_request && given_request->is_object() &&
      Find(given_request->get_object(), "CommonAttributes")) {
    json::array attributes;
    for (const CommonAttribute& a : parsed.common_attributes) {
      attributes.push_back({{"AttributeName", a.name}, {"AttributeValue", a.value}});
    }
    request["CommonAttributes"] = std::move(attributes);
  }
  out["RequestConfiguration"] = std::move(request);

  // A Lambda processor's RoleArn defaults to the destination's role: RoleARN, which is optional
  // here, else S3Configuration's (required). `stored` passed Parse, so S3Configuration is there.
  const json::object& s3_stored = stored.at("S3Configuration").as_object();
  const json::value* role = Find(stored, "RoleARN");
  if (!role) role = Find(s3_stored, "RoleARN");
  if (const json::value* processing = Find(stored, "ProcessingConfiguration");
      processing && processing->is_object()) {
    out["ProcessingConfiguration"] = processor::DescribeProcessingConfiguration(
        processing->get_object(), role && role->is_string() ? std::string_view(role->get_string()) : "");
  }
  CopyMembers(stored, std::array<std::string_view, 1>{"RoleARN"}, &out);
  out["RetryOptions"] = {{"DurationInSeconds", parsed.retry_seconds}};
  out["S3BackupMode"] = parsed.all_data ? "AllData" : "FailedDataOnly";
  out["S3DestinationDescription"] = s3::DescribeS3Destination(s3_stored, parsed.s3);
  if (const json::value* secrets = Find(stored, "SecretsManagerConfiguration");
      secrets && secrets->is_object()) {
    json::object described;
    CopyMembers(secrets->get_object(),
                std::array<std::string_view, 3>{"SecretARN", "RoleARN", "Enabled"}, &described);
    out["SecretsManagerConfiguration"] = std::move(described);
  }
  return json::object{{"HttpEndpointDestinationDescription", std::move(out)}};
}

}  // namespace hydrant::destination::http_endpoint
