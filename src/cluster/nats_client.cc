// NatsClient: connection, JetStream context, bucket, asynchronous publishing and watches.
#include "cluster/nats_client.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <tuple>

namespace hydrant::cluster {
namespace {
constexpr char kPutHeader[] = "Hydrant-Put";
// Then the put fails (no acknowledgement); a JetStream stream elects a new leader within a few
// seconds when one server dies.
constexpr int64_t kPublishWaitMillis = 5'000;
constexpr int64_t kStartupWaitMillis = 30'000;  // JetStream elects its leaders after a start

std::string LastErrorText(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  return text && *text ? text : natsStatus_GetText(s);
}

bool IsWrongRevision(natsStatus s) {
  return s == NATS_ERR && LastErrorText(s).find("wrong last sequence") != std::string::npos;
}
}  // namespace

Status NatsError(std::string_view what, natsStatus s, jsErrCode code) {
  std::string message = std::string(what) + ": " + LastErrorText(s);
  if (code != 0) message += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return Status::Unavailable(std::move(message));
}

Result<std::unique_ptr<NatsClient>> NatsClient::Connect(const ClusterOptions& options) {
  if (options.servers.empty()) return Status::InvalidArgument("--cluster needs at least one nats:// URL");
  std::unique_ptr<NatsClient> client(new NatsClient(options));
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> urls;
  for (const std::string& url : options.servers) urls.push_back(url.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, ("hydrant " + options.node_id).c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever: the servers come back
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  // Publishes made while reconnecting wait in this buffer instead of failing at once.
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 64 << 20);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, &NatsClient::OnDisconnected, client.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, &NatsClient::OnReconnected, client.get());
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, &NatsClient::OnAsyncError, client.get());
  if (s == NATS_OK) s = natsConnection_Connect(&client->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return NatsError("cannot connect to the NATS cluster", s);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  jo.PublishAsync.AckHandler = &NatsClient::OnAck;
  jo.PublishAsync.AckHandlerClosure = client.get();
  jo.PublishAsync.MaxPending = 1 << 16;
  jo.PublishAsync.StallWait = 1000;
  s = natsConnection_JetStream(&client->js_, client->nc_, &jo);
  if (s != NATS_OK) return NatsError("cannot open JetStream", s);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartupWaitMillis);
  for (auto [kv, name, description] :
       {std::tuple{&client->kv_, options.bucket, "Hydrant's shared catalog, lane leases and heartbeats"},
        std::tuple{&client->journals_, options.bucket + "-journals", "Hydrant's lane journals"}}) {
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name.c_str();
    kc.Description = description;
    kc.History = 1;
    kc.StorageType = js_FileStorage;
    kc.Replicas = options.replicas;
    for (;;) {
      s = js_CreateKeyValue(kv, client->js_, &kc);
      if (s != NATS_OK) s = js_KeyValue(kv, client->js_, kc.Bucket);  // made by another node
      if (s == NATS_OK) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return NatsError("cannot open the key-value bucket " + name, s);
      }
      spdlog::info("cluster: waiting for JetStream ({})", LastErrorText(s));
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  client->maintainer_ = std::thread([c = client.get()] { c->Maintain(); });
  return client;
}

// The acknowledgements of what was in flight on a lost connection may never come: those puts
// fail now (the client sends them again) instead of after the publish timeout.
void NatsClient::OnDisconnected(natsConnection*, void* closure) {
  auto* self = static_cast<NatsClient*>(closure);
  self->epoch_++;
  self->FailPending("the connection to the NATS server was lost");
}

void NatsClient::OnReconnected(natsConnection*, void* closure) { static_cast<NatsClient*>(closure)->epoch_++; }

void NatsClient::OnAsyncError(natsConnection*, natsSubscription*, natsStatus s, void* closure) {
  spdlog::warn("cluster: {}; the bucket's watches and the stream consumers are made again", natsStatus_GetText(s));
  static_cast<NatsClient*>(closure)->epoch_++;
}

void NatsClient::FailPending(const std::string& why) {
  std::map<uint64_t, PublishDone> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(pending_);
  }
  for (auto& [id, done] : pending) done(Status::Unavailable(why), 0);
}

void NatsClient::StopWatches() {
  stopping_ = true;
  for (std::thread& t : watchers_) {
    if (t.joinable()) t.join();
  }
}

