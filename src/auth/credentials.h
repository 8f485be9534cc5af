// The credentials a server accepts: access key id, secret, optional session token, and the
// key's policy. Read from the config file (`credentials:`) or a file of their own
// (`credentials_file:`), so secrets can stay out of the main config.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.h"
#include "common/status.h"

namespace hydrant::auth {

struct Credential {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;   // "" = none; else requests must carry it (X-Amz-Security-Token)
  std::string user;            // the IAM user name in messages; "" = the access key id
  std::shared_ptr<const Policy> policy;  // the key's IAM policy; null = everything allowed
};

// Thread-safe once built (read-only).
class CredentialStore {
 public:
  CredentialStore() = default;
  explicit CredentialStore(std::vector<Credential> credentials);

  // The `credentials:` list: each a mapping with access_key_id, secret_access_key and
  // optionally session_token, user and policy (a document, or a string holding one).
  static Result<std::vector<Credential>> Parse(const boost::json::value& list);

  bool empty() const { return by_key_.empty(); }
  const Credential* Find(std::string_view access_key_id) const;

 private:
  std::map<std::string, Credential, std::less<>> by_key_;
};

}  // namespace hydrant::auth
