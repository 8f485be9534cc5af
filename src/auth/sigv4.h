// AWS Signature Version 4, verified as AWS verifies it: the Authorization header or a presigned
// URL's query parameters, the canonical request, the credential scope, the request time, the
// payload hash, and the chunk signatures of an aws-chunked body. S3 also takes presigned URLs of
// Signature Version 2 (AWSAccessKeyId, Expires, Signature), which `aws s3 presign` of the aws
// CLI v1 makes.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "auth/credentials.h"
#include "http/http_types.h"

namespace hydrant::auth {

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

// Why a request is not authenticated; each protocol turns it into its own error.
enum class Failure {
  kNone,
  kMissing,            // no Authorization header and no presigned query
  kIncomplete,         // a malformed Authorization header or presigned query
  kUnknownKey,         // the access key is not configured
  kBadToken,           // the key's session token is missing or wrong
  kWrongService,       // the credential scope names another service
  kWrongScopeDate,     // the scope's date is not the request's day
  kNoDate,             // neither X-Amz-Date nor Date
  kSkewed,             // the request time is more than 15 minutes away
  kExpired,            // a presigned URL past its X-Amz-Expires (or not valid yet)
  kBadSignature,       // the signature does not match
  kBadChunkSignature,  // a chunk of an aws-chunked body has a wrong signature
  kBadChunkEncoding,   // an aws-chunked body that cannot be read
};

struct Verdict {
  Failure failure = Failure::kNone;
  std::string message;                     // the detail the protocol's message quotes
  const Credential* credential = nullptr;  // the key, once found
  std::string access_key;                  // as the request gave it
  std::string canonical_request;           // as computed here (SignatureDoesNotMatch shows them)
  std::string string_to_sign;
  std::string signature_provided;
  std::string request_time;                // X-Amz-Date as given
  std::string expires;                     // a presigned URL's X-Amz-Expires
  bool ok() const { return failure == Failure::kNone; }
};

// The 15 minutes AWS allows between a request's time and the server's.
constexpr int64_t kMaxSkewMillis = 15 * 60 * 1000;

// Thread-safe. The store outlives this.
class SigV4Verifier {
 public:
  explicit SigV4Verifier(const CredentialStore* store) : store_(store) {}

  // Verifies `request` as a request to `service` ("firehose", "s3", "lambda"). S3's canonical
  // URI is the path as sent; the others' is that path encoded once more, as their SDKs sign it.
  // The payload hash is S3's x-amz-content-sha256 as given (s3/ checks it against the body) and
  // the body's own hash for the others.
  Verdict Verify(const http::HttpRequest& request, std::string_view service, int64_t now_millis) const;

 private:
  Verdict VerifyChunks(const http::HttpRequest& request, const std::string& key, const std::string& amz_date,
                       const std::string& scope, const std::string& seed_signature, Verdict verdict) const;
  // kSigning for (secret, date, region, service), derived once per key and day.
  std::string SigningKey(const Credential& credential, std::string_view date, std::string_view region,
                         std::string_view service) const;

  const CredentialStore* store_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::string, std::less<>> signing_keys_;
};

// "20261206T101653Z" for epoch milliseconds.
std::string AmzDate(int64_t millis);

}  // namespace hydrant::auth
