// The destination registry: the service's destination members and the folders serving them.
#include "destination/registry.h"

#include <array>

namespace hydrant::destination {

std::span<const DestinationKind> DestinationKinds() {
  static constexpr std::array<DestinationKind, 10> kKinds = {{
      {"S3DestinationConfiguration", "S3DestinationUpdate", "s3"},  // legacy: the S3 members only
      {"ExtendedS3DestinationConfiguration", "ExtendedS3DestinationUpdate", "s3"},
      {"RedshiftDestinationConfiguration", "RedshiftDestinationUpdate", ""},
      {"ElasticsearchDestinationConfiguration", "ElasticsearchDestinationUpdate", ""},
      {"AmazonopensearchserviceDestinationConfiguration", "AmazonopensearchserviceDestinationUpdate", ""},
      {"SplunkDestinationConfiguration", "SplunkDestinationUpdate", ""},
      {"HttpEndpointDestinationConfiguration", "HttpEndpointDestinationUpdate", "http_endpoint"},
      {"AmazonOpenSearchServerlessDestinationConfiguration", "AmazonOpenSearchServerlessDestinationUpdate", ""},
      {"SnowflakeDestinationConfiguration", "SnowflakeDestinationUpdate", ""},
      {"IcebergDestinationConfiguration", "IcebergDestinationUpdate", ""},
  }};
  return kKinds;
}

}  // namespace hydrant::destination
