// Test helpers for the processor tests: gzip, KPL aggregate encoding, record batches.
#pragma once

#include <openssl/evp.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "processor/processor.h"

namespace hydrant::processor::testing {

inline std::string Gzip(std::string_view in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Protobuf encoding by hand, for building KPL aggregates independently of the decoder.
inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
inline void PutBytesField(std::string* out, uint32_t field, std::string_view bytes) {
  PutVarint(out, (field << 3) | 2);
  PutVarint(out, bytes.size());
  out->append(bytes);
}
inline void PutVarintField(std::string* out, uint32_t field, uint64_t v) {
  PutVarint(out, field << 3);
  PutVarint(out, v);
}

inline std::string Md5(std::string_view in) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(in.data(), in.size(), md, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

// An AggregatedRecord with two partition keys, one explicit hash key and the given user
// records (alternating partition keys, the first one carrying the explicit hash key and a
// tag), framed as the KPL writes it.
inline std::string KplAggregate(const std::vector<std::string>& records) {
  std::string msg;
  PutBytesField(&msg, 1, "pk-a");
  PutBytesField(&msg, 1, "pk-b");
  PutBytesField(&msg, 2, "170141183460469231731687303715884105728");
  for (size_t i = 0; i < records.size(); ++i) {
    std::string rec;
    PutVarintField(&rec, 1, i % 2);
    if (i == 0) PutVarintField(&rec, 2, 0);
    PutBytesField(&rec, 3, records[i]);
    if (i == 0) {
      std::string tag;
      PutBytesField(&tag, 1, "k");
      PutBytesField(&tag, 2, "v");
      PutBytesField(&rec, 4, tag);
    }
    PutBytesField(&msg, 3, rec);
  }
  return std::string("\xF3\x89\x9A\xC2", 4) + msg + Md5(msg);
}

inline Record MakeRecord(std::string id, std::string data, int64_t arrival = 1700000000000) {
  Record r;
  r.record_id = std::move(id);
  r.arrival_millis = arrival;
  r.raw_data = data;
  r.data = std::move(data);
  return r;
}

inline std::vector<std::string> Datas(const RecordBatch& batch) {
  std::vector<std::string> out;
  for (const Record& r : batch) out.push_back(r.data);
  return out;
}
inline std::vector<std::string> Ids(const RecordBatch& batch) {
  std::vector<std::string> out;
  for (const Record& r : batch) out.push_back(r.record_id);
  return out;
}

}  // namespace hydrant::processor::testing
