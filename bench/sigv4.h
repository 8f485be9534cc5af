// AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing, as the load generator's client side.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace hydrant::bench {

// Lowercase hex SHA-256 of the concatenation of `parts` (a body assembled from pieces is hashed
// without being copied into one buffer).
std::string Sha256Hex(std::initializer_list<std::string_view> parts);
inline std::string Sha256Hex(std::string_view data) { return Sha256Hex({data}); }

// "YYYYMMDDTHHMMSSZ" (the X-Amz-Date format) for a UTC time in seconds since the epoch.
std::string AmzDate(int64_t epoch_seconds);

// One header that takes part in the signature.
struct SignedHeader {
  std::string_view name;   // lowercase, e.g. "x-amz-date"
  std::string_view value;  // as sent; surrounding blanks are trimmed and inner runs collapsed
};

// What a signature covers. The caller supplies the request exactly as it goes on the wire.
struct SigV4Request {
  std::string_view method;           // "POST", "PUT", "GET"
  std::string_view canonical_uri;    // the path as sent (already percent-encoded), e.g. "/"
  std::string_view canonical_query;  // already canonical (encoded, sorted pairs) or empty
  // Sorted by name; must include "host" (with ":port" when the request has one) and
  // "x-amz-date" whose value equals the `amz_date` given to Authorization().
  std::span<const SignedHeader> headers;
  std::string_view payload_hash;  // Sha256Hex(body), or the x-amz-content-sha256 value
};

// Computes Authorization header values for one access key, region and service.
// Not thread-safe (it caches the derived signing key per date): use one signer per thread.
class SigV4Signer {
 public:
  SigV4Signer(std::string access_key, std::string secret_key, std::string region,
              std::string service);

  // The full Authorization header value:
  // "AWS4-HMAC-SHA256 Credential=AK/YYYYMMDD/region/service/aws4_request, SignedHeaders=..., Signature=<hex>".
  // `amz_date` is "YYYYMMDDTHHMMSSZ"; its first 8 characters are the credential scope date.
  std::string Authorization(const SigV4Request& request, std::string_view amz_date);

  // The canonical request string (step 1 of the algorithm); exposed for tests and debugging.
  static std::string CanonicalRequest(const SigV4Request& request);

 private:
  void DeriveKey(std::string_view date);

  std::string access_key_;
  std::string secret_key_;
  std::string region_;
  std::string service_;
  std::string key_date_;                  // date the cached key was derived for
  std::array<unsigned char, 32> key_{};  // HMAC chain result for key_date_
};

}  // namespace hydrant::bench
