// ClusterStore: what a stream keeps in a cluster's shared stores instead of its own folder
// (cluster mode, `hydrant serve --cluster`; implemented over NATS JetStream in cluster/).
//
// Every node serves every stream: puts on any node go into the stream's shared log, and the
// catalog (the streams' metadata) is shared. Only the node that holds a stream's lane lease
// runs its lanes; their journals are shared too, so another node can take the lane over and
// deliver the batch in flight again under the same plan.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "stream/delivery_journal.h"
#include "stream/stream_metadata.h"
#include "wal/wal.h"

namespace hydrant::stream {

inline constexpr char kNoEncryptionInCluster[] =
    "Server-side encryption is not available in cluster mode: the records are kept by the NATS "
    "servers (use JetStream's own encryption at rest).";

class ClusterStore {
 public:
  virtual ~ClusterStore() = default;

  // The catalog. Create fails with AlreadyExists when the name is taken; SaveMetadata with
  // ConcurrentModification when another node changed the stream since `before` was read.
  virtual Status CreateStream(const StreamMetadata& metadata) = 0;
  virtual Status SaveMetadata(const StreamMetadata& before, const StreamMetadata& after) = 0;
  virtual Status DeleteStream(const std::string& name) = 0;

  // The stream's shared log (puts and reads); its limits answer "Slow down." when reached.
  virtual Result<std::unique_ptr<wal::Wal>> OpenLog(const StreamMetadata& metadata) = 0;
  // A lane's journal ("delivery" or "backup"), writable only while this node holds the lane.
  virtual Result<std::unique_ptr<JournalStore>> OpenJournal(const std::string& stream,
                                                            const std::string& lane) = 0;
  // Whether this node still holds the stream's lane and its lease is fresh: checked before
  // every attempt, so a node that was cut off does not deliver what the new holder delivers.
  virtual bool MayDeliver(const std::string& stream) const = 0;
};

}  // namespace hydrant::stream
