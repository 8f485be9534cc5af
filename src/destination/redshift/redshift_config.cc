// The Redshift destination's configuration: the service's rules and defaults, UpdateDestination's
// merge, Describe.
#include "destination/redshift/redshift_config.h"

#include <array>

#include "common/config_fields.h"
#include "destination/destination_config.h"
#include "processor/processing_config.h"

namespace hydrant::destination::redshift {
namespace {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetObject;
using config::GetString;

constexpr std::array<std::string_view, 12> kMembers = {
    "RoleARN", "ClusterJDBCURL", "CopyCommand", "Username", "Password", "RetryOptions", "S3Configuration",
    "ProcessingConfiguration", "S3BackupMode", "S3BackupConfiguration", "CloudWatchLoggingOptions",
    "SecretsManagerConfiguration"};
// RedshiftDestinationUpdate's members other than S3Update and S3BackupUpdate, which merge into
// S3Configuration and S3BackupConfiguration.
constexpr std::array<std::string_view, 10> kUpdateMembers = {
    "RoleARN", "ClusterJDBCURL", "CopyCommand", "Username", "Password", "RetryOptions", "ProcessingConfiguration",
    "S3BackupMode", "CloudWatchLoggingOptions", "SecretsManagerConfiguration"};
constexpr std::array<std::string_view, 5> kMergedMembers = {"CopyCommand", "RetryOptions", "ProcessingConfiguration",
                                                            "CloudWatchLoggingOptions", "SecretsManagerConfiguration"};
constexpr std::string_view kProcessingPath = "redshiftDestinationConfiguration.processingConfiguration";

// The intermediate bucket with the source-record backup, in the S3 kind's shape, so that its rules
// and its backup lane serve Redshift unchanged.
json::object IntermediateWithBackup(const json::object& stored) {
  json::object s3 = Find(stored, "S3Configuration") ? stored.at("S3Configuration").as_object() : json::object();
  if (const json::value* mode = Find(stored, "S3BackupMode")) s3["S3BackupMode"] = *mode;
  if (const json::value* backup = Find(stored, "S3BackupConfiguration")) s3["S3BackupConfiguration"] = *backup;
  return s3;
}

std::vector<std::string> SplitColumns(std::string_view list) {
  std::vector<std::string> columns;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) columns.emplace_back(name);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return columns;
}

}  // namespace

Result<json::object> FromCreateRequest(const json::object& given) {
  auto stored = StoreCreateMembers(given, kMembers);
  if (!stored.ok()) return stored.status();
  const json::object* backup;
  HYDRANT_RETURN_IF_ERROR(GetObject(*stored, "S3BackupConfiguration", &backup));
  if (backup) {
    auto s3 = s3::FromCreateRequest(*backup, /*legacy=*/true);
    if (!s3.ok()) return s3.status();
    (*stored)["S3BackupConfiguration"] = std::move(*s3);
  }
  return stored;
}

Result<RedshiftDestination> Parse(const json::object& stored) {
  RedshiftDestination d;
  const json::object *copy, *retry, *s3_configuration, *processing, *logging, *secrets;
  std::optional<std::string> url, username, password, backup_mode;
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "ClusterJDBCURL", &url));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "CopyCommand", &copy));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "Username", &username));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "Password", &password));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "RetryOptions", &retry));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "S3Configuration", &s3_configuration));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "ProcessingConfiguration", &processing));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "S3BackupMode", &backup_mode));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "CloudWatchLoggingOptions", &logging));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "SecretsManagerConfiguration", &secrets));

  if (!url) return Status::InvalidArgument("ClusterJDBCURL is required");
  auto connection = ParseJdbcUrl(*url);
  if (!connection.ok()) return connection.status();
  d.connection = std::move(*connection);
  if (secrets) HYDRANT_RETURN_IF_ERROR(CheckSecretsManager(*secrets));
  if (!username || username->empty()) return Status::InvalidArgument("Username is required");
  if (!password || password->empty()) return Status::InvalidArgument("Password is required");
  d.connection.user = std::move(*username);
  d.connection.password = std::move(*password);

  if (!copy) return Status::InvalidArgument("CopyCommand is required");
  std::optional<std::string> table, columns, options;
  HYDRANT_RETURN_IF_ERROR(GetString(*copy, "DataTableName", &table));
  HYDRANT_RETURN_IF_ERROR(GetString(*copy, "DataTableColumns", &columns));
  HYDRANT_RETURN_IF_ERROR(GetString(*copy, "CopyOptions", &options));
  if (!table || table->empty()) return Status::InvalidArgument("CopyCommand.DataTableName is required");
  d.table = std::move(*table);
  d.columns = SplitColumns(columns.value_or(""));
  auto parsed_options = ParseCopyOptions(options.value_or(""));
  if (!parsed_options.ok()) return parsed_options.status();
  d.copy = std::move(*parsed_options);

  if (retry) HYDRANT_RETURN_IF_ERROR(CheckRetryOptions(*retry, &d.retry_seconds));
  if (!s3_configuration) return Status::InvalidArgument("S3Configuration is required");
  if (backup_mode == "Enabled" && !Find(stored, "S3BackupConfiguration")) {
    return Status::InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled");
  }
  auto s3 = s3::Parse(IntermediateWithBackup(stored));
  if (!s3.ok()) return s3.status();
  d.s3 = std::move(*s3);
  if (d.s3.compression != "UNCOMPRESSED" && d.s3.compression != "GZIP") {
    return Status::InvalidArgument("S3Configuration.CompressionFormat " + d.s3.compression +
                                   " is not supported for a Redshift destination: COPY reads UNCOMPRESSED or GZIP");
  }
  if (d.s3.prefix.find("!{") != std::string::npos) {
    return Status::InvalidArgument("S3Configuration.Prefix cannot contain expressions for a Redshift destination");
  }
  if (d.s3.error_output_prefix) {
    return Status::InvalidArgument("S3Configuration.ErrorOutputPrefix is not supported for a Redshift destination");
  }
  if (d.copy.gzip != (d.s3.compression == "GZIP")) {
    return Status::InvalidArgument(d.copy.gzip ? "CopyOptions has GZIP, but S3Configuration.CompressionFormat is not GZIP"
                                               : "CopyOptions must include GZIP when S3Configuration.CompressionFormat is GZIP");
  }
  if (processing) {
    auto processors = CheckProcessing(*processing, kProcessingPath);
    if (!processors.ok()) return processors.status();
    d.processing = std::move(*processors);
  }
  if (logging) HYDRANT_RETURN_IF_ERROR(CheckCloudWatchLogging(*logging));
  return d;
}

