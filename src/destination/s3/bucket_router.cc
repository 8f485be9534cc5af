// BucketRouter: builds the remote destinations from the config and picks one per object.
#include "destination/s3/bucket_router.h"

#include <spdlog/spdlog.h>

namespace hydrant::destination::s3 {

Result<std::unique_ptr<BucketRouter>> BucketRouter::Create(
    ObjectWriter* local, const boost::json::array& remote_buckets,
    const std::function<const char*(const char*)>& getenv) {
  std::unique_ptr<BucketRouter> router(new BucketRouter(local));
  for (const auto& entry : remote_buckets) {
    auto config = ParseRemoteS3Config(entry, getenv);
    if (!config.ok()) return config.status();
    std::string name = config->name;
    if (router->remote_.count(name)) {
      return Status::InvalidArgument("remote_buckets: bucket " + name + " is listed twice");
    }
    spdlog::info("bucket {} delivers to s3://{} at {} (region {}, {} addressing)", name,
                 config->bucket, config->endpoint, config->region,
                 config->path_style ? "path-style" : "virtual-hosted");
    router->remote_.emplace(name, std::make_unique<RemoteS3Destination>(std::move(*config)));
  }
  return router;
}

DeliveryResult BucketRouter::Write(const format::Object& object) {
  auto it = remote_.find(object.bucket);
  return it == remote_.end() ? local_->Write(object) : it->second->Write(object);
}

Result<std::string> BucketRouter::Read(const std::string& bucket, const std::string& key) {
  auto it = remote_.find(bucket);
  return it == remote_.end() ? local_->Read(bucket, key) : it->second->Read(bucket, key);
}

RemoteS3Destination* BucketRouter::RemoteFor(const std::string& bucket) const {
  auto it = remote_.find(bucket);
  return it == remote_.end() ? nullptr : it->second.get();
}

}  // namespace hydrant::destination::s3
