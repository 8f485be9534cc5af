// FaultInjectionEnv: power-loss simulation and injected I/O failures over a base Env.
#include "wal/testing/fault_injection_env.h"

#include <algorithm>
#include <cerrno>
#include <utility>

namespace hydrant::wal {

class FaultInjectionEnv::TestWritableFile final : public WritableFile {
 public:
  TestWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> target)
      : env_(env), path_(std::move(path)), target_(std::move(target)) {}
  Status Append(std::string_view data) override {
    HYDRANT_RETURN_IF_ERROR(env_->BeforeAppend(path_));
    if (env_->TakeTornAppend()) {
      std::string_view half = data.substr(0, data.size() / 2);
      HYDRANT_RETURN_IF_ERROR(target_->Append(half));
      env_->AfterAppend(path_, half.size());
      return Status::FromErrno("write " + path_, ENOSPC);
    }
    HYDRANT_RETURN_IF_ERROR(target_->Append(data));
    env_->AfterAppend(path_, data.size());
    return Status::Ok();
  }
  Status Sync() override { return env_->SyncFile(path_, *target_); }
  Status Close() override { return target_->Close(); }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> target_;
};

class FaultInjectionEnv::CountingRandomAccessFile final : public RandomAccessFile {
 public:
  CountingRandomAccessFile(FaultInjectionEnv* env, std::unique_ptr<RandomAccessFile> target)
      : env_(env), target_(std::move(target)) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    env_->CountRead();
    return target_->Read(offset, n, out);
  }
  Result<uint64_t> Size() const override { return target_->Size(); }

 private:
  FaultInjectionEnv* const env_;
  std::unique_ptr<RandomAccessFile> target_;
};

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path,
                                                                         bool truncate, WriteMode mode) {
  bool existed = base_->FileExists(path);
  auto target = base_->NewWritableFile(path, truncate, mode);
  if (!target.ok()) return target.status();
  std::lock_guard lock(mu_);
  auto [it, inserted] = files_.try_emplace(path);
  FileState& state = it->second;
  if (!existed) {
    state = FileState{};
  } else if (inserted) {
    auto size = base_->GetFileSize(path);
    if (!size.ok()) return size.status();
    state = FileState{.size = *size, .synced_size = *size, .entry_durable = true};
  }
  if (truncate) state.size = state.synced_size = 0;
  return std::unique_ptr<WritableFile>(new TestWritableFile(this, path, std::move(*target)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::ReuseWritableFile(const std::string& path) {
  auto target = base_->ReuseWritableFile(path);
  if (!target.ok()) return target.status();
  std::lock_guard lock(mu_);
  auto [it, inserted] = files_.try_emplace(path, FileState{.entry_durable = true});
  it->second.size = it->second.synced_size = 0;
  return std::unique_ptr<WritableFile>(new TestWritableFile(this, path, std::move(*target)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path, bool direct) {
  auto target = base_->NewRandomAccessFile(path, direct);
  if (!target.ok()) return target.status();
  return std::unique_ptr<RandomAccessFile>(new CountingRandomAccessFile(this, std::move(*target)));
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  HYDRANT_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard lock(mu_);
  files_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveDirRecursively(const std::string& path) {
  HYDRANT_RETURN_IF_ERROR(base_->RemoveDirRecursively(path));
  std::lock_guard lock(mu_);
  std::string prefix = JoinPath(path, "");
  std::erase_if(files_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  HYDRANT_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard lock(mu_);
  if (auto it = files_.find(from); it != files_.end()) {
    FileState state = it->second;
    files_.erase(it);
    files_[to] = state;
  } else {
    files_.erase(to);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  HYDRANT_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  std::lock_guard lock(mu_);
  if (auto it = files_.find(path); it != files_.end()) {
    it->second.size = size;
    it->second.synced_size = std::min(it->second.synced_size, size);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  HYDRANT_RETURN_IF_ERROR(base_->SyncDir(dir));
  std::lock_guard lock(mu_);
  for (auto& [path, state] : files_) {
    if (DirName(path) == dir) state.entry_durable = true;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard lock(mu_);
  // Faults armed for the process that crashed do not outlive it.
  fail_next_append_ = fail_next_sync_ = tear_next_append_ = false;
  for (auto it = files_.begin(); it != files_.end();) {
    if (!it->second.entry_durable) {
      HYDRANT_RETURN_IF_ERROR(base_->RemoveFile(it->first));
      it = files_.erase(it);
      continue;
    }
    HYDRANT_RETURN_IF_ERROR(base_->TruncateFile(it->first, it->second.synced_size));
    it->second.size = it->second.synced_size;
    ++it;
  }
  return Status::Ok();
}

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  std::lock_guard lock(mu_);
  active_ = active;
}

void FaultInjectionEnv::FailNextAppend() {
  std::lock_guard lock(mu_);
  fail_next_append_ = true;
}

void FaultInjectionEnv::TearNextAppend() {
  std::lock_guard lock(mu_);
  tear_next_append_ = true;
}

bool FaultInjectionEnv::TakeTornAppend() {
  std::lock_guard lock(mu_);
  return std::exchange(tear_next_append_, false);
}

void FaultInjectionEnv::FailNextSync() {
  std::lock_guard lock(mu_);
  fail_next_sync_ = true;
}

void FaultInjectionEnv::HoldSyncs(bool hold) {
  std::lock_guard lock(hold_mu_);
  hold_syncs_ = hold;
  hold_cv_.notify_all();
}

bool FaultInjectionEnv::WaitForHeldSyncs(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(hold_mu_);
  return hold_cv_.wait_for(lock, timeout, [&] { return held_syncs_ >= n; });
}

uint64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard lock(mu_);
  return sync_count_;
}

uint64_t FaultInjectionEnv::random_read_count() const {
  std::lock_guard lock(mu_);
  return random_read_count_;
}

Status FaultInjectionEnv::BeforeAppend(const std::string& path) {
  std::lock_guard lock(mu_);
  if (!active_) return Status::IOError("append " + path + ": simulated crash");
  if (fail_next_append_) {
    fail_next_append_ = false;
    return Status::IOError("append " + path + ": injected failure");
  }
  return Status::Ok();
}

void FaultInjectionEnv::AfterAppend(const std::string& path, uint64_t bytes) {
  std::lock_guard lock(mu_);
  files_[path].size += bytes;
}

Status FaultInjectionEnv::SyncFile(const std::string& path, WritableFile& target) {
  {
    std::unique_lock lock(hold_mu_);
    ++held_syncs_;
    hold_cv_.notify_all();
    hold_cv_.wait(lock, [&] { return !hold_syncs_; });
    --held_syncs_;
  }
  // Held across the real sync so a crash (SetFilesystemActive(false)) falls either before
  // the sync or after it has been recorded.
  std::lock_guard lock(mu_);
  if (!active_) return Status::IOError("sync " + path + ": simulated crash");
  if (fail_next_sync_) {
    fail_next_sync_ = false;
    return Status::IOError("sync " + path + ": injected failure");
  }
  HYDRANT_RETURN_IF_ERROR(target.Sync());
  FileState& state = files_[path];
  state.synced_size = state.size;
  ++sync_count_;
  return Status::Ok();
}

void FaultInjectionEnv::CountRead() {
  std::lock_guard lock(mu_);
  ++random_read_count_;
}

}  // namespace hydrant::wal
