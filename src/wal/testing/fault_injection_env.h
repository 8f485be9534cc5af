// FaultInjectionEnv: an Env for crash tests that can lose unsynced data and fail on demand.
//
// Modelled on leveldb's db/fault_injection_test.cc. It forwards to a base Env (normally
// Env::Default()) and remembers, for every file written through it, the size at its last
// Sync and whether its directory entry was made durable (SyncDir) since it was created.
// DropUnsyncedData() then simulates power loss: each such file is cut back to its synced
// size, and files whose directory entry was never synced are deleted.
// Approximations: an unsynced rename or removal is treated as durable; a file opened for
// appending that the env has not seen being written is treated as fully synced; a reused file
// (ReuseWritableFile) loses its old bytes past the synced ones, as if it had been truncated.
//
// Thread-safe. Files it hands out must not outlive it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/env.h"

namespace hydrant::wal {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate,
                                                        WriteMode mode = WriteMode::kBuffered) override;
  Result<std::unique_ptr<WritableFile>> ReuseWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path,
                                                                bool direct = false) override;
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Status RemoveFile(const std::string& path) override;
  Status RemoveDirRecursively(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status SyncDir(const std::string& dir) override;
  Result<uint64_t> FreeBytes(const std::string& path) override { return base_->FreeBytes(path); }

  // Power loss: cuts every tracked file to its last synced size and deletes files created
  // since the last SyncDir of their directory, and disarms the one-shot faults below. Writers
  // must be closed or abandoned first.
  Status DropUnsyncedData();
  // While inactive ("the machine is down") every Append and Sync fails with IOError.
  void SetFilesystemActive(bool active);
  // The next Append (or Sync) on any file fails with IOError without touching the file.
  void FailNextAppend();
  void FailNextSync();
  // The next Append writes the first half of its bytes, then fails with ENOSPC, as a write
  // that fills the disk does.
  void TearNextAppend();
  // While held, Sync calls block before doing anything. WaitForHeldSyncs(n) returns true
  // once n of them are waiting, false if that takes longer than `timeout`. Lets a test
  // append while a group commit is in progress.
  void HoldSyncs(bool hold);
  bool WaitForHeldSyncs(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Successful calls so far, on all files.
  uint64_t sync_count() const;
  uint64_t random_read_count() const;

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced_size = 0;
    bool entry_durable = false;  // the directory entry survives a crash
  };
  class TestWritableFile;
  class CountingRandomAccessFile;

  Status BeforeAppend(const std::string& path);
  void AfterAppend(const std::string& path, uint64_t bytes);
  bool TakeTornAppend();
  Status SyncFile(const std::string& path, WritableFile& target);
  void CountRead();

  Env* const base_;
  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_
  bool active_ = true;                      // guarded by mu_
  bool fail_next_append_ = false;           // guarded by mu_
  bool fail_next_sync_ = false;             // guarded by mu_
  bool tear_next_append_ = false;           // guarded by mu_
  uint64_t sync_count_ = 0;                 // guarded by mu_
  uint64_t random_read_count_ = 0;          // guarded by mu_

  std::mutex hold_mu_;
  std::condition_variable hold_cv_;
  bool hold_syncs_ = false;  // guarded by hold_mu_
  int held_syncs_ = 0;       // guarded by hold_mu_
};

}  // namespace hydrant::wal
