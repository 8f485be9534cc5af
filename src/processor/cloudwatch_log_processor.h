// CloudWatchLogProcessing (DataMessageExtraction=true): turns a decompressed CloudWatch Logs
// subscription payload into one record per log event, holding just that event's message.
#pragma once

#include <string_view>

#include "processor/processor.h"

namespace hydrant::processor {

// Error code of a record that is not a CloudWatch Logs subscription payload (not JSON, no
// messageType, DATA_MESSAGE without a logEvents array of {message: string}). Hydrant's own
// string: the service does not document one.
inline constexpr std::string_view kCloudWatchLogProcessingFailedCode =
    "CloudWatchLogProcessing.Failed";

// Input (after Decompression):
//   {"messageType":"DATA_MESSAGE","owner":..,"logGroup":..,"logStream":..,
//    "subscriptionFilters":[..],"logEvents":[{"id":..,"timestamp":..,"message":".."},..]}
// DATA_MESSAGE: each logEvents[i].message becomes a record (ids per ExpandRecords); the
// envelope (owner, logGroup, ...) is dropped. CONTROL_MESSAGE (the reachability probe CloudWatch
// Logs sends when a subscription is created) is Dropped. Anything else is ProcessingFailed.
// Stateless.
class CloudWatchLogProcessor : public Processor {
 public:
  Status Process(RecordBatch& batch) override;
};

}  // namespace hydrant::processor