NatsClient::~NatsClient() {
  StopWatches();
  if (maintainer_.joinable()) maintainer_.join();
  if (kv_) kvStore_Destroy(kv_);
  if (journals_) kvStore_Destroy(journals_);
  if (nc_) natsConnection_Close(nc_);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) natsConnection_Destroy(nc_);
  FailPending("the node is stopping");
}

bool NatsClient::connected() const { return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; }

void NatsClient::Publish(const std::string& subject, std::string_view payload,
                         const std::vector<std::pair<const char*, std::string>>& headers, PublishDone done) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(), static_cast<int>(payload.size()));
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_put_++;
    pending_.emplace(id, std::move(done));
  }
  for (const auto& [name, value] : headers) {
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, name, value.c_str());
  }
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, kPutHeader, std::to_string(id).c_str());
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = kPublishWaitMillis;
  if (s == NATS_OK) s = js_PublishMsgAsync(js_, &msg, &po);
  if (s == NATS_OK) return;  // the library owns the message now
  Status failed = NatsError("cannot publish to " + subject, s);
  natsMsg_Destroy(msg);
  PublishDone callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // answered meanwhile
    callback = std::move(it->second);
    pending_.erase(it);
  }
  callback(std::move(failed), 0);
}

void NatsClient::OnAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* self = static_cast<NatsClient*>(closure);
  const char* id_text = nullptr;
  uint64_t id = 0;
  if (natsMsgHeader_Get(msg, kPutHeader, &id_text) == NATS_OK && id_text) id = std::strtoull(id_text, nullptr, 10);
  natsMsg_Destroy(msg);
  PublishDone done;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    auto it = self->pending_.find(id);
    if (it == self->pending_.end()) return;
    done = std::move(it->second);
    self->pending_.erase(it);
  }
  if (ack) return done(Status::Ok(), ack->Sequence);
  std::string text = error && error->ErrText ? error->ErrText : natsStatus_GetText(error ? error->Err : NATS_ERR);
  if (error && (error->ErrCode == JSStreamStoreFailedErr || error->ErrCode == JSInsufficientResourcesErr ||
                error->ErrCode == JSStorageResourcesExceededErr || text.find("maximum") != std::string::npos ||
                text.find("insufficient resources") != std::string::npos)) {
    return done(Status::ResourceExhausted("JetStream refused the records: " + text), 0);
  }
  done(Status::Unavailable("JetStream did not store the records: " + text), 0);
}

Result<std::optional<KvValue>> NatsClient::Get(const std::string& key, Bucket bucket) const {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, Of(bucket), key.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<KvValue>();
  if (s != NATS_OK) return NatsError("cannot read " + key + " from the bucket", s);
  KvValue v{std::string(static_cast<const char*>(kvEntry_Value(e)), kvEntry_ValueLen(e)), kvEntry_Revision(e)};
  kvEntry_Destroy(e);
  return std::optional<KvValue>(std::move(v));
}

Result<uint64_t> NatsClient::Create(const std::string& key, std::string_view value, Bucket bucket) const {
  uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, Of(bucket), key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return rev;
  if (IsWrongRevision(s)) return Status::AlreadyExists(key + " exists");
  return NatsError("cannot create " + key + " in the bucket", s);
}

Result<uint64_t> NatsClient::Update(const std::string& key, std::string_view value, uint64_t revision,
                                    Bucket bucket) const {
  uint64_t rev = 0;
  natsStatus s = kvStore_Update(&rev, Of(bucket), key.c_str(), value.data(), static_cast<int>(value.size()), revision);
  if (s == NATS_OK) return rev;
  if (IsWrongRevision(s)) return Status::FailedPrecondition(key + " was changed by another node");
  return NatsError("cannot update " + key + " in the bucket", s);
}

Result<uint64_t> NatsClient::Put(const std::string& key, std::string_view value) const {
  uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return rev;
  return NatsError("cannot write " + key + " to the bucket", s);
}

Status NatsClient::Delete(const std::string& key, Bucket bucket) const {
  natsStatus s = kvStore_Delete(Of(bucket), key.c_str());
  return s == NATS_OK ? Status::Ok() : NatsError("cannot delete " + key + " from the bucket", s);
}

