// SegmentReader: chunked, verifying frame iteration over one segment file.
#include "wal/segment_reader.h"

#include <algorithm>

#include "wal/wal_format.h"

namespace hydrant::wal {
namespace {

constexpr size_t kFirstChunk = 64 << 10;
constexpr size_t kMaxChunk = 1 << 20;

}  // namespace

SegmentReader::SegmentReader(const RandomAccessFile& file, uint64_t offset, uint64_t limit,
                             uint8_t frame_type, uint32_t seed, uint64_t expected_end)
    : file_(file),
      offset_(offset),
      limit_(limit),
      frame_type_(frame_type),
      seed_(seed),
      expected_end_(expected_end),
      chunk_(kFirstChunk) {}

bool SegmentReader::Next(Frame* frame) {
  if (!status_.ok() || offset_ >= limit_) return false;
  if (limit_ - offset_ < kFrameHeaderSize) return Fail("truncated frame header");
  if (!Fill(kFrameHeaderSize)) return false;
  const char* p = buffer_.data() + (offset_ - buffer_offset_);
  FrameHeader header = DecodeFrameHeader(p);
  if (header.length > kMaxRecordBytes + (frame_type_ == kSealedRecord ? kCipherTagBytes : 0)) {
    return Fail("frame length " + std::to_string(header.length) + " exceeds the maximum");
  }
  if (header.type != frame_type_) {
    return Fail("frame type " + std::to_string(header.type) + " in a segment of type " +
                std::to_string(frame_type_) + " frames");
  }
  uint64_t frame_size = kFrameHeaderSize + uint64_t{header.length};
  if (limit_ - offset_ < frame_size) return Fail("truncated frame");
  if (!Fill(frame_size)) return false;
  p = buffer_.data() + (offset_ - buffer_offset_);
  if (!FrameCrcMatches(p, header.length, seed_)) return Fail("frame CRC mismatch");
  frame->offset = offset_;
  frame->next = offset_ + frame_size;
  frame->arrival_millis = header.arrival_millis;
  frame->data = std::string_view(p + kFrameHeaderSize, header.length);
  offset_ = frame->next;
  return true;
}

bool SegmentReader::Fill(size_t n) {
  if (offset_ >= buffer_offset_ && offset_ + n <= buffer_offset_ + buffer_.size()) return true;
  // Refill from the frame start; a frame cut by the previous chunk is read again whole.
  uint64_t room = limit_ - offset_;
  if (offset_ < expected_end_) {
    room = std::min<uint64_t>(room, std::max<uint64_t>(n, expected_end_ - offset_));
  } else if (!past_expected_end_) {
    past_expected_end_ = true;  // the caller read on: small reads first, as for a new scan
    chunk_ = kFirstChunk;
  }
  size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, chunk_), room));
  chunk_ = std::min(chunk_ * 2, kMaxChunk);
  status_ = file_.Read(offset_, want, &buffer_);
  buffer_offset_ = offset_;
  if (!status_.ok()) {
    buffer_.clear();
    return false;
  }
  if (buffer_.size() < n) return Fail("file ends before the expected end of the log");
  return true;
}

bool SegmentReader::Fail(std::string why) {
  status_ = Status::Corruption(why + " at offset " + std::to_string(offset_));
  return false;
}

}  // namespace hydrant::wal
