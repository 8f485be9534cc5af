// LocalS3Destination: maps store failures onto delivery outcomes.
#include "destination/local_s3_destination.h"

namespace hydrant::destination {

DeliveryResult LocalS3Destination::Deliver(const format::Object& object) {
  if (!store_->BucketExists(object.bucket)) {
    return {Outcome::kRetryable, "S3.NoSuchBucket",
            "bucket " + object.bucket + " does not exist"};
  }
  Status status = store_->PutObject(object.bucket, object.key, object.body, object.content_type);
  if (status.ok()) return {Outcome::kDelivered, "", ""};
  if (status.code() == StatusCode::kNotFound) {
    return {Outcome::kRetryable, "S3.NoSuchBucket", "bucket " + object.bucket + " does not exist"};
  }
  return {Outcome::kRetryable, "S3.InternalError", status.ToString()};
}

}  // namespace hydrant::destination
