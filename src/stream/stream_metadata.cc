// StreamMetadata persistence as a JSON document.
#include "stream/stream_metadata.h"

#include <boost/json.hpp>

#include "common/cipher.h"

namespace hydrant::stream {
namespace json = boost::json;

std::string StreamEncryption::TargetRef() const {
  if (status == "DISABLED" || status == "DISABLING") return "";
  return key_type == "CUSTOMER_MANAGED_CMK" ? key_arn : std::string(kOwnKeyRef);
}

std::string StreamMetadata::ToJsonText() const {
  json::object o;
  o["config"] = config.ToJson();
  o["version"] = version;
  o["create_millis"] = create_millis;
  if (last_update_millis) o["last_update_millis"] = *last_update_millis;
  json::array t;
  for (const auto& [k, v] : tags) t.push_back(json::array{json::string(k), json::string(v)});
  o["tags"] = std::move(t);
  if (encryption.status != "DISABLED" || !encryption.key_type.empty()) {
    o["encryption"] = json::object{{"status", encryption.status},
                                   {"key_type", encryption.key_type},
                                   {"key_arn", encryption.key_arn},
                                   {"failure_type", encryption.failure_type},
                                   {"failure_details", encryption.failure_details},
                                   {"key_ref", encryption.key_ref},
                                   {"change_millis", json::value_from(encryption.change_millis)}};
  }
  return json::serialize(o);
}

Result<StreamMetadata> StreamMetadata::FromJsonText(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Corruption("stream metadata is not a JSON object");
  try {
    const auto& o = v.as_object();
    auto config = StreamConfig::FromJson(o.at("config"));
    if (!config.ok()) return config.status();
    StreamMetadata m{std::move(*config)};
    m.version = o.at("version").to_number<int64_t>();
    m.create_millis = o.at("create_millis").to_number<int64_t>();
    if (auto* lu = o.if_contains("last_update_millis")) m.last_update_millis = lu->to_number<int64_t>();
    for (const auto& t : o.at("tags").as_array()) {
      m.tags.emplace_back(json::value_to<std::string>(t.as_array().at(0)),
                          json::value_to<std::string>(t.as_array().at(1)));
    }
    if (auto* e = o.if_contains("encryption")) {
      const auto& eo = e->as_object();
      auto get = [&](const char* name) { return json::value_to<std::string>(eo.at(name)); };
      m.encryption = StreamEncryption{.status = get("status"),
                                      .key_type = get("key_type"),
                                      .key_arn = get("key_arn"),
                                      .failure_type = get("failure_type"),
                                      .failure_details = get("failure_details"),
                                      .key_ref = get("key_ref")};
      if (auto* c = eo.if_contains("change_millis")) {
        m.encryption.change_millis = json::value_to<std::vector<int64_t>>(*c);
      }
    }
    return m;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("stream metadata: ") + e.what());
  }
}

}  // namespace hydrant::stream