Result<json::object> MergeUpdate(const json::object& stored, const json::object& update) {
  auto merged = MergeUpdateMembers(stored, update, kMembers, kUpdateMembers, kMergedMembers);
  if (!merged.ok()) return merged.status();
  const json::object* backup_update;
  HYDRANT_RETURN_IF_ERROR(GetObject(update, "S3BackupUpdate", &backup_update));
  if (backup_update) {
    const json::object* backup;
    HYDRANT_RETURN_IF_ERROR(GetObject(*merged, "S3BackupConfiguration", &backup));
    auto s3 = s3::MergeUpdate(backup ? *backup : json::object(), *backup_update, /*legacy=*/true);
    if (!s3.ok()) return s3.status();
    (*merged)["S3BackupConfiguration"] = std::move(*s3);
    json::object ordered;
    CopyMembers(*merged, kMembers, &ordered);
    return ordered;
  }
  return merged;
}

Status CheckChange(const RedshiftDestination& before, const RedshiftDestination& after) {
  return s3::CheckChange(before.s3, after.s3);
}

json::object Describe(const json::object& stored, const RedshiftDestination& parsed) {
  json::object out;
  CopyMembers(stored, std::array<std::string_view, 4>{"RoleARN", "ClusterJDBCURL", "CopyCommand", "Username"}, &out);
  out["RetryOptions"] = {{"DurationInSeconds", parsed.retry_seconds}};
  const json::object& s3_stored = stored.at("S3Configuration").as_object();
  out["S3DestinationDescription"] = s3::DescribeS3Destination(s3_stored, parsed.s3);
  const json::value* role = Find(s3_stored, "RoleARN");
  if (const json::value* processing = Find(stored, "ProcessingConfiguration"); processing && processing->is_object()) {
    out["ProcessingConfiguration"] = processor::DescribeProcessingConfiguration(
        processing->get_object(), role && role->is_string() ? std::string_view(role->get_string()) : "");
  }
  const json::value* mode = Find(stored, "S3BackupMode");
  out["S3BackupMode"] = mode ? *mode : json::value("Disabled");
  if (Find(stored, "S3BackupConfiguration")) {
    const json::object s3 = IntermediateWithBackup(stored);
    auto with_backup = s3::Parse(s3);
    if (with_backup.ok()) {
      json::object extended = s3::Describe(s3, *with_backup);
      const json::object& description = extended.at("ExtendedS3DestinationDescription").as_object();
      if (const json::value* backup = Find(description, "S3BackupDescription")) out["S3BackupDescription"] = *backup;
    }
  }
  out["CloudWatchLoggingOptions"] = CloudWatchDescription(stored);
  if (const json::value* secrets = Find(stored, "SecretsManagerConfiguration"); secrets && secrets->is_object()) {
    out["SecretsManagerConfiguration"] = *secrets;
  }
  return json::object{{"RedshiftDestinationDescription", std::move(out)}};
}

}  // namespace hydrant::destination::redshift
