// Typed JSON member access for configuration parsers.
#include "common/config_fields.h"

#include <fmt/format.h>

namespace hydrant::config {

namespace json = boost::json;

const json::value* Find(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() || it->value().is_null() ? nullptr : &it->value();
}

Status GetString(const json::object& object, std::string_view key, std::optional<std::string>* out) {
  out->reset();
  const json::value* v = Find(object, key);
  if (!v) return Status::Ok();
  if (!v->is_string()) return Status::Malformed(fmt::format("{} must be a string", key));
  *out = std::string(v->get_string());
  return Status::Ok();
}

Status GetInt(const json::object& object, std::string_view key, std::optional<int64_t>* out) {
  out->reset();
  const json::value* v = Find(object, key);
  if (!v) return Status::Ok();
  boost::system::error_code ec;
  int64_t n = v->to_number<int64_t>(ec);
  if (ec) return Status::Malformed(fmt::format("{} must be an integer", key));
  *out = n;
  return Status::Ok();
}

Status GetBool(const json::object& object, std::string_view key, std::optional<bool>* out) {
  out->reset();
  const json::value* v = Find(object, key);
  if (!v) return Status::Ok();
  if (!v->is_bool()) return Status::Malformed(fmt::format("{} must be a boolean", key));
  *out = v->get_bool();
  return Status::Ok();
}

Status GetObject(const json::object& object, std::string_view key, const json::object** out) {
  *out = nullptr;
  const json::value* v = Find(object, key);
  if (!v) return Status::Ok();
  if (!v->is_object()) return Status::Malformed(fmt::format("{} must be a structure", key));
  *out = &v->get_object();
  return Status::Ok();
}

Status GetArray(const json::object& object, std::string_view key, const json::array** out) {
  *out = nullptr;
  const json::value* v = Find(object, key);
  if (!v) return Status::Ok();
  if (!v->is_array()) return Status::Malformed(fmt::format("{} must be a list", key));
  *out = &v->get_array();
  return Status::Ok();
}

void MergeInto(const json::object& patch, json::object* target) {
  for (const auto& [key, value] : patch) {
    if (value.is_null()) continue;
    json::value& slot = (*target)[key];
    if (value.is_object() && slot.is_object()) {
      MergeInto(value.get_object(), &slot.get_object());
    } else {
      slot = value;
    }
  }
}

Status Unsupported(std::string_view feature) {
  return Status::InvalidArgument(fmt::format("{} is not supported by this version of Hydrant yet", feature));
}

}  // namespace hydrant::config
