// Decompression (CompressionFormat GZIP): gunzips every Ok record, as the service does for
// CloudWatch Logs subscription payloads.
#pragma once

#include <string>
#include <string_view>

#include "processor/processor.h"

namespace hydrant::processor {

// Error code of a record that does not gunzip. The service files such records under the
// "decompression-failed" error prefix with their raw (still compressed) bytes; the exact
// errorCode string it writes is not documented, so this one is Hydrant's.
inline constexpr std::string_view kDecompressionFailedCode = "Decompression.Failed";

// Gunzips `in` (one or more concatenated gzip members) into *out. Fails when `in` is not
// gzip, is truncated, or inflates beyond `max_output` bytes (a guard against zip bombs).
Status GunzipInto(std::string_view in, std::string* out, size_t max_output);

// Each Ok record's data is replaced by its decompression; one that fails becomes
// ProcessingFailed (kDecompressionFailedCode). Stateless.
class DecompressionProcessor : public Processor {
 public:
  // Largest decompressed record accepted (the service's own cap is undocumented).
  static constexpr size_t kMaxDecompressedBytes = 64 << 20;
  Status Process(RecordBatch& batch) override;
};

}  // namespace hydrant::processor
