// Rules every non-S3 destination's configuration shares.
#include "destination/destination_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/config_fields.h"
#include "processor/processing_config.h"

namespace hydrant::destination {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetArray;
using config::GetBool;
using config::GetInt;
using config::GetString;

constexpr int64_t kMaxRetrySeconds = 7200;

Status CheckBufferingHints(const json::object& hints, int64_t max_mb, s3::BufferingHints* out) {
  std::optional<int64_t> size, interval;
  HYDRANT_RETURN_IF_ERROR(GetInt(hints, "SizeInMBs", &size));
  HYDRANT_RETURN_IF_ERROR(GetInt(hints, "IntervalInSeconds", &interval));
  // The model validator enforces these ranges; repeated so the runtime never sees a 0 MB buffer.
  if (size && (*size < 1 || *size > max_mb)) {
    return Status::InvalidArgument(fmt::format("BufferingHints.SizeInMBs must be between 1 and {}", max_mb));
  }
  if (interval && (*interval < 0 || *interval > 900)) {
    return Status::InvalidArgument("BufferingHints.IntervalInSeconds must be between 0 and 900");
  }
  if (size) out->size_mb = *size;
  if (interval) out->interval_seconds = *interval;
  return Status::Ok();
}

Status CheckRetryOptions(const json::object& retry, int64_t* seconds) {
  std::optional<int64_t> duration;
  HYDRANT_RETURN_IF_ERROR(GetInt(retry, "DurationInSeconds", &duration));
  if (duration && (*duration < 0 || *duration > kMaxRetrySeconds)) {
    return Status::InvalidArgument(
        fmt::format("RetryOptions.DurationInSeconds must be between 0 and {}", kMaxRetrySeconds));
  }
  if (duration) *seconds = *duration;
  return Status::Ok();
}

Status CheckCloudWatchLogging(const json::object& logging) {
  std::optional<bool> enabled;
  std::optional<std::string> group, stream;
  HYDRANT_RETURN_IF_ERROR(GetBool(logging, "Enabled", &enabled));
  HYDRANT_RETURN_IF_ERROR(GetString(logging, "LogGroupName", &group));
  HYDRANT_RETURN_IF_ERROR(GetString(logging, "LogStreamName", &stream));
  if (enabled.value_or(false) && (group.value_or("").empty() || stream.value_or("").empty())) {
    return Status::InvalidArgument(
        "CloudWatchLoggingOptions: LogGroupName and LogStreamName are required when CloudWatch "
        "logging is enabled");
  }
  return Status::Ok();
}

Result<std::optional<json::object>> CheckProcessing(const json::object& processing, std::string_view member_path) {
  std::optional<bool> enabled;
  const json::array* processors = nullptr;
  HYDRANT_RETURN_IF_ERROR(GetBool(processing, "Enabled", &enabled));
  HYDRANT_RETURN_IF_ERROR(GetArray(processing, "Processors", &processors));
  if (!processors || processors->empty() || !enabled.value_or(true)) return std::optional<json::object>();
  processor::ValidationContext context;
  context.member_path = member_path;
  context.dynamic_partitioning_enabled = false;
  HYDRANT_RETURN_IF_ERROR(processor::ValidateProcessingConfiguration(processing, context));
  return std::optional<json::object>(processing);
}

Result<json::object> StoreCreateMembers(const json::object& given, std::span<const std::string_view> members) {
  json::object destination;
  CopyMembers(given, members, &destination);
  const json::object* hints;
  HYDRANT_RETURN_IF_ERROR(config::GetObject(destination, "BufferingHints", &hints));
  if (hints && (Find(*hints, "SizeInMBs") == nullptr) != (Find(*hints, "IntervalInSeconds") == nullptr)) {
    return Status::InvalidArgument(
        "BufferingHints: if you specify a value for one of SizeInMBs and IntervalInSeconds, you "
        "must also provide a value for the other");
  }
  const json::object* s3_configuration;
  HYDRANT_RETURN_IF_ERROR(config::GetObject(destination, "S3Configuration", &s3_configuration));
  if (s3_configuration) {
    auto s3 = s3::FromCreateRequest(*s3_configuration, /*legacy=*/true);
    if (!s3.ok()) return s3.status();
    destination["S3Configuration"] = std::move(*s3);
  }
  return destination;
}

Result<json::object> MergeUpdateMembers(const json::object& stored, const json::object& update,
                                        std::span<const std::string_view> members,
                                        std::span<const std::string_view> updatable,
                                        std::span<const std::string_view> member_wise) {
  json::object merged = stored;
  for (std::string_view key : updatable) {
    const json::value* value = Find(update, key);
    if (!value || value->is_null()) continue;
    const json::value* old = Find(merged, key);
    const bool merge = std::find(member_wise.begin(), member_wise.end(), key) != member_wise.end();
    if (merge && value->is_object() && old && old->is_object()) {
      config::MergeInto(value->get_object(), &merged[key].get_object());
    } else {
      merged[key] = *value;
    }
  }
  const json::object* s3_update;
  HYDRANT_RETURN_IF_ERROR(config::GetObject(update, "S3Update", &s3_update));
  if (s3_update) {
    const json::object* s3_stored;
    HYDRANT_RETURN_IF_ERROR(config::GetObject(merged, "S3Configuration", &s3_stored));
    auto s3 = s3::MergeUpdate(s3_stored ? *s3_stored : json::object(), *s3_update, /*legacy=*/true);
    if (!s3.ok()) return s3.status();
    merged["S3Configuration"] = std::move(*s3);
  }
  json::object ordered;
  CopyMembers(merged, members, &ordered);
  return ordered;
}

Status CheckHttpUrl(std::string_view member, std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument(std::string(member) + " must start with https:// or http://");
  }
  if (rest.empty() || rest.find_first_of("/?#") == 0) {
    return Status::InvalidArgument(std::string(member) + " must name a host after its scheme");
  }
  return Status::Ok();
}

Status CheckSecretsManager(const json::object& secrets) {
  std::optional<bool> enabled;
  HYDRANT_RETURN_IF_ERROR(config::GetBool(secrets, "Enabled", &enabled));
  if (!enabled) return Status::InvalidArgument("SecretsManagerConfiguration.Enabled is required");
  if (*enabled) {
    return config::Unsupported("Secrets Manager authentication (SecretsManagerConfiguration with Enabled true)");
  }
  return Status::Ok();
}

json::object CloudWatchDescription(const json::object& destination) {
  json::object out;
  const json::object* options = nullptr;
  if (const json::value* given = Find(destination, "CloudWatchLoggingOptions"); given && given->is_object()) {
    options = &given->get_object();
  }
  const json::value* enabled = options ? Find(*options, "Enabled") : nullptr;
  out["Enabled"] = enabled ? *enabled : json::value(false);
  if (options) {
    CopyMembers(*options, std::array<std::string_view, 2>{"LogGroupName", "LogStreamName"}, &out);
  }
  return out;
}

}  // namespace hydrant::destination
