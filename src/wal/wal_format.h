// WAL byte layout: segment names, segment header and record frames, with their encoders.
//
// A log is a directory of segment files named by a 20-digit, zero-padded decimal segment
// number: <dir>/00000000000000000001.wal, ...00002.wal, ... Numbers only grow; other files
// in the directory are ignored. All integers are little-endian.
//
// Segment file:
//   +----------------------+---------+---------+-----+---------+
//   | segment header (16)  | frame 1 | frame 2 | ... | frame n |
//   +----------------------+---------+---------+-----+---------+
//
// Segment header of a plaintext segment, 16 bytes:
//   offset size field
//        0    8 magic     "HYDRANTW" (48 59 44 52 41 4E 54 57)
//        8    4 version   uint32, 1
//       12    4 reserved  uint32, written as 0, ignored by version-1 readers
//
// A version-3 segment has the same 16-byte header with version 3. Its frames' CRCs start from
// FrameSeed(segment number) instead of 0, so a segment file written again under a new number
// (a released segment reused, wal.h) never takes its earlier frames for its own: past the
// new data, the old frames fail their CRC like a torn write. New plaintext segments are
// version 3; version-1 segments are read as before.
//
// Segment header of an encrypted segment (a stream with server-side encryption), h bytes:
//        0    8 magic       "HYDRANTW"
//        8    4 version     uint32, 2
//       12    4 h           uint32, the header's size (at most kMaxSegmentHeaderSize)
//       16    2 r           uint16, length of the key reference
//       18    r key_ref     the master key: "AWS_OWNED_CMK" (Hydrant's own) or a KMS key ARN
//     18+r   60 sealed_key  the segment's data key (32 random bytes) sealed with the master key
//                           (common/cipher.h Seal: nonce, ciphertext, tag; aad = key_ref)
//      h-4    4 crc         MaskCrc(CRC32C of bytes 0 .. h-4): a torn header is told apart
//                           from a key that does not open it
//
// Frame, 17-byte header then the record's bytes (one frame per record, never split):
//   offset size field
//        0    4 crc             uint32, MaskCrc(CRC32C of bytes 4 .. 17+length), continuing from
//                               FrameSeed(segment) in a version-3 segment
//        4    4 length          uint32, payload bytes, at most kMaxRecordBytes
//        8    1 type            uint8, kFullRecord (1); any other value is corruption
//        9    8 arrival_millis  int64, milliseconds since the Unix epoch
//       17    n data            the record, byte for byte (n = length, may be 0)
//
// In an encrypted segment every frame has type kSealedRecord (2) and its data is the record
// sealed with the segment's data key: AES-256-GCM ciphertext (n - 16 bytes) then the 16-byte
// tag; nonce = offset of the frame (uint64) || segment number (low 32 bits), aad = arrival_millis
// (8 bytes). An encrypted segment is never appended to after a restart or a failed write, so
// no offset (nonce) is used twice under its key.
//
// The CRC covers everything after itself (length, type, arrival, data), so a bit flip in
// any of them, a zero-filled region or a half-written frame is detected. It is masked as in
// leveldb (rotate right 15, add 0xa282ead8) because CRCs of data that embeds CRCs are weak.
//
// A LogPosition {segment, offset} names the first byte of a frame; the position just past
// a segment's last frame is that segment's end. Recovery rules are in docs/wal-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/cipher.h"

namespace hydrant::wal {

inline constexpr std::string_view kSegmentMagic = "HYDRANTW";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr size_t kFrameHeaderSize = 17;
inline constexpr uint32_t kSealedFormatVersion = 2;
inline constexpr uint32_t kSeededFormatVersion = 3;
inline constexpr size_t kMaxSegmentHeaderSize = 1024;
inline constexpr uint8_t kFullRecord = 1;
inline constexpr uint8_t kSealedRecord = 2;
// Larger length fields are corruption; Append refuses larger records.
inline constexpr uint32_t kMaxRecordBytes = 16u << 20;

// "<20-digit number>.wal".
std::string SegmentFileName(uint64_t segment);
// The segment number of a segment file name, or nullopt for any other name.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

// CRC32C (Castagnoli) of data, continuing from `crc` (the CRC of the preceding bytes).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
uint32_t MaskCrc(uint32_t crc);
uint32_t UnmaskCrc(uint32_t masked);

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// The 16-byte header of a plaintext segment: version 1, or kSeededFormatVersion.
std::string EncodeSegmentHeader(uint32_t version = kFormatVersion);
// Where a version-3 segment's frame CRCs start: the CRC32C of its number (8 bytes).
uint32_t FrameSeed(uint64_t segment);
// The header of an encrypted (version-2) segment.
std::string EncodeSealedSegmentHeader(std::string_view key_ref, std::string_view sealed_key);

// A segment header read back. `torn` when it is incomplete or fails its CRC (then the segment
// holds nothing that was acknowledged); otherwise `version` says which kind it is.
struct SegmentHeader {
  bool torn = false;
  uint32_t version = 0;
  size_t size = 0;          // where the first frame starts
  std::string key_ref;      // version 2
  std::string sealed_key;   // version 2
};
// `bytes` is the start of the segment file (at least kMaxSegmentHeaderSize bytes when the
// file is that long).
SegmentHeader DecodeSegmentHeader(std::string_view bytes);

// Appends one frame holding `data` to *dst. data.size() must be <= kMaxRecordBytes. `seed`:
// FrameSeed(segment) in a version-3 segment, else 0.
void AppendFrame(std::string* dst, int64_t arrival_millis, std::string_view data, uint32_t seed = 0);

// The nonce and the authenticated data of a sealed frame (see above), in caller's buffers
// (no allocation per record).
struct SealedFrameNonce {
  SealedFrameNonce(uint64_t segment, uint64_t offset) {
    EncodeFixed64(bytes, offset);
    EncodeFixed32(bytes + 8, static_cast<uint32_t>(segment));
  }
  operator std::string_view() const { return {bytes, sizeof(bytes)}; }
  char bytes[kCipherNonceBytes];
};
struct SealedFrameAad {
  explicit SealedFrameAad(int64_t arrival_millis) { EncodeFixed64(bytes, static_cast<uint64_t>(arrival_millis)); }
  operator std::string_view() const { return {bytes, sizeof(bytes)}; }
  char bytes[8];
};

// Appends one frame holding `data` sealed by `cipher` (the segment's data key), for a frame
// starting at `offset` of `segment`.
void AppendSealedFrame(std::string* dst, int64_t arrival_millis, std::string_view data,
                       NonceCipher* cipher, uint64_t segment, uint64_t offset);

// A frame's header fields, decoded but not yet checked against its CRC.
struct FrameHeader {
  uint32_t masked_crc;
  uint32_t length;
  uint8_t type;
  int64_t arrival_millis;
};
// `p` must point at kFrameHeaderSize readable bytes.
FrameHeader DecodeFrameHeader(const char* p);
// Whether the CRC in `frame` (header and `length` payload bytes) matches its contents, the CRC
// starting from `seed` (AppendFrame).
bool FrameCrcMatches(const char* frame, uint32_t length, uint32_t seed = 0);

}  // namespace hydrant::wal
