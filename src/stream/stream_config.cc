// StreamConfig: request parsing, the service's rules and defaults, UpdateDestination's merge,
// persistence.
#include "stream/stream_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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
// *DestinationUpdate) and its kind, which must be one Hydrant serves.
Result<std::pair<std::string_view, const destination::DestinationKind*>> DestinationOf(
    const json::object& request, bool update) {
  std::vector<std::pair<std::string_view, const destination::DestinationKind*>> present;
  std::vector<std::string_view> served;
  for (const auto& kind : destination::DestinationKinds()) {
    std::string_view member = update ? kind.update : kind.configuration;
    if (Find(request, member)) present.emplace_back(member, &kind);
    if (kind.operations) served.push_back(member);
  }
  if (present.size() != 1) return Status::InvalidArgument(std::string(kExactlyOneDestination));
  if (!present.front().second->operations) {
    return Unsupported(fmt::format("{} (this version serves {})", present.front().first,
                                   fmt::join(served, ", ")));
  }
  return present.front();
}

}  // namespace

Result<StreamConfig> StreamConfig::Build(std::string name, std::string type,
                                         const destination::KindOperations& kind, json::object stored,
                                         std::optional<json::object> source) {
  auto parsed = kind.parse(stored);
  if (!parsed.ok()) return parsed.status();
  StreamConfig config;
  config.name_ = std::move(name);
  config.type_ = std::move(type);
  config.stored_ = std::move(stored);
  config.destination_ = std::move(*parsed);
  config.source_ = std::move(source);
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
  // DeliveryStreamEncryptionConfigurationInput is the stream's encryption, not part of its
  // configuration: the Firehose handler takes it (StreamMetadata::encryption).

  auto destination_member = DestinationOf(request, /*update=*/false);
  if (!destination_member.ok()) return destination_member.status();
  const auto [given_member, kind] = *destination_member;
  const json::object* given;
  HYDRANT_RETURN_IF_ERROR(GetObject(request, given_member, &given));
  auto destination = kind->operations->from_create(*given, given_member);
  if (!destination.ok()) return destination.status();

  const json::object* source;
  const json::array* tags;
  HYDRANT_RETURN_IF_ERROR(GetObject(request, "DirectPutSourceConfiguration", &source));
  HYDRANT_RETURN_IF_ERROR(GetArray(request, "Tags", &tags));
  auto config = Build(std::move(*name), std::move(stream_type), *kind->operations, std::move(*destination),
                      source ? std::optional<json::object>(*source) : std::nullopt);
  if (config.ok() && tags) config->initial_tags_ = *tags;
  return config;
}

Result<StreamConfig> StreamConfig::ApplyUpdate(const json::object& update_request) const {
  auto given = DestinationOf(update_request, /*update=*/true);
  if (!given.ok()) return given.status();
  const auto [update_member, given_kind] = *given;
  if (given_kind->operations != destination_.kind) {
    // The service replaces a destination of another type (all its required members given).
    return Unsupported(fmt::format(
        "Changing the destination type with UpdateDestination ({} on a stream whose destination is "
        "{})",
        update_member, destination_member()));
  }
  const json::object* update;
  HYDRANT_RETURN_IF_ERROR(GetObject(update_request, update_member, &update));

  auto merged = kind().merge(stored_, *update, update_member);
  if (!merged.ok()) return merged.status();
  auto config = Build(name_, type_, kind(), std::move(*merged), source_);
  if (!config.ok()) return config;
  HYDRANT_RETURN_IF_ERROR(kind().check_change(destination_, config->destination_));
  config->initial_tags_ = initial_tags_;
  return config;
}

json::object StreamConfig::DescribeDestination() const {
  return kind().describe(stored_, destination_);
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
  out[destination_member()] = stored_;
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
  const json::object* source = nullptr;
  Status st = GetInt(stored, "format_version", &version);
  if (st.ok()) st = GetString(stored, "DeliveryStreamName", &name);
  if (st.ok()) st = GetString(stored, "DeliveryStreamType", &type);
  if (st.ok()) st = GetObject(stored, "DirectPutSourceConfiguration", &source);
  if (!st.ok()) return corrupt(st.message());
  if (version != kFormatVersion) return corrupt("unknown format_version");
  // Exactly one member names a kind's stored destination.
  const destination::KindOperations* kind = nullptr;
  const json::object* destination = nullptr;
  for (const auto& [key, value] : stored) {
    const destination::KindOperations* found = destination::KindStoredAs(key);
    if (!found) continue;
    if (kind || !value.is_object()) return corrupt("missing or unexpected members");
    kind = found;
    destination = &value.get_object();
  }
  if (!name || type != "DirectPut" || !kind) return corrupt("missing or unexpected members");
  auto config = Build(std::move(*name), std::move(*type), *kind, *destination,
                      source ? std::optional<json::object>(*source) : std::nullopt);
  if (!config.ok()) return corrupt(config.status().message());
  return config;
}

}  // namespace hydrant::stream
