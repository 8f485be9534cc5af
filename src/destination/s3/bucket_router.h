// BucketRouter: sends each object to the destination its bucket is mapped to.
#pragma once

#include <boost/json/array.hpp>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "destination/object_writer.h"
#include "destination/s3/remote_s3_destination.h"

namespace hydrant::destination::s3 {

// Buckets named in `remote_buckets:` go to their RemoteS3Destination; every other bucket to the
// local (embedded store) destination. The mapping is fixed at construction. Thread-safe.
class BucketRouter final : public ObjectWriter {
 public:
  // `local` is not owned and must outlive the router. `remote_buckets` are the config file's
  // entries (ParseRemoteS3Config); kInvalidArgument on a bad entry or a name given twice.
  static Result<std::unique_ptr<BucketRouter>> Create(
      ObjectWriter* local, const boost::json::array& remote_buckets,
      const std::function<const char*(const char*)>& getenv = [](const char* n) { return std::getenv(n); });

  DeliveryResult Write(const format::Object& object) override;
  Result<std::string> Read(const std::string& bucket, const std::string& key) override;

  // The remote destination of `bucket`, or nullptr when it is delivered locally.
  RemoteS3Destination* RemoteFor(const std::string& bucket) const;

 private:
  explicit BucketRouter(ObjectWriter* local) : local_(local) {}

  ObjectWriter* local_;
  std::map<std::string, std::unique_ptr<RemoteS3Destination>> remote_;  // by stream-side name
};

}  // namespace hydrant::destination::s3
