// RecentErrors: a stream's latest delivery and processing errors, as the service's error logs
// would show them (code, message), for the console. The same (code, message) seen again is
// counted, not repeated; the list keeps the kMaxEntries most recently seen.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace hydrant::stream {

struct ErrorEntry {
  std::string code;     // the service's error code, e.g. "S3.NoSuchBucket", "Lambda.FunctionError"
  std::string message;
  int64_t first_millis = 0;
  int64_t last_millis = 0;
  uint64_t count = 0;
};

// Thread-safe.
class RecentErrors {
 public:
  static constexpr size_t kMaxEntries = 50;

  void Add(std::string code, std::string message, int64_t now_millis);
  // Newest first.
  std::vector<ErrorEntry> List() const;

 private:
  mutable std::mutex mu_;
  std::vector<ErrorEntry> entries_;  // unordered; at most kMaxEntries
};

}  // namespace hydrant::stream
