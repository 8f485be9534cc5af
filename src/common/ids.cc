// Random identifiers from a per-thread generator seeded by the OS.
#include "common/ids.h"

#include <cstdint>
#include <random>

namespace hydrant {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

}  // namespace

std::string RandomHex(size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) bits = Generator()();
    out[i] = kHex[bits & 15];
    bits >>= 4;
  }
  return out;
}

std::string NewUuid() {
  std::string hex = RandomHex(32);
  hex[12] = '4';                                         // version 4
  hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) % 4];  // RFC 4122 variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace hydrant
