// Processor: one transformation step of a stream's ProcessingConfiguration. Each record ends
// Ok, Dropped or ProcessingFailed — the Lambda contract's own words.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace hydrant::processor {

enum class RecordResult { kOk, kDropped, kProcessingFailed };

struct Record {
  std::string record_id;      // unique within the stream and stable across retries of a batch
  int64_t arrival_millis = 0; // approximate arrival time (ms since epoch)
  uint64_t source = 0;        // the stream's own tag for the stored record it came from; sub-records keep it
  std::string data;           // the record's current bytes; processors replace them
  std::string raw_data;       // the bytes as they entered the chain (for error records)
  RecordResult result = RecordResult::kOk;
  // Dynamic-partitioning keys (MetadataExtraction or the Lambda's metadata.partitionKeys).
  std::map<std::string, std::string> partition_keys;
  // Set when result == kProcessingFailed, for the error output (firehose-spec §4.4):
  std::string error_code;        // e.g. "Lambda.FunctionError", "Lambda.MissingRecordId"
  std::string error_message;
  int attempts_made = 0;
  int64_t attempt_ending_millis = 0;
  std::string lambda_arn;        // the function that failed, if a Lambda processor
  // The error output's !{firehose:error-output-type}; "" means "processing-failed".
  std::string error_output_type;
};

using RecordBatch = std::vector<Record>;

// A processor transforms the kOk records of a batch in place; records already Dropped or
// ProcessingFailed pass through untouched. It may add records (de-aggregation) and must keep
// their order. Returns non-OK only when the batch could not be processed at all and must be
// retried later as a whole (e.g. the server is shutting down); per-record failures are
// results, not a Status. Implementations are not required to be thread-safe: one delivery
// loop calls one chain.
class Processor {
 public:
  virtual ~Processor() = default;
  virtual Status Process(RecordBatch& batch) = 0;
};

}  // namespace hydrant::processor
