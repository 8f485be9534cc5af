// CloudWatchLogProcessing implementation.
#include "processor/cloudwatch_log_processor.h"

#include <boost/json.hpp>

#include "processor/sub_records.h"

namespace hydrant::processor {
namespace {

// Returns the messages of a DATA_MESSAGE payload, an empty vector for a CONTROL_MESSAGE, or
// a failure message in *error.
bool ExtractMessages(std::string_view data, std::vector<std::string>* messages, bool* control,
                     std::string* error) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(data, ec);
  if (ec || !root.is_object()) {
    *error = "Record is not a CloudWatch Logs JSON payload";
    return false;
  }
  const auto& obj = root.get_object();
  const auto* type = obj.if_contains("messageType");
  if (!type || !type->is_string()) {
    *error = "CloudWatch Logs payload has no messageType";
    return false;
  }
  *control = type->get_string() == "CONTROL_MESSAGE";
  if (*control) return true;
  if (type->get_string() != "DATA_MESSAGE") {
    *error = "Unknown CloudWatch Logs messageType " + std::string(type->get_string());
    return false;
  }
  const auto* events = obj.if_contains("logEvents");
  if (!events || !events->is_array()) {
    *error = "CloudWatch Logs DATA_MESSAGE has no logEvents array";
    return false;
  }
  for (const auto& event : events->get_array()) {
    const auto* message = event.is_object() ? event.get_object().if_contains("message") : nullptr;
    if (!message || !message->is_string()) {
      *error = "CloudWatch Logs log event has no message";
      return false;
    }
    messages->emplace_back(message->get_string());
  }
  return true;
}

}  // namespace

Status CloudWatchLogProcessor::Process(RecordBatch& batch) {
  // A CONTROL_MESSAGE yields no pieces, so ExpandRecords marks it Dropped.
  ExpandRecords(batch, [](Record& record, std::vector<std::string>* messages) {
    bool control = false;
    std::string error;
    if (ExtractMessages(record.data, messages, &control, &error)) return true;
    FailRecord(record, kCloudWatchLogProcessingFailedCode, error);
    return false;
  });
  return Status::Ok();
}

}  // namespace hydrant::processor
