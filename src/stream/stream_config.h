// StreamConfig: one delivery stream's validated, immutable configuration (CreateDeliveryStream,
// UpdateDestination, DescribeDeliveryStream, persistence).
//
// Input requests have already passed the generic model validator (types, required members,
// lengths, patterns, enums, ranges -> ValidationException). StreamConfig applies what comes
// after: the service's semantic rules (kInvalidArgument, with the real messages where known), the
// scope of this Hydrant version, the service's defaults, UpdateDestination's merge, and the
// persisted form.
//
// Scope of this version; anything else is kInvalidArgument "... is not supported by this version
// of Hydrant yet", never accepted and ignored:
//   - DeliveryStreamType DirectPut only; a Kinesis/MSK/Database source configuration is refused
//     with the service's "... is only applicable for ... stream type"; no
//     DeliveryStreamEncryptionConfigurationInput (stream SSE).
//   - Destinations S3DestinationConfiguration (legacy), ExtendedS3DestinationConfiguration and
//     HttpEndpointDestinationConfiguration (destination/http_endpoint/: every member of the
//     model; EndpointConfiguration.Url may also be http://; SecretsManagerConfiguration only with
//     Enabled false; S3BackupMode AllData cannot go back to FailedDataOnly).
//   - UpdateDestination updates the destination of the stream's kind (S3DestinationUpdate or
//     ExtendedS3DestinationUpdate for S3, HttpEndpointDestinationUpdate for an HTTP endpoint);
//     changing the kind, which the service allows, is refused.
//   - KMSEncryptionConfig is accepted: remote S3 buckets get SSE-KMS with the key; the
//     embedded store keeps objects unencrypted. KMS in S3BackupConfiguration is refused.
//   - ProcessingConfiguration (S3 and HTTP endpoint) is accepted and run: Lambda and the
//     built-in processors (Decompression, CloudWatchLogProcessing, RecordDeAggregation,
//     MetadataExtraction, AppendDelimiterToRecord), validated by processor/processing_config.cc.
//     Disabled or without processors it is stored and echoed, and nothing runs.
//   - Every CompressionFormat of the model (UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY) and
//     FileExtension; CustomTimeZone, any zone of the system tz database.
//   - DynamicPartitioningConfiguration with its rules (ErrorOutputPrefix required, SizeInMBs at
//     least 64, interval above 0, partition keys backed by a processor); UpdateDestination
//     cannot switch it on or off.
//   - S3BackupMode Enabled with S3BackupConfiguration; UpdateDestination cannot disable it.
//   - DataFormatConversionConfiguration only with Enabled false (record format conversion is
//     refused).
//   Accepted, stored and echoed though Hydrant does nothing with them: CloudWatchLoggingOptions,
//   DirectPutSourceConfiguration (ThroughputHintInMBs is informational), an HTTP endpoint
//   destination's RoleARN and disabled SecretsManagerConfiguration.
//
// A legacy S3DestinationConfiguration becomes an ExtendedS3 destination with the same members,
// as on AWS: Describe shows both S3DestinationDescription and ExtendedS3DestinationDescription,
// and S3DestinationUpdate and ExtendedS3DestinationUpdate both merge into it.
//
// Values are immutable; copying is cheap enough for the control plane. Thread-compatible: const
// methods may be called concurrently.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "destination/kind.h"
#include "destination/s3/s3_config.h"

namespace hydrant::stream {

// The destinations' typed configurations live with the destinations (destination/s3/,
// destination/http_endpoint/).
using BufferingHints = destination::s3::BufferingHints;
using S3BackupDestination = destination::s3::S3BackupDestination;
using S3Destination = destination::s3::S3Destination;

class StreamConfig {
 public:
  // From a CreateDeliveryStream request body. Errors: kInvalidArgument (a semantic rule or an
  // unsupported feature), kMalformed (a member of the wrong JSON type slipped past the validator).
  static Result<StreamConfig> FromCreateRequest(const boost::json::object& request);

  // The configuration after an UpdateDestination request (the whole request body; version and
  // DestinationId checks are the caller's, and so is bumping the version). Unspecified members
  // keep their values; structures merge member by member (a list such as Processors is replaced
  // whole), except EncryptionConfiguration, which is replaced. So {"ProcessingConfiguration":
  // {"Enabled": true}} re-enables the stored processors, as on AWS. The merged result must pass
  // every rule of FromCreateRequest except the create-only one that BufferingHints name both
  // members. An update member of another destination kind than the stream's is kInvalidArgument.
  // Errors as FromCreateRequest; *this is unchanged either way.
  Result<StreamConfig> ApplyUpdate(const boost::json::object& update_request) const;

  // DescribeDeliveryStream's Destinations[0] without DestinationId, as the destination kind
  // describes it (destination::s3::Describe, destination::http_endpoint::Describe). Callers put
  // "DestinationId" first, as AWS does.
  boost::json::object DescribeDestination() const;

  // DescribeDeliveryStream's Source for a stream created with DirectPutSourceConfiguration:
  // {"DirectPutSourceDescription": {"ThroughputHintInMBs": n}}; nullopt otherwise.
  std::optional<boost::json::object> DescribeSource() const;

  // The persisted form: {"format_version": 1, "DeliveryStreamName", "DeliveryStreamType",
  // "DirectPutSourceConfiguration"?, <destination_member()>} with the members as the user
  // configured them (defaults are applied when read, so they can't go stale). Tags are not
  // included: after creation the catalog owns them.
  boost::json::value ToJson() const;
  // Reads ToJson()'s output. kCorruption if it is not that shape or no longer passes the rules.
  static Result<StreamConfig> FromJson(const boost::json::value& json);

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }  // "DirectPut"
  // The stream's destination kind (destination/registry.cc) and its parsed configuration.
  const destination::KindOperations& kind() const { return *destination_.kind; }
  const destination::ParsedDestination& destination() const { return destination_; }
  // The member the destination is stored under: "ExtendedS3DestinationConfiguration" (also for a
  // stream created with the legacy S3DestinationConfiguration), "HttpEndpointDestinationConfiguration", ...
  std::string_view destination_member() const { return destination_.kind->stored_member; }
  // The S3 destination of an S3 stream. For another kind, its S3 location (S3Configuration): the
  // bucket, prefix, error output prefix and compression where failed records (and with AllData
  // every record) go; it has no processing, backup or partitioning.
  const S3Destination& s3() const { return destination_.s3; }
  // The destination's own buffering and processing.
  const BufferingHints& buffering() const { return destination_.buffering; }
  const std::optional<boost::json::object>& processing() const { return destination_.processing; }
  // Tags of the create request (empty if none, and after FromJson).
  const boost::json::array& initial_tags() const { return initial_tags_; }

 private:
  StreamConfig() = default;
  // Checks `stored` (the members `kind` stores) and parses it.
  static Result<StreamConfig> Build(std::string name, std::string type, const destination::KindOperations& kind,
                                    boost::json::object stored, std::optional<boost::json::object> source);

  std::string name_;
  std::string type_;
  boost::json::object stored_;  // the destination's members, as configured
  destination::ParsedDestination destination_;
  std::optional<boost::json::object> source_;  // DirectPutSourceConfiguration, if given
  boost::json::array initial_tags_;
};

}  // namespace hydrant::stream
