// BufferPolicy: when a stream's pending records must become an object (BufferingHints:
// size or interval, whichever comes first).
#pragma once

#include <cstdint>
#include <optional>

namespace hydrant::buffer {

struct BufferingHints {
  uint64_t size_bytes = 5ull << 20;  // SizeInMBs, in bytes of record data before compression
  int64_t interval_millis = 300000;  // IntervalInSeconds, in ms
};

// Tracks how much record data is waiting and how old the oldest waiting record is.
// Not thread-safe: owned by one delivery loop (callers lock around it).
class BufferPolicy {
 public:
  explicit BufferPolicy(BufferingHints hints) : hints_(hints) {}

  void set_hints(BufferingHints hints) { hints_ = hints; }
  const BufferingHints& hints() const { return hints_; }

  // Records became durable and are waiting. arrival_millis is wall-clock arrival time.
  void Add(uint64_t records, uint64_t data_bytes, int64_t arrival_millis);
  // A batch took `records`/`data_bytes` from the front; `next_oldest_arrival` is the arrival time
  // of the first record still waiting (ignored when nothing waits).
  void Take(uint64_t records, uint64_t data_bytes, int64_t next_oldest_arrival);

  bool Empty() const { return pending_records_ == 0; }
  uint64_t pending_bytes() const { return pending_bytes_; }
  uint64_t pending_records() const { return pending_records_; }
  std::optional<int64_t> oldest_arrival_millis() const;

  // True when the size hint is reached or the oldest record has waited the interval.
  bool ShouldFlush(int64_t now_millis) const;
  // Milliseconds until ShouldFlush turns true by time alone (0 if already), or nullopt if empty.
  std::optional<int64_t> MillisUntilDue(int64_t now_millis) const;

 private:
  BufferingHints hints_;
  uint64_t pending_records_ = 0;
  uint64_t pending_bytes_ = 0;
  int64_t oldest_arrival_millis_ = 0;
};

}  // namespace hydrant::buffer
