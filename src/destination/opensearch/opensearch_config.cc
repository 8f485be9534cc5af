// The OpenSearch destinations' configuration: the service's rules and defaults,
// UpdateDestination's merge, Describe.
#include "destination/opensearch/opensearch_config.h"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "common/config_fields.h"
#include "destination/destination_config.h"
#include "processor/processing_config.h"

namespace hydrant::destination::opensearch {
namespace {

namespace json = boost::json;
using config::CopyMembers;
using config::Find;
using config::GetObject;
using config::GetString;
using config::Unsupported;

constexpr int64_t kMaxBufferMb = 100;  // AmazonopensearchserviceBufferingSizeInMBs

// Each flavor's configuration members, in the model's order.
constexpr std::array<std::string_view, 14> kServiceMembers = {
    "RoleARN", "DomainARN", "ClusterEndpoint", "IndexName", "TypeName", "IndexRotationPeriod",
    "BufferingHints", "RetryOptions", "S3BackupMode", "S3Configuration", "ProcessingConfiguration",
    "CloudWatchLoggingOptions", "VpcConfiguration", "DocumentIdOptions"};
constexpr std::array<std::string_view, 10> kServerlessMembers = {
    "RoleARN", "CollectionEndpoint", "IndexName", "BufferingHints", "RetryOptions", "S3BackupMode",
    "S3Configuration", "ProcessingConfiguration", "CloudWatchLoggingOptions", "VpcConfiguration"};
// The *DestinationUpdate members other than S3Update, which merges into S3Configuration.
constexpr std::array<std::string_view, 11> kServiceUpdateMembers = {
    "RoleARN", "DomainARN", "ClusterEndpoint", "IndexName", "TypeName", "IndexRotationPeriod",
    "BufferingHints", "RetryOptions", "ProcessingConfiguration", "CloudWatchLoggingOptions", "DocumentIdOptions"};
constexpr std::array<std::string_view, 7> kServerlessUpdateMembers = {
    "RoleARN", "CollectionEndpoint", "IndexName", "BufferingHints", "RetryOptions", "ProcessingConfiguration",
    "CloudWatchLoggingOptions"};
// Update members merged member by member instead of replaced whole.
constexpr std::array<std::string_view, 5> kMergedMembers = {
    "BufferingHints", "RetryOptions", "ProcessingConfiguration", "CloudWatchLoggingOptions",
    "DocumentIdOptions"};

std::span<const std::string_view> Members(Flavor flavor) {
  if (flavor == Flavor::kServerless) return kServerlessMembers;
  return kServiceMembers;
}

std::string_view ProcessingPath(Flavor flavor) {
  switch (flavor) {
    case Flavor::kOpenSearch: return "amazonopensearchserviceDestinationConfiguration.processingConfiguration";
    case Flavor::kElasticsearch: return "elasticsearchDestinationConfiguration.processingConfiguration";
    case Flavor::kServerless: return "amazonOpenSearchServerlessDestinationConfiguration.processingConfiguration";
  }
  return "";
}

}  // namespace

std::string_view MemberOf(Flavor flavor) {
  switch (flavor) {
    case Flavor::kOpenSearch: return "AmazonopensearchserviceDestinationConfiguration";
    case Flavor::kElasticsearch: return "ElasticsearchDestinationConfiguration";
    case Flavor::kServerless: return "AmazonOpenSearchServerlessDestinationConfiguration";
  }
  return "";
}

Result<json::object> FromCreateRequest(const json::object& given, Flavor flavor) {
  return StoreCreateMembers(given, Members(flavor));
}

Result<OpenSearchDestination> Parse(const json::object& stored, Flavor flavor) {
  OpenSearchDestination d;
  d.flavor = flavor;
  const bool serverless = flavor == Flavor::kServerless;
  const json::object *hints, *retry, *s3_configuration, *processing, *logging, *vpc, *ids;
  std::optional<std::string> role, domain, endpoint, index, type, rotation, backup_mode;
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "RoleARN", &role));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "DomainARN", &domain));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, serverless ? "CollectionEndpoint" : "ClusterEndpoint", &endpoint));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "IndexName", &index));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "TypeName", &type));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "IndexRotationPeriod", &rotation));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "BufferingHints", &hints));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "RetryOptions", &retry));
  HYDRANT_RETURN_IF_ERROR(GetString(stored, "S3BackupMode", &backup_mode));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "S3Configuration", &s3_configuration));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "ProcessingConfiguration", &processing));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "CloudWatchLoggingOptions", &logging));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "VpcConfiguration", &vpc));
  HYDRANT_RETURN_IF_ERROR(GetObject(stored, "DocumentIdOptions", &ids));

  if (!role) return Status::InvalidArgument("RoleARN is required");
  if (serverless) {
    if (!endpoint) return Status::InvalidArgument("CollectionEndpoint is required");
    HYDRANT_RETURN_IF_ERROR(CheckHttpUrl("CollectionEndpoint", *endpoint));
  } else if (domain.has_value() == endpoint.has_value()) {
    return Status::InvalidArgument("Exactly one of DomainARN or ClusterEndpoint must be specified");
  } else if (endpoint) {
    HYDRANT_RETURN_IF_ERROR(CheckHttpUrl("ClusterEndpoint", *endpoint));
  }
  d.domain_arn = domain.value_or("");
  d.endpoint = endpoint.value_or("");
  if (!index || index->empty()) return Status::InvalidArgument("IndexName is required");
  d.index_name = std::move(*index);
  d.type_name = type.value_or("");
  d.rotation = rotation.value_or(serverless ? "NoRotation" : "OneDay");
  constexpr std::array<std::string_view, 5> kPeriods = {"NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth"};
  if (std::find(kPeriods.begin(), kPeriods.end(), d.rotation) == kPeriods.end()) {
    return Status::InvalidArgument("IndexRotationPeriod must be NoRotation, OneHour, OneDay, OneWeek or OneMonth");
  }
  if (hints) HYDRANT_RETURN_IF_ERROR(CheckBufferingHints(*hints, kMaxBufferMb, &d.buffering));
  if (retry) HYDRANT_RETURN_IF_ERROR(CheckRetryOptions(*retry, &d.retry_seconds));
  if (backup_mode && *backup_mode != "FailedDocumentsOnly" && *backup_mode != "AllDocuments") {
    return Status::InvalidArgument("S3BackupMode must be FailedDocumentsOnly or AllDocuments");
  }
  d.all_documents = backup_mode == "AllDocuments";
  if (!s3_configuration) return Status::InvalidArgument("S3Configuration is required");
  auto s3 = s3::Parse(*s3_configuration);
  if (!s3.ok()) return s3.status();
  d.s3 = std::move(*s3);
  if (processing) {
    auto processors = CheckProcessing(*processing, ProcessingPath(flavor));
    if (!processors.ok()) return processors.status();
    d.processing = std::move(*processors);
  }
  if (logging) HYDRANT_RETURN_IF_ERROR(CheckCloudWatchLogging(*logging));
  if (vpc) return Unsupported("VpcConfiguration (Hydrant reaches the cluster over its own network)");
  if (ids) {
    std::optional<std::string> format;
    HYDRANT_RETURN_IF_ERROR(GetString(*ids, "DefaultDocumentIdFormat", &format));
    if (!format) return Status::InvalidArgument("DocumentIdOptions.DefaultDocumentIdFormat is required");
    if (*format != "FIREHOSE_DEFAULT" && *format != "NO_DOCUMENT_ID") {
      return Status::InvalidArgument(
          "DocumentIdOptions.DefaultDocumentIdFormat must be FIREHOSE_DEFAULT or NO_DOCUMENT_ID");
    }
    d.document_ids = *format == "FIREHOSE_DEFAULT";
  }
  return d;
}

