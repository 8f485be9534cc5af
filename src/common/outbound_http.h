// Pieces shared by Hydrant's outbound AWS calls (remote Lambda invocations, remote S3 uploads):
// SigV4 hashing and libcurl's response callbacks.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace hydrant {

// Lower-case hex of `bytes`.
std::string Hex(std::string_view bytes);
// Lower-case hex SHA-256 of `bytes` (x-amz-content-sha256, SigV4 canonical requests).
std::string HexSha256(std::string_view bytes);
// Raw HMAC-SHA256 of `data` under `key` (SigV4 key derivation and signature).
std::string HmacSha256(std::string_view key, std::string_view data);

// CURLOPT_WRITEFUNCTION: appends the chunk to the std::string* passed as CURLOPT_WRITEDATA.
size_t AppendToString(char* data, size_t size, size_t n, void* out);
// CURLOPT_HEADERFUNCTION: stores "Name: value" lines into the std::map<std::string, std::string>*
// passed as CURLOPT_HEADERDATA, names lower-cased and values trimmed (a repeated name keeps the
// last value).
size_t CollectHeader(char* data, size_t size, size_t n, void* out);

}  // namespace hydrant
