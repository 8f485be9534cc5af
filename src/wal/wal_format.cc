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

std::string EncodeSegmentHeader(uint32_t version) {
  std::string header(kSegmentHeaderSize, '\0');
  header.replace(0, kSegmentMagic.size(), kSegmentMagic);
  EncodeFixed32(header.data() + 8, version);
  return header;
}

uint32_t FrameSeed(uint64_t segment) {
  char number[8];
  EncodeFixed64(number, segment);
  return Crc32c(std::string_view(number, sizeof(number)));
}

std::string EncodeSealedSegmentHeader(std::string_view key_ref, std::string_view sealed_key) {
  std::string header(18, '\0');
  header.replace(0, kSegmentMagic.size(), kSegmentMagic);
  EncodeFixed32(header.data() + 8, kSealedFormatVersion);
  const size_t size = 18 + key_ref.size() + sealed_key.size() + 4;
  EncodeFixed32(header.data() + 12, static_cast<uint32_t>(size));
  header[16] = static_cast<char>(key_ref.size() & 0xff);
  header[17] = static_cast<char>(key_ref.size() >> 8);
  header += key_ref;
  header += sealed_key;
  char crc[4];
  EncodeFixed32(crc, MaskCrc(Crc32c(header)));
  header.append(crc, 4);
  return header;
}

SegmentHeader DecodeSegmentHeader(std::string_view bytes) {
  SegmentHeader header;
  if (bytes.size() < kSegmentHeaderSize || bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    header.torn = true;
    return header;
  }
  header.version = DecodeFixed32(bytes.data() + 8);
  header.size = kSegmentHeaderSize;
  if (header.version != kSealedFormatVersion) return header;
  const size_t size = DecodeFixed32(bytes.data() + 12);
  const size_t sealed_bytes = kCipherNonceBytes + kCipherKeyBytes + kCipherTagBytes;
  if (size > kMaxSegmentHeaderSize || size < 18 + sealed_bytes + 4 || bytes.size() < size ||
      UnmaskCrc(DecodeFixed32(bytes.data() + size - 4)) != Crc32c(bytes.substr(0, size - 4))) {
    header.torn = true;
    return header;
  }
  const size_t ref_size = static_cast<uint8_t>(bytes[16]) | static_cast<size_t>(static_cast<uint8_t>(bytes[17])) << 8;
  if (18 + ref_size + sealed_bytes + 4 != size) {
    header.torn = true;
    return header;
  }
  header.size = size;
  header.key_ref = std::string(bytes.substr(18, ref_size));
  header.sealed_key = std::string(bytes.substr(18 + ref_size, sealed_bytes));
  return header;
}

void AppendSealedFrame(std::string* dst, int64_t arrival_millis, std::string_view data,
                       NonceCipher* cipher, uint64_t segment, uint64_t offset) {
  const size_t start = dst->size();
  const uint32_t length = static_cast<uint32_t>(data.size() + kCipherTagBytes);
  dst->resize(start + kFrameHeaderSize + length);
  char* header = dst->data() + start;
  EncodeFixed32(header + 4, length);
  header[8] = static_cast<char>(kSealedRecord);
  EncodeFixed64(header + 9, static_cast<uint64_t>(arrival_millis));
  cipher->Seal(SealedFrameNonce(segment, offset), SealedFrameAad(arrival_millis), data,
               header + kFrameHeaderSize);
  EncodeFixed32(header, MaskCrc(Crc32c(std::string_view(header + 4, kFrameHeaderSize - 4 + length))));
}

void AppendFrame(std::string* dst, int64_t arrival_millis, std::string_view data, uint32_t seed) {
  char header[kFrameHeaderSize];
  EncodeFixed32(header + 4, static_cast<uint32_t>(data.size()));
  header[8] = static_cast<char>(kFullRecord);
  EncodeFixed64(header + 9, static_cast<uint64_t>(arrival_millis));
  uint32_t crc = Crc32c(std::string_view(header + 4, kFrameHeaderSize - 4), seed);
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

bool FrameCrcMatches(const char* frame, uint32_t length, uint32_t seed) {
  uint32_t actual = Crc32c(std::string_view(frame + 4, kFrameHeaderSize - 4 + length), seed);
  return actual == UnmaskCrc(DecodeFixed32(frame));
}

}  // namespace hydrant::wal
