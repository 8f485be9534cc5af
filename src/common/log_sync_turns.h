// LogSyncTurns: log syncs go first on the disk they share with bulk writes, and bulk writes keep
// pace with the logs.
//
// A log's group commit ends in an fdatasync, which waits for every write the disk took before it
// to be durable, a delivered object's included. An object written in one go can thus put
// megabytes in front of an acknowledgement. Bulk writers therefore write a piece at a time.
//
// Every record is written twice, once to its log and once in an object, so bulk writes may take
// as many bytes as the logs' syncs wrote, in pieces of up to 1 MiB. A piece within that credit
// goes at once; past it, a piece waits while a log sync is in flight, until one ends (at most
// `at_most`, so a disk never free of syncs still takes the pieces). The credit is capped at the
// last sync's bytes (at least kMinCreditCapBytes): a sync waits behind about as many bytes as it
// writes itself, and under load, when groups are large, delivery still keeps pace with ingest.
// Were pieces to wait for every sync instead, a 256 KiB piece per sync of megabytes would leave
// delivery behind the read cache, reading its records back from the disk it shares
// (bench/README.md, "Bulk writes paced by the logs' bytes").
// Thread-safe; one per process (Shared) for the posix Env.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace hydrant {

class LogSyncTurns {
 public:
  // The least cap on the credit: what a small sync may find in front of it after the logs wrote
  // alone for a while.
  static constexpr uint64_t kMinCreditCapBytes = 1 << 20;

  static LogSyncTurns& Shared();

  void Begin() { in_flight_.fetch_add(1); }
  // A log sync that wrote `bytes` ended.
  void End(uint64_t bytes);
  // Before a bulk write of up to `most` bytes: how many to write now, at least `least` (unless
  // `most` is less). Returns at once with as many as the bulk writers' credit allows, or
  // `least` when no log sync is in flight; else with `least` when a sync ends, or after `at_most`.
  uint64_t BeforeBulkWrite(uint64_t least, uint64_t most, std::chrono::microseconds at_most);

  int in_flight() const { return in_flight_.load(); }
  // How many bulk writes waited for a log sync.
  uint64_t waits() const { return waits_.load(); }

 private:
  std::atomic<int> in_flight_{0};
  std::atomic<int> waiters_{0};
  std::atomic<uint64_t> logged_bytes_{0};     // by every sync that ended
  std::atomic<uint64_t> last_sync_bytes_{0};
  std::atomic<uint64_t> waits_{0};
  std::mutex mu_;
  std::condition_variable ended_;
  uint64_t ends_ = 0;        // guarded by mu_
  uint64_t bulk_bytes_ = 0;  // guarded by mu_: credit = logged_bytes_ - bulk_bytes_
};

}  // namespace hydrant
