// Object and ObjectFormat: how a batch of records becomes the bytes of one delivered object.
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
  uint64_t records = 0;
  // EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN; "" = no SSE-KMS. Remote S3
  // destinations ask for SSE-KMS with this key; the embedded store does not encrypt.
  std::string kms_key_arn;
};

// Records concatenated byte for byte, no delimiter: what the service delivers for
// CompressionFormat UNCOMPRESSED. Not thread-safe.
class ConcatenatingFormat {
 public:
  void Reserve(size_t bytes) { body_.reserve(bytes); }
  void Append(std::string_view record) {
    body_.append(record);
    ++records_;
  }
  // Moves the accumulated bytes into `object` and resets this format.
  void Finish(Object* object) {
    object->body = std::move(body_);
    object->records = records_;
    body_.clear();
    records_ = 0;
  }

 private:
  std::string body_;
  uint64_t records_ = 0;
};

}  // namespace hydrant::format
