// KPL aggregate decoding: a hand-written reader for the three-field protobuf message.
#include "processor/kpl_aggregation.h"

#include <openssl/evp.h>

#include <cstdint>

namespace hydrant::processor {
namespace {

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view buf) : buf_(buf) {}
  bool done() const { return pos_ >= buf_.size(); }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= buf_.size()) return false;
      uint8_t b = static_cast<uint8_t>(buf_[pos_++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool Bytes(std::string_view* out) {
    uint64_t len;
    if (!Varint(&len) || len > buf_.size() - pos_) return false;
    *out = buf_.substr(pos_, len);
    pos_ += len;
    return true;
  }
  // Skips a field of the given wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
  bool Skip(uint32_t wire_type) {
    uint64_t v;
    std::string_view s;
    switch (wire_type) {
      case 0:
        return Varint(&v);
      case 1:
        return Advance(8);
      case 2:
        return Bytes(&s);
      case 5:
        return Advance(4);
      default:
        return false;
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > buf_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view buf_;
  size_t pos_ = 0;
};

bool DecodeInnerRecord(std::string_view msg, std::string* data) {
  ProtoReader r(msg);
  bool has_data = false;
  while (!r.done()) {
    uint64_t key;
    if (!r.Varint(&key)) return false;
    uint32_t field = static_cast<uint32_t>(key >> 3), wire = key & 7;
    if (field == 3 && wire == 2) {
      std::string_view d;
      if (!r.Bytes(&d)) return false;
      data->assign(d);
      has_data = true;
    } else if (!r.Skip(wire)) {
      return false;
    }
  }
  return has_data;
}

bool Md5Matches(std::string_view payload, std::string_view digest) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!EVP_Digest(payload.data(), payload.size(), md, &md_len, EVP_md5(), nullptr)) return false;
  return md_len == digest.size() && std::string_view(reinterpret_cast<char*>(md), md_len) == digest;
}

}  // namespace

std::optional<std::vector<std::string>> DecodeKplAggregate(std::string_view data) {
  constexpr size_t kDigest = 16;
  if (data.size() < kKplMagic.size() + kDigest || data.substr(0, kKplMagic.size()) != kKplMagic) {
    return std::nullopt;
  }
  std::string_view payload =
      data.substr(kKplMagic.size(), data.size() - kKplMagic.size() - kDigest);
  if (!Md5Matches(payload, data.substr(data.size() - kDigest))) return std::nullopt;
  std::vector<std::string> records;
  ProtoReader r(payload);
  while (!r.done()) {
    uint64_t key;
    if (!r.Varint(&key)) return std::nullopt;
    uint32_t field = static_cast<uint32_t>(key >> 3), wire = key & 7;
    if (field == 3 && wire == 2) {
      std::string_view msg;
      std::string record;
      if (!r.Bytes(&msg) || !DecodeInnerRecord(msg, &record)) return std::nullopt;
      records.push_back(std::move(record));
    } else if (!r.Skip(wire)) {  // the key tables: partition keys are not used by Firehose
      return std::nullopt;
    }
  }
  return records;
}

}  // namespace hydrant::processor
