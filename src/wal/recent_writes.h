// RecentWrites: what the logs wrote last, kept in memory for their readers.
//
// The WAL is written around the page cache, so reading a batch back from the file costs the
// disk about as much as writing it did, and on one disk the WAL's syncs then wait behind those
// reads. Yet a lane usually reads its records moments after they were acknowledged. Every log
// of the process shares one byte budget: a log keeps each piece it wrote and synced, and the
// oldest pieces, of any log, are dropped first when the budget is full. A read that the kept
// pieces do not cover entirely goes to the file, as it would without them; so the memory is
// the budget's, whatever the number of streams. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace hydrant::wal {

class RecentWrites {
 public:
  explicit RecentWrites(uint64_t budget_bytes) : budget_(budget_bytes) {}
  RecentWrites(const RecentWrites&) = delete;
  RecentWrites& operator=(const RecentWrites&) = delete;

  // A number that tells one log's pieces from another's, for the life of the process.
  uint64_t NewLogId();
  // Keeps `bytes`, a part of `buffer` durable at `offset` of segment `segment` of log `log`,
  // and drops the oldest pieces past the budget. The buffer's unused capacity is charged to
  // its pieces too. A piece larger than the budget is not kept.
  void Keep(uint64_t log, uint64_t segment, uint64_t offset, std::shared_ptr<const std::string> buffer,
            std::string_view bytes);
  // Copies [offset, offset + n) of that segment into *out and returns true when kept pieces
  // hold every byte of it; else returns false and leaves *out alone.
  bool Copy(uint64_t log, uint64_t segment, uint64_t offset, size_t n, std::string* out);
  // Drops the log's pieces in segments before `segment` (released), or all of them (the log
  // closed, or cut back what the pieces may hold).
  void ForgetBefore(uint64_t log, uint64_t segment);
  void Forget(uint64_t log) { ForgetBefore(log, UINT64_MAX); }

  uint64_t kept_bytes() const;
  // Bytes read from kept pieces, and asked for but not (all) kept.
  uint64_t hit_bytes() const;
  uint64_t missed_bytes() const;

 private:
  struct Key {
    uint64_t log, segment, offset;
    auto operator<=>(const Key&) const = default;
  };
  struct Piece {
    Key key;
    std::shared_ptr<const std::string> buffer;  // holds `bytes`; shared with readers copying out
    std::string_view bytes;
    uint64_t charge;  // what the piece counts against the budget
  };
  void DropLocked(std::map<Key, std::list<Piece>::iterator>::iterator it);

  const uint64_t budget_;
  mutable std::mutex mu_;
  std::list<Piece> oldest_first_;                         // guarded by mu_
  std::map<Key, std::list<Piece>::iterator> by_place_;    // guarded by mu_
  uint64_t kept_ = 0, hit_ = 0, missed_ = 0, next_log_ = 1;  // guarded by mu_
};

}  // namespace hydrant::wal
