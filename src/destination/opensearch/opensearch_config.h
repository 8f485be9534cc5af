// The OpenSearch destinations' configuration: AmazonopensearchserviceDestinationConfiguration,
// the legacy ElasticsearchDestinationConfiguration (the same members) and
// AmazonOpenSearchServerlessDestinationConfiguration (parse, the service's rules and defaults,
// UpdateDestination's merge, Describe). As for the HTTP endpoint, the stored form is the members
// as configured and defaults are applied when it is read; S3Configuration follows the S3 kind's
// rules for the legacy shape.
//
// Divergences from the service, on purpose: ClusterEndpoint / CollectionEndpoint may be http://
// as well as https:// (the model's patterns are widened in api/firehose_model.json); a DomainARN
// is resolved through the config file's opensearch_domains, not through AWS; VpcConfiguration is
// refused (Hydrant reaches the cluster over the network it runs on).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "destination/s3/s3_config.h"

namespace hydrant::destination::opensearch {

enum class Flavor { kOpenSearch, kElasticsearch, kServerless };

// The stored member of each flavor, and the name of its Describe member.
std::string_view MemberOf(Flavor flavor);

struct OpenSearchDestination {
  Flavor flavor = Flavor::kOpenSearch;
  std::string domain_arn;  // DomainARN ("" when ClusterEndpoint is given)
  std::string endpoint;    // ClusterEndpoint or CollectionEndpoint ("" when DomainARN is given)
  std::string index_name;
  std::string type_name;   // TypeName ("" = none; Elasticsearch 6.x and older)
  std::string rotation;    // IndexRotationPeriod: default OneDay; Serverless: NoRotation
  s3::BufferingHints buffering;  // 1-100 MiB, 0-900 s; defaults 5 / 300
  int64_t retry_seconds = 300;   // RetryOptions.DurationInSeconds, 0-7200
  bool all_documents = false;    // S3BackupMode AllDocuments (default FailedDocumentsOnly)
  bool document_ids = true;      // DocumentIdOptions FIREHOSE_DEFAULT (default) vs NO_DOCUMENT_ID
  std::optional<boost::json::object> processing;  // enabled processors, as for S3
  s3::S3Destination s3;          // S3Configuration
  bool operator==(const OpenSearchDestination&) const = default;
};

// The stored form of a CreateDeliveryStream member: its members in the model's order,
// S3Configuration reduced to the S3DestinationConfiguration members. Create-only rule:
// BufferingHints names both of its members or neither.
Result<boost::json::object> FromCreateRequest(const boost::json::object& given, Flavor flavor);

// Every rule a stored destination must satisfy; the typed view on success.
Result<OpenSearchDestination> Parse(const boost::json::object& stored, Flavor flavor);

// `stored` after the flavor's *DestinationUpdate: members given replace or (structures) merge
// into the stored ones; S3Update merges into S3Configuration; giving DomainARN drops a stored
// ClusterEndpoint and the other way round.
Result<boost::json::object> MergeUpdate(const boost::json::object& stored, const boost::json::object& update,
                                        Flavor flavor);

// What an update may not change: the S3 kind's rules on S3Configuration.
Status CheckChange(const OpenSearchDestination& before, const OpenSearchDestination& after);

// {"<Flavor>DestinationDescription": {...}} with the defaults filled in.
boost::json::object Describe(const boost::json::object& stored, const OpenSearchDestination& parsed);

}  // namespace hydrant::destination::opensearch
