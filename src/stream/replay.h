// ReplayService: delivers a window of a stream's retained records again (`hydrant replay`, the
// console). A replay reads the source stream's log between two arrival times and puts the
// records, as new records, into a stream: the same one (through its current processors to its
// current destination, in new batches with new object keys or request ids) or another one.
//
// - One thread for every replay together, waiting while none runs; running replays take turns.
//   Each turn reads a chunk (up to 10,000 records or 8 MiB), appends it to the target, waits until it is durable, then
//   records how far it got. A restart goes on from there, so a chunk interrupted by a crash may
//   be put twice (at least once, like a producer's retry).
// - Beside live delivery: it waits while the target has more than kMaxAheadBytes (or two of
//   its buffers) undelivered, so live records never queue behind a large replay.
// - Each replay is a file under <data-dir>/replays/ (its progress, its state).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"
#include "stream/catalog.h"
#include "wal/wal.h"

namespace hydrant::stream {

struct ReplayJob {
  std::string id;
  std::string stream;     // the source
  std::string to_stream;  // the target (the source itself when not given)
  int64_t from_millis = 0, to_millis = 0;  // arrival window, inclusive
  std::string state = "running";  // running, completed, cancelled, failed
  std::string message;            // why it failed; what was no longer retained
  int64_t source_create_millis = 0;  // the source incarnation it reads
  wal::LogPosition cursor;        // next record to read
  wal::LogPosition end;           // the source's log end when the replay started
  uint64_t total_bytes = 0, done_bytes = 0;  // of the source log to read, for progress
  uint64_t records_replayed = 0, bytes_replayed = 0;
  int64_t created_millis = 0, updated_millis = 0;

  double progress() const;
  std::string ToJson() const;
  static Result<ReplayJob> FromJson(std::string_view text);
};

// Thread-safe.
class ReplayService {
 public:
  static constexpr uint64_t kMaxAheadBytes = 32ull << 20;

  ReplayService(Catalog* catalog, Env* env, std::string dir, const Clock* clock,
                uint64_t max_ahead_bytes = kMaxAheadBytes);
  ~ReplayService();
  // Loads the replays of an earlier run; running ones go on.
  Status Start();

  // Starts a replay. Errors: kNotFound (a stream), kInvalidArgument (the window).
  Result<ReplayJob> Create(const std::string& stream, int64_t from_millis, int64_t to_millis,
                           const std::string& to_stream);
  std::vector<ReplayJob> List() const;
  Result<ReplayJob> Get(const std::string& id) const;
  // Stops a running replay (what it put stays put).
  Result<ReplayJob> Cancel(const std::string& id);

 private:
  void Run();
  // Replays one chunk of `job` (a copy; the result is stored). False when it cannot go on now.
  bool Step(ReplayJob& job);
  Status Save(const ReplayJob& job);

  Catalog* const catalog_;
  Env* const env_;
  const std::string dir_;
  const Clock* const clock_;
  const uint64_t max_ahead_bytes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, ReplayJob> jobs_;  // by id
  bool stopping_ = false;
  std::thread worker_;  // running while a replay is
};

// Reads an ISO-8601 time ("2026-12-06T10:00:00Z", "...T10:00:00.5+01:00", "2026-12-06") or
// seconds since the epoch. kInvalidArgument otherwise.
Result<int64_t> ParseTimeMillis(std::string_view text);

}  // namespace hydrant::stream
