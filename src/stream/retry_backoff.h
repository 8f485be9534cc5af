// RetryBackoff: the one backoff every delivery retry uses. The first retry comes 1 s after the
// failure, each next one twice as late, never more than 120 s apart, each wait jittered by
// ±15 % so that streams that failed together do not retry together.
#pragma once

#include <cstdint>
#include <random>

namespace hydrant::stream {

// Not thread-safe: one per retry loop.
class RetryBackoff {
 public:
  static constexpr int64_t kFirstMillis = 1000;
  static constexpr int64_t kMaxMillis = 120'000;
  static constexpr double kJitter = 0.15;

  explicit RetryBackoff(int64_t max_millis = kMaxMillis, uint64_t seed = std::random_device{}())
      : max_millis_(max_millis), random_(seed) {}

  // The wait before the next attempt; then the base doubles (up to the maximum).
  int64_t Next();
  // The base of the next wait, before jitter (for logs).
  int64_t base_millis() const { return base_millis_; }

 private:
  const int64_t max_millis_;
  int64_t base_millis_ = kFirstMillis;
  std::mt19937_64 random_;
};

}  // namespace hydrant::stream
