// IAM policy grammar and evaluation.
#include "auth/policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace hydrant::auth {
namespace json = boost::json;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A string or a list of strings (IAM allows both wherever a list is expected).
Result<std::vector<std::string>> StringList(const json::value& value, const std::string& where) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.emplace_back(value.as_string());
    return out;
  }
  if (!value.is_array() || value.as_array().empty()) {
    return Status::InvalidArgument(where + " must be a string or a non-empty list of strings");
  }
  for (const json::value& item : value.as_array()) {
    if (item.is_string()) {
      out.emplace_back(item.as_string());
    } else if (item.is_bool() || item.is_number()) {  // "Bool": {"aws:SecureTransport": true}
      out.push_back(json::serialize(item));
    } else {
      return Status::InvalidArgument(where + " must hold strings only");
    }
  }
  return out;
}

// An IPv4 or IPv6 address, or a CIDR block, as the bytes of the address and a prefix length.
struct Network {
  int family = 0;
  unsigned char bytes[16] = {};
  int prefix = 0;
};

std::optional<Network> ParseNetwork(std::string_view text) {
  Network n;
  std::string address(text.substr(0, text.find('/')));
  if (inet_pton(AF_INET, address.c_str(), n.bytes) == 1) {
    n.family = AF_INET;
    n.prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), n.bytes) == 1) {
    n.family = AF_INET6;
    n.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    std::string digits(text.substr(slash + 1));
    char* end = nullptr;
    long prefix = std::strtol(digits.c_str(), &end, 10);
    if (digits.empty() || *end != '\0' || prefix < 0 || prefix > n.prefix) return std::nullopt;
    n.prefix = static_cast<int>(prefix);
  }
  return n;
}

