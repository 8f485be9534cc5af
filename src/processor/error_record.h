// Error records: the service's JSON document for a record that failed processing
// (firehose-spec §4.4), as written under the processing-failed error output.
#pragma once

#include <string>

#include "processor/processor.h"

namespace hydrant::processor {

// One processing-failed document for `record`, in the service's field order:
// {"attemptsMade":N,"arrivalTimestamp":ms,"errorCode":"...","errorMessage":"...",
//  "attemptEndingTimestamp":ms,"rawData":"<base64 of record.raw_data>","lambdaArn":"..."}
// No trailing newline. Uses the record's error fields whatever its result.
std::string FormatProcessingFailedRecord(const Record& record);

// Appends a document and a "\n" for each kProcessingFailed record of `batch`, in order:
// the body of a processing-failed object. The service writes one document per line.
void AppendProcessingFailedRecords(const RecordBatch& batch, std::string* out);

}  // namespace hydrant::processor
