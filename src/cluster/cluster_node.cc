// ClusterNode: the shared catalog, journals and lane leases over the key-value bucket.
#include "cluster/cluster_node.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <functional>
#include <utility>

#include "cluster/jetstream_log.h"
#include "common/base64.h"
#include "cluster/keys.h"

namespace hydrant::cluster {
namespace json = boost::json;
namespace {
constexpr auto kTick = std::chrono::milliseconds(250);
constexpr auto kHeartbeatEvery = std::chrono::milliseconds(1000);
// A holder stops delivering this long before its peers may take its lanes over.
constexpr auto kFencingMargin = std::chrono::milliseconds(1000);
// Every write rewrites the whole value: a journal in the bucket is kept small.
constexpr uint64_t kJournalCompactBytes = 16 * 1024;

std::string LeaseText(const std::string& node, uint64_t term) {
  return json::serialize(json::object{{"node", node}, {"term", term}});
}

// A lane's journal as one value in the bucket, rewritten whole with a compare-and-set.
class BucketJournal final : public stream::JournalStore {
 public:
  BucketJournal(NatsClient* client, ClusterNode* node, std::string stream, std::string key)
      : client_(client), node_(node), stream_(std::move(stream)), key_(std::move(key)) {}

  Result<std::string> Load() override {
    auto value = client_->Get(key_, Bucket::kJournals);
    if (!value.ok()) return value.status();
    if (!*value) return std::string();
    revision_ = (*value)->revision;
    content_ = std::move((*value)->value);
    return content_;
  }
  Status Append(const std::string& lines) override { return Write(content_ + lines); }
  Status Replace(const std::string& content) override { return Write(content); }
  uint64_t compact_at_bytes() const override { return kJournalCompactBytes; }

 private:
  Status Write(std::string content) {
    auto revision = revision_ == 0 ? client_->Create(key_, content, Bucket::kJournals)
                                   : client_->Update(key_, content, revision_, Bucket::kJournals);
    if (!revision.ok()) {
      if (revision.status().code() == StatusCode::kFailedPrecondition ||
          revision.status().code() == StatusCode::kAlreadyExists) {
        node_->JournalConflict(stream_);
        return Status::FailedPrecondition("stream " + stream_ + ": another node wrote the lane's journal");
      }
      return revision.status();
    }
    revision_ = *revision;
    content_ = std::move(content);
    return Status::Ok();
  }

  NatsClient* const client_;
  ClusterNode* const node_;
  const std::string stream_;
  const std::string key_;
  uint64_t revision_ = 0;
  std::string content_;
};

std::string Suffix(const std::string& key, std::string_view prefix) { return key.substr(prefix.size()); }
}  // namespace

Result<std::unique_ptr<ClusterNode>> ClusterNode::Open(const ClusterOptions& options) {
  auto client = NatsClient::Connect(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<ClusterNode>(new ClusterNode(std::move(*client)));
}

ClusterNode::~ClusterNode() { Stop(); }

Status ClusterNode::Start(stream::Catalog* catalog) {
  catalog_ = catalog;
  Heartbeat();
  handlers_.emplace_back("nodes.", [this](const std::string& key, const auto& value, uint64_t rev) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string node = NameOfToken(Suffix(key, "nodes."));
    if (node == client_->options().node_id) seen_own_heartbeat_ = std::max(seen_own_heartbeat_, rev);
    if (!value) {
      peers_.erase(node);
    } else if (peers_[node].revision != rev) {
      peers_[node] = Peer{rev, Clock::now()};
    }
  });
  handlers_.emplace_back("leases.", [this](const std::string& key, const auto& value, uint64_t rev) {
    const std::string stream = NameOfToken(Suffix(key, "leases."));
    std::lock_guard<std::mutex> lock(mu_);
    if (!value) {
      leases_.erase(stream);
    } else {
      boost::system::error_code ec;
      json::value v = json::parse(*value, ec);
      if (ec || !v.is_object()) return;
      const json::object& o = v.as_object();
      Lease& lease = leases_[stream];
      if (lease.revision > rev) return;  // this node's own newer write arrived first
      lease = Lease{json::value_to<std::string>(o.at("node")), o.at("term").to_number<uint64_t>(), rev};
    }
    wake_ = true;
    cv_.notify_all();
  });
  handlers_.emplace_back("streams.", [this](const std::string& key, const auto& value, uint64_t rev) {
    const std::string stream = NameOfToken(Suffix(key, "streams."));
    if (!value) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stream_revisions_.erase(stream);
        led_.erase(stream);
      }
      catalog_->Forget(stream);
      return;
    }
    auto metadata = stream::StreamMetadata::FromJsonText(*value);
    if (!metadata.ok()) {
      spdlog::error("cluster: stream {} in the bucket cannot be read: {}", stream, metadata.status().ToString());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      uint64_t& known = stream_revisions_[stream];
      if (known >= rev) return;  // this node made the change
      known = rev;
    }
    if (Status s = catalog_->Adopt(std::move(*metadata)); !s.ok()) {
      spdlog::error("cluster: cannot open stream {}: {}", stream, s.ToString());
    }
  });
  // One watch over the bucket: its own heartbeats tell this node that it still works.
  HYDRANT_RETURN_IF_ERROR(client_->Watch(">", [this](const std::string& key, const auto& value, uint64_t rev) {
    for (const auto& [prefix, handler] : handlers_) {
      if (key.starts_with(prefix)) return handler(key, value, rev);
    }
  }));
  thread_ = std::thread([this] { Run(); });
  heartbeat_thread_ = std::thread([this] { BeatHeart(); });
  spdlog::info("cluster: node {} joined ({} replicas, lease {} ms)", client_->options().node_id,
               client_->options().replicas, client_->options().lease_millis);
  return Status::Ok();
}

