// The S3 destination's configuration: the service's rules and defaults, UpdateDestination's
// merge, Describe.
#include "destination/s3/s3_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "common/config_fields.h"
#include "format/prefix_expression.h"
#include "processor/processing_config.h"

namespace hydrant::destination::s3 {
namespace {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetArray;
using config::GetBool;
using config::GetInt;
using config::GetObject;
using config::GetString;
using config::MergeInto;
using config::Unsupported;

// The smallest buffer the service allows with dynamic partitioning; also the size used when such
// a stream gives no BufferingHints.
constexpr int64_t kMinPartitionedBufferMb = 64;

// S3DestinationConfiguration's members (also S3DestinationUpdate's), in the model's order.
constexpr std::array<std::string_view, 8> kS3Members = {"RoleARN",
                                                        "BucketARN",
                                                        "Prefix",
                                                        "ErrorOutputPrefix",
                                                        "BufferingHints",
                                                        "CompressionFormat",
                                                        "EncryptionConfiguration",
                                                        "CloudWatchLoggingOptions"};
// The members ExtendedS3DestinationConfiguration adds, in the model's order.
constexpr std::array<std::string_view, 7> kExtendedOnlyMembers = {
    "ProcessingConfiguration",
    "S3BackupMode",
    "S3BackupConfiguration",
    "DataFormatConversionConfiguration",
    "DynamicPartitioningConfiguration",
    "FileExtension",
    "CustomTimeZone"};
// Update members merged member by member (lists inside replaced) instead of replaced whole. For
// DataFormatConversionConfiguration the API documents it: Enabled false "preserves the
// configuration details". EncryptionConfiguration is a union, so it is replaced.
constexpr std::array<std::string_view, 5> kMergedMembers = {
    "BufferingHints", "CloudWatchLoggingOptions", "ProcessingConfiguration",
    "DataFormatConversionConfiguration", "DynamicPartitioningConfiguration"};

Status CheckBufferingHints(const json::object& hints, BufferingHints* out) {
  std::optional<int64_t> size, interval;
  HYDRANT_RETURN_IF_ERROR(GetInt(hints, "SizeInMBs", &size));
  HYDRANT_RETURN_IF_ERROR(GetInt(hints, "IntervalInSeconds", &interval));
  // The model validator enforces these ranges; repeated so the runtime never sees a 0 MB buffer.
  if (size && (*size < 1 || *size > 128)) {
    return Status::InvalidArgument("BufferingHints.SizeInMBs must be between 1 and 128");
  }
  if (interval && (*interval < 0 || *interval > 900)) {
    return Status::InvalidArgument("BufferingHints.IntervalInSeconds must be between 0 and 900");
  }
  if (size) out->size_mb = *size;
  if (interval) out->interval_seconds = *interval;
  return Status::Ok();
}

// The processors to run, or nullopt when processing is absent, disabled or empty. The
// processor stage owns the rules for types, parameters and their order.
Result<std::optional<json::object>> CheckProcessing(const json::object& processing,
                                                    bool dynamic_partitioning) {
  std::optional<bool> enabled;
  const json::array* processors = nullptr;
  HYDRANT_RETURN_IF_ERROR(GetBool(processing, "Enabled", &enabled));
  HYDRANT_RETURN_IF_ERROR(GetArray(processing, "Processors", &processors));
  if (!processors || processors->empty() || !enabled.value_or(true)) return std::optional<json::object>();
  // MetadataExtraction only feeds dynamic partitioning; the processor stage refuses it without.
  processor::ValidationContext context;
  context.dynamic_partitioning_enabled = dynamic_partitioning;
  HYDRANT_RETURN_IF_ERROR(processor::ValidateProcessingConfiguration(processing, context));
  return std::optional<json::object>(processing);
}

// The bucket a BucketARN (arn:<partition>:s3:::<bucket>) names.
Result<std::string> BucketOf(const std::string& bucket_arn) {
  size_t separator = bucket_arn.find(":::");
  if (separator == std::string::npos || separator + 3 == bucket_arn.size()) {
    return Status::InvalidArgument(fmt::format("BucketARN {} does not name a bucket", bucket_arn));
  }
  return bucket_arn.substr(separator + 3);
}

// S3BackupConfiguration (an S3DestinationConfiguration): its own bucket, prefix, buffering and
// compression.
Result<S3BackupDestination> CheckBackup(const json::object& b) {
  S3BackupDestination backup;
  std::optional<std::string> role, bucket_arn, prefix, error_prefix, compression;
  const json::object *hints, *encryption;
  HYDRANT_RETURN_IF_ERROR(GetString(b, "RoleARN", &role));
  HYDRANT_RETURN_IF_ERROR(GetString(b, "BucketARN", &bucket_arn));
  HYDRANT_RETURN_IF_ERROR(GetString(b, "Prefix", &prefix));
  HYDRANT_RETURN_IF_ERROR(GetString(b, "ErrorOutputPrefix", &error_prefix));
  HYDRANT_RETURN_IF_ERROR(GetString(b, "CompressionFormat", &compression));
  HYDRANT_RETURN_IF_ERROR(GetObject(b, "BufferingHints", &hints));
  HYDRANT_RETURN_IF_ERROR(GetObject(b, "EncryptionConfiguration", &encryption));
  if (!role) return Status::InvalidArgument("S3BackupConfiguration.RoleARN is required");
  if (!bucket_arn) return Status::InvalidArgument("S3BackupConfiguration.BucketARN is required");
  auto bucket = BucketOf(*bucket_arn);
  if (!bucket.ok()) return bucket.status();
  backup.bucket = std::move(*bucket);
  if (hints) HYDRANT_RETURN_IF_ERROR(CheckBufferingHints(*hints, &backup.buffering));
  if (compression) backup.compression = *compression;
  if (encryption && Find(*encryption, "KMSEncryptionConfig")) {
    return Unsupported("Encrypting backup objects with KMS (S3BackupConfiguration.EncryptionConfiguration)");
  }
  backup.prefix = prefix.value_or("");
  std::optional<std::string> errors;
  if (error_prefix && !error_prefix->empty()) errors = error_prefix;
  HYDRANT_RETURN_IF_ERROR(format::ValidatePrefixes(backup.prefix, errors, false));
  return backup;
}

// True when the enabled ProcessingConfiguration has a processor of `type`.
bool HasProcessor(const S3Destination& s3, std::string_view type) {
  if (!s3.processing) return false;
  const json::value* processors = Find(*s3.processing, "Processors");
  if (!processors || !processors->is_array()) return false;
  for (const json::value& p : processors->get_array()) {
    const json::value* t = p.is_object() ? Find(p.get_object(), "Type") : nullptr;
    if (t && t->is_string() && t->get_string() == type) return true;
  }
  return false;
}

// The rules that come with DynamicPartitioningConfiguration Enabled (firehose-spec §4.1, §4.3).
// DataFormatConversionConfiguration, enabled: the service's rules, and ORC refused (nothing here
// can read ORC to check what would be written).
Result<FormatConversion> CheckConversion(const json::object& c) {
  FormatConversion out;
  const json::object *schema, *input, *output;
  HYDRANT_RETURN_IF_ERROR(GetObject(c, "SchemaConfiguration", &schema));
  HYDRANT_RETURN_IF_ERROR(GetObject(c, "InputFormatConfiguration", &input));
  HYDRANT_RETURN_IF_ERROR(GetObject(c, "OutputFormatConfiguration", &output));
  if (!schema || !input || !output) {
    return Status::InvalidArgument(
        "DataFormatConversionConfiguration requires SchemaConfiguration, InputFormatConfiguration and "
        "OutputFormatConfiguration when it is enabled");
  }
  std::optional<std::string> database, table, version, catalog, region, role;
  HYDRANT_RETURN_IF_ERROR(GetString(*schema, "DatabaseName", &database));
  HYDRANT_RETURN_IF_ERROR(GetString(*schema, "TableName", &table));
  HYDRANT_RETURN_IF_ERROR(GetString(*schema, "VersionId", &version));
  HYDRANT_RETURN_IF_ERROR(GetString(*schema, "CatalogId", &catalog));
  HYDRANT_RETURN_IF_ERROR(GetString(*schema, "Region", &region));
  HYDRANT_RETURN_IF_ERROR(GetString(*schema, "RoleARN", &role));
  if (!database || database->empty() || !table || table->empty()) {
    return Status::InvalidArgument("SchemaConfiguration requires DatabaseName and TableName");
  }
  out.database = *database, out.table = *table, out.catalog_id = catalog.value_or("");
  out.region = region.value_or(""), out.role_arn = role.value_or("");
  if (version && !version->empty()) out.version_id = *version;

  const json::object *deserializer, *openx, *hive;
  HYDRANT_RETURN_IF_ERROR(GetObject(*input, "Deserializer", &deserializer));
  if (!deserializer) return Status::InvalidArgument("InputFormatConfiguration requires a Deserializer");
  HYDRANT_RETURN_IF_ERROR(GetObject(*deserializer, "OpenXJsonSerDe", &openx));
  HYDRANT_RETURN_IF_ERROR(GetObject(*deserializer, "HiveJsonSerDe", &hive));
  if ((openx != nullptr) == (hive != nullptr)) {
    return Status::InvalidArgument("Deserializer requires exactly one of OpenXJsonSerDe or HiveJsonSerDe");
  }
  out.hive = hive != nullptr;
  if (openx) {
    std::optional<bool> insensitive, dots;
    const json::object* mappings;
    HYDRANT_RETURN_IF_ERROR(GetBool(*openx, "CaseInsensitive", &insensitive));
    HYDRANT_RETURN_IF_ERROR(GetBool(*openx, "ConvertDotsInJsonKeysToUnderscores", &dots));
    HYDRANT_RETURN_IF_ERROR(GetObject(*openx, "ColumnToJsonKeyMappings", &mappings));
    out.case_insensitive = insensitive.value_or(true);
    out.dots_to_underscores = dots.value_or(false);
    if (mappings) {
      for (const auto& [column, key] : *mappings) {
        if (!key.is_string()) return Status::Malformed("ColumnToJsonKeyMappings values are strings");
        out.column_to_json_key[std::string(column)] = std::string(key.get_string());
      }
    }
  } else {
    const json::array* formats;
    HYDRANT_RETURN_IF_ERROR(config::GetArray(*hive, "TimestampFormats", &formats));
    if (formats) {
      for (const json::value& f : *formats) {
        if (!f.is_string()) return Status::Malformed("TimestampFormats are strings");
        out.timestamp_formats.emplace_back(f.get_string());
      }
    }
  }

  const json::object *serializer, *parquet, *orc;
  HYDRANT_RETURN_IF_ERROR(GetObject(*output, "Serializer", &serializer));
  if (!serializer) return Status::InvalidArgument("OutputFormatConfiguration requires a Serializer");
  HYDRANT_RETURN_IF_ERROR(GetObject(*serializer, "ParquetSerDe", &parquet));
  HYDRANT_RETURN_IF_ERROR(GetObject(*serializer, "OrcSerDe", &orc));
  if ((parquet != nullptr) == (orc != nullptr)) {
    return Status::InvalidArgument("Serializer requires exactly one of ParquetSerDe or OrcSerDe");
  }
  if (orc) {
    return Unsupported("OrcSerDe (ORC output cannot be verified by any reader available to Hydrant; use ParquetSerDe)");
  }
  std::optional<std::string> compression, writer;
  std::optional<int64_t> block, page, padding;
  std::optional<bool> dictionary;
  HYDRANT_RETURN_IF_ERROR(GetString(*parquet, "Compression", &compression));
  HYDRANT_RETURN_IF_ERROR(GetString(*parquet, "WriterVersion", &writer));
  HYDRANT_RETURN_IF_ERROR(GetInt(*parquet, "BlockSizeBytes", &block));
  HYDRANT_RETURN_IF_ERROR(GetInt(*parquet, "PageSizeBytes", &page));
  HYDRANT_RETURN_IF_ERROR(GetInt(*parquet, "MaxPaddingBytes", &padding));
  HYDRANT_RETURN_IF_ERROR(GetBool(*parquet, "EnableDictionaryCompression", &dictionary));
  if (compression) out.compression = *compression;  // the model's enum: UNCOMPRESSED, GZIP, SNAPPY
  out.writer_v2 = writer == "V2";
  if (block) out.block_size_bytes = *block;
  if (page) out.page_size_bytes = *page;
  if (padding) out.max_padding_bytes = *padding;
  out.dictionary = dictionary.value_or(true);
  return out;
}

Status CheckPartitioning(const S3Destination& s3) {
  if (!s3.error_output_prefix) {
    return Status::InvalidArgument(
        "ErrorOutputPrefix is required when dynamic partitioning is enabled");
  }
  if (s3.buffering.size_mb < kMinPartitionedBufferMb) {
    return Status::InvalidArgument(fmt::format(
        "BufferingHints.SizeInMBs must be at least {} when dynamic partitioning is enabled",
        kMinPartitionedBufferMb));
  }
  if (s3.buffering.interval_seconds == 0) {
    return Status::InvalidArgument(
        "BufferingHints.IntervalInSeconds 0 (zero buffering) is not available with dynamic "
        "partitioning");
  }
  auto prefix = format::PrefixExpression::Parse(s3.prefix);
  if (!prefix.ok()) return prefix.status();
  if (prefix->uses_query_keys() && !HasProcessor(s3, "MetadataExtraction")) {
    return Status::InvalidArgument(
        "Prefix uses !{partitionKeyFromQuery:...} but ProcessingConfiguration has no enabled "
        "MetadataExtraction processor");
  }
  if (prefix->uses_lambda_keys() && !HasProcessor(s3, "Lambda")) {
    return Status::InvalidArgument(
        "Prefix uses !{partitionKeyFromLambda:...} but ProcessingConfiguration has no enabled "
        "Lambda processor");
  }
  return Status::Ok();
}

}  // namespace

Result<S3Destination> Parse(const json::object& d) {
  S3Destination s3;
  std::optional<std::string> role, bucket_arn, prefix, error_prefix, compression, backup_mode,
      file_extension, time_zone;
  HYDRANT_RETURN_IF_ERROR(GetString(d, "RoleARN", &role));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "BucketARN", &bucket_arn));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "Prefix", &prefix));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "ErrorOutputPrefix", &error_prefix));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "CompressionFormat", &compression));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "S3BackupMode", &backup_mode));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "FileExtension", &file_extension));
  HYDRANT_RETURN_IF_ERROR(GetString(d, "CustomTimeZone", &time_zone));
  const json::object *hints, *encryption, *logging, *processing, *conversion, *partitioning;
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "BufferingHints", &hints));
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "EncryptionConfiguration", &encryption));
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "CloudWatchLoggingOptions", &logging));
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "ProcessingConfiguration", &processing));
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "DataFormatConversionConfiguration", &conversion));
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "DynamicPartitioningConfiguration", &partitioning));

  if (!role) return Status::InvalidArgument("RoleARN is required");
  if (!bucket_arn) return Status::InvalidArgument("BucketARN is required");
  auto bucket = BucketOf(*bucket_arn);
  if (!bucket.ok()) return bucket.status();
  s3.bucket = std::move(*bucket);

  if (hints) HYDRANT_RETURN_IF_ERROR(CheckBufferingHints(*hints, &s3.buffering));
  if (compression) s3.compression = *compression;  // the model's enum was checked already
  if (encryption) {
    bool none = Find(*encryption, "NoEncryptionConfig") != nullptr;
    bool kms = Find(*encryption, "KMSEncryptionConfig") != nullptr;
    if (none == kms) {
      return Status::InvalidArgument(
          "Exactly one of NoEncryptionConfig or KMSEncryptionConfig must be specified");
    }
    if (kms) {
      const json::object* config;
      HYDRANT_RETURN_IF_ERROR(GetObject(*encryption, "KMSEncryptionConfig", &config));
      std::optional<std::string> key_arn;
      HYDRANT_RETURN_IF_ERROR(GetString(*config, "AWSKMSKeyARN", &key_arn));
      if (!key_arn || key_arn->empty()) {
        return Status::InvalidArgument("KMSEncryptionConfig: AWSKMSKeyARN is required");
      }
      s3.kms_key_arn = *key_arn;
    }
  }
  if (logging) {
    std::optional<bool> enabled;
    std::optional<std::string> group, stream;
    HYDRANT_RETURN_IF_ERROR(GetBool(*logging, "Enabled", &enabled));
    HYDRANT_RETURN_IF_ERROR(GetString(*logging, "LogGroupName", &group));
    HYDRANT_RETURN_IF_ERROR(GetString(*logging, "LogStreamName", &stream));
    // The model: both names are "required if CloudWatch logging is enabled".
    if (enabled.value_or(false) && (group.value_or("").empty() || stream.value_or("").empty())) {
      return Status::InvalidArgument(
          "CloudWatchLoggingOptions: LogGroupName and LogStreamName are required when CloudWatch "
          "logging is enabled");
    }
  }
  if (partitioning) {
    std::optional<bool> enabled;
    const json::object* retry;
    HYDRANT_RETURN_IF_ERROR(GetBool(*partitioning, "Enabled", &enabled));
    HYDRANT_RETURN_IF_ERROR(GetObject(*partitioning, "RetryOptions", &retry));
    s3.dynamic_partitioning = enabled.value_or(false);
    if (retry) {
      std::optional<int64_t> duration;
      HYDRANT_RETURN_IF_ERROR(GetInt(*retry, "DurationInSeconds", &duration));
      if (duration) s3.partitioning_retry_seconds = *duration;
    }
  }
  if (s3.dynamic_partitioning && (!hints || !Find(*hints, "SizeInMBs"))) {
    s3.buffering.size_mb = kMinPartitionedBufferMb;
  }
  if (processing) {
    auto processors = CheckProcessing(*processing, s3.dynamic_partitioning);
    if (!processors.ok()) return processors.status();
    s3.processing = std::move(*processors);
  }
  const json::object* backup;
  HYDRANT_RETURN_IF_ERROR(GetObject(d, "S3BackupConfiguration", &backup));
  if (backup_mode == "Enabled" && !backup) {
    return Status::InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled");
  }
  if (backup) {
    auto checked = CheckBackup(*backup);
    if (!checked.ok()) return checked.status();
    if (backup_mode == "Enabled") s3.backup = std::move(*checked);
  }
  if (conversion) {
    std::optional<bool> enabled;
    HYDRANT_RETURN_IF_ERROR(GetBool(*conversion, "Enabled", &enabled));
    if (enabled.value_or(true)) {  // the service's default when the structure is given
      auto checked = CheckConversion(*conversion);
      if (!checked.ok()) return checked.status();
      s3.conversion = std::move(*checked);
      if (s3.compression != "UNCOMPRESSED") {
        return Status::InvalidArgument(
            "CompressionFormat must be UNCOMPRESSED when DataFormatConversion is enabled: the serializer compresses");
      }
      if (!hints || !Find(*hints, "SizeInMBs")) {
        s3.buffering.size_mb = 128;
      } else if (s3.buffering.size_mb < 64) {
        return Status::InvalidArgument(
            "BufferingHints.SizeInMBs must be at least 64 when DataFormatConversion is enabled");
      }
    }
  }
  if (time_zone) {
    auto zone = format::LookupTimeZone(*time_zone);
    if (!zone.ok()) return zone.status();
    if (!time_zone->empty()) s3.custom_time_zone = *time_zone;
    s3.time_zone = *zone;
  }

  s3.prefix = prefix.value_or("");
  if (error_prefix && !error_prefix->empty()) s3.error_output_prefix = error_prefix;
  HYDRANT_RETURN_IF_ERROR(
      format::ValidatePrefixes(s3.prefix, s3.error_output_prefix, s3.dynamic_partitioning));
  if (s3.dynamic_partitioning) HYDRANT_RETURN_IF_ERROR(CheckPartitioning(s3));
  s3.file_extension = file_extension.value_or("");
  return s3;
}

