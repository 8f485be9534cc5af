// The Splunk destination's configuration: SplunkDestinationConfiguration (parse, the service's
// rules and defaults, UpdateDestination's merge, Describe). Stored as configured; defaults are
// applied when it is read. S3Configuration follows the S3 kind's rules for the legacy shape.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "destination/s3/s3_config.h"

namespace hydrant::destination::splunk {

struct SplunkDestination {
  std::string endpoint;        // HECEndpoint (http:// or https://, Hydrant also takes http://)
  bool raw = false;            // HECEndpointType Raw (else Event)
  std::string token;           // HECToken
  int64_t ack_timeout_seconds = 180;  // HECAcknowledgmentTimeoutInSeconds, 180-600
  int64_t retry_seconds = 300;        // RetryOptions.DurationInSeconds, 0-7200
  bool all_events = false;            // S3BackupMode AllEvents (default FailedEventsOnly)
  s3::BufferingHints buffering{.size_mb = 5, .interval_seconds = 60};  // 1-5 MiB, 0-60 s
  std::optional<boost::json::object> processing;
  s3::S3Destination s3;
  bool operator==(const SplunkDestination&) const = default;
};

Result<boost::json::object> FromCreateRequest(const boost::json::object& given);
Result<SplunkDestination> Parse(const boost::json::object& stored);
Result<boost::json::object> MergeUpdate(const boost::json::object& stored, const boost::json::object& update);
// AllEvents cannot go back to FailedEventsOnly (the service's rule), plus the S3 kind's rules.
Status CheckChange(const SplunkDestination& before, const SplunkDestination& after);
// {"SplunkDestinationDescription": {...}} with the defaults filled in (HECToken included: the
// service's description shape has it).
boost::json::object Describe(const boost::json::object& stored, const SplunkDestination& parsed);

}  // namespace hydrant::destination::splunk
