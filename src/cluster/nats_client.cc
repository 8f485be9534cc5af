// NatsClient: connection, JetStream context, bucket, asynchronous publishing and watches.
#include "cluster/nats_client.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

namespace hydrant::cluster {
namespace {
constexpr char kPutHeader[] = "Hydrant-Put";
constexpr int64_t kPublishWaitMillis = 10'000;  // then the put fails: no acknowledgement
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

  kvConfig kc;
  kvConfig_Init(&kc);
  kc.Bucket = options.bucket.c_str();
  kc.Description = "Hydrant's shared catalog, lane leases and journals";
  kc.History = 1;
  kc.StorageType = js_FileStorage;
  kc.Replicas = options.replicas;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartupWaitMillis);
  for (;;) {
    s = js_CreateKeyValue(&client->kv_, client->js_, &kc);
    if (s != NATS_OK) s = js_KeyValue(&client->kv_, client->js_, kc.Bucket);  // made by another node
    if (s == NATS_OK) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return NatsError("cannot open the key-value bucket " + options.bucket, s);
    }
    spdlog::info("cluster: waiting for JetStream ({})", LastErrorText(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return client;
}

NatsClient::~NatsClient() {
  stopping_ = true;
  for (std::thread& t : watchers_) t.join();
  if (kv_) kvStore_Destroy(kv_);
  if (nc_) natsConnection_Close(nc_);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) natsConnection_Destroy(nc_);
  std::map<uint64_t, PublishDone> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(pending_);
  }
  for (auto& [id, done] : pending) done(Status::Unavailable("the node is stopping"), 0);
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

Result<std::optional<KvValue>> NatsClient::Get(const std::string& key) const {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return std::optional<KvValue>();
  if (s != NATS_OK) return NatsError("cannot read " + key + " from the bucket", s);
  KvValue v{std::string(static_cast<const char*>(kvEntry_Value(e)), kvEntry_ValueLen(e)), kvEntry_Revision(e)};
  kvEntry_Destroy(e);
  return std::optional<KvValue>(std::move(v));
}

Result<uint64_t> NatsClient::Create(const std::string& key, std::string_view value) const {
  uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return rev;
  if (IsWrongRevision(s)) return Status::AlreadyExists(key + " exists");
  return NatsError("cannot create " + key + " in the bucket", s);
}

Result<uint64_t> NatsClient::Update(const std::string& key, std::string_view value, uint64_t revision) const {
  uint64_t rev = 0;
  natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()), revision);
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

Status NatsClient::Delete(const std::string& key) const {
  natsStatus s = kvStore_Delete(kv_, key.c_str());
  return s == NATS_OK ? Status::Ok() : NatsError("cannot delete " + key + " from the bucket", s);
}

Status NatsClient::Watch(const std::string& keys, WatchCallback changed) {
  kvWatcher* w = nullptr;
  natsStatus s = kvStore_Watch(&w, kv_, keys.c_str(), nullptr);
  if (s != NATS_OK) return NatsError("cannot watch " + keys, s);
  watchers_.emplace_back([this, w, changed = std::move(changed)] {
    while (!stopping_) {
      kvEntry* e = nullptr;
      natsStatus next = kvWatcher_Next(&e, w, 250);
      if (next != NATS_OK || e == nullptr) continue;  // a timeout, or the end of the current values
      std::optional<std::string> value;
      if (kvEntry_Operation(e) == kvOp_Put) {
        value.emplace(static_cast<const char*>(kvEntry_Value(e)), kvEntry_ValueLen(e));
      }
      changed(kvEntry_Key(e), value, kvEntry_Revision(e));
      kvEntry_Destroy(e);
    }
    kvWatcher_Destroy(w);
  });
  return Status::Ok();
}

}  // namespace hydrant::cluster
