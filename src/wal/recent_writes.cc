// RecentWrites: the shared, budgeted copy of what the logs wrote last.
#include "wal/recent_writes.h"

#include <algorithm>
#include <vector>

namespace hydrant::wal {

uint64_t RecentWrites::NewLogId() {
  std::lock_guard lock(mu_);
  return next_log_++;
}

void RecentWrites::Keep(uint64_t log, uint64_t segment, uint64_t offset,
                        std::shared_ptr<const std::string> buffer, std::string_view bytes) {
  if (bytes.empty()) return;
  const uint64_t charge = bytes.size() * buffer->capacity() / buffer->size();
  if (charge > budget_) return;
  std::lock_guard lock(mu_);
  while (kept_ + charge > budget_) DropLocked(by_place_.find(oldest_first_.front().key));
  const Key key{log, segment, offset};
  if (auto it = by_place_.find(key); it != by_place_.end()) DropLocked(it);
  kept_ += charge;
  oldest_first_.push_back(Piece{key, std::move(buffer), bytes, charge});
  by_place_.emplace(key, std::prev(oldest_first_.end()));
}

bool RecentWrites::Copy(uint64_t log, uint64_t segment, uint64_t offset, size_t n, std::string* out) {
  struct Part {
    std::shared_ptr<const std::string> buffer;  // keeps `bytes` alive
    std::string_view bytes;
  };
  std::vector<Part> parts;
  {
    std::lock_guard lock(mu_);
    // Pieces of one segment follow each other without gaps while the log writes it; a gap (a
    // dropped piece) or the end of the kept pieces sends the whole read to the file.
    auto it = by_place_.upper_bound(Key{log, segment, offset});
    uint64_t at = offset;
    if (it != by_place_.begin()) {
      for (--it; it != by_place_.end() && at < offset + n; ++it) {
        const Key& key = it->first;
        const Piece& piece = *it->second;
        if (key.log != log || key.segment != segment || key.offset > at || key.offset + piece.bytes.size() <= at) break;
        parts.push_back({piece.buffer, piece.bytes.substr(at - key.offset)});
        at = key.offset + piece.bytes.size();
      }
    }
    if (at < offset + n) {
      missed_ += n;
      return false;
    }
    hit_ += n;
  }
  // Copied outside the lock, from pieces the parts keep alive.
  out->resize(n);
  size_t done = 0;
  for (const Part& part : parts) {
    const size_t take = std::min(part.bytes.size(), n - done);
    std::copy_n(part.bytes.data(), take, out->data() + done);
    done += take;
  }
  return true;
}

void RecentWrites::ForgetBefore(uint64_t log, uint64_t segment) {
  std::lock_guard lock(mu_);
  auto it = by_place_.lower_bound(Key{log, 0, 0});
  while (it != by_place_.end() && it->first.log == log && it->first.segment < segment) {
    auto next = std::next(it);
    DropLocked(it);
    it = next;
  }
}

void RecentWrites::DropLocked(std::map<Key, std::list<Piece>::iterator>::iterator it) {
  kept_ -= it->second->charge;
  oldest_first_.erase(it->second);
  by_place_.erase(it);
}

uint64_t RecentWrites::kept_bytes() const {
  std::lock_guard lock(mu_);
  return kept_;
}

uint64_t RecentWrites::hit_bytes() const {
  std::lock_guard lock(mu_);
  return hit_;
}

uint64_t RecentWrites::missed_bytes() const {
  std::lock_guard lock(mu_);
  return missed_;
}

}  // namespace hydrant::wal