Result<json::object> MergeUpdate(const json::object& stored, const json::object& update, Flavor flavor) {
  auto merged = MergeUpdateMembers(stored, update, Members(flavor),
                                   flavor == Flavor::kServerless
                                       ? std::span<const std::string_view>(kServerlessUpdateMembers)
                                       : std::span<const std::string_view>(kServiceUpdateMembers),
                                   kMergedMembers);
  if (!merged.ok()) return merged;
  // The cluster is named one way or the other.
  auto given = [&](std::string_view key) {
    const json::value* v = Find(update, key);
    return v && !v->is_null();
  };
  if (given("DomainARN")) merged->erase("ClusterEndpoint");
  if (given("ClusterEndpoint")) merged->erase("DomainARN");
  return merged;
}

Status CheckChange(const OpenSearchDestination& before, const OpenSearchDestination& after) {
  return s3::CheckChange(before.s3, after.s3);
}

json::object Describe(const json::object& stored, const OpenSearchDestination& parsed) {
  const bool serverless = parsed.flavor == Flavor::kServerless;
  json::object out;
  CopyMembers(stored, std::array<std::string_view, 1>{"RoleARN"}, &out);
  if (serverless) {
    out["CollectionEndpoint"] = parsed.endpoint;
  } else if (!parsed.domain_arn.empty()) {
    out["DomainARN"] = parsed.domain_arn;
  } else {
    out["ClusterEndpoint"] = parsed.endpoint;
  }
  out["IndexName"] = parsed.index_name;
  if (!serverless) {
    if (!parsed.type_name.empty()) out["TypeName"] = parsed.type_name;
    out["IndexRotationPeriod"] = parsed.rotation;
  }
  out["BufferingHints"] = {{"IntervalInSeconds", parsed.buffering.interval_seconds},
                           {"SizeInMBs", parsed.buffering.size_mb}};
  out["RetryOptions"] = {{"DurationInSeconds", parsed.retry_seconds}};
  out["S3BackupMode"] = parsed.all_documents ? "AllDocuments" : "FailedDocumentsOnly";
  const json::object& s3_stored = stored.at("S3Configuration").as_object();
  out["S3DestinationDescription"] = s3::DescribeS3Destination(s3_stored, parsed.s3);
  const json::value* role = Find(stored, "RoleARN");
  if (const json::value* processing = Find(stored, "ProcessingConfiguration"); processing && processing->is_object()) {
    out["ProcessingConfiguration"] = processor::DescribeProcessingConfiguration(
        processing->get_object(), role && role->is_string() ? std::string_view(role->get_string()) : "");
  }
  out["CloudWatchLoggingOptions"] = CloudWatchDescription(stored);
  if (!serverless) {
    out["DocumentIdOptions"] = {{"DefaultDocumentIdFormat", parsed.document_ids ? "FIREHOSE_DEFAULT" : "NO_DOCUMENT_ID"}};
  }
  std::string member(MemberOf(parsed.flavor));
  member.replace(member.size() - std::string_view("Configuration").size(), std::string::npos, "Description");
  return json::object{{member, std::move(out)}};
}

}  // namespace hydrant::destination::opensearch
