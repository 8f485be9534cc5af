// ObjectWriter: writes one finished S3 object (the embedded store or a remote bucket). One call,
// one outcome; writers never retry or buffer on their own (the stream's lane owns retries).
// Every destination kind's S3 side goes through one: S3 delivery itself, and the error output
// and backups of the other kinds.
#pragma once

#include "destination/destination.h"
#include "format/object.h"

namespace hydrant::destination {

// Thread-safe.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual DeliveryResult Write(const format::Object& object) = 0;
  // The whole body of an object the destination reads (Redshift's jsonpaths file); kNotFound when
  // it or its bucket does not exist.
  virtual Result<std::string> Read(const std::string& bucket, const std::string& key) {
    return Status::FailedPrecondition("objects cannot be read from s3://" + bucket + "/" + key);
  }
};

}  // namespace hydrant::destination
