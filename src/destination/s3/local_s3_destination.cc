// LocalS3Destination: maps store failures onto delivery outcomes.
#include "destination/s3/local_s3_destination.h"

namespace hydrant::destination::s3 {

DeliveryResult LocalS3Destination::Write(const format::Object& object) {
  if (!store_->BucketExists(object.bucket)) {
    return {Outcome::kRetryable, "S3.NoSuchBucket",
            "bucket " + object.bucket + " does not exist"};
  }
  store::PutOptions options;
  options.content_type = object.content_type;
  options.md5 = object.md5;
  if (!object.content_encoding.empty()) {
    options.headers["Content-Encoding"] = object.content_encoding;
  }
  if (!object.kms_key_arn.empty()) {  // the stream's KMSEncryptionConfig: SSE-KMS with that key
    options.sse = "aws:kms";
    options.sse_kms_key_id = object.kms_key_arn;
  } else if (object.seal_at_rest) {
    options.sse = "AES256";
  }
  Status status = store_->PutObject(object.bucket, object.key, object.body, options).status();
  if (status.ok()) return {Outcome::kDelivered, "", ""};
  if (store::ErrorOf(status) == store::StoreError::kKmsNotFound) {
    return {Outcome::kRetryable, "S3.KMS.NotFoundException",
            store::ErrorMessage(status) + ": name it under kms_keys in the config"};
  }
  if (status.code() == StatusCode::kNotFound) {
    return {Outcome::kRetryable, "S3.NoSuchBucket", "bucket " + object.bucket + " does not exist"};
  }
  return {Outcome::kRetryable, "S3.InternalError", status.ToString()};
}

Result<std::string> LocalS3Destination::Read(const std::string& bucket, const std::string& key) {
  auto got = store_->GetObject(bucket, key);
  if (!got.ok()) return got.status();
  return std::move(got->data);
}

}  // namespace hydrant::destination::s3
