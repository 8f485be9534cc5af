// The parts of an AWS Signature Version 4 Authorization header that route and scope a request.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hydrant::api {

struct SigV4Credential {
  std::string access_key;
  std::string date;     // yyyymmdd
  std::string region;
  std::string service;  // "firehose", "s3", "lambda", ...
  std::string signed_headers;
  std::string signature;
};

// Parses "AWS4-HMAC-SHA256 Credential=AK/20261127/us-east-1/firehose/aws4_request,
// SignedHeaders=a;b, Signature=hex". Returns nullopt when the header is not well-formed.
std::optional<SigV4Credential> ParseSigV4Authorization(std::string_view header);

}  // namespace hydrant::api
