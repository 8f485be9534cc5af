// The Splunk destination's configuration: the service's rules and defaults, UpdateDestination's
// merge, Describe.
#include "destination/splunk/splunk_config.h"

#include <algorithm>
#include <array>

#include "common/config_fields.h"
#include "destination/destination_config.h"
#include "processor/processing_config.h"

namespace hydrant::destination::splunk {
namespace {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetInt;
using config::GetObject;
using config::GetString;

constexpr std::array<std::string_view, 11> kMembers = {
    "HECEndpoint", "HECEndpointType", "HECToken", "HECAcknowledgmentTimeoutInSeconds", "RetryOptions",
    "S3BackupMode", "S3Configuration", "ProcessingConfiguration", "CloudWatchLoggingOptions", "BufferingHints",
    "SecretsManagerConfiguration"};
// SplunkDestinationUpdate's members other than S3Update, which merges into S3Configuration.
constexpr std::array<std::string_view, 10> kUpdateMembers = {
    "HECEndpoint", "HECEndpointType", "HECToken", "HECAcknowledgmentTimeoutInSeconds", "RetryOptions",
    "S3BackupMode", "ProcessingConfiguration", "CloudWatchLoggingOptions", "BufferingHints",
    "SecretsManagerConfiguration"};
constexpr std::array<std::string_view, 5> kMergedMembers = {
    "RetryOptions", "ProcessingConfiguration", "CloudWatchLoggingOptions", "BufferingHints",
    "SecretsManagerConfiguration"};
constexpr int64_t kMaxBufferMb = 5;
constexpr std::string_view kProcessingPath = "splunkDestinationConfiguration.processingConfiguration";

}  // namespace

Result<json::object> FromCreateRequest(const json::object& given) { return StoreCreateMembers(given, kMembers); }

Result<SplunkDestination> Parse(const json::object& stored) {
  SplunkDestination d;
  const json::object *hints, *retry, *s3_configuration, *processing, *logging, *secrets;
  std::optional<std::string> endpoint, type, token, backup_mode;
  std::optional<int64_t> ack_timeout;
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "HECEndpoint", &endpoint));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "HECEndpointType", &type));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "HECToken", &token));
  HYDRANT_RETURN_IF_ERROR(GetInt(stored, "HECAcknowledgmentTimeoutInSeconds", &ack_timeout));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "RetryOptions", &retry));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "S3BackupMode", &backup_mode));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "S3Configuration", &s3_configuration));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "ProcessingConfiguration", &processing));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "CloudWatchLoggingOptions", &logging));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "BufferingHints", &hints));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "SecretsManagerConfiguration", &secrets));

  if (!endpoint || endpoint->empty()) return Status::InvalidArgument("HECEndpoint is required");
  HYDRANT_RETURN_IF_ERROR(CheckHttpUrl("HECEndpoint", *endpoint));
  d.endpoint = std::move(*endpoint);
  if (!type) return Status::InvalidArgument("HECEndpointType is required");
  if (*type != "Raw" && *type != "Event") return Status::InvalidArgument("HECEndpointType must be Raw or Event");
  d.raw = *type == "Raw";
  d.token = token.value_or("");
  if (ack_timeout) {
    if (*ack_timeout < 180 || *ack_timeout > 600) {
      return Status::InvalidArgument("HECAcknowledgmentTimeoutInSeconds must be between 180 and 600");
    }
    d.ack_timeout_seconds = *ack_timeout;
  }
  if (retry) HYDRANT_RETURN_IF_ERROR(CheckRetryOptions(*retry, &d.retry_seconds));
  if (backup_mode && *backup_mode != "FailedEventsOnly" && *backup_mode != "AllEvents") {
    return Status::InvalidArgument("S3BackupMode must be FailedEventsOnly or AllEvents");
  }
  d.all_events = backup_mode == "AllEvents";
  if (!s3_configuration) return Status::InvalidArgument("S3Configuration is required");
  auto s3 = s3::Parse(*s3_configuration);
  if (!s3.ok()) return s3.status();
  d.s3 = std::move(*s3);
  if (processing) {
    auto processors = CheckProcessing(*processing, kProcessingPath);
    if (!processors.ok()) return processors.status();
    d.processing = std::move(*processors);
  }
  if (logging) HYDRANT_RETURN_IF_ERROR(CheckCloudWatchLogging(*logging));
  if (hints) {
    HYDRANT_RETURN_IF_ERROR(CheckBufferingHints(*hints, kMaxBufferMb, &d.buffering));
    if (d.buffering.interval_seconds > 60) {
      return Status::InvalidArgument("BufferingHints.IntervalInSeconds must be between 0 and 60");
    }
  }
  if (secrets) HYDRANT_RETURN_IF_ERROR(CheckSecretsManager(*secrets));
  if (d.token.empty()) return Status::InvalidArgument("HECToken is required (Secrets Manager is not supported)");
  return d;
}

Result<json::object> MergeUpdate(const json::object& stored, const json::object& update) {
  return MergeUpdateMembers(stored, update, kMembers, kUpdateMembers, kMergedMembers);
}

Status CheckChange(const SplunkDestination& before, const SplunkDestination& after) {
  if (before.all_events && !after.all_events) {
    return Status::InvalidArgument("S3BackupMode cannot be changed from AllEvents to FailedEventsOnly");
  }
  return s3::CheckChange(before.s3, after.s3);
}

json::object Describe(const json::object& stored, const SplunkDestination& parsed) {
  json::object out;
  out["HECEndpoint"] = parsed.endpoint;
  out["HECEndpointType"] = parsed.raw ? "Raw" : "Event";
  out["HECToken"] = parsed.token;
  out["HECAcknowledgmentTimeoutInSeconds"] = parsed.ack_timeout_seconds;
  out["RetryOptions"] = {{"DurationInSeconds", parsed.retry_seconds}};
  out["S3BackupMode"] = parsed.all_events ? "AllEvents" : "FailedEventsOnly";
  const json::object& s3_stored = stored.at("S3Configuration").as_object();
  out["S3DestinationDescription"] = s3::DescribeS3Destination(s3_stored, parsed.s3);
  const json::value* role = Find(s3_stored, "RoleARN");
  if (const json::value* processing = Find(stored, "ProcessingConfiguration"); processing && processing->is_object()) {
    out["ProcessingConfiguration"] = processor::DescribeProcessingConfiguration(
        processing->get_object(), role && role->is_string() ? std::string_view(role->get_string()) : "");
  }
  out["CloudWatchLoggingOptions"] = CloudWatchDescription(stored);
  out["BufferingHints"] = {{"IntervalInSeconds", parsed.buffering.interval_seconds},
                           {"SizeInMBs", parsed.buffering.size_mb}};
  if (const json::value* secrets = Find(stored, "SecretsManagerConfiguration"); secrets && secrets->is_object()) {
    out["SecretsManagerConfiguration"] = *secrets;
  }
  return json::object{{"SplunkDestinationDescription", std::move(out)}};
}

}  // namespace hydrant::destination::splunk
