#include "stream/recent_errors.h"

#include <algorithm>

namespace hydrant::stream {

void RecentErrors::Add(std::string code, std::string message, int64_t now_millis) {
  std::lock_guard<std::mutex> lock(mu_);
  for (ErrorEntry& e : entries_) {
    if (e.code == code && e.message == message) {
      e.last_millis = now_millis;
      ++e.count;
      return;
    }
  }
  if (entries_.size() == kMaxEntries) {
    // Make room by forgetting the entry seen least recently.
    entries_.erase(std::min_element(entries_.begin(), entries_.end(), [](const ErrorEntry& a, const ErrorEntry& b) {
      return a.last_millis < b.last_millis;
    }));
  }
  entries_.push_back({std::move(code), std::move(message), now_millis, now_millis, 1});
}

std::vector<ErrorEntry> RecentErrors::List() const {
  std::vector<ErrorEntry> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out = entries_;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ErrorEntry& a, const ErrorEntry& b) { return a.last_millis > b.last_millis; });
  return out;
}

}  // namespace hydrant::stream
