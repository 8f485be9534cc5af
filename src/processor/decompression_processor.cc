// Decompression implementation over zlib.
#include "processor/decompression_processor.h"

#include <zlib.h>

#include "processor/sub_records.h"

namespace hydrant::processor {

Status GunzipInto(std::string_view in, std::string* out, size_t max_output) {
  out->clear();
  if (in.size() < 2 || static_cast<unsigned char>(in[0]) != 0x1f ||
      static_cast<unsigned char>(in[1]) != 0x8b) {
    return Status::Malformed("not in GZIP format");
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out->append(chunk, sizeof(chunk) - zs.avail_out);
    if (out->size() > max_output) {
      inflateEnd(&zs);
      return Status::ResourceExhausted("decompressed record exceeds the size limit");
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (gzip allows concatenation).
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // input ended mid-stream
      break;
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Malformed("corrupt or truncated GZIP data");
  return Status::Ok();
}

Status DecompressionProcessor::Process(RecordBatch& batch) {
  std::string out;
  for (Record& record : batch) {
    if (record.result != RecordResult::kOk) continue;
    Status st = GunzipInto(record.data, &out, kMaxDecompressedBytes);
    if (!st.ok()) {
      FailRecord(record, kDecompressionFailedCode,
                 "Unable to decompress the record: " + st.message());
      record.error_output_type = "decompression-failed";  // the service's own folder
      continue;
    }
    record.data.swap(out);
  }
  return Status::Ok();
}

}  // namespace hydrant::processor
