// NatsClient: a node's one connection to its NATS cluster (libnats): JetStream streams, the
// key-value bucket that holds what the nodes share, and publishing with one callback per
// message once JetStream has stored it on a quorum of its replicas.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace hydrant::cluster {

struct ClusterOptions {
  std::vector<std::string> servers;  // nats://host:port, any of the cluster's servers
  std::string node_id;               // unique per node (default: host and port, in main)
  int replicas = 3;                  // of every JetStream stream and of the bucket
  int64_t lease_millis = 5000;       // a node silent this long loses its lanes
  int64_t stream_max_bytes = 0;      // each stream's JetStream limit; 0: the server's
  std::string bucket = "hydrant";    // the key-value bucket
};

// A value in the bucket and its revision (what a compare-and-set compares).
struct KvValue {
  std::string value;
  uint64_t revision = 0;
};

// The two key-value buckets: the shared catalog, leases and heartbeats (watched by every node),
// and the lanes' journals (`<bucket>-journals`, written often, read only by a lane's holder).
enum class Bucket { kShared, kJournals };

// Thread-safe.
class NatsClient {
 public:
  static Result<std::unique_ptr<NatsClient>> Connect(const ClusterOptions& options);
  ~NatsClient();

  jsCtx* js() const { return js_; }
  bool connected() const;
  const ClusterOptions& options() const { return options_; }

  // Publishes one message to JetStream; `done` runs (on a library thread, must not block) with
  // the stream sequence once JetStream acknowledged it, or with the failure: ResourceExhausted
  // when the stream's limits are reached, Unavailable when no acknowledgement came.
  using PublishDone = std::function<void(Status, uint64_t sequence)>;
  void Publish(const std::string& subject, std::string_view payload,
               const std::vector<std::pair<const char*, std::string>>& headers, PublishDone done);

  // The bucket. Get: nullopt when the key has no value. Create: AlreadyExists when it has one.
  // Update: FailedPrecondition when the key's revision is not `revision` any more.
  Result<std::optional<KvValue>> Get(const std::string& key, Bucket bucket = Bucket::kShared) const;
  Result<uint64_t> Create(const std::string& key, std::string_view value, Bucket bucket = Bucket::kShared) const;
  Result<uint64_t> Update(const std::string& key, std::string_view value, uint64_t revision,
                          Bucket bucket = Bucket::kShared) const;
  Result<uint64_t> Put(const std::string& key, std::string_view value) const;
  Status Delete(const std::string& key, Bucket bucket = Bucket::kShared) const;

  // Calls `changed(key, value or nullopt when deleted, revision)` for every key matching
  // `keys` (a subject filter such as "streams.>"): first the current ones, then every change,
  // on a thread of its own, until the client is destroyed. A watch that breaks (its server
  // went away) is made again, which calls `changed` with the current values again.
  using WatchCallback =
      std::function<void(const std::string& key, const std::optional<std::string>& value, uint64_t revision)>;
  Status Watch(const std::string& keys, WatchCallback changed);
  // Makes the watches and followers again (a watch that stopped delivering without an error).
  void Renew() { epoch_++; }
  // Ends every watch: no callback runs after it returns.
  void StopWatches();

  // Follows the messages of a JetStream stream from sequence `from` on, without their payloads
  // (headers only): `stored(msg)` runs once per message, in order, on a library thread. The
  // consumer is made again from the next sequence whenever it breaks. Unfollow stops it: no
  // callback runs after it returns.
  class Follower;
  using FollowCallback = std::function<void(natsMsg* msg, uint64_t sequence)>;
  std::shared_ptr<Follower> Follow(const std::string& stream, const std::string& subject, uint64_t from,
                                   FollowCallback stored);
  void Unfollow(const std::shared_ptr<Follower>& follower);

 private:
  explicit NatsClient(ClusterOptions options) : options_(std::move(options)) {}
  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);
  static void OnDisconnected(natsConnection*, void* closure);
  static void OnReconnected(natsConnection*, void* closure);
  static void OnAsyncError(natsConnection*, natsSubscription*, natsStatus, void* closure);
  void FailPending(const std::string& why);
  void Maintain();  // remakes the followers' consumers after a break

  const ClusterOptions options_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* kv_ = nullptr;
  kvStore* journals_ = nullptr;
  kvStore* Of(Bucket bucket) const { return bucket == Bucket::kShared ? kv_ : journals_; }
  std::mutex mu_;
  std::map<uint64_t, PublishDone> pending_;  // guarded by mu_: by the message's put id
  uint64_t next_put_ = 1;                    // guarded by mu_
  std::atomic<bool> stopping_{false};
  // Bumped at every reconnection and subscription error: watches and followers are made again.
  std::atomic<uint64_t> epoch_{0};
  std::vector<std::thread> watchers_;
  std::mutex followers_mu_;
  std::vector<std::shared_ptr<Follower>> followers_;  // guarded by followers_mu_
  std::thread maintainer_;
};

// A libnats failure as a Status: `what` failed, with the library's last error text.
Status NatsError(std::string_view what, natsStatus s, jsErrCode code = static_cast<jsErrCode>(0));

}  // namespace hydrant::cluster
