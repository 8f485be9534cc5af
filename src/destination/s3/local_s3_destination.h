// LocalS3Destination: delivers objects into the embedded object store.
#pragma once

#include "destination/object_writer.h"
#include "store/object_store.h"

namespace hydrant::destination::s3 {

// Writes each object atomically into the embedded store. The same key written twice replaces
// the object, so re-delivering a batch after a crash never creates a duplicate.
class LocalS3Destination final : public ObjectWriter {
 public:
  explicit LocalS3Destination(store::ObjectStore* store) : store_(store) {}
  DeliveryResult Write(const format::Object& object) override;
  Result<std::string> Read(const std::string& bucket, const std::string& key) override;

 private:
  store::ObjectStore* store_;  // not owned; outlives this
};

}  // namespace hydrant::destination::s3
