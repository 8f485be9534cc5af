// Failed-delivery records: the service's JSON document for a record that could not be
// delivered (firehose-spec §4.4), as written under the kind's error output
// (http-endpoint-failed/, ...) in the stream's S3 error location.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "destination/destination.h"

namespace hydrant::destination {

struct DeliveryFailure {
  int attempts_made = 0;
  std::string_view error_code;
  std::string_view error_message;
  int64_t attempt_ending_millis = 0;
};

// One document, in the service's field order, followed by "\n" (one document per line):
// {"attemptsMade":N,"arrivalTimestamp":ms,"errorCode":"...","errorMessage":"...",
//  "attemptEndingTimestamp":ms,"rawData":"<base64>","subsequenceNumber":0,"dataId":"<id>.0"}
void AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out);

// The members every kind's document starts with, in the service's order: attemptsMade,
// arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp. A kind with its own layout
// (Splunk's EventId, OpenSearch's esDocumentId) adds the rest and appends it with AppendDocument.
boost::json::object FailureDocument(const Record& record, const DeliveryFailure& failure);
void AppendDocument(const boost::json::object& document, std::string* out);  // and "\n"

}  // namespace hydrant::destination
