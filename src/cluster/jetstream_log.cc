// JetStreamLog: wal::Wal over one JetStream stream.
#include "cluster/jetstream_log.h"


#include <cstring>
#include <mutex>

#include "cluster/keys.h"
#include "stream/cluster_store.h"

namespace hydrant::cluster {
namespace {
constexpr char kRecordsHeader[] = "Hydrant-Records";
constexpr char kBytesHeader[] = "Hydrant-Bytes";
constexpr char kArrivalHeader[] = "Hydrant-Arrival";
constexpr int64_t kMaxMessageBytes = 8 << 20;  // a 4 MiB PutRecordBatch and its framing fit

uint64_t HeaderNumber(natsMsg* msg, const char* name) {
  const char* text = nullptr;
  if (natsMsgHeader_Get(msg, name, &text) != NATS_OK || text == nullptr) return 0;
  return std::strtoull(text, nullptr, 10);
}

class JetStreamLog final : public wal::Wal {
 public:
  JetStreamLog(NatsClient* client, std::string stream, uint64_t first_seq, uint64_t last_seq)
      : client_(client),
        name_(LogStreamName(stream)),
        subject_(LogSubject(stream)),
        begin_{first_seq, 0},
        durable_end_{last_seq + 1, 0} {}

  ~JetStreamLog() override { (void)Close(); }

  wal::LogPosition Append(std::span<const std::string_view> records, int64_t arrival_millis,
                          AppendCallback done) override {
    if (records.empty()) {
      if (done) done(Status::Ok());
      return {};
    }
    std::string payload;
    uint64_t bytes = 0;
    for (std::string_view r : records) bytes += r.size();
    payload.reserve(bytes + 4 * records.size());
    for (std::string_view r : records) {
      uint32_t n = static_cast<uint32_t>(r.size());
      payload.append(reinterpret_cast<const char*>(&n), 4);
      payload.append(r);
    }
    if (static_cast<int64_t>(payload.size()) > kMaxMessageBytes) {
      done(Status::InvalidArgument("the records exceed the cluster's message size"));
      return {};
    }
    client_->Publish(subject_, payload,
                     {{kRecordsHeader, std::to_string(records.size())},
                      {kBytesHeader, std::to_string(bytes)},
                      {kArrivalHeader, std::to_string(arrival_millis)}},
                     [done = std::move(done)](Status s, uint64_t) {
                       if (done) done(std::move(s));
                     });
    return {};  // the position is JetStream's sequence, known once stored
  }

  void Rekey(std::string key_ref, AppendCallback done) override {
    done(key_ref.empty() ? Status::Ok() : Status::InvalidArgument(stream::kNoEncryptionInCluster));
  }

  void SetDurableListener(DurableListener listener) override {
    listener_ = std::move(listener);
    follower_ = client_->Follow(name_, subject_, DurableEnd().segment,
                                [this](natsMsg* msg, uint64_t seq) { OnStored(msg, seq); });
  }

  wal::LogPosition Begin() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return begin_;
  }
  wal::LogPosition DurableEnd() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return durable_end_;
  }

