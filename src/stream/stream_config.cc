// StreamConfig: request parsing, the service's rules and defaults, UpdateDestination's merge,
// persistence.
#include "stream/stream_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "common/config_fields.h"
#include "destination/registry.h"

namespace hydrant::stream {
namespace {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetArray;
using config::GetInt;
using config::GetObject;
using config::GetString;
using config::Unsupported;

constexpr int64_t kFormatVersion = 1;
// moto's text for this rule; the real service's wording is not on record.
constexpr std::string_view kExactlyOneDestination =
    "Exactly one destination configuration is supported for a Firehose";

// The one destination member of `request` (a *DestinationConfiguration, or with `update` a
// *DestinationUpdate); its kind must be one Hydrant serves.
Result<std::string_view> DestinationOf(const json::object& request, bool update) {
  std::vector<std::pair<std::string_view, const destination::DestinationKind*>> present;
  for (const auto& kind : destination::DestinationKinds()) {
    std::string_view member = update ? kind.update : kind.configuration;
    if (Find(request, member)) present.emplace_back(member, &kind);
  }
  if (present.size() != 1) return Status::InvalidArgument(std::string(kExactlyOneDestination));
  if (present.front().second->folder != "s3") {
    return Unsupported(fmt::format(
        "{} (this version delivers to Amazon S3 only: S3Destination{} or ExtendedS3Destination{})",
        present.front().first, update ? "Update" : "Configuration", update ? "Update" : "Configuration"));
  }
  return present.front().first;
}

}  // namespace

Result<StreamConfig> StreamConfig::Build(std::string name, std::string type,
                                         json::object destination,
                                         std::optional<json::object> source) {
  auto s3 = destination::s3::Parse(destination);
  if (!s3.ok()) return s3.status();
  StreamConfig config;
  config.name_ = std::move(name);
  config.type_ = std::move(type);
  config.destination_ = std::move(destination);
  config.source_ = std::move(source);
  config.s3_ = std::move(s3).value();
  return config;
}

Result<StreamConfig> StreamConfig::FromCreateRequest(const json::object& request) {
  std::optional<std::string> name, type;
  HYDRANT_RETURN_IF_ERROR(GetString(request, "DeliveryStreamName", &name));
  HYDRANT_RETURN_IF_ERROR(GetString(request, "DeliveryStreamType", &type));
  if (!name) return Status::InvalidArgument("DeliveryStreamName is required");
  std::string stream_type = type.value_or("DirectPut");
  if (stream_type != "DirectPut") {
    return Unsupported(fmt::format(
        "DeliveryStreamType {} (this version accepts DirectPut streams only)", stream_type));
  }
  // The first text is moto's, which matches the service's style; the other two follow it.
  if (Find(request, "KinesisStreamSourceConfiguration")) {
    return Status::InvalidArgument(
        "KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type");
  }
  if (Find(request, "MSKSourceConfiguration")) {
    return Status::InvalidArgument(
        "MSKSourceConfiguration is only applicable for MSKAsSource stream type");
  }
  if (Find(request, "DatabaseSourceConfiguration")) {
    return Status::InvalidArgument(
        "DatabaseSourceConfiguration is only applicable for DatabaseAsSource stream type");
  }
  if (Find(request, "DeliveryStreamEncryptionConfigurationInput")) {
    return Unsupported(
        "Server-side encryption of the stream (DeliveryStreamEncryptionConfigurationInput)");
  }

  auto destination_member = DestinationOf(request, /*update=*/false);
  if (!destination_member.ok()) return destination_member.status();
  const std::string_view kind = *destination_member;
  const bool legacy = kind == "S3DestinationConfiguration";
  const json::object* given;
  HYDRANT_RETURN_IF_ERROR(GetObject(request, kind, &given));
  auto destination = destination::s3::FromCreateRequest(*given, legacy);
  if (!destination.ok()) return destination.status();

  const json::object* source;
  const json::array* tags;
  HYDRANT_RETURN_IF_ERROR(GetObject(request, "DirectPutSourceConfiguration", &source));
  HYDRANT_RETURN_IF_ERROR(GetArray(request, "Tags", &tags));
  auto config = Build(std::move(*name), std::move(stream_type), std::move(*destination),
                      source ? std::optional<json::object>(*source) : std::nullopt);
  if (config.ok() && tags) config->initial_tags_ = *tags;
  return config;
}

Result<StreamConfig> StreamConfig::ApplyUpdate(const json::object& update_request) const {
  auto destination_member = DestinationOf(update_request, /*update=*/true);
  if (!destination_member.ok()) return destination_member.status();
  const std::string_view kind = *destination_member;
  const bool legacy = kind == "S3DestinationUpdate";
  const json::object* update;
  HYDRANT_RETURN_IF_ERROR(GetObject(update_request, kind, &update));

  auto merged = destination::s3::MergeUpdate(destination_, *update, legacy);
  if (!merged.ok()) return merged.status();
  auto config = Build(name_, type_, std::move(*merged), source_);
  if (config.ok()) HYDRANT_RETURN_IF_ERROR(destination::s3::CheckChange(s3_, config->s3_));
  if (config.ok()) config->initial_tags_ = initial_tags_;
  return config;
}

json::object StreamConfig::DescribeDestination() const {
  return destination::s3::Describe(destination_, s3_);
}

std::optional<json::object> StreamConfig::DescribeSource() const {
  if (!source_) return std::nullopt;
  return json::object{{"DirectPutSourceDescription", *source_}};
}

json::value StreamConfig::ToJson() const {
  json::object out;
  out["format_version"] = kFormatVersion;
  out["DeliveryStreamName"] = name_;
  out["DeliveryStreamType"] = type_;
  if (source_) out["DirectPutSourceConfiguration"] = *source_;
  out["ExtendedS3DestinationConfiguration"] = destination_;
  return out;
}

Result<StreamConfig> StreamConfig::FromJson(const json::value& json) {
  auto corrupt = [](std::string_view why) {
    return Status::Corruption(fmt::format("stored stream config: {}", why));
  };
  if (!json.is_object()) return corrupt("not a JSON object");
  const json::object& stored = json.get_object();
  std::optional<int64_t> version;
  std::optional<std::string> name, type;
  const json::object *destination = nullptr, *source = nullptr;
  Status st = GetInt(stored, "format_version", &version);
  if (st.ok()) st = GetString(stored, "DeliveryStreamName", &name);
  if (st.ok()) st = GetString(stored, "DeliveryStreamType", &type);
  if (st.ok()) st = GetObject(stored, "ExtendedS3DestinationConfiguration", &destination);
  if (st.ok()) st = GetObject(stored, "DirectPutSourceConfiguration", &source);
  if (!st.ok()) return corrupt(st.message());
  if (version != kFormatVersion) return corrupt("unknown format_version");
  if (!name || type != "DirectPut" || !destination) return corrupt("missing or unexpected members");
  auto config = Build(std::move(*name), std::move(*type), *destination,
                      source ? std::optional<json::object>(*source) : std::nullopt);
  if (!config.ok()) return corrupt(config.status().message());
  return config;
}

}  // namespace hydrant::stream