void ClusterNode::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  std::set<std::string> led;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return steps_ == 0; });
    led = led_;
  }
  client_->StopWatches();  // the catalog may go away after Stop
  // Another node takes these lanes at once instead of after a lease period.
  for (const std::string& stream : led) {
    std::optional<Lease> lease;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = leases_.find(stream); it != leases_.end()) lease = it->second;
    }
    if (catalog_) (void)catalog_->Lead(stream, false);
    if (lease && lease->node == client_->options().node_id) (void)client_->Delete(LeaseKey(stream));
  }
}

// --- Functions --------------------------------------------------------------------------------

Status ClusterNode::ShareFunctions(functions::FunctionRegistry* registry) {
  registry->SetChangeListener([this](const functions::FunctionRegistry::Change& change) {
    const std::string key = FunctionKey(change.name);
    Status s;
    if (!change.definition) {
      s = client_->Delete(key);
    } else {
      json::object value{{"definition", *change.definition}};
      if (change.zip) {
        value["zip"] = Base64Encode(*change.zip);
      } else if (auto current = client_->Get(key); current.ok() && *current) {
        // A configuration change keeps the package the code came from.
        boost::system::error_code ec;
        json::value previous = json::parse((*current)->value, ec);
        auto before = ec ? Result<functions::FunctionDefinition>(Status::Corruption(key))
                         : functions::DefinitionFromJson(json::value_to<std::string>(previous.at("definition")));
        auto after = functions::DefinitionFromJson(*change.definition);
        if (before.ok() && after.ok() && before->code_sha256 == after->code_sha256 &&
            previous.as_object().contains("zip")) {
          value["zip"] = previous.at("zip");
        }
      }
      std::string text = json::serialize(value);
      {
        std::lock_guard<std::mutex> lock(mu_);
        written_[key] = text;
      }
      s = client_->Put(key, text).status();
    }
    if (!s.ok()) spdlog::error("cluster: function {} changed on this node only: {}", change.name, s.ToString());
  });
  handlers_.emplace_back("functions.", [this, registry](const std::string& key, const auto& value, uint64_t) {
    functions::FunctionRegistry::Change change{NameOfToken(Suffix(key, "functions."))};
    if (value) {
      if (WroteLast(key, *value)) return;
      boost::system::error_code ec;
      json::value v = json::parse(*value, ec);
      if (ec || !v.is_object() || !v.as_object().contains("definition")) return;
      change.definition = json::value_to<std::string>(v.at("definition"));
      if (const json::value* zip = v.as_object().if_contains("zip")) {
        std::string bytes;
        if (!Base64Decode(zip->as_string(), &bytes)) return;
        change.zip = std::move(bytes);
      }
    }
    if (Status s = registry->Apply(change); !s.ok()) {
      spdlog::error("cluster: cannot apply function {} from the bucket: {}", change.name, s.ToString());
    }
  });
  return Status::Ok();
}

bool ClusterNode::WroteLast(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = written_.find(key);
  return it != written_.end() && it->second == value;
}

