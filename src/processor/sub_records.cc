// Sub-record expansion and failure marking shared by the built-in processors.
#include "processor/sub_records.h"

namespace hydrant::processor {
namespace {

void AppendPieces(Record parent, std::vector<std::string>& pieces, RecordBatch* out) {
  if (pieces.empty()) {
    parent.result = RecordResult::kDropped;
    out->push_back(std::move(parent));
    return;
  }
  if (pieces.size() == 1) {
    parent.data = std::move(pieces[0]);
    out->push_back(std::move(parent));
    return;
  }
  for (size_t n = 0; n < pieces.size(); ++n) {
    Record child;
    child.record_id = parent.record_id + "." + std::to_string(n);
    child.arrival_millis = parent.arrival_millis;
    child.source = parent.source;
    child.data = std::move(pieces[n]);
    child.raw_data = parent.raw_data;
    child.partition_keys = parent.partition_keys;
    out->push_back(std::move(child));
  }
}

}  // namespace

void ExpandRecords(RecordBatch& batch, const RecordSplitter& split) {
  RecordBatch out;
  out.reserve(batch.size());
  std::vector<std::string> pieces;
  for (Record& record : batch) {
    pieces.clear();
    if (record.result != RecordResult::kOk || !split(record, &pieces)) {
      out.push_back(std::move(record));
    } else {
      AppendPieces(std::move(record), pieces, &out);
    }
  }
  batch.swap(out);
}

void FailRecord(Record& record, std::string_view error_code, std::string_view message) {
  record.result = RecordResult::kProcessingFailed;
  record.error_code = std::string(error_code);
  record.error_message = std::string(message);
  record.attempts_made = 1;
}

}  // namespace hydrant::processor