namespace {

json::object CloudWatchDescription(const json::object& destination) {
  json::object out;
  const json::value* given = Find(destination, "CloudWatchLoggingOptions");
  const json::object* options = given && given->is_object() ? &given->get_object() : nullptr;
  const json::value* enabled = options ? Find(*options, "Enabled") : nullptr;
  out["Enabled"] = enabled ? *enabled : json::value(false);
  if (options) {
    CopyMembers(*options, std::array<std::string_view, 2>{"LogGroupName", "LogStreamName"}, &out);
  }
  return out;
}

// An S3DestinationDescription (the destination's, or S3BackupDescription) of a stored
// S3DestinationConfiguration, with the service's defaults for what was not given.
json::object S3Description(const json::object& stored, const BufferingHints& hints,
                           std::string_view compression) {
  json::object out;
  out["RoleARN"] = stored.at("RoleARN");
  out["BucketARN"] = stored.at("BucketARN");
  CopyMembers(stored, std::array<std::string_view, 2>{"Prefix", "ErrorOutputPrefix"}, &out);
  out["BufferingHints"] = {{"SizeInMBs", hints.size_mb}, {"IntervalInSeconds", hints.interval_seconds}};
  out["CompressionFormat"] = compression;
  const json::value* encryption = Find(stored, "EncryptionConfiguration");
  out["EncryptionConfiguration"] = encryption && encryption->is_object()
                                       ? *encryption
                                       : json::value{{"NoEncryptionConfig", "NoEncryption"}};
  out["CloudWatchLoggingOptions"] = CloudWatchDescription(stored);
  return out;
}

// S3BackupDescription. The stored configuration passed CheckBackup, also while S3BackupMode is
// Disabled (then s3().backup is empty), so it is read again here.
json::object BackupDescription(const json::object& backup) {
  auto checked = CheckBackup(backup);
  S3BackupDestination parsed = checked.ok() ? *checked : S3BackupDestination{};
  return S3Description(backup, parsed.buffering, parsed.compression);
}

}  // namespace