Status ClusterNode::ShareGlue(schema::GlueCatalog* glue) {
  glue->SetChangeListener([this](const schema::GlueCatalog::Change& change) {
    const std::string key = GlueKey(change.database, change.table);
    Status s;
    if (change.value) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        written_[key] = *change.value;
      }
      s = client_->Put(key, *change.value).status();
    } else {
      s = client_->Delete(key);
    }
    if (!s.ok()) spdlog::error("cluster: Glue {} changed on this node only: {}", key, s.ToString());
  });
  handlers_.emplace_back("glue.", [this, glue](const std::string& key, const auto& value, uint64_t) {
    if (value && WroteLast(key, *value)) return;  // this node's own change
    const std::string rest = Suffix(key, "glue.");
    const size_t dot = rest.find('.');
    schema::GlueCatalog::Change change{NameOfToken(rest.substr(0, dot)),
                                       dot == std::string::npos ? "" : NameOfToken(rest.substr(dot + 1)), value};
    if (Status s = glue->Apply(change); !s.ok()) {
      spdlog::error("cluster: cannot apply Glue {} from the bucket: {}", key, s.ToString());
    }
  });
  return Status::Ok();
}

ClusterHealth ClusterNode::Health() const {
  ClusterHealth health;
  health.connected = client_->connected();
  health.node_id = client_->options().node_id;
  std::set<std::string> led;
  {
    std::lock_guard<std::mutex> lock(mu_);
    health.nodes_alive = LivePeersLocked(Clock::now()).size();
    led = led_;
  }
  health.lanes_held = led.size();
  if (catalog_) {
    for (const std::string& name : led) {
      if (auto stream = catalog_->Find(name)) health.lag_records += stream->stats().buffered_records;
    }
  }
  return health;
}

// --- The shared catalog ----------------------------------------------------------------------

Status ClusterNode::CreateStream(const stream::StreamMetadata& metadata) {
  const std::string name = metadata.config.name();
  // The records' stream first: the nodes that see the new key open it at once.
  auto log = OpenJetStreamLog(client_.get(), name);
  if (!log.ok()) return log.status();
  auto revision = client_->Create(StreamKey(name), metadata.ToJsonText());
  if (!revision.ok()) return revision.status();
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t& known = stream_revisions_[name];
  known = std::max(known, *revision);
  wake_ = true;
  cv_.notify_all();
  return Status::Ok();
}

Status ClusterNode::SaveMetadata(const stream::StreamMetadata& before, const stream::StreamMetadata& after) {
  const std::string name = after.config.name();
  const Status concurrent = Status::FailedPrecondition(
      "Another request changed delivery stream " + name + " at the same time (its version was " +
      std::to_string(before.version) + "); read it again and retry.");
  // The change was made to `before`: it is stored only if the bucket still holds `before`, and
  // the compare-and-set on the revision read refuses a change another node makes meanwhile.
  auto current = client_->Get(StreamKey(name));
  if (!current.ok()) return current.status();
  if (!*current) return Status::NotFound("Firehose " + name + " was deleted");
  auto stored = stream::StreamMetadata::FromJsonText((*current)->value);
  if (!stored.ok() || stored->ToJsonText() != before.ToJsonText()) return concurrent;
  auto revision = client_->Update(StreamKey(name), after.ToJsonText(), (*current)->revision);
  if (!revision.ok()) {
    return revision.status().code() == StatusCode::kFailedPrecondition ? concurrent : revision.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t& known = stream_revisions_[name];
  known = std::max(known, *revision);
  return Status::Ok();
}

Status ClusterNode::DeleteStream(const std::string& name) {
  HYDRANT_RETURN_IF_ERROR(client_->Delete(StreamKey(name)));
  (void)client_->Delete(LeaseKey(name));
  (void)client_->Delete(JournalKey(name, "delivery"), Bucket::kJournals);
  (void)client_->Delete(JournalKey(name, "backup"), Bucket::kJournals);
  return DeleteJetStreamLog(client_.get(), name);
}

Result<std::unique_ptr<wal::Wal>> ClusterNode::OpenLog(const stream::StreamMetadata& metadata) {
  return OpenJetStreamLog(client_.get(), metadata.config.name());
}

Result<std::unique_ptr<stream::JournalStore>> ClusterNode::OpenJournal(const std::string& stream,
                                                                       const std::string& lane) {
  return std::unique_ptr<stream::JournalStore>(
      new BucketJournal(client_.get(), this, stream, JournalKey(stream, lane)));
}

// --- Leases ----------------------------------------------------------------------------------

bool ClusterNode::FreshLocked(Clock::time_point now) const {
  return now - renewed_at_ < std::chrono::milliseconds(client_->options().lease_millis) - kFencingMargin;
}

bool ClusterNode::MayDeliver(const std::string& stream) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto lease = leases_.find(stream);
  return FreshLocked(Clock::now()) && led_.count(stream) && lease != leases_.end() &&
         lease->second.node == client_->options().node_id;
}

