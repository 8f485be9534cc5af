// Catalog: stream folders on disk and the live DeliveryStreams.
#include "stream/catalog.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

#include "common/ids.h"

namespace hydrant::stream {
namespace {
constexpr char kStreamDirPrefix[] = "ds-";
constexpr char kCreatingPrefix[] = ".creating-";
constexpr char kDeletingPrefix[] = ".deleting-";
}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const CatalogOptions& options,
                                               const DeliveryStreamDeps& deps) {
  std::unique_ptr<Catalog> catalog(new Catalog(options, deps));
  HYDRANT_RETURN_IF_ERROR(catalog->Load());
  return catalog;
}

Catalog::~Catalog() {
  std::unique_lock lock(mu_);
  for (auto& [name, stream] : streams_) stream->Stop();
}

std::string Catalog::StreamsDir() const { return JoinPath(options_.data_dir, "streams"); }

std::string Catalog::StreamDir(const std::string& name) const {
  return JoinPath(StreamsDir(), kStreamDirPrefix + name);
}

std::string Catalog::Arn(const std::string& name) const {
  return "arn:aws:firehose:" + options_.region + ":" + options_.account_id + ":deliverystream/" + name;
}

StreamStatus Catalog::StatusOf(const DeliveryStream& stream) const {
  return deps_.clock->NowMillis() < stream.create_millis() + options_.activation_delay_millis
             ? StreamStatus::kCreating
             : StreamStatus::kActive;
}

Status Catalog::Load() {
  Env* env = deps_.env;
  if (deps_.cluster) {
    // The catalog is the cluster's; a stream's folder holds only what its lane spills to disk.
    HYDRANT_RETURN_IF_ERROR(env->RemoveDirRecursively(StreamsDir()));
    return env->CreateDirs(StreamsDir());
  }
  HYDRANT_RETURN_IF_ERROR(env->CreateDirs(StreamsDir()));
  auto children = env->GetChildren(StreamsDir());
  if (!children.ok()) return children.status();
  for (const std::string& entry : *children) {
    std::string path = JoinPath(StreamsDir(), entry);
    if (entry.rfind(kCreatingPrefix, 0) == 0 || entry.rfind(kDeletingPrefix, 0) == 0) {
      HYDRANT_RETURN_IF_ERROR(env->RemoveDirRecursively(path));  // interrupted create/delete
      continue;
    }
    if (entry.rfind(kStreamDirPrefix, 0) != 0) continue;
    auto text = env->ReadFile(JoinPath(path, "stream.json"));
    if (!text.ok()) return text.status();
    auto metadata = StreamMetadata::FromJsonText(*text);
    if (!metadata.ok()) {
      return Status::Corruption("stream folder " + path + ": " + metadata.status().ToString());
    }
    std::string name = metadata->config.name();
    auto stream = DeliveryStream::Open(path, std::move(*metadata), deps_);
    if (!stream.ok()) return Status(stream.status().code(), "stream " + name + ": " + stream.status().message());
    streams_.emplace(name, std::move(*stream));
  }
  if (!streams_.empty()) spdlog::info("loaded {} delivery stream(s) from {}", streams_.size(), StreamsDir());
  return Status::Ok();
}

Status Catalog::Create(StreamConfig config, std::vector<std::pair<std::string, std::string>> tags,
                       StreamEncryption encryption) {
  const std::string name = config.name();
  std::unique_lock lock(mu_);
  const Status in_use = Status::ResourceInUse("Firehose " + name + " under accountId " + options_.account_id +
                                               " already exists");
  if (streams_.count(name)) return in_use;
  if (streams_.size() >= options_.max_streams) {
    return Status::LimitExceeded("You have already consumed your firehose quota of " +
                                 std::to_string(options_.max_streams) + " delivery streams.");
  }
  StreamMetadata metadata{std::move(config)};
  metadata.create_millis = deps_.clock->NowMillis();
  metadata.tags = std::move(tags);
  metadata.encryption = std::move(encryption);
  if (deps_.cluster) {
    if (metadata.encryption.status != "DISABLED") {
      return Status::InvalidArgument(kNoEncryptionInCluster);
    }
    // The network calls run without the lock, so puts to other streams go on meanwhile.
    lock.unlock();
    if (Status s = deps_.cluster->CreateStream(metadata); !s.ok()) {
      return s.code() == StatusCode::kAlreadyExists ? in_use : s;
    }
    auto stream = OpenShared(std::move(metadata), /*run_lanes=*/false);
    if (!stream.ok()) return stream.status();
    lock.lock();
    streams_.try_emplace(name, std::move(*stream));  // the watch may have adopted it meanwhile
    return Status::Ok();
  }

  Env* env = deps_.env;
  std::string staging = JoinPath(StreamsDir(), kCreatingPrefix + RandomHex(12));
  HYDRANT_RETURN_IF_ERROR(env->CreateDirs(staging));
  Status s = env->WriteFileAtomic(JoinPath(staging, "stream.json"), metadata.ToJsonText());
  if (s.ok()) s = env->RenameFile(staging, StreamDir(name));
  if (s.ok()) s = env->SyncDir(StreamsDir());
  if (!s.ok()) {
    (void)env->RemoveDirRecursively(staging);
    return s;
  }
  auto stream = DeliveryStream::Open(StreamDir(name), std::move(metadata), deps_);
  if (!stream.ok()) return stream.status();
  streams_.emplace(name, std::move(*stream));
  return Status::Ok();
}

