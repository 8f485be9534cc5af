// Object: one S3 object ready to write.
#pragma once

#include <string>
#include <string_view>

namespace hydrant::format {

// One object ready for a destination.
struct Object {
  std::string bucket;
  std::string key;
  std::string body;
  std::string content_type = "application/octet-stream";  // the service's, whatever the format
  // Content-Encoding stored with the object ("" = none): the CompressionFormat's
  // (compression.h), set by CompressObject.
  std::string content_encoding;
  // The body's MD5 digest (16 bytes) when it was computed as the object was built, so the
  // delivery lane does not hash the body again for its ETag; "" = not computed.
  std::string md5;
  uint64_t records = 0;
  // EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN; "" = no SSE-KMS. Remote S3
  // destinations ask for SSE-KMS with this key; the embedded store does not encrypt.
  std::string kms_key_arn;
  // Written by a stream with server-side encryption: the embedded store keeps it sealed
  // (SSE-S3, AES256, unless kms_key_arn names a key), so none of the stream's records lie in
  // plaintext in the data directory. Remote buckets apply their own encryption.
  bool seal_at_rest = false;
};

}  // namespace hydrant::format
