// Helpers shared by the processors that turn one record into several (de-aggregation,
// CloudWatch Logs message extraction) or fail one record.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "processor/processor.h"

namespace hydrant::processor {

// Splits a record: returns true with the record's pieces in *pieces, or false to leave the
// record as the function left it (untouched, or marked by FailRecord).
using RecordSplitter = std::function<bool(Record& record, std::vector<std::string>* pieces)>;

// Runs `split` on every kOk record of the batch (others pass through) and replaces each split
// record by its pieces, keeping batch order; linear in the batch size. Each piece inherits
// the parent's arrival time, raw_data and partition keys. A single piece keeps the parent's
// record_id; several get "<id>.<n>" (n from 0), so ids stay unique within the batch and a
// piece can be traced to its source record. No pieces leaves the parent, marked kDropped
// (nothing of it is left to deliver).
void ExpandRecords(RecordBatch& batch, const RecordSplitter& split);

// Marks `record` ProcessingFailed with the given error code and message (attempts_made 1).
void FailRecord(Record& record, std::string_view error_code, std::string_view message);

}  // namespace hydrant::processor
