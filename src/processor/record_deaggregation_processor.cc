// RecordDeAggregation and KPL de-aggregation implementations.
#include "processor/record_deaggregation_processor.h"

#include <boost/json.hpp>

#include "processor/kpl_aggregation.h"
#include "processor/sub_records.h"

namespace hydrant::processor {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

void ExpandKpl(RecordBatch& batch) {
  ExpandRecords(batch, [](Record& record, std::vector<std::string>* pieces) {
    auto records = DecodeKplAggregate(record.data);
    if (!records) return false;  // not an aggregate: an ordinary record
    *pieces = std::move(*records);
    return true;
  });
}

}  // namespace

bool SplitJsonObjects(std::string_view data, std::vector<std::string>* out, std::string* error) {
  boost::json::parser parser;
  size_t pos = 0;
  while (true) {
    while (pos < data.size() && IsJsonSpace(data[pos])) ++pos;
    if (pos == data.size()) break;
    if (data[pos] != '{') {
      *error = "Record is not a sequence of JSON objects";
      return false;
    }
    parser.reset();
    boost::system::error_code ec;
    size_t used = parser.write_some(data.substr(pos), ec);
    if (ec) {
      *error = "Invalid JSON in record: " + ec.message();
      return false;
    }
    std::string_view piece = data.substr(pos, used);
    while (!piece.empty() && IsJsonSpace(piece.back())) piece.remove_suffix(1);
    if (out->size() == kMaxSubRecords) {
      *error = "Record holds more than 500 JSON objects";
      return false;
    }
    out->emplace_back(piece);
    pos += used;
  }
  return true;
}

bool SplitDelimited(std::string_view data, std::string_view delimiter,
                    std::vector<std::string>* out, std::string* error) {
  size_t pos = 0;
  while (pos <= data.size()) {
    size_t next = data.find(delimiter, pos);
    if (next == std::string_view::npos) next = data.size();
    if (next > pos) {
      if (out->size() == kMaxSubRecords) {
        *error = "Record holds more than 500 delimited sub-records";
        return false;
      }
      out->emplace_back(data.substr(pos, next - pos));
    }
    pos = next + delimiter.size();
  }
  return true;
}

Status KplDeaggregationProcessor::Process(RecordBatch& batch) {
  ExpandKpl(batch);
  return Status::Ok();
}

Status RecordDeAggregationProcessor::Process(RecordBatch& batch) {
  ExpandKpl(batch);
  ExpandRecords(batch, [this](Record& record, std::vector<std::string>* pieces) {
    std::string error;
    bool ok = type_ == SubRecordType::kJson
                  ? SplitJsonObjects(record.data, pieces, &error)
                  : SplitDelimited(record.data, delimiter_, pieces, &error);
    if (ok) return true;
    FailRecord(record, kDeAggregationFailedCode, error);
    return false;
  });
  return Status::Ok();
}

}  // namespace hydrant::processor
