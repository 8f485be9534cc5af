// ClusterNode: this node's part in a cluster (`hydrant serve --cluster nats://...`).
//
// It keeps the stream::ClusterStore promises over NATS JetStream: the catalog, the lane
// journals and the lane leases are keys of one key-value bucket (keys.h), each stream's
// records a JetStream stream (jetstream_log.h). It follows the bucket so that every node
// serves every stream (Catalog::Adopt / Forget), and decides which lanes this node runs:
//  - each node writes its heartbeat every second (nodes.<id>);
//  - a stream's lease (leases.<stream>) names the node that runs its lanes. A stream without
//    one is taken by the node its name hashes to among the live nodes (any node after a
//    lease period), so lanes spread over the cluster;
//  - a node whose heartbeat has not changed for `lease_millis`, as its peers see it, is dead:
//    one survivor (chosen by the stream's name, as for a new stream; the others wait another
//    lease period) takes each lease over with a compare-and-set on its revision;
//  - a node delivers only while its own heartbeat was written less than lease_millis − 1 s
//    ago, so it stops before anyone may take over; one that was away longer (stopped, cut
//    off) gives every lane up and starts again from the shared journal. The journal's writes
//    are compare-and-set too: a write from a node that lost the lane fails.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "cluster/nats_client.h"
#include "functions/function_registry.h"
#include "schema/glue_catalog.h"
#include "stream/catalog.h"
#include "stream/cluster_store.h"

namespace hydrant::cluster {

struct ClusterHealth {
  bool connected = false;
  std::string node_id;
  size_t nodes_alive = 0;
  size_t lanes_held = 0;
  uint64_t lag_records = 0;  // accepted by the cluster, not delivered yet, in the lanes held here
};

// Thread-safe.
class ClusterNode final : public stream::ClusterStore {
 public:
  static Result<std::unique_ptr<ClusterNode>> Open(const ClusterOptions& options);
  ~ClusterNode() override;

  // Follows the shared catalog into `catalog` and takes lanes; call once, after Catalog::Open.
  // `catalog` must outlive Stop().
  Status Start(stream::Catalog* catalog);
  // Shares the Lambda functions created through the API: each change is written to the bucket,
  // and changes written by other nodes are applied to `registry`. Call before Start.
  Status ShareFunctions(functions::FunctionRegistry* registry);
  // Likewise the Glue databases and tables.
  Status ShareGlue(schema::GlueCatalog* glue);
  // Gives up every lane (their lanes stop) and stops following.
  void Stop();

  ClusterHealth Health() const;

  // stream::ClusterStore
  Status CreateStream(const stream::StreamMetadata& metadata) override;
  Status SaveMetadata(const stream::StreamMetadata& before, const stream::StreamMetadata& after) override;
  Status DeleteStream(const std::string& name) override;
  Result<std::unique_ptr<wal::Wal>> OpenLog(const stream::StreamMetadata& metadata) override;
  Result<std::unique_ptr<stream::JournalStore>> OpenJournal(const std::string& stream,
                                                            const std::string& lane) override;
  bool MayDeliver(const std::string& stream) const override;

  // A lane's journal found that another node wrote it: the lane is started again from it.
  void JournalConflict(const std::string& stream);

 private:
  using Clock = std::chrono::steady_clock;
  struct Lease {
    std::string node;
    uint64_t term = 0;
    uint64_t revision = 0;
  };
  enum Action { kNothing, kLead, kStop, kRestart, kCreate, kTakeOver };
  struct Peer {
    uint64_t revision = 0;
    Clock::time_point changed;  // when this node saw the revision change
  };
  explicit ClusterNode(std::unique_ptr<NatsClient> client) : client_(std::move(client)) {}
  void Run();        // the lease thread
  void BeatHeart();  // the heartbeat thread
  void Heartbeat();
  bool Confirmed(const std::string& stream);  // the bucket says this node holds the lease
  bool PeerAlive(const std::string& node);    // its heartbeat changed since last seen
  void Reconcile();
  void Act(const std::string& stream, Action action, Lease lease);
  bool FreshLocked(Clock::time_point now) const;
  std::vector<std::string> LivePeersLocked(Clock::time_point now) const;
  void Lead(const std::string& stream, bool lead);
  // Whether `value` is what this node last wrote under `key` (its own change, seen again).
  bool WroteLast(const std::string& key, const std::string& value);

  std::unique_ptr<NatsClient> client_;
  stream::Catalog* catalog_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                          // guarded by mu_
  std::map<std::string, uint64_t> stream_revisions_;  // guarded by mu_
  std::map<std::string, Lease> leases_;            // guarded by mu_
  std::map<std::string, Clock::time_point> unleased_since_;  // guarded by mu_
  std::map<std::string, Peer> peers_;              // guarded by mu_: by node id
  std::set<std::string> led_;                      // guarded by mu_: lanes running here
  std::set<std::string> conflicts_;                // guarded by mu_
  // guarded by mu_: the last value this node wrote under a functions. or glue. key
  std::map<std::string, std::string> written_;
  Clock::time_point renewed_at_{};                 // guarded by mu_: last heartbeat written
  std::optional<Clock::time_point> healthy_since_;  // guarded by mu_: heartbeats written since
  uint64_t seen_own_heartbeat_ = 0;                // guarded by mu_: its revision, as the watch saw it
  std::deque<std::pair<uint64_t, Clock::time_point>> beats_;  // guarded by mu_: written, not seen yet
  // What the bucket's watch calls, by key prefix (registered before Start).
  std::vector<std::pair<std::string, NatsClient::WatchCallback>> handlers_;
  bool wake_ = false;                              // guarded by mu_
  bool give_up_ = false;                           // guarded by mu_: away for a lease period
  std::set<std::string> busy_;                     // guarded by mu_: streams with a step under way
  int steps_ = 0;                                  // guarded by mu_: steps under way
  std::thread thread_;
  std::thread heartbeat_thread_;
};

}  // namespace hydrant::cluster
