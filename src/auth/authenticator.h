// Authenticator: who sent a request (its SigV4 signature over the configured credentials) and
// what that key's policy lets it do. The router asks it about every request when credentials
// are configured; the protocol handlers ask the Caller it returns about each action.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "http/http_types.h"

namespace hydrant::auth {

// The verified sender of one request.
class Caller {
 public:
  Caller(const Credential* credential, std::string account_id, std::string source_ip, bool secure_transport)
      : credential_(credential),
        account_id_(std::move(account_id)),
        source_ip_(std::move(source_ip)),
        secure_transport_(secure_transport) {}

  // nullopt when the key's policy allows `action` on `resource`; else the services' message
  // "User: <arn> is not authorized to perform: <action> on resource: <resource> because ...".
  // `keys`: the action's own condition keys (lower-case names, e.g. "s3:prefix"); aws:SourceIp,
  // aws:SecureTransport, aws:username and aws:userid are added here.
  std::optional<std::string> Denied(std::string_view action, std::string_view resource,
                                    std::map<std::string, std::string> keys = {}) const;
  // arn:aws:iam::<account>:user/<user name or access key id>
  std::string UserArn() const;

 private:
  const Credential* credential_;
  std::string account_id_;
  std::string source_ip_;
  bool secure_transport_;
};

// Thread-safe; built once at start.
class Authenticator {
 public:
  Authenticator(CredentialStore store, std::string account_id)
      : store_(std::move(store)), verifier_(&store_), account_id_(std::move(account_id)) {}

  bool enabled() const { return !store_.empty(); }
  Verdict Verify(const http::HttpRequest& request, std::string_view service, int64_t now_millis) const {
    return verifier_.Verify(request, service, now_millis);
  }
  // The caller of a request whose verdict is ok.
  Caller CallerOf(const Verdict& verdict, const http::HttpRequest& request, bool secure_transport) const;
  // The caller of a request made as `credential` by other means (a console session).
  Caller CallerOf(const Credential* credential, const http::HttpRequest& request, bool secure_transport) const {
    Verdict verdict;
    verdict.credential = credential;
    return CallerOf(verdict, request, secure_transport);
  }
  const CredentialStore& credentials() const { return store_; }

 private:
  const CredentialStore store_;
  const SigV4Verifier verifier_;
  const std::string account_id_;
};

}  // namespace hydrant::auth
