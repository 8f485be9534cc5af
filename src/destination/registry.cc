// The destination registry: the service's destination members and the kinds serving them.
#include "destination/registry.h"

#include <array>

#include "destination/http_endpoint/http_endpoint_kind.h"
#include "destination/opensearch/opensearch_kind.h"
#include "destination/redshift/redshift_kind.h"
#include "destination/s3/s3_kind.h"
#include "destination/splunk/splunk_kind.h"

namespace hydrant::destination {

std::span<const DestinationKind> DestinationKinds() {
  static const std::array<DestinationKind, 10> kKinds = {{
      {"S3DestinationConfiguration", "S3DestinationUpdate", &s3::kKind},  // legacy: the S3 members only
      {"ExtendedS3DestinationConfiguration", "ExtendedS3DestinationUpdate", &s3::kKind},
      {"RedshiftDestinationConfiguration", "RedshiftDestinationUpdate", &redshift::kKind},
      {"ElasticsearchDestinationConfiguration", "ElasticsearchDestinationUpdate", &opensearch::kElasticsearchKind},
      {"AmazonopensearchserviceDestinationConfiguration", "AmazonopensearchserviceDestinationUpdate",
       &opensearch::kOpenSearchKind},
      {"SplunkDestinationConfiguration", "SplunkDestinationUpdate", &splunk::kKind},
      {"HttpEndpointDestinationConfiguration", "HttpEndpointDestinationUpdate", &http_endpoint::kKind},
      {"AmazonOpenSearchServerlessDestinationConfiguration", "AmazonOpenSearchServerlessDestinationUpdate",
       &opensearch::kServerlessKind},
      {"SnowflakeDestinationConfiguration", "SnowflakeDestinationUpdate", nullptr},
      {"IcebergDestinationConfiguration", "IcebergDestinationUpdate", nullptr},
  }};
  return kKinds;
}

const KindOperations* KindStoredAs(std::string_view stored_member) {
  for (const DestinationKind& kind : DestinationKinds()) {
    if (kind.operations && kind.operations->stored_member == stored_member) return kind.operations;
  }
  return nullptr;
}

}  // namespace hydrant::destination
