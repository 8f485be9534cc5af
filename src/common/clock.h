// Clock: the one source of "now", behind an interface so timing is testable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hydrant {

// Thread-safe. Times are wall-clock milliseconds since the Unix epoch (what record arrival
// timestamps and object keys use) plus a monotonic reading for intervals.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;      // wall clock, ms since epoch
  virtual int64_t MonotonicMillis() const = 0;  // for measuring intervals
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock* Default() {
    static SystemClock clock;
    return &clock;
  }
};

// A clock tests move by hand. Both readings advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_millis = 1754561700000) : now_(now_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  int64_t MonotonicMillis() const override { return now_.load(); }
  void Advance(int64_t millis) { now_ += millis; }
  void Set(int64_t now_millis) { now_ = now_millis; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace hydrant
