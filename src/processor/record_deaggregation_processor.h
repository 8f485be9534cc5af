// RecordDeAggregation: splits KPL-aggregated records into their user records, then splits
// each record into sub-records by SubRecordType JSON (consecutive JSON objects) or DELIMITED
// (a custom delimiter, given base64-encoded in the Delimiter parameter).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "processor/processor.h"

namespace hydrant::processor {

// Error code of a record that cannot be de-aggregated. Hydrant's own string: the service
// files these under its dynamic-partitioning error output without documenting the code.
inline constexpr std::string_view kDeAggregationFailedCode = "DeAggregation.Failed";

// The service caps JSON/delimiter de-aggregation at 500 sub-records per record.
inline constexpr size_t kMaxSubRecords = 500;

// KPL de-aggregation alone (what the service does for Kinesis Data Streams sources before
// any processor). Records that are not valid KPL aggregates pass through unchanged.
class KplDeaggregationProcessor : public Processor {
 public:
  Status Process(RecordBatch& batch) override;
};

// SubRecordType JSON: the record must be a sequence of JSON objects, back to back or separated
// by whitespace/newlines (JSONL); each object becomes a record holding its exact bytes. A JSON
// array, a scalar, malformed JSON or more than kMaxSubRecords objects fail the record.
// SubRecordType DELIMITED: the record is split on `delimiter`; empty pieces (e.g. after a
// trailing delimiter) are not records; more than kMaxSubRecords pieces fail the record.
// KPL aggregates are expanded first. Stateless after construction.
class RecordDeAggregationProcessor : public Processor {
 public:
  enum class SubRecordType { kJson, kDelimited };
  // `delimiter` is the decoded delimiter (required non-empty for kDelimited).
  RecordDeAggregationProcessor(SubRecordType type, std::string delimiter)
      : type_(type), delimiter_(std::move(delimiter)) {}
  Status Process(RecordBatch& batch) override;

 private:
  SubRecordType type_;
  std::string delimiter_;
};

// Splitters, exposed for tests. Return false with *error set on failure.
bool SplitJsonObjects(std::string_view data, std::vector<std::string>* out, std::string* error);
bool SplitDelimited(std::string_view data, std::string_view delimiter,
                    std::vector<std::string>* out, std::string* error);

}  // namespace hydrant::processor
