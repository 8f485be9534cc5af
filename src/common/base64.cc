// Base64 codec with a 256-entry lookup table; decoding validates as it goes.
#include "common/base64.h"

#include <array>
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

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.resize((in.size() + 2) / 3 * 4);
  const auto* src = reinterpret_cast<const uint8_t*>(in.data());
  char* dst = out.data();
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3, dst += 4) {
    uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    dst[0] = kAlphabet[v >> 18];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = kAlphabet[(v >> 6) & 63];
    dst[3] = kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint32_t{src[i]} << 16;
    if (i + 1 < in.size()) v |= uint32_t{src[i + 1]} << 8;
    dst[0] = kAlphabet[v >> 18];
    dst[1] = kAlphabet[(v >> 12) & 63];
    dst[2] = (i + 1 < in.size()) ? kAlphabet[(v >> 6) & 63] : '=';
    dst[3] = '=';
  }
  return out;
}

}  // namespace hydrant
