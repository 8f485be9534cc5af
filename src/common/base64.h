// Strict standard base64 (RFC 4648 §4, padded), as AWS JSON blobs use it.
#pragma once

#include <string>
#include <string_view>

namespace hydrant {

// Appends the decoding of `in` to *out. Returns false, leaving *out unspecified, unless `in`
// is canonical padded base64: length a multiple of 4, alphabet A-Z a-z 0-9 + /, '=' only as
// the last one or two characters. (Generic decoders such as OpenSSL's EVP_DecodeBlock accept
// whitespace and mis-padded input; the service rejects those with SerializationException.)
bool Base64Decode(std::string_view in, std::string* out);
size_t Base64DecodedSizeUpperBound(size_t encoded_size);

std::string Base64Encode(std::string_view in);
// Padded base64 length of n bytes.
inline size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }
// Writes the padded base64 of `in` at `dst` (Base64EncodedSize(in.size()) bytes, no NUL);
// returns the end. For callers that assemble a larger buffer (the Lambda event).
char* Base64EncodeTo(std::string_view in, char* dst);

}  // namespace hydrant