Result<json::object> MergeUpdate(const json::object& stored, const json::object& given, bool legacy) {
  const json::object* update = &given;
  json::object patch;
  CopyMembers(*update, kS3Members, &patch);
  if (!legacy) CopyMembers(*update, kExtendedOnlyMembers, &patch);
  json::object merged = stored;
  for (const auto& [key, value] : patch) {
    bool member_wise =
        std::find(kMergedMembers.begin(), kMergedMembers.end(), key) != kMergedMembers.end();
    const json::value* old = Find(merged, key);
    if (member_wise && value.is_object() && old && old->is_object()) {
      MergeInto(value.get_object(), &merged[key].get_object());
    } else {
      merged[key] = value;
    }
  }
  const json::object* backup_update;
  HYDRANT_RETURN_IF_ERROR(GetObject(*update, "S3BackupUpdate", &backup_update));
  if (backup_update) {
    // Merged member by member like the destination itself; BufferingHints inside too.
    json::value& stored = merged["S3BackupConfiguration"];
    if (!stored.is_object()) stored = json::object();
    for (const auto& [key, value] : *backup_update) {
      const json::value* old = Find(stored.get_object(), key);
      if (key == "BufferingHints" && value.is_object() && old && old->is_object()) {
        MergeInto(value.get_object(), &stored.get_object()[key].get_object());
      } else {
        stored.get_object()[key] = value;
      }
    }
  }
  return merged;
}