bool InNetwork(const Network& network, const Network& address) {
  if (network.family != address.family) return false;
  int bits = network.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((network.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<double> Number(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') return std::nullopt;
  return v;
}

constexpr std::string_view kOperators[] = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "Bool", "IpAddress", "NotIpAddress", "ArnEquals",
    "ArnLike", "ArnNotEquals", "ArnNotLike", "Null"};

bool Negated(std::string_view op) {
  return op == "StringNotEquals" || op == "StringNotEqualsIgnoreCase" || op == "StringNotLike" ||
         op == "NumericNotEquals" || op == "NotIpAddress" || op == "ArnNotEquals" || op == "ArnNotLike";
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto same = [&](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<Policy> Policy::Parse(const json::value& document) {
  if (!document.is_object()) return Status::InvalidArgument("the policy must be a JSON object");
  const json::object& root = document.as_object();
  for (const auto& [name, value] : root) {
    if (name == "Version") {
      if (!value.is_string() || (value.as_string() != "2012-10-17" && value.as_string() != "2008-10-17")) {
        return Status::InvalidArgument("the policy's Version must be \"2012-10-17\" or \"2008-10-17\"");
      }
    } else if (name != "Statement" && name != "Id") {
      return Status::InvalidArgument("the policy has an unknown element '" + std::string(name) + "'");
    }
  }
  const json::value* statements = root.if_contains("Statement");
  if (!statements) return Status::InvalidArgument("the policy has no Statement");
  json::array list = statements->is_array() ? statements->as_array() : json::array{*statements};
  if (list.empty()) return Status::InvalidArgument("the policy's Statement is empty");
  Policy policy;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "Statement[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return Status::InvalidArgument(where + " must be an object");
    const json::object& s = list[i].as_object();
    Statement statement;
    bool has_effect = false, has_action = false, has_resource = false;
    for (const auto& [name, value] : s) {
      if (name == "Effect") {
        if (!value.is_string() || (value.as_string() != "Allow" && value.as_string() != "Deny")) {
          return Status::InvalidArgument(where + ".Effect must be \"Allow\" or \"Deny\"");
        }
        statement.allow = value.as_string() == "Allow";
        has_effect = true;
      } else if (name == "Action" || name == "NotAction") {
        if (has_action) return Status::InvalidArgument(where + " has both Action and NotAction");
        auto actions = StringList(value, where + "." + std::string(name));
        if (!actions.ok()) return actions.status();
        for (const std::string& a : *actions) {
          if (a != "*" && a.find(':') == std::string::npos) {
            return Status::InvalidArgument(where + ": action '" + a + "' must be <service>:<action>");
          }
        }
        statement.actions = std::move(*actions);
        statement.not_action = name == "NotAction";
        has_action = true;
      } else if (name == "Resource" || name == "NotResource") {
        if (has_resource) return Status::InvalidArgument(where + " has both Resource and NotResource");
        auto resources = StringList(value, where + "." + std::string(name));
        if (!resources.ok()) return resources.status();
        statement.resources = std::move(*resources);
        statement.not_resource = name == "NotResource";
        has_resource = true;
      } else if (name == "Condition") {
        if (!value.is_object()) return Status::InvalidArgument(where + ".Condition must be an object");
        for (const auto& [op_name, keys] : value.as_object()) {
          std::string op(op_name);
          bool if_exists = false;
          if (op.size() > 8 && op.compare(op.size() - 8, 8, "IfExists") == 0) {
            op.resize(op.size() - 8);
            if_exists = true;
          }
          if (std::find(std::begin(kOperators), std::end(kOperators), op) == std::end(kOperators)) {
            return Status::InvalidArgument(where + ": condition operator '" + std::string(op_name) +
                                           "' is not supported");
          }
          if (!keys.is_object()) return Status::InvalidArgument(where + ".Condition." + op + " must be an object");
          for (const auto& [key, values] : keys.as_object()) {
            json::value as_list = values.is_bool() || values.is_number() ? json::value(json::array{values}) : values;
            auto list_values = StringList(as_list, where + ".Condition." + op + "." + std::string(key));
            if (!list_values.ok()) return list_values.status();
            if (op == "IpAddress" || op == "NotIpAddress") {
              for (const std::string& v : *list_values) {
                if (!ParseNetwork(v)) return Status::InvalidArgument(where + ": '" + v + "' is not an IP address or CIDR block");
              }
            }
            statement.conditions.push_back({op, if_exists, Lower(key), std::move(*list_values)});
          }
        }
      } else if (name != "Sid" && name != "Principal" && name != "NotPrincipal") {
        return Status::InvalidArgument(where + " has an unknown element '" + std::string(name) + "'");
      }
    }
    if (!has_effect) return Status::InvalidArgument(where + " has no Effect");
    if (!has_action) return Status::InvalidArgument(where + " has no Action or NotAction");
    policy.statements_.push_back(std::move(statement));
  }
  return policy;
}

bool Policy::ConditionHolds(const Condition& c, const RequestContext& request) {
  auto it = request.keys.find(c.key);
  if (c.op == "Null") {  // "true": the key must be absent
    const bool absent = it == request.keys.end();
    return std::any_of(c.values.begin(), c.values.end(), [&](const std::string& v) { return (v == "true") == absent; });
  }
  if (it == request.keys.end()) return c.if_exists || Negated(c.op);
  const std::string& actual = it->second;
  const std::string& op = c.op;
  auto any = [&](auto predicate) { return std::any_of(c.values.begin(), c.values.end(), predicate); };
  if (op == "StringEquals") return any([&](const std::string& v) { return v == actual; });
  if (op == "StringNotEquals") return !any([&](const std::string& v) { return v == actual; });
  if (op == "StringEqualsIgnoreCase") return any([&](const std::string& v) { return Lower(v) == Lower(actual); });
  if (op == "StringNotEqualsIgnoreCase") return !any([&](const std::string& v) { return Lower(v) == Lower(actual); });
  if (op == "StringLike" || op == "ArnLike" || op == "ArnEquals") {
    return any([&](const std::string& v) { return WildcardMatch(v, actual, false); });
  }
  if (op == "StringNotLike" || op == "ArnNotLike" || op == "ArnNotEquals") {
    return !any([&](const std::string& v) { return WildcardMatch(v, actual, false); });
  }
  if (op == "Bool") return any([&](const std::string& v) { return Lower(v) == Lower(actual); });
  if (op == "IpAddress" || op == "NotIpAddress") {
    auto address = ParseNetwork(actual);
    bool in = address && any([&](const std::string& v) { return InNetwork(*ParseNetwork(v), *address); });
    return op == "IpAddress" ? in : !in;
  }
  auto number = Number(actual);
  if (!number) return Negated(op);
  auto compare = [&](auto predicate) {
    return any([&](const std::string& v) {
      auto limit = Number(v);
      return limit && predicate(*number, *limit);
    });
  };
  if (op == "NumericEquals") return compare([](double a, double b) { return a == b; });
  if (op == "NumericNotEquals") return !compare([](double a, double b) { return a == b; });
  if (op == "NumericLessThan") return compare([](double a, double b) { return a < b; });
  if (op == "NumericLessThanEquals") return compare([](double a, double b) { return a <= b; });
  if (op == "NumericGreaterThan") return compare([](double a, double b) { return a > b; });
  if (op == "NumericGreaterThanEquals") return compare([](double a, double b) { return a >= b; });
  return false;
}

bool Policy::Matches(const Statement& s, const RequestContext& request) {
  const bool action = std::any_of(s.actions.begin(), s.actions.end(), [&](const std::string& pattern) {
    return WildcardMatch(pattern, request.action, /*ignore_case=*/true);
  });
  if (action == s.not_action) return false;
  if (!s.resources.empty()) {
    const bool resource = std::any_of(s.resources.begin(), s.resources.end(), [&](const std::string& pattern) {
      return WildcardMatch(pattern, request.resource, /*ignore_case=*/false);
    });
    if (resource == s.not_resource) return false;
  }
  return std::all_of(s.conditions.begin(), s.conditions.end(),
                     [&](const Condition& c) { return ConditionHolds(c, request); });
}

Decision Policy::Evaluate(const RequestContext& request) const {
  bool allowed = false;
  for (const Statement& s : statements_) {
    if (!Matches(s, request)) continue;
    if (!s.allow) return Decision::kExplicitDeny;
    allowed = true;
  }
  return allowed ? Decision::kAllow : Decision::kImplicitDeny;
}

}  // namespace hydrant::auth
