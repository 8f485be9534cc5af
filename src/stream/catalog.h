// Catalog: the control plane's set of delivery streams, persisted under <data-dir>/streams/
// (in cluster mode, in the cluster's shared store: see cluster_store.h).
//
// Each stream lives in its own folder "ds-<name>" (the prefix keeps names like ".." safe)
// holding stream.json (metadata), wal/ and delivery.journal. Creation writes the folder under a
// temporary name and renames it into place, deletion renames it away before removing it, so a
// crash never leaves half a stream behind.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "stream/delivery_stream.h"
#include "stream/stream_metadata.h"

namespace hydrant::stream {

struct CatalogOptions {
  std::string data_dir;
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  int64_t activation_delay_millis = 500;  // CREATING lasts this long after CreateDeliveryStream
  size_t max_streams = 5000;              // the service's default quota per region
};

enum class StreamStatus { kCreating, kActive };

// Thread-safe.
class Catalog {
 public:
  static Result<std::unique_ptr<Catalog>> Open(const CatalogOptions& options,
                                               const DeliveryStreamDeps& deps);
  ~Catalog();

  // Creates and starts a stream. Errors: kResourceInUse (name taken), kLimitExceeded.
  Status Create(StreamConfig config, std::vector<std::pair<std::string, std::string>> tags,
                StreamEncryption encryption = {});
  // The master keys streams can be encrypted with (null when none).
  const KeyRing* keys() const { return deps_.keys; }
  // Stops a stream and removes its data. Errors: kNotFound, kResourceInUse (still CREATING).
  Status Delete(const std::string& name);
  // nullptr when there is no such stream.
  std::shared_ptr<DeliveryStream> Find(const std::string& name) const;
  std::vector<std::string> ListNames() const;  // sorted

  StreamStatus StatusOf(const DeliveryStream& stream) const;
  std::string Arn(const std::string& name) const;
  const CatalogOptions& options() const { return options_; }

  // Delivers everything buffered in every stream (SIGTERM), then stops them.
  void DrainAll();

  // Cluster mode, for the node's view of the shared catalog: a stream created or changed on
  // any node (idempotent), a stream deleted, and whether this node runs a stream's lanes
  // (it holds its lease).
  Status Adopt(StreamMetadata metadata);
  void Forget(const std::string& name);
  // FailedPrecondition when the stream was deleted or replaced meanwhile (nothing started).
  Status Lead(const std::string& name, bool lead);

 private:
  Catalog(CatalogOptions options, DeliveryStreamDeps deps)
      : options_(std::move(options)), deps_(deps) {}
  Status Load();
  // Opens a stream of the shared catalog on this node, running its lanes or not.
  Result<std::shared_ptr<DeliveryStream>> OpenShared(StreamMetadata metadata, bool run_lanes);
  std::string StreamsDir() const;
  std::string StreamDir(const std::string& name) const;

  const CatalogOptions options_;
  const DeliveryStreamDeps deps_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<DeliveryStream>> streams_;  // guarded by mu_
};

}  // namespace hydrant::stream