Status CheckChange(const S3Destination& before, const S3Destination& after) {
  if (before.backup && !after.backup) {
    return Status::InvalidArgument("S3BackupMode cannot be changed from Enabled to Disabled");
  }
  if (after.dynamic_partitioning != before.dynamic_partitioning) {
    return Status::InvalidArgument(before.dynamic_partitioning
                                       ? "Dynamic partitioning cannot be disabled once enabled"
                                       : "Dynamic partitioning cannot be enabled on an existing "
                                         "delivery stream");
  }
  return Status::Ok();
}

Result<json::object> FromCreateRequest(const json::object& given, bool legacy) {
  json::object destination;
  CopyMembers(given, kS3Members, &destination);
  if (!legacy) CopyMembers(given, kExtendedOnlyMembers, &destination);
  // Create only: UpdateDestination merges BufferingHints member by member.
  const json::object* hints;
  HYDRANT_RETURN_IF_ERROR(GetObject(destination, "BufferingHints", &hints));
  if (hints &&
      (Find(*hints, "SizeInMBs") == nullptr) != (Find(*hints, "IntervalInSeconds") == nullptr)) {
    return Status::InvalidArgument(
        "BufferingHints: if you specify a value for one of SizeInMBs and IntervalInSeconds, you "
        "must also provide a value for the other");
  }
  return destination;
}


