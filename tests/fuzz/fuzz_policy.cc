// Fuzzes the IAM policy parser and evaluation: any bytes either are refused with a reason or
// parse into a policy that evaluates (wildcards, conditions, CIDR blocks) without crashing; a
// policy whose statements all deny never allows.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "auth/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hydrant::auth;
  boost::system::error_code ec;
  boost::json::value document = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  auto policy = Policy::Parse(document);
  if (!policy.ok()) {
    if (policy.status().message().empty()) abort();  // a refusal always says why
    return 0;
  }
  bool any_allow = false;
  if (const auto* statements = document.as_object().if_contains("Statement")) {
    auto allows = [](const boost::json::value& s) {
      return s.is_object() && s.as_object().if_contains("Effect") && *s.as_object().if_contains("Effect") == "Allow";
    };
    any_allow = statements->is_array()
                    ? std::any_of(statements->as_array().begin(), statements->as_array().end(), allows)
                    : allows(*statements);
  }
  for (std::string_view action : {"firehose:PutRecord", "s3:GetObject", "", "*"}) {
    for (std::string_view resource : {"arn:aws:firehose:us-east-1:123456789012:deliverystream/a", "*", ""}) {
      Decision d = policy->Evaluate({action, resource, {{"aws:sourceip", "192.0.2.1"}, {"aws:securetransport", "false"},
                                                         {"s3:prefix", "logs/"}, {"aws:username", "u"}}});
      if (d == Decision::kAllow && !any_allow) {
        fprintf(stderr, "a policy without an Allow statement allowed %.*s\n", int(action.size()), action.data());
        abort();
      }
    }
  }
  return 0;
}
