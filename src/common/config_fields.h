// Typed access to the members of a JSON request or stored configuration, shared by every
// configuration parser (streams, destinations). A member that is absent and one that is JSON
// null are the same thing on the wire. A member of the wrong JSON type is kMalformed
// (SerializationException), which the API model validator normally reports first.
#pragma once

#include <array>
#include <span>
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::config {

// A member, or nullptr when absent or null.
const boost::json::value* Find(const boost::json::object& object, std::string_view key);

Status GetString(const boost::json::object& object, std::string_view key, std::optional<std::string>* out);
Status GetInt(const boost::json::object& object, std::string_view key, std::optional<int64_t>* out);
Status GetBool(const boost::json::object& object, std::string_view key, std::optional<bool>* out);
Status GetObject(const boost::json::object& object, std::string_view key, const boost::json::object** out);
Status GetArray(const boost::json::object& object, std::string_view key, const boost::json::array** out);

// The present members of `names` in `source`, copied into `out` in the order of `names`.
inline void CopyMembers(const boost::json::object& source, std::span<const std::string_view> names,
                        boost::json::object* out) {
  for (std::string_view name : names) {
    if (const boost::json::value* v = Find(source, name)) (*out)[name] = *v;
  }
}

// The members of `names` present in `request`.
template <size_t N>
std::vector<std::string_view> Present(const boost::json::object& request,
                                      const std::array<std::string_view, N>& names) {
  std::vector<std::string_view> present;
  for (std::string_view name : names) {
    if (Find(request, name)) present.push_back(name);
  }
  return present;
}

// `patch` merged into `target` member by member, recursing into structures; null members of
// the patch change nothing.
void MergeInto(const boost::json::object& patch, boost::json::object* target);

// kInvalidArgument "<feature> is not supported by this version of Hydrant yet".
Status Unsupported(std::string_view feature);

}  // namespace hydrant::config