Status NatsClient::Watch(const std::string& keys, WatchCallback changed) {
  kvWatcher* w = nullptr;
  natsStatus s = kvStore_Watch(&w, kv_, keys.c_str(), nullptr);
  if (s != NATS_OK) return NatsError("cannot watch " + keys, s);
  watchers_.emplace_back([this, w, keys, changed = std::move(changed)]() mutable {
    uint64_t epoch = epoch_;
    while (!stopping_) {
      kvEntry* e = nullptr;
      natsStatus next = kvWatcher_Next(&e, w, 250);
      if ((next != NATS_OK && next != NATS_TIMEOUT) || epoch != epoch_) {
        // The watch broke, or may have (its server went away): made again, it replays the values.
        epoch = epoch_;
        kvWatcher_Destroy(w);
        w = nullptr;
        while (!stopping_ && kvStore_Watch(&w, kv_, keys.c_str(), nullptr) != NATS_OK) {
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        if (!w) return;
        continue;
      }
      if (next != NATS_OK || e == nullptr) continue;  // a timeout, or the end of the current values
      std::optional<std::string> value;
      if (kvEntry_Operation(e) == kvOp_Put) {
        value.emplace(static_cast<const char*>(kvEntry_Value(e)), kvEntry_ValueLen(e));
      }
      changed(kvEntry_Key(e), value, kvEntry_Revision(e));
      kvEntry_Destroy(e);
    }
    if (w) kvWatcher_Destroy(w);
  });
  return Status::Ok();
}

// --- Followers ---------------------------------------------------------------------------------

class NatsClient::Follower {
 public:
  Follower(NatsClient* client, std::string stream, std::string subject, uint64_t from, FollowCallback stored)
      : client_(client), stream_(std::move(stream)), subject_(std::move(subject)), next_(from),
        stored_(std::move(stored)) {}
  // No callback runs after Stop returns. The client keeps the object a while longer, for a
  // callback the library may have begun just before.
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_at_ = std::chrono::steady_clock::now();
    Unsubscribe();
  }
  std::optional<std::chrono::steady_clock::time_point> stopped_at() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped_at_;
  }

  // (Re)subscribes from the next sequence not seen yet.
  void Subscribe() {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_at_) return;
    Unsubscribe();
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream_.c_str();
    so.Ordered = true;
    so.Config.HeadersOnly = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = next_;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_Subscribe(&sub_, client_->js(), subject_.c_str(), &Follower::OnMessage, this, nullptr, &so, &code);
    if (s != NATS_OK) {
      sub_ = nullptr;
      spdlog::warn("cluster: cannot follow {} ({}); trying again", stream_, NatsError("subscribe", s, code).ToString());
    }
  }
  bool subscribed() {
    std::lock_guard<std::mutex> lock(mu_);
    return sub_ != nullptr;
  }

 private:
  void Unsubscribe() {
    if (!sub_) return;
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<Follower*>(closure);
    std::lock_guard<std::mutex> lock(self->mu_);
    jsMsgMetaData* meta = nullptr;
    if (!self->stopped_at_ && natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      const uint64_t seq = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
      // After a consumer is made again, what was seen already is skipped.
      if (seq >= self->next_.load()) {
        self->next_ = seq + 1;
        self->stored_(msg, seq);
      }
    }
    natsMsg_Destroy(msg);
  }

  NatsClient* const client_;
  const std::string stream_;
  const std::string subject_;
  std::atomic<uint64_t> next_;
  const FollowCallback stored_;
  std::mutex mu_;  // held while `stored_` runs
  natsSubscription* sub_ = nullptr;  // guarded by mu_
  std::optional<std::chrono::steady_clock::time_point> stopped_at_;  // guarded by mu_
};

void NatsClient::Unfollow(const std::shared_ptr<Follower>& follower) { follower->Stop(); }

std::shared_ptr<NatsClient::Follower> NatsClient::Follow(const std::string& stream, const std::string& subject,
                                                         uint64_t from, FollowCallback stored) {
  auto follower = std::make_shared<Follower>(this, stream, subject, from, std::move(stored));
  follower->Subscribe();
  std::lock_guard<std::mutex> lock(followers_mu_);
  followers_.push_back(follower);
  return follower;
}

void NatsClient::Maintain() {
  uint64_t epoch = epoch_;
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    const bool broke = epoch != epoch_;
    epoch = epoch_;
    std::vector<std::shared_ptr<Follower>> live;
    {
      std::lock_guard<std::mutex> lock(followers_mu_);
      const auto now = std::chrono::steady_clock::now();
      std::erase_if(followers_, [&](const std::shared_ptr<Follower>& f) {
        auto stopped = f->stopped_at();
        return stopped && now - *stopped > std::chrono::seconds(5);
      });
      live = followers_;
    }
    for (const auto& f : live) {
      if ((broke || !f->subscribed()) && !f->stopped_at()) f->Subscribe();
    }
  }
}

}  // namespace hydrant::cluster
