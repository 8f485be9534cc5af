// Error records serialized with Boost.JSON, whose objects keep insertion order.
#include "processor/error_record.h"

#include <boost/json.hpp>

#include "common/base64.h"

namespace hydrant::processor {

std::string FormatProcessingFailedRecord(const Record& record) {
  boost::json::object doc;
  doc.reserve(7);
  doc.emplace("attemptsMade", record.attempts_made);
  doc.emplace("arrivalTimestamp", record.arrival_millis);
  doc.emplace("errorCode", record.error_code);
  doc.emplace("errorMessage", record.error_message);
  doc.emplace("attemptEndingTimestamp", record.attempt_ending_millis);
  doc.emplace("rawData", Base64Encode(record.raw_data));
  doc.emplace("lambdaArn", record.lambda_arn);
  return boost::json::serialize(doc);
}

void AppendProcessingFailedRecords(const RecordBatch& batch, std::string* out) {
  for (const Record& r : batch) {
    if (r.result != RecordResult::kProcessingFailed) continue;
    out->append(FormatProcessingFailedRecord(r));
    out->push_back('\n');
  }
}

}  // namespace hydrant::processor
