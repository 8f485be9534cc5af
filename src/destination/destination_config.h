// Rules every non-S3 destination's configuration shares (HTTP endpoint, OpenSearch, ...): their
// BufferingHints, RetryOptions, CloudWatchLoggingOptions and ProcessingConfiguration members.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status.h"
#include "destination/s3/s3_config.h"

namespace hydrant::destination {

// BufferingHints: SizeInMBs 1..max_mb, IntervalInSeconds 0..900; members given replace `out`'s.
Status CheckBufferingHints(const boost::json::object& hints, int64_t max_mb, s3::BufferingHints* out);

// RetryOptions.DurationInSeconds, 0..7200; replaces *seconds when given.
Status CheckRetryOptions(const boost::json::object& retry, int64_t* seconds);

// The model: both names are "required if CloudWatch logging is enabled".
Status CheckCloudWatchLogging(const boost::json::object& logging);

// The processors to run, or nullopt when processing is absent, disabled or empty. The processor
// stage owns the rules for types, parameters and their order; without dynamic partitioning (an
// S3-only feature) it refuses MetadataExtraction. `member_path` is where its messages point.
Result<std::optional<boost::json::object>> CheckProcessing(const boost::json::object& processing,
                                                           std::string_view member_path);

// CloudWatchLoggingOptions as Describe shows it (Enabled false when not configured).
boost::json::object CloudWatchDescription(const boost::json::object& destination);

}  // namespace hydrant::destination
