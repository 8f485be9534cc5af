// Fuzzes the SigV4 Authorization header parser the router uses to tell Firehose, Lambda and S3
// requests apart. An accepted header must re-parse to the same fields from its canonical form.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/sigv4.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hydrant::auth::ParseSigV4Authorization;
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseSigV4Authorization(header);
  if (!parsed) return 0;
  const auto& c = *parsed;
  if (c.access_key.empty() || c.date.size() != 8 || c.region.empty() || c.service.empty() ||
      c.signed_headers.empty() || c.signature.empty()) {
    fprintf(stderr, "accepted a header with an empty or short field\n");
    abort();
  }
  std::string canonical = "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + c.date + "/" + c.region +
                          "/" + c.service + "/aws4_request, SignedHeaders=" + c.signed_headers +
                          ", Signature=" + c.signature;
  auto again = ParseSigV4Authorization(canonical);
  if (!again || again->access_key != c.access_key || again->date != c.date || again->region != c.region ||
      again->service != c.service || again->signed_headers != c.signed_headers ||
      again->signature != c.signature) {
    fprintf(stderr, "canonical form does not re-parse the same: %s\n", canonical.c_str());
    abort();
  }
  return 0;
}
