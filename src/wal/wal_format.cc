// WAL byte layout: encoders and decoders for the format in wal_format.h.
#include "wal/wal_format.h"

#include <isa-l/crc.h>

#include <cstdio>

namespace hydrant::wal {
namespace {

constexpr uint32_t kMaskDelta = 0xa282ead8u;
constexpr std::string_view kSegmentSuffix = ".wal";
constexpr size_t kSegmentDigits = 20;

}  // namespace

std::string SegmentFileName(uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.wal", static_cast<unsigned long long>(segment));
  return name;
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != kSegmentDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < kSegmentDigits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;  // 20 digits can overflow
    value = value * 10 + digit;
  }
  return value;
}

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  // ISA-L's crc32_iscsi neither pre- nor post-inverts; CRC32C does both. Lengths here are
  // bounded by kMaxRecordBytes + kFrameHeaderSize, far below INT_MAX.
  auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(data.data()));
  return ~crc32_iscsi(bytes, static_cast<int>(data.size()), ~crc);
}

uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

std::string EncodeSegmentHeader() {
  std::string header(kSegmentHeaderSize, '\0');
  header.replace(0, kSegmentMagic.size(), kSegmentMagic);
  EncodeFixed32(header.data() + 8, kFormatVersion);
  return header;
}

void AppendFrame(std::string* dst, int64_t arrival_millis, std::string_view data) {
  char header[kFrameHeaderSize];
  EncodeFixed32(header + 4, static_cast<uint32_t>(data.size()));
  header[8] = static_cast<char>(kFullRecord);
  EncodeFixed64(header + 9, static_cast<uint64_t>(arrival_millis));
  uint32_t crc = Crc32c(std::string_view(header + 4, kFrameHeaderSize - 4));
  crc = Crc32c(data, crc);
  EncodeFixed32(header, MaskCrc(crc));
  dst->append(header, kFrameHeaderSize);
  dst->append(data);
}

FrameHeader DecodeFrameHeader(const char* p) {
  return FrameHeader{
      .masked_crc = DecodeFixed32(p),
      .length = DecodeFixed32(p + 4),
      .type = static_cast<uint8_t>(p[8]),
      .arrival_millis = static_cast<int64_t>(DecodeFixed64(p + 9)),
  };
}

bool FrameCrcMatches(const char* frame, uint32_t length) {
  uint32_t actual = Crc32c(std::string_view(frame + 4, kFrameHeaderSize - 4 + length));
  return actual == UnmaskCrc(DecodeFixed32(frame));
}

}  // namespace hydrant::wal
