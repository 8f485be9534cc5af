// Wal: one delivery stream's durable, append-only record log with group commit.
//
// Contract:
//  - Append() frames records into an in-memory pending group and returns at once; a single
//    sync thread writes each group to the current segment and fdatasyncs it, then runs the
//    `done` callbacks of every Append in that group (group commit: concurrent appends share
//    one fdatasync). A record is acknowledged only by its callback with an OK status.
//  - A failed write or sync fails its group and the group framed behind it. The sync thread
//    then cuts the segment back to its last synced size (what follows was never acknowledged,
//    so the unknown state of those pages after a failed fsync does not matter) and appends
//    work again; if that repair fails too, appends fail with the failure and the repair is
//    retried at most every Options::repair_retry_millis. A disk that fills up thus recovers
//    as soon as space returns.
//  - Segments roll at Options::max_segment_bytes; a new segment's directory entry is synced
//    before any record in it is acknowledged.
//  - Open() replays the segments: a torn or corrupt tail (bad length, bad CRC, short frame)
//    is truncated away and reported; everything before it is kept. In an earlier segment,
//    the rest of that segment after a bad frame is cut and the following segments are kept.
//  - ReleaseBefore(p) deletes whole segments that lie before p's segment.
//  - Encryption (server-side encryption of a stream): with Options::key_ref set, each new
//    segment gets a fresh data key, sealed by that master key in its header, and every frame
//    in it is sealed with the data key (wal_format.h). Rekey() changes the key new records are
//    written with by starting a new segment; earlier segments keep theirs and stay readable
//    while their master keys are in Options::keys. A segment whose master key is missing or
//    does not open its data key makes Open fail (FailedPrecondition), never cuts it.
// Thread-safety: every method may be called from any thread.
// The byte layout is documented in wal_format.h and docs/wal-format.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_budget.h"
#include "common/cipher.h"
#include "common/env.h"
#include "common/status.h"
#include "common/task_pool.h"
#include "wal/recent_writes.h"

namespace hydrant::wal {

// Where a record starts in the log. Ordered by (segment, offset).
struct LogPosition {
  uint64_t segment = 0;  // segment number (file name)
  uint64_t offset = 0;   // byte offset of the frame within the segment
  auto operator<=>(const LogPosition&) const = default;
};

// A record read back from the log; `data` is valid only during the visit callback.
struct RecordView {
  LogPosition position;  // where this record's frame starts
  LogPosition next;      // where the following frame starts
  int64_t arrival_millis;
  std::string_view data;
};

// What one group commit made durable, for the buffering stage.
struct DurableGroup {
  LogPosition end;          // new durable end of the log
  uint64_t records = 0;     // records in the group
  uint64_t data_bytes = 0;  // payload bytes (no framing)
  int64_t oldest_arrival_millis = 0;
};

struct RecoveryReport {
  uint64_t records = 0;           // intact records found
  uint64_t truncated_bytes = 0;   // bytes cut from a torn/corrupt tail
  std::string detail;             // human-readable description of what was cut, if anything
};

// The threads every log's group commits run on (shared by all logs of the process).
TaskPool* SyncPool();

// The disk that logs keep as spares: a log renames its newest released segment to a spare and
// writes its next segment over it (docs/wal-format.md, "Releasing space"), while the spares of
// every log that shares the budget stay within its limit. Thread-safe.
class SpareBudget : public ByteBudget {
 public:
  using ByteBudget::ByteBudget;
  // The process's: 512 MiB, whatever the number of logs.
  static SpareBudget& Shared();
};

struct Options {
  Env* env = nullptr;
  std::string dir;                        // created if missing; holds the segment files
  uint64_t max_segment_bytes = 64ull << 20;
  uint64_t repair_retry_millis = 1000;  // after a failed repair, the wait before the next one
  // The master keys encrypted segments name (may be null when nothing is encrypted), and the
  // one new segments are sealed with: "" = plaintext, else kOwnKeyRef or a KMS key ARN.
  const KeyRing* keys = nullptr;
  std::string key_ref{};
  // Where the log keeps what it wrote for its readers, shared by every log (not owned); null:
  // reads go to the files.
  RecentWrites* recent = nullptr;
  // Where the log's spare is counted (not owned); null: SpareBudget::Shared().
  SpareBudget* spares = nullptr;
};

class Wal {
 public:
  using AppendCallback = std::function<void(Status)>;
  using DurableListener = std::function<void(const DurableGroup&)>;

