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
  Result<std::optional<KvValue>> Get(const std::string& key) const;
  Result<uint64_t> Create(const std::string& key, std::string_view value) const;
  Result<uint64_t> Update(const std::string& key, std::string_view value, uint64_t revision) const;
  Result<uint64_t> Put(const std::string& key, std::string_view value) const;
  Status Delete(const std::string& key) const;

  // Calls `changed(key, value or nullopt when deleted, revision)` for every key matching
  // `keys` (a subject filter such as "streams.>"): first the current ones, then every change,
  // on a thread of its own, until the client is destroyed.
  using WatchCallback =
      std::function<void(const std::string& key, const std::optional<std::string>& value, uint64_t revision)>;
  Status Watch(const std::string& keys, WatchCallback changed);

 private:
  explicit NatsClient(ClusterOptions options) : options_(std::move(options)) {}
  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);

  const ClusterOptions options_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* kv_ = nullptr;
  std::mutex mu_;
  std::map<uint64_t, PublishDone> pending_;  // guarded by mu_: by the message's put id
  uint64_t next_put_ = 1;                    // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> watchers_;
};

// A libnats failure as a Status: `what` failed, with the library's last error text.
Status NatsError(std::string_view what, natsStatus s, jsErrCode code = static_cast<jsErrCode>(0));

}  // namespace hydrant::cluster
