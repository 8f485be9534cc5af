// Callers and their policies.
#include "auth/authenticator.h"

namespace hydrant::auth {

std::string Caller::UserArn() const {
  const std::string& user = credential_->user.empty() ? credential_->access_key_id : credential_->user;
  return "arn:aws:iam::" + account_id_ + ":user/" + user;
}

std::optional<std::string> Caller::Denied(std::string_view action, std::string_view resource,
                                          std::map<std::string, std::string> keys) const {
  if (!credential_->policy) return std::nullopt;
  keys["aws:sourceip"] = source_ip_;
  keys["aws:securetransport"] = secure_transport_ ? "true" : "false";
  keys["aws:username"] = credential_->user.empty() ? credential_->access_key_id : credential_->user;
  keys["aws:userid"] = credential_->access_key_id;
  const Decision decision = credential_->policy->Evaluate({action, resource, std::move(keys)});
  if (decision == Decision::kAllow) return std::nullopt;
  std::string message = "User: " + UserArn() + " is not authorized to perform: " + std::string(action) +
                        " on resource: " + std::string(resource);
  if (decision == Decision::kExplicitDeny) return message + " with an explicit deny in an identity-based policy";
  return message + " because no identity-based policy allows the " + std::string(action) + " action";
}

Caller Authenticator::CallerOf(const Verdict& verdict, const http::HttpRequest& request, bool secure_transport) const {
  // "203.0.113.5:41234" or "2001:db8::1:41234": the address is before the last colon.
  std::string_view remote = request.remote;
  std::string_view address = remote.substr(0, remote.rfind(':'));
  return Caller(verdict.credential, account_id_, std::string(address), secure_transport);
}

}  // namespace hydrant::auth