json::object DescribeS3Destination(const json::object& stored, const S3Destination& parsed) {
  return S3Description(stored, parsed.buffering, parsed.compression);
}

json::object Describe(const json::object& stored, const S3Destination& parsed) {
  json::object s3 = DescribeS3Destination(stored, parsed);

  json::object extended = s3;
  if (const json::value* processing = Find(stored, "ProcessingConfiguration");
      processing && processing->is_object()) {
    const json::value* role = Find(stored, "RoleARN");
    extended["ProcessingConfiguration"] = processor::DescribeProcessingConfiguration(
        processing->get_object(), role && role->is_string() ? std::string_view(role->get_string()) : "");
  }
  const json::value* backup_mode = Find(stored, "S3BackupMode");
  extended["S3BackupMode"] = backup_mode ? *backup_mode : json::value("Disabled");
  if (const json::value* backup = Find(stored, "S3BackupConfiguration")) {
    extended["S3BackupDescription"] = BackupDescription(backup->get_object());
  }
  CopyMembers(stored, std::array<std::string_view, 1>{"DataFormatConversionConfiguration"},
              &extended);
  if (Find(stored, "DynamicPartitioningConfiguration")) {
    extended["DynamicPartitioningConfiguration"] = {
        {"RetryOptions", {{"DurationInSeconds", parsed.partitioning_retry_seconds}}},
        {"Enabled", parsed.dynamic_partitioning}};
  }
  CopyMembers(stored, std::array<std::string_view, 2>{"FileExtension", "CustomTimeZone"},
              &extended);

  json::object out;
  out["S3DestinationDescription"] = std::move(s3);
  out["ExtendedS3DestinationDescription"] = std::move(extended);
  return out;
}

}  // namespace hydrant::destination::s3
