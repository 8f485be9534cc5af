// The HTTP endpoint destination's configuration: HttpEndpointDestinationConfiguration (parse, the
// service's rules and defaults, UpdateDestination's merge, Describe). The stored form is the
// members as the user configured them; defaults are applied when it is read, so they cannot go
// stale. Its S3Configuration (where failed records, and with AllData every record, are written)
// follows the S3 kind's rules for the legacy S3DestinationConfiguration shape (s3/s3_config.h).
//
// One divergence from the service, on purpose: EndpointConfiguration.Url may be http:// as well
// as https:// (a receiver on the same host or network); the API model's pattern is widened to
// match (api/firehose_model.json).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "destination/s3/s3_config.h"

namespace hydrant::destination::http_endpoint {

// RequestConfiguration.CommonAttributes: sent to the receiver with every request.
struct CommonAttribute {
  std::string name;   // AttributeName
  std::string value;  // AttributeValue
  bool operator==(const CommonAttribute&) const = default;
};

// The HTTP endpoint destination as the delivery runtime reads it.
struct HttpEndpointDestination {
  std::string url;         // EndpointConfiguration.Url (https:// or http://)
  std::string name;        // EndpointConfiguration.Name ("" when absent)
  std::string access_key;  // EndpointConfiguration.AccessKey ("" when absent); never described
  s3::BufferingHints buffering;  // BufferingHints: 1-64 MiB, 0-900 s; defaults 5 / 300
  bool gzip = false;             // RequestConfiguration.ContentEncoding GZIP (default NONE)
  std::vector<CommonAttribute> common_attributes;  // in the order given
  // ProcessingConfiguration when it is enabled and has processors (validated by the processor
  // stage, as for S3); nullopt means records are delivered as they arrived.
  std::optional<boost::json::object> processing;
  // RetryOptions.DurationInSeconds, 0-7200. The model states no default; 300 is the console's.
  int64_t retry_seconds = 300;
  bool all_data = false;  // S3BackupMode AllData (default FailedDataOnly)
  // S3Configuration, parsed by the S3 rules for the legacy shape: bucket, prefix, error output
  // prefix, buffering, compression, KMS key. It never has processing, a backup or partitioning.
  s3::S3Destination s3;
  bool operator==(const HttpEndpointDestination&) const = default;
};

// The stored form of a CreateDeliveryStream HttpEndpointDestinationConfiguration: its members in
// the model's order, S3Configuration reduced to the S3DestinationConfiguration members.
// Create-only rule: BufferingHints (the destination's and S3Configuration's) names both of its
// members or neither.
Result<boost::json::object> FromCreateRequest(const boost::json::object& given);

// Every rule a stored destination must satisfy (kInvalidArgument with the service's words where
// known, or kMalformed for a member of the wrong JSON type); the typed view on success.
Result<HttpEndpointDestination> Parse(const boost::json::object& stored);

// `stored` after an HttpEndpointDestinationUpdate: unspecified (or null) members keep their
// values, so nothing required can be removed; structures merge member by member (a list such as
// Processors or CommonAttributes is replaced whole): EndpointConfiguration, BufferingHints,
// CloudWatchLoggingOptions, RequestConfiguration, ProcessingConfiguration, RetryOptions,
// SecretsManagerConfiguration; S3Update merges into S3Configuration as an S3DestinationUpdate
// does (s3::MergeUpdate, legacy). The result still has to pass Parse and CheckChange.
Result<boost::json::object> MergeUpdate(const boost::json::object& stored, const boost::json::object& update);

// The rules on what an update may change: S3BackupMode AllData cannot go back to FailedDataOnly
// (the service documents this for Splunk's AllEvents; assumed the same here), plus the S3 kind's
// rules on S3Configuration.
Status CheckChange(const HttpEndpointDestination& before, const HttpEndpointDestination& after);

// DescribeDeliveryStream's destination: {"HttpEndpointDestinationDescription": {...}}, members in
// the model's order: EndpointConfiguration (Url and Name only: the AccessKey is never shown),
// BufferingHints (5/300), CloudWatchLoggingOptions (Enabled false), RequestConfiguration
// (ContentEncoding NONE; CommonAttributes as configured), ProcessingConfiguration (as
// processor::DescribeProcessingConfiguration shows it), RoleARN (when configured), RetryOptions
// (300), S3BackupMode (FailedDataOnly), S3DestinationDescription (s3::DescribeS3Destination),
// SecretsManagerConfiguration (when configured). Values in parentheses are the defaults shown when
// the member was not configured.
boost::json::object Describe(const boost::json::object& stored, const HttpEndpointDestination& parsed);

}  // namespace hydrant::destination::http_endpoint