  virtual ~Wal() = default;

  // Opens (creating if needed) and recovers the log in options.dir.
  static Result<std::unique_ptr<Wal>> Open(const Options& options, RecoveryReport* report);

  // Frames `records` (all with the same arrival time) and queues them for the next group
  // commit. The views need to live only for the duration of the call. Returns the position
  // of the first record's frame; the records of one call follow contiguously in one segment
  // (the log rolls to a new segment only between calls). `done` may be empty; it runs on
  // the sync thread, must not block and must not call Close(). An empty `records` span acts
  // as a barrier: `done` runs once everything appended before it is durable.
  // Refused at once, with `done` run on the calling thread: a record larger than
  // kMaxRecordBytes (wal_format.h; InvalidArgument), any Append after Close()
  // (FailedPrecondition), and any Append while the log is failed and not yet repaired. The pending group is in memory and unbounded: callers bound it by
  // waiting for their callbacks.
  virtual LogPosition Append(std::span<const std::string_view> records, int64_t arrival_millis,
                             AppendCallback done) = 0;

  // From the next record on, records are written under `key_ref` ("" = plaintext) in a new
  // segment; `done` runs once that segment's header is durable (records appended after Rekey
  // returns are written under the new key). InvalidArgument at once when `keys` lacks it.
  virtual void Rekey(std::string key_ref, AppendCallback done) = 0;

  // Called on the sync thread after every successful group commit that stored records. Set
  // before the first Append.
  virtual void SetDurableListener(DurableListener listener) = 0;

  // The first retained position and the durable end (after the last acknowledged record).
  virtual LogPosition Begin() const = 0;
  virtual LogPosition DurableEnd() const = 0;

  // Visits durable records from `from` (a frame start, a segment's end, or Begin()) in order
  // until `visit` returns false or the durable end is reached. Reads in chunks of up to
  // 1 MiB, from Options::recent where it holds them. NotFound if `from` lies in a released
  // segment; InvalidArgument if it lies past the durable end; Corruption if a durable frame
  // fails its checks.
  virtual Status Read(LogPosition from, const std::function<bool(const RecordView&)>& visit) const = 0;
  // Read, for a visit expected to take about `expected_bytes` of log from `from` (a batch of
  // known size): reads fetch no further ahead than that, since the next Read, starting where
  // this one stopped, would read again what was fetched past it.
  virtual Status ReadExpecting(LogPosition from, uint64_t expected_bytes,
                               const std::function<bool(const RecordView&)>& visit) const {
    (void)expected_bytes;
    return Read(from, visit);
  }

  // Deletes every segment whose records all lie before `position`, except `position`'s own
  // segment (kept even when `position` is its end, so Read(position) still works) and the
  // segment being written. A segment is thus deleted once a position in a later segment is
  // released.
  virtual Status ReleaseBefore(LogPosition position) = 0;

  // Where each retained segment's first frame starts, oldest first (a log without segments:
  // just Begin()).
  virtual std::vector<LogPosition> SegmentStarts() const { return {Begin()}; }

  // Bytes currently held on disk by this log (all retained segments).
  virtual uint64_t RetainedBytes() const = 0;
  // Log bytes from `from` to `to` (frames and segment headers; parts of released segments
  // count as 0).
  virtual uint64_t BytesBetween(LogPosition from, LogPosition to) const = 0;

  // Writes and syncs anything pending, runs outstanding callbacks, stops the sync thread.
  // Returns the failure, if the log is failed and not repaired. Idempotent; the destructor calls it.
  virtual Status Close() = 0;
};

}  // namespace hydrant::wal
