// SegmentReader: iterates the frames of one segment file, reading it in large chunks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"

namespace hydrant::wal {

// One verified frame. `data` points into the reader's buffer: valid until the next Next().
struct Frame {
  uint64_t offset = 0;  // where the frame starts
  uint64_t next = 0;    // where the following frame starts
  int64_t arrival_millis = 0;
  std::string_view data;
};

// Reads the frames in [offset, limit) of `file`, verifying length, type (`frame_type`: the
// segment's kind, kFullRecord or kSealedRecord) and CRC (from `seed`, wal_format.h) of each.
// Reads start at 64 KiB and double up to 1 MiB, so a short scan stays cheap and a long one
// costs one pread per MiB. A caller that expects to stop near `expected_end` (a batch of known
// size) gets no read past it: what a chunk fetched past the stop would be read again by the
// next reader, which starts there. Past it, reads start small again. Not thread-safe; `file`
// must outlive the reader.
class SegmentReader {
 public:
  SegmentReader(const RandomAccessFile& file, uint64_t offset, uint64_t limit, uint8_t frame_type,
                uint32_t seed = 0, uint64_t expected_end = UINT64_MAX);

  // Returns true with the next frame, or false at `limit` or on failure (see status()).
  bool Next(Frame* frame);

  // Ok, Corruption (a bad frame at offset(), or a frame running past `limit`), or the
  // file's I/O error.
  const Status& status() const { return status_; }
  // The end of the last good frame: where the next frame would start.
  uint64_t offset() const { return offset_; }

 private:
  // Makes [offset_, offset_ + n) available in buffer_; offset_ + n must be <= limit_.
  bool Fill(size_t n);
  bool Fail(std::string why);

  const RandomAccessFile& file_;
  uint64_t offset_;
  const uint64_t limit_;
  const uint8_t frame_type_;
  const uint32_t seed_;
  const uint64_t expected_end_;
  bool past_expected_end_ = false;
  std::string buffer_;
  uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  size_t chunk_;
  Status status_;
};

}  // namespace hydrant::wal
