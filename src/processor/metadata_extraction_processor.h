// MetadataExtraction (JsonParsingEngine JQ-1.6): evaluates the stream's jq query against
// each JSON record with libjq and stores the resulting object as the record's partition keys
// (the values !{partitionKeyFromQuery:<key>} resolves).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "processor/processor.h"

struct jq_state;
namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace hydrant::processor {

// Error code of a record whose keys cannot be extracted (not JSON, query error, result not an
// object of strings/numbers). It is the code the service writes in its error records for
// dynamic-partitioning extraction failures.
inline constexpr std::string_view kMetadataExtractionFailedCode =
    "DynamicPartitioning.MetadataExtractionFailed";

// The service allows at most 50 partition keys per query.
inline constexpr size_t kMaxPartitionKeys = 50;

// Owns one compiled jq program. Not thread-safe (libjq state is mutable): one chain per
// delivery loop, as processor.h allows. Per record: the first output of the query must be an
// object whose values are strings or numbers (numbers rendered the way jq prints them, e.g.
// 2021, 1.5); those pairs are merged into Record::partition_keys (a query key overrides a key
// of the same name from an earlier processor). Anything else fails the record with
// kMetadataExtractionFailedCode. The record's data is not changed.
class MetadataExtractionProcessor : public Processor {
 public:
  // Compiles `query`; InvalidArgument with jq's diagnostics when it does not compile.
  static Result<std::unique_ptr<MetadataExtractionProcessor>> Create(std::string_view query);
  ~MetadataExtractionProcessor() override;

  Status Process(RecordBatch& batch) override;

  // Extracts the keys of one JSON document; false with *error set on failure.
  bool Extract(std::string_view json, std::map<std::string, std::string>* keys, std::string* error);

 private:
  MetadataExtractionProcessor(jq_state* jq, std::unique_ptr<std::string> errors);
  jq_state* jq_;
  std::unique_ptr<std::string> errors_;  // jq's error callback appends here (stable address)
  std::unique_ptr<simdjson::dom::parser> parser_;  // reused: keeps its buffers between records
};

// Compile-only check used when a stream is created: Ok or InvalidArgument.
Status ValidateJqQuery(std::string_view query);

}  // namespace hydrant::processor
