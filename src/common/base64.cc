// Base64 codec with a 256-entry lookup table; decoding validates as it goes.
#include "common/base64.h"

#include <array>
#include <cstring>
#include <cstdint>

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

}  // namespace

size_t Base64DecodedSizeUpperBound(size_t encoded_size) { return encoded_size / 4 * 3; }

bool Base64Decode(std::string_view in, std::string* out) {
  if (in.size() % 4 != 0) return false;
  if (in.empty()) return true;
  size_t pad = 0;
  if (in.back() == '=') pad = (in[in.size() - 2] == '=') ? 2 : 1;
  const size_t full_quads = in.size() / 4 - (pad ? 1 : 0);
  const size_t start = out->size();
  out->resize(start + in.size() / 4 * 3 - pad);
  auto* dst = reinterpret_cast<uint8_t*>(out->data() + start);
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
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
