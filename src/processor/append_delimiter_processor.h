// AppendDelimiterToRecord: appends "\n" to every Ok record so objects in S3 are line-delimited.
#pragma once

#include "processor/processor.h"

namespace hydrant::processor {

// The service documents this processor as adding a new-line delimiter and needing no
// parameter. It accepts a Delimiter parameter (the enum allows it), but nothing documents
// that the value changes what is appended, so Hydrant always appends "\n". Stateless.
class AppendDelimiterProcessor : public Processor {
 public:
  Status Process(RecordBatch& batch) override;
};

}  // namespace hydrant::processor
