// Credential lists: parsing and lookup.
#include "auth/credentials.h"

namespace hydrant::auth {

namespace json = boost::json;

CredentialStore::CredentialStore(std::vector<Credential> credentials) {
  for (Credential& c : credentials) {
    std::string key = c.access_key_id;
    by_key_.emplace(std::move(key), std::move(c));
  }
}

const Credential* CredentialStore::Find(std::string_view access_key_id) const {
  auto it = by_key_.find(access_key_id);
  return it == by_key_.end() ? nullptr : &it->second;
}

Result<std::vector<Credential>> CredentialStore::Parse(const json::value& list) {
  if (!list.is_array()) return Status::InvalidArgument("credentials must be a list");
  std::vector<Credential> out;
  for (size_t i = 0; i < list.as_array().size(); ++i) {
    const json::value& item = list.as_array()[i];
    const std::string where = "credentials[" + std::to_string(i) + "]";
    if (!item.is_object()) return Status::InvalidArgument(where + " must be a mapping");
    const json::object& o = item.as_object();
    Credential c;
    for (const json::key_value_pair& member : o) {
      const std::string_view name = member.key();
      const json::value& value = member.value();
      auto text = [&](std::string* into) -> Status {
        if (!value.is_string()) return Status::InvalidArgument(where + "." + std::string(name) + " must be a string");
        *into = value.as_string();
        return Status::Ok();
      };
      if (name == "access_key_id") {
        HYDRANT_RETURN_IF_ERROR(text(&c.access_key_id));
      } else if (name == "secret_access_key") {
        HYDRANT_RETURN_IF_ERROR(text(&c.secret_access_key));
      } else if (name == "session_token") {
        HYDRANT_RETURN_IF_ERROR(text(&c.session_token));
      } else if (name == "user") {
        HYDRANT_RETURN_IF_ERROR(text(&c.user));
      } else if (name == "policy") {
        json::value document = value;
        if (value.is_string()) {
          boost::system::error_code ec;
          document = json::parse(value.as_string(), ec);
          if (ec) return Status::InvalidArgument(where + ".policy is not a JSON document: " + ec.message());
        }
        auto policy = Policy::Parse(document);
        if (!policy.ok()) return Status::InvalidArgument(where + ".policy: " + policy.status().message());
        c.policy = std::make_shared<const Policy>(std::move(*policy));
      } else {
        return Status::InvalidArgument(where + ": unknown setting '" + std::string(name) + "'");
      }
    }
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return Status::InvalidArgument(where + " needs access_key_id and secret_access_key");
    }
    for (const Credential& other : out) {
      if (other.access_key_id == c.access_key_id) {
        return Status::InvalidArgument(where + ": access key " + c.access_key_id + " is listed twice");
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace hydrant::auth
