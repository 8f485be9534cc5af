// ThriftCompactWriter: varints, zigzag, field headers with id deltas, list headers.
#include "format/parquet/thrift_compact.h"

namespace hydrant::format::parquet {

void ThriftCompactWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_ += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out_ += static_cast<char>(v);
}

void ThriftCompactWriter::Field(int16_t id, uint8_t type) {
  const int delta = id - last_.back();
  if (delta > 0 && delta <= 15) {
    out_ += static_cast<char>((delta << 4) | type);
  } else {
    out_ += static_cast<char>(type);
    Varint(ZigZag(id));
  }
  last_.back() = id;
}

void ThriftCompactWriter::List(int16_t id, Type element, size_t size) {
  Field(id, kList);
  if (size < 15) {
    out_ += static_cast<char>((size << 4) | element);
  } else {
    out_ += static_cast<char>(0xF0 | element);
    Varint(size);
  }
}

}  // namespace hydrant::format::parquet
