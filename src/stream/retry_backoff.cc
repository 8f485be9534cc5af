// RetryBackoff: exponential backoff with ±15 % jitter.
#include "stream/retry_backoff.h"

#include <algorithm>

namespace hydrant::stream {

int64_t RetryBackoff::Next() {
  std::uniform_real_distribution<double> jitter(1.0 - kJitter, 1.0 + kJitter);
  const int64_t wait = static_cast<int64_t>(static_cast<double>(base_millis_) * jitter(random_));
  base_millis_ = std::min(base_millis_ * 2, max_millis_);
  return wait;
}

}  // namespace hydrant::stream
