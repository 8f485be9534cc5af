// Failed-delivery records serialized with Boost.JSON, whose objects keep insertion order.
#include "destination/failed_record.h"

#include <boost/json.hpp>

#include "common/base64.h"

namespace hydrant::destination {

void Destination::AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const {
  destination::AppendFailedRecord(record, failure, out);
}

boost::json::object FailureDocument(const Record& record, const DeliveryFailure& failure) {
  boost::json::object doc;
  doc.reserve(9);
  doc.emplace("attemptsMade", failure.attempts_made);
  doc.emplace("arrivalTimestamp", record.arrival_millis);
  doc.emplace("errorCode", failure.error_code);
  doc.emplace("errorMessage", failure.error_message);
  doc.emplace("attemptEndingTimestamp", failure.attempt_ending_millis);
  return doc;
}

void AppendDocument(const boost::json::object& document, std::string* out) {
  out->append(boost::json::serialize(document));
  out->push_back('\n');
}

void AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) {
  boost::json::object doc = FailureDocument(record, failure);
  doc.emplace("rawData", Base64Encode(record.data));
  // The service's dataId is the record's sequence number; Hydrant's is its place in the log.
  doc.emplace("subsequenceNumber", record.subsequence);
  doc.emplace("dataId", std::string(record.record_id) + "." + std::to_string(record.subsequence));
  AppendDocument(doc, out);
}

}  // namespace hydrant::destination
