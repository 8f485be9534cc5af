// Rules every non-S3 destination's configuration shares (HTTP endpoint, OpenSearch, ...): their
// BufferingHints, RetryOptions, CloudWatchLoggingOptions and ProcessingConfiguration members.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <span>
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

// The stored form of a CreateDeliveryStream destination member: its `members` in that order (the
// model's), S3Configuration reduced to the S3DestinationConfiguration members. Create-only rule:
// BufferingHints names both of its members or neither.
Result<boost::json::object> StoreCreateMembers(const boost::json::object& given,
                                               std::span<const std::string_view> members);

// `stored` after a *DestinationUpdate: each of `updatable` given (and not null) replaces the stored
// member, or for `member_wise` structures merges into it member by member (lists inside are
// replaced); S3Update merges into S3Configuration as an S3DestinationUpdate does. The result is
// in the order of `members`, and still has to pass the kind's rules.
Result<boost::json::object> MergeUpdateMembers(const boost::json::object& stored, const boost::json::object& update,
                                               std::span<const std::string_view> members,
                                               std::span<const std::string_view> updatable,
                                               std::span<const std::string_view> member_wise);

// An endpoint URL (HTTP endpoint Url, OpenSearch ClusterEndpoint, Splunk HECEndpoint): https:// or,
// unlike the service, http://, and a host. `member` names it in the message; the URL is not quoted
// (the model marks these members sensitive).
Status CheckHttpUrl(std::string_view member, std::string_view url);

// SecretsManagerConfiguration: Enabled is required, and Hydrant has no Secrets Manager to read a
// secret from, so only Enabled false is accepted (the credentials are given in the configuration).
Status CheckSecretsManager(const boost::json::object& secrets);

// CloudWatchLoggingOptions as Describe shows it (Enabled false when not configured).
boost::json::object CloudWatchDescription(const boost::json::object& destination);

}  // namespace hydrant::destination