  Status Read(wal::LogPosition from, const std::function<bool(const wal::RecordView&)>& visit) const override {
    const wal::LogPosition end = DurableEnd();
    if (from > end) return Status::InvalidArgument("read past the durable end of " + name_);
    for (uint64_t seq = from.segment; seq < end.segment; ++seq) {
      natsMsg* msg = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      natsStatus s = js_GetMsg(&msg, client_->js(), name_.c_str(), seq, nullptr, &code);
      if (s != NATS_OK) {
        if (code == JSNoMessageFoundErr && seq < Begin().segment) return Status::NotFound(name_ + ": released");
        return NatsError("cannot read message " + std::to_string(seq) + " of " + name_, s, code);
      }
      const int64_t arrival = static_cast<int64_t>(HeaderNumber(msg, kArrivalHeader));
      std::string_view data(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
      bool go_on = true;
      for (uint64_t index = 0; !data.empty() && go_on; ++index) {
        if (data.size() < 4) break;
        uint32_t n;
        std::memcpy(&n, data.data(), 4);
        if (data.size() < 4 + uint64_t{n}) {
          natsMsg_Destroy(msg);
          return Status::Corruption("message " + std::to_string(seq) + " of " + name_ + " is cut short");
        }
        std::string_view record = data.substr(4, n);
        data.remove_prefix(4 + n);
        if (seq == from.segment && index < from.offset) continue;
        wal::RecordView view{.position = {seq, index},
                             .next = data.empty() ? wal::LogPosition{seq + 1, 0} : wal::LogPosition{seq, index + 1},
                             .arrival_millis = arrival,
                             .data = record};
        go_on = visit(view);
      }
      natsMsg_Destroy(msg);
      if (!go_on) break;
    }
    return Status::Ok();
  }

  Status ReleaseBefore(wal::LogPosition position) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (position.segment <= begin_.segment) return Status::Ok();
    }
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Purge.Sequence = position.segment;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_PurgeStream(client_->js(), name_.c_str(), &o, &code);
    if (s != NATS_OK) return NatsError("cannot purge delivered records of " + name_, s, code);
    std::lock_guard<std::mutex> lock(mu_);
    begin_ = {position.segment, 0};
    return Status::Ok();
  }

  // JetStream accounts for the stream's space, and its limits refuse puts ("Slow down.").
  uint64_t RetainedBytes() const override { return 0; }
  uint64_t BytesBetween(wal::LogPosition, wal::LogPosition) const override { return 0; }

  Status Close() override {
    if (follower_) client_->Unfollow(follower_);
    follower_.reset();
    return Status::Ok();
  }

 private:
  void OnStored(natsMsg* msg, uint64_t seq) {
    wal::DurableGroup group{.end = {seq + 1, 0},
                            .records = HeaderNumber(msg, kRecordsHeader),
                            .data_bytes = HeaderNumber(msg, kBytesHeader),
                            .oldest_arrival_millis = static_cast<int64_t>(HeaderNumber(msg, kArrivalHeader))};
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!(durable_end_ < group.end)) return;
      durable_end_ = group.end;
    }
    if (group.records > 0) listener_(group);
  }

  NatsClient* const client_;
  const std::string name_;
  const std::string subject_;
  mutable std::mutex mu_;
  wal::LogPosition begin_;        // guarded by mu_
  wal::LogPosition durable_end_;  // guarded by mu_
  DurableListener listener_;
  std::shared_ptr<NatsClient::Follower> follower_;
};
}  // namespace

std::string LogStreamName(const std::string& stream) { return "hydrant-records-" + KeyToken(stream); }
std::string LogSubject(const std::string& stream) { return "hydrant.records." + KeyToken(stream); }

Result<std::unique_ptr<wal::Wal>> OpenJetStreamLog(NatsClient* client, const std::string& stream) {
  const std::string name = LogStreamName(stream);
  const std::string subject = LogSubject(stream);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = client->options().replicas;
  cfg.Retention = js_LimitsPolicy;
  cfg.Discard = js_DiscardNew;  // a full stream refuses puts; nothing acknowledged is dropped
  cfg.MaxBytes = client->options().stream_max_bytes > 0 ? client->options().stream_max_bytes : -1;
  cfg.MaxMsgSize = kMaxMessageBytes;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, client->js(), &cfg, nullptr, &code);
  if (s != NATS_OK) {
    Status add_failed = NatsError("cannot create the JetStream stream " + name, s, code);
    // Made by another node already (with its settings): open it as it is.
    code = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&info, client->js(), name.c_str(), nullptr, &code);
    if (s != NATS_OK) return add_failed;
  }
  const uint64_t first = info->State.FirstSeq ? info->State.FirstSeq : info->State.LastSeq + 1;
  const uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return std::unique_ptr<wal::Wal>(new JetStreamLog(client, stream, first, last));
}

Status DeleteJetStreamLog(NatsClient* client, const std::string& stream) {
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(client->js(), LogStreamName(stream).c_str(), nullptr, &code);
  if (s == NATS_OK || code == JSStreamNotFoundErr) return Status::Ok();
  return NatsError("cannot delete the JetStream stream of " + stream, s, code);
}

}  // namespace hydrant::cluster