void ClusterNode::JournalConflict(const std::string& stream) {
  std::lock_guard<std::mutex> lock(mu_);
  conflicts_.insert(stream);
  wake_ = true;
  cv_.notify_all();
}

std::vector<std::string> ClusterNode::LivePeersLocked(Clock::time_point now) const {
  std::vector<std::string> live;
  const auto lease = std::chrono::milliseconds(client_->options().lease_millis);
  for (const auto& [node, peer] : peers_) {
    if (node == client_->options().node_id || now - peer.changed < lease) live.push_back(node);
  }
  return live;  // sorted: peers_ is a map
}

void ClusterNode::Heartbeat() {
  const Clock::time_point sent = Clock::now();
  const std::string& me = client_->options().node_id;
  auto revision = client_->Put(NodeKey(me), json::serialize(json::object{{"node", me}}));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!revision.ok()) {
      healthy_since_.reset();
      spdlog::warn("cluster: cannot write this node's heartbeat: {}", revision.status().ToString());
      return;
    }
    if (!healthy_since_) healthy_since_ = sent;
    // The watch must deliver this node's own heartbeats: one it missed for 3 s means the watch
    // stopped (its server went away without an error reaching this node), and it is made again.
    beats_.emplace_back(*revision, sent);
    while (!beats_.empty() && beats_.front().first <= seen_own_heartbeat_) beats_.pop_front();
    if (!beats_.empty() && sent - beats_.front().second > std::chrono::seconds(3)) {
      spdlog::warn("cluster: the bucket's watch lags; it is made again");
      beats_.clear();
      client_->Renew();
    }
    if (renewed_at_ != Clock::time_point{} &&
        sent - renewed_at_ >= std::chrono::milliseconds(client_->options().lease_millis) - kFencingMargin &&
        !led_.empty()) {
      // Away for a lease period: peers may have taken these lanes; start again from the bucket.
      spdlog::warn("cluster: this node was away for a lease period; it gives up its lanes");
      give_up_ = true;
      wake_ = true;
      cv_.notify_all();
    }
    renewed_at_ = sent;
  }
}

void ClusterNode::Lead(const std::string& stream, bool lead) {
  Status s = catalog_->Lead(stream, lead);
  if (s.code() == StatusCode::kFailedPrecondition) {
    // A new instance of the stream replaced the one this was about; its own events decide.
    spdlog::info("cluster: stream {} changed while its lanes were {}", stream, lead ? "starting" : "stopping");
    std::lock_guard<std::mutex> lock(mu_);
    led_.erase(stream);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (lead && s.ok()) {
    led_.insert(stream);
  } else {
    led_.erase(stream);
  }
  if (!s.ok()) spdlog::error("cluster: cannot {} the lanes of {}: {}", lead ? "start" : "stop", stream, s.ToString());
  else spdlog::info("cluster: {} the lanes of stream {}", lead ? "runs" : "gave up", stream);
}

// Heartbeats have their own thread: taking a lane over may wait on JetStream for seconds.
void ClusterNode::BeatHeart() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, kHeartbeatEvery, [this] { return stopping_; })) return;
    }
    Heartbeat();
  }
}

void ClusterNode::Run() {
  for (;;) {
    std::vector<std::string> give_up;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, kTick, [this] { return stopping_ || wake_; });
      if (stopping_) return;
      wake_ = false;
      if (std::exchange(give_up_, false)) {
        cv_.wait(lock, [this] { return steps_ == 0; });  // no lane is being taken meanwhile
        give_up.assign(led_.begin(), led_.end());
      }
    }
    for (const std::string& stream : give_up) Lead(stream, false);
    Reconcile();
  }
}

// The watches may lag or be broken for a while (their server died): what a decision rests on is
// read again from the bucket first.
bool ClusterNode::Confirmed(const std::string& stream) {
  auto value = client_->Get(LeaseKey(stream));
  if (!value.ok() || !*value) return false;
  boost::system::error_code ec;
  json::value v = json::parse((*value)->value, ec);
  if (ec || !v.is_object()) return false;
  Lease lease{json::value_to<std::string>(v.at("node")), v.at("term").to_number<uint64_t>(), (*value)->revision};
  std::lock_guard<std::mutex> lock(mu_);
  Lease& known = leases_[stream];
  if (known.revision <= lease.revision) known = lease;
  return known.node == client_->options().node_id;
}

