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

}  // namespace hydrant
