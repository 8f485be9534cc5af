// IAM policy documents, evaluated as IAM evaluates an identity policy: default deny, an explicit
// Deny wins over any Allow; Action / NotAction and Resource / NotResource with `*` and `?`
// wildcards (action names case-insensitive); Condition blocks with the common operators.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::auth {

// What a request asks for: the action ("firehose:PutRecord"), the resource's ARN, and the
// condition keys the request has (lower-case names: "aws:sourceip", "aws:securetransport",
// "aws:username", "s3:prefix", ...).
struct RequestContext {
  std::string_view action;
  std::string_view resource;
  std::map<std::string, std::string> keys;
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };

class Policy {
 public:
  // The document's grammar (Version, Statement[{Sid, Effect, Principal, Action, NotAction,
  // Resource, NotResource, Condition}]); kInvalidArgument naming what is wrong. Principal is
  // accepted (resource policies such as a bucket policy parse) and not used.
  static Result<Policy> Parse(const boost::json::value& document);

  Decision Evaluate(const RequestContext& request) const;

 private:
  struct Condition {
    std::string op;   // without IfExists
    bool if_exists = false;
    std::string key;  // lower case
    std::vector<std::string> values;
  };
  struct Statement {
    bool allow = false;
    bool not_action = false;
    std::vector<std::string> actions;
    bool not_resource = false;
    std::vector<std::string> resources;  // empty with no Resource (bucket policies)
    std::vector<Condition> conditions;
  };
  static bool Matches(const Statement& statement, const RequestContext& request);
  static bool ConditionHolds(const Condition& condition, const RequestContext& request);

  std::vector<Statement> statements_;
};

// `pattern` with `*` (any run, also empty) and `?` (one character) against `text`.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace hydrant::auth
