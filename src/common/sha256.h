// SHA-256 and HMAC-SHA256 (OpenSSL) in the forms SigV4 uses: hex digests and raw HMAC keys.
#pragma once

#include <string>
#include <string_view>

namespace hydrant {

// Lower-case hex of `bytes`.
std::string Hex(std::string_view bytes);
// Lower-case hex SHA-256 of `bytes` (x-amz-content-sha256, SigV4 canonical requests).
std::string HexSha256(std::string_view bytes);
// Raw HMAC-SHA256 of `data` under `key` (SigV4 key derivation and signature).
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace hydrant