Status Catalog::Delete(const std::string& name) {
  std::shared_ptr<DeliveryStream> stream;
  {
    std::unique_lock lock(mu_);
    auto it = streams_.find(name);
    if (it == streams_.end()) {
      return Status::NotFound("Firehose " + name + " under account " + options_.account_id + " not found.");
    }
    stream = it->second;
    if (StatusOf(*stream) == StreamStatus::kCreating) {
      return Status::ResourceInUse("Firehose " + name + " under account " + options_.account_id +
                                   " is in CREATING state; it can be deleted once it is ACTIVE.");
    }
    if (deps_.cluster) HYDRANT_RETURN_IF_ERROR(deps_.cluster->DeleteStream(name));
    streams_.erase(it);
  }
  stream->Stop();
  Env* env = deps_.env;
  if (deps_.cluster) return env->RemoveDirRecursively(StreamDir(name));
  std::string doomed = JoinPath(StreamsDir(), kDeletingPrefix + RandomHex(12));
  HYDRANT_RETURN_IF_ERROR(env->RenameFile(StreamDir(name), doomed));
  HYDRANT_RETURN_IF_ERROR(env->SyncDir(StreamsDir()));
  if (deps_.budget) deps_.budget->Release(stream->undelivered_wal_bytes());
  return env->RemoveDirRecursively(doomed);
}

std::shared_ptr<DeliveryStream> Catalog::Find(const std::string& name) const {
  std::shared_lock lock(mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second;
}

std::vector<std::string> Catalog::ListNames() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  names.reserve(streams_.size());
  for (const auto& [name, stream] : streams_) names.push_back(name);
  return names;
}

Result<std::shared_ptr<DeliveryStream>> Catalog::OpenShared(StreamMetadata metadata, bool run_lanes) {
  const std::string dir = StreamDir(metadata.config.name());
  HYDRANT_RETURN_IF_ERROR(deps_.env->CreateDirs(dir));
  DeliveryStreamDeps deps = deps_;
  deps.run_lanes = run_lanes;
  auto stream = DeliveryStream::Open(dir, std::move(metadata), deps);
  if (!stream.ok()) return stream.status();
  return std::shared_ptr<DeliveryStream>(std::move(*stream));
}

Status Catalog::Adopt(StreamMetadata metadata) {
  const std::string name = metadata.config.name();
  auto same = [&](const std::shared_ptr<DeliveryStream>& known) {
    return known->create_millis() == metadata.create_millis;
  };
  {
    std::shared_lock lock(mu_);
    if (auto it = streams_.find(name); it != streams_.end() && same(it->second)) {
      it->second->AdoptMetadata(std::move(metadata));
      return Status::Ok();
    }
  }
  // Opened without the lock: puts to other streams go on meanwhile.
  auto stream = OpenShared(metadata, /*run_lanes=*/false);
  if (!stream.ok()) return stream.status();
  std::shared_ptr<DeliveryStream> replaced;
  {
    std::unique_lock lock(mu_);
    auto it = streams_.find(name);
    if (it != streams_.end() && same(it->second)) {
      it->second->AdoptMetadata(std::move(metadata));  // opened meanwhile by Create
      return Status::Ok();
    }
    if (it != streams_.end()) {
      replaced = std::exchange(it->second, std::move(*stream));  // deleted and created again
    } else {
      streams_.emplace(name, std::move(*stream));
    }
  }
  if (replaced) replaced->Stop();
  return Status::Ok();
}

void Catalog::Forget(const std::string& name) {
  std::shared_ptr<DeliveryStream> stream;
  {
    std::unique_lock lock(mu_);
    auto it = streams_.find(name);
    if (it == streams_.end()) return;
    stream = std::move(it->second);
    streams_.erase(it);
  }
  stream->Stop();
  (void)deps_.env->RemoveDirRecursively(StreamDir(name));
}

Status Catalog::Lead(const std::string& name, bool lead) {
  std::shared_ptr<DeliveryStream> old = Find(name);
  if (!old) return Status::NotFound("no stream " + name);
  // The lanes stop before another instance may start them.
  old->Stop();
  auto stream = OpenShared(old->metadata(), lead);
  std::unique_lock lock(mu_);
  auto it = streams_.find(name);
  if (it == streams_.end() || it->second != old) {
    return Status::FailedPrecondition("the stream was deleted or replaced meanwhile");  // no lanes started here
  }
  if (!stream.ok()) return stream.status();  // `old` still serves puts; its lanes are stopped
  (*stream)->put_counters().Add(old->put_counters());
  it->second = std::move(*stream);
  return Status::Ok();
}

void Catalog::DrainAll() {
  std::vector<std::shared_ptr<DeliveryStream>> streams;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, stream] : streams_) streams.push_back(stream);
  }
  // Every stream drains at once, on the shared delivery pool.
  for (auto& stream : streams) stream->BeginDrain();
  for (auto& stream : streams) stream->WaitDrained();
}

}  // namespace hydrant::stream
