// Base64 codec: decoding validates as it goes, 32 characters at a time with AVX2 where the CPU
// has it, else with a 256-entry lookup table.
#include "common/base64.h"

#include <array>
#include <cstring>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hydrant {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

#if defined(__x86_64__)
// 32 characters to 24 bytes per step with AVX2: the decoder of Muła and Lemire ("Faster Base64
// Encoding and Decoding Using AVX2 Instructions", 2018), as in the aklomp/base64 library. Two
// nibble lookups flag any byte outside the alphabet ('=' included), a third gives each byte's
// offset to its 6-bit value, and multiply-adds pack four values into three bytes. Returns the
// characters consumed (a multiple of 32), stopping before any block with a bad byte, and keeps
// 12 characters for the scalar loop so that each 32-byte store stays inside the output.
__attribute__((target("avx2"))) size_t DecodeBlocksAvx2(const uint8_t* src, size_t n, uint8_t* dst) {
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13,
                                          0x1A, 0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08,
                                          0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16,
                                            19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2F);
  const __m256i pack_bytes = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1,
                                              0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i pack_lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  size_t done = 0;
  for (; done + 32 + 12 <= n; done += 32, dst += 24) {
    __m256i str = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + done));
    const __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(str, 4), mask_2f);
    const __m256i lo_nibbles = _mm256_and_si256(str, mask_2f);
    const __m256i hi = _mm256_shuffle_epi8(lut_hi, hi_nibbles);
    const __m256i lo = _mm256_shuffle_epi8(lut_lo, lo_nibbles);
    if (!_mm256_testz_si256(lo, hi)) break;
    const __m256i eq_2f = _mm256_cmpeq_epi8(str, mask_2f);
    str = _mm256_add_epi8(str, _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(eq_2f, hi_nibbles)));
    const __m256i ab_bc = _mm256_maddubs_epi16(str, _mm256_set1_epi32(0x01400140));
    __m256i out = _mm256_madd_epi16(ab_bc, _mm256_set1_epi32(0x00011000));
    out = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(out, pack_bytes), pack_lanes);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), out);
  }
  return done;
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

size_t Base64DecodedSizeUpperBound(size_t encoded_size) { return encoded_size / 4 * 3; }

bool Base64Decode(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  if (in.empty()) return true;
  size_t pad = 0;
  if (in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
  size_t full_quads = in.size() / 4 - (pad ? 1 : 0);
  const size_t start = out->size();
  out->resize(start + in.size() / 4 * 3 - pad);
  auto* dst = reinterpret_cast<uint8_t*>(out->data() + start);
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
#if defined(__x86_64__)
  if (kHasAvx2) {
    // A block it stops at (a bad byte) is decoded, and refused, by the loop below.
    const size_t consumed = DecodeBlocksAvx2(src, in.size(), dst);
    src += consumed;
    dst += consumed / 4 * 3;
    full_quads -= consumed / 4;
  }
#endif
  uint8_t bad = 0;  // OR of all lookups: one branch per call instead of per byte
  for (size_t q = 0; q < full_quads; ++q, src += 4, dst += 3) {
    uint8_t a = kDecode[src[0]], b = kDecode[src[1]], c = kDecode[src[2]], d = kDecode[src[3]];
    bad |= a | b | c | d;
    uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    dst[0] = static_cast<uint8_t>(v >> 16);
    dst[1] = static_cast<uint8_t>(v >> 8);
    dst[2] = static_cast<uint8_t>(v);
  }
  if (bad & 0xC0) return false;
  if (pad) {
    uint8_t a = kDecode[src[0]], b = kDecode[src[1]];
    if ((a | b) & 0xC0) return false;
    if (pad == 2) {
      if (b & 0x0F) return false;  // non-canonical trailing bits
      dst[0] = static_cast<uint8_t>((a << 2) | (b >> 4));
    } else {
      uint8_t c = kDecode[src[2]];
      if ((c & 0xC0) || (c & 0x03)) return false;
      dst[0] = static_cast<uint8_t>((a << 2) | (b >> 4));
      dst[1] = static_cast<uint8_t>((b << 4) | (c >> 2));
    }
  }
  return true;
}

namespace {
// Two base64 characters for every 12-bit value: one lookup per 12 input bits.
struct Base64Pairs {
  char pairs[4096][2];
  constexpr Base64Pairs() : pairs() {
    for (int i = 0; i < 4096; ++i) {
      pairs[i][0] = kAlphabet[i >> 6];
      pairs[i][1] = kAlphabet[i & 63];
    }
  }
};
constexpr Base64Pairs kBase64Pairs;
}  // namespace

char* Base64EncodeTo(std::string_view in, char* dst) {
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3, dst += 4) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    std::memcpy(dst, kBase64Pairs.pairs[v >> 12], 2);
    std::memcpy(dst + 2, kBase64Pairs.pairs[v & 0xFFF], 2);
  }
  if (i < in.size()) {
    uint32_t v = uint32_t{src[i]} << 16;
    if (i + 1 < in.size()) v |= uint32_t{src[i + 1]} << 8;
    std::memcpy(dst, kBase64Pairs.pairs[v >> 12], 2);
    dst[2] = (i + 1 < in.size()) ? kBase64Pairs.pairs[v & 0xFFF][0] : '=';
    dst[3] = '=';
    dst += 4;
  }
  return dst;
}

std::string Base64Encode(std::string_view in) {
  std::string out(Base64EncodedSize(in.size()), '\0');
  Base64EncodeTo(in, out.data());
  return out;
}

}  // namespace hydrant
