// The S3 destination's configuration: ExtendedS3DestinationConfiguration and the legacy
// S3DestinationConfiguration (parse, the service's rules and defaults, UpdateDestination's
// merge, Describe). The stored form is the ExtendedS3 members as the user configured them;
// defaults are applied when it is read, so they cannot go stale.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "format/time_zone.h"

namespace hydrant::destination::s3 {

struct BufferingHints {
  int64_t size_mb = 5;             // SizeInMBs, 1-128
  int64_t interval_seconds = 300;  // IntervalInSeconds, 0-900
  bool operator==(const BufferingHints&) const = default;
};

// S3BackupConfiguration as the delivery runtime reads it: where source records (as they
// arrived, before any transformation) are written when S3BackupMode is Enabled.
struct S3BackupDestination {
  std::string bucket;
  std::string prefix;
  BufferingHints buffering;
  std::string compression = "UNCOMPRESSED";
  bool operator==(const S3BackupDestination&) const = default;
};

// DataFormatConversionConfiguration when enabled: JSON records become Parquet files typed by a
// table of the Glue Data Catalog.
struct FormatConversion {
  // SchemaConfiguration
  std::string catalog_id, database, table, region, role_arn;
  std::string version_id = "LATEST";
  // InputFormatConfiguration.Deserializer
  bool hive = false;                 // HiveJsonSerDe (else OpenXJsonSerDe)
  bool case_insensitive = true;      // OpenXJsonSerDe.CaseInsensitive
  bool dots_to_underscores = false;  // OpenXJsonSerDe.ConvertDotsInJsonKeysToUnderscores
  std::map<std::string, std::string> column_to_json_key;  // OpenXJsonSerDe.ColumnToJsonKeyMappings
  std::vector<std::string> timestamp_formats;             // HiveJsonSerDe.TimestampFormats
  // OutputFormatConfiguration.Serializer.ParquetSerDe
  std::string compression = "SNAPPY";
  int64_t block_size_bytes = 256ll << 20;
  int64_t page_size_bytes = 1 << 20;
  bool dictionary = true;  // EnableDictionaryCompression
  int64_t max_padding_bytes = 0;
  bool writer_v2 = false;  // WriterVersion V2
  bool operator==(const FormatConversion&) const = default;
};

// The S3 destination as the delivery runtime reads it.
struct S3Destination {
  std::string bucket;  // from BucketARN arn:<partition>:s3:::<bucket>
  std::string prefix;  // "" if absent; may hold !{...} (prefix_expression.h)
  std::optional<std::string> error_output_prefix;  // nullopt if absent or empty
  BufferingHints buffering;
  std::string compression = "UNCOMPRESSED";  // CompressionFormat (format/compression.h)
  std::string file_extension;            // "" = the compression's default (none for UNCOMPRESSED)
  std::string custom_time_zone = "UTC";  // CustomTimeZone; "UTC" when absent or empty
  // The zone custom_time_zone names, looked up once here (nullptr = UTC); the tz database owns it.
  const format::TimeZone* time_zone = nullptr;
  // EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN; "" for NoEncryption.
  std::string kms_key_arn;
  // ProcessingConfiguration when it is enabled and has processors (validated by the processor
  // stage); nullopt means records are delivered as they arrived.
  std::optional<boost::json::object> processing;
  // DynamicPartitioningConfiguration: one buffer and object per evaluated Prefix.
  bool dynamic_partitioning = false;
  int64_t partitioning_retry_seconds = 300;  // RetryOptions.DurationInSeconds
  std::optional<S3BackupDestination> backup;  // set when S3BackupMode is Enabled
  std::optional<FormatConversion> conversion;  // set when DataFormatConversionConfiguration is enabled
  bool operator==(const S3Destination&) const = default;
};

// The stored form of a CreateDeliveryStream destination member (`legacy`: an
// S3DestinationConfiguration, whose shape has only the S3 members). Create-only rule:
// BufferingHints names both of its members or neither.
Result<boost::json::object> FromCreateRequest(const boost::json::object& given, bool legacy);

// Every rule a stored destination must satisfy (kInvalidArgument with the service's words, or
// kMalformed for a member of the wrong JSON type); the typed view on success.
Result<S3Destination> Parse(const boost::json::object& stored);

// `stored` after an S3DestinationUpdate (`legacy`) or ExtendedS3DestinationUpdate: unspecified
// members keep their values; structures merge member by member (a list such as Processors is
// replaced whole), except EncryptionConfiguration, which is replaced; S3BackupUpdate merges
// into S3BackupConfiguration. The result still has to pass Parse and CheckChange.
Result<boost::json::object> MergeUpdate(const boost::json::object& stored, const boost::json::object& update,
                                        bool legacy);

// The rules on what an update may change: S3BackupMode Enabled stays enabled, and dynamic
// partitioning is neither enabled nor disabled on an existing stream.
Status CheckChange(const S3Destination& before, const S3Destination& after);

// An S3DestinationDescription of a stored S3DestinationConfiguration (the legacy shape: the
// S3 members only, as in another kind's S3Configuration): RoleARN, BucketARN, Prefix and
// ErrorOutputPrefix when configured, BufferingHints, CompressionFormat, EncryptionConfiguration
// and CloudWatchLoggingOptions with the service's defaults. Describe's S3DestinationDescription.
boost::json::object DescribeS3Destination(const boost::json::object& stored, const S3Destination& parsed);

// DescribeDeliveryStream's destination: {"S3DestinationDescription", "ExtendedS3DestinationDescription"},
// members in the model's order, absent ones filled with the service's defaults (BufferingHints
// 5/300, CompressionFormat UNCOMPRESSED, EncryptionConfiguration NoEncryption (else as
// configured), CloudWatchLoggingOptions Enabled false, S3BackupMode Disabled, and a Lambda
// processor's NumberOfRetries, RoleArn, BufferSizeInMBs and BufferIntervalInSeconds: see
// processor::DescribeProcessingConfiguration). Prefix/ErrorOutputPrefix appear only when
// configured.
boost::json::object Describe(const boost::json::object& stored, const S3Destination& parsed);

}  // namespace hydrant::destination::s3
