// AppendDelimiterToRecord implementation.
#include "processor/append_delimiter_processor.h"

namespace hydrant::processor {

Status AppendDelimiterProcessor::Process(RecordBatch& batch) {
  for (Record& record : batch) {
    if (record.result == RecordResult::kOk) record.data.push_back('\n');
  }
  return Status::Ok();
}

}  // namespace hydrant::processor