bool ClusterNode::PeerAlive(const std::string& node) {
  auto value = client_->Get(NodeKey(node));
  if (!value.ok()) return true;  // cannot tell: nothing is taken over
  if (!*value) return false;
  std::lock_guard<std::mutex> lock(mu_);
  Peer& peer = peers_[node];
  if (peer.revision == (*value)->revision) return false;
  peer = Peer{(*value)->revision, Clock::now()};
  return true;
}

void ClusterNode::Act(const std::string& stream, Action action, Lease lease) {
  const std::string& me = client_->options().node_id;
  switch (action) {
    case kNothing:
      break;
    case kLead:
      if (Confirmed(stream)) Lead(stream, true);
      break;
    case kStop:
      spdlog::info("cluster: the lease of {} is node {}'s (term {}); this node stops its lanes", stream, lease.node,
                   lease.term);
      Lead(stream, false);
      break;
    case kRestart:
      spdlog::warn("cluster: the journal of {} was written elsewhere; its lanes start again from it", stream);
      Lead(stream, false);
      Lead(stream, true);
      break;
    case kCreate:
    case kTakeOver: {
      if (action == kTakeOver && PeerAlive(lease.node)) return;
      auto revision = action == kCreate
                          ? client_->Create(LeaseKey(stream), LeaseText(me, 1))
                          : client_->Update(LeaseKey(stream), LeaseText(me, lease.term + 1), lease.revision);
      if (!revision.ok()) return;  // another node won; the watch tells which
      if (action == kTakeOver) {
        spdlog::warn("cluster: node {} stopped renewing its lease; this node takes stream {} over", lease.node,
                     stream);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        leases_[stream] = Lease{me, action == kCreate ? 1 : lease.term + 1, *revision};
      }
      Lead(stream, true);
      break;
    }
  }
}

// Compares the leases with the lanes this node runs, and takes the lanes it should.
void ClusterNode::Reconcile() {
  const std::string& me = client_->options().node_id;
  const auto lease_period = std::chrono::milliseconds(client_->options().lease_millis);
  for (const std::string& stream : catalog_->ListNames()) {
    Action action = kNothing;
    Lease lease;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      const Clock::time_point now = Clock::now();
      const bool fresh = FreshLocked(now);
      const bool running = led_.count(stream) > 0;
      auto it = leases_.find(stream);
      if (it != leases_.end()) {
        unleased_since_.erase(stream);
        lease = it->second;
        if (lease.node == me) {
          if (running && conflicts_.erase(stream)) action = kRestart;
          else if (!running && fresh) action = kLead;
        } else if (running) {
          action = kStop;
        } else if (fresh && healthy_since_ && now - *healthy_since_ >= lease_period) {
          // Only a node that could write its own heartbeats for a whole lease period judges
          // another dead: while the bucket itself is unavailable, nobody's heartbeat changes.
          auto peer = peers_.find(lease.node);
          if (peer == peers_.end()) {
            peers_[lease.node] = Peer{0, now};  // never seen since this node started: from its start
          } else if (const auto silent = now - peer->second.changed; silent >= lease_period) {
            // One successor is chosen as a new stream's holder is (the others wait another lease
            // period): JetStream 2.9's compare-and-set can let two writes of the same revision
            // through when they race.
            std::vector<std::string> live = LivePeersLocked(now);
            std::erase(live, lease.node);
            const size_t preferred = std::hash<std::string>{}(stream) % std::max<size_t>(1, live.size());
            if ((preferred < live.size() && live[preferred] == me) || silent >= 2 * lease_period) {
              action = kTakeOver;
            }
          }
        }
      } else if (fresh) {
        auto [since, added] = unleased_since_.emplace(stream, now);
        const std::vector<std::string> live = LivePeersLocked(now);
        const size_t preferred = std::hash<std::string>{}(stream) % std::max<size_t>(1, live.size());
        if ((preferred < live.size() && live[preferred] == me) || now - since->second >= lease_period) {
          action = kCreate;
        }
      }
    }
    if (action == kNothing) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!busy_.insert(stream).second) continue;  // a step on this stream is under way
      ++steps_;
    }
    // Taking a lane reads its backlog and may wait on JetStream: each runs on its own thread, so
    // one stream's takeover does not hold up another's.
    std::thread([this, stream, action, lease] {
      Act(stream, action, lease);
      std::lock_guard<std::mutex> lock(mu_);
      busy_.erase(stream);
      --steps_;
      cv_.notify_all();
    }).detach();
  }
}

}  // namespace hydrant::cluster
