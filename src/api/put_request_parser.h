// PutRequestParser: the hot path's reader for PutRecord and PutRecordBatch bodies (simdjson
// on-demand, base64 decoded into one buffer, no per-record allocation).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::api {

inline constexpr size_t kMaxRecordBytes = 1024000;           // 1,000 KiB per record
inline constexpr size_t kMaxBatchRecords = 500;
inline constexpr size_t kMaxBatchBytes = 4ull * 1024 * 1024;  // record data per PutRecordBatch

struct ParsedPut {
  std::string stream_name;
  std::string data;                      // every record's decoded bytes, back to back
  std::vector<std::string_view> records; // views into `data`
};

// Parses `body` (which may be grown for simdjson's padding) for PutRecord (batch=false:
// "Record": {"Data"}) or PutRecordBatch ("Records": [{"Data"}...]).
// Returns Ok; kMalformed for bytes that are not the expected JSON types or not base64
// (SerializationException); kValidation when a model constraint is broken (missing member,
// length, count) — the caller then asks the model validator for the exact message.
Status ParsePutRequest(std::string& body, bool batch, ParsedPut* out);

}  // namespace hydrant::api
