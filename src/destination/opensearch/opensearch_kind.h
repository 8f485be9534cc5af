// The OpenSearch kinds: AmazonopensearchserviceDestinationConfiguration, the legacy
// ElasticsearchDestinationConfiguration and AmazonOpenSearchServerlessDestinationConfiguration,
// one kind each (their own stored member and metrics), sharing opensearch_config.cc's rules and
// opensearch_delivery.cc's delivery.
#pragma once

#include <boost/json.hpp>
#include <vector>

#include "destination/kind.h"
#include "destination/opensearch/opensearch_config.h"

namespace hydrant::destination::opensearch {

extern const KindOperations kOpenSearchKind;
extern const KindOperations kElasticsearchKind;
extern const KindOperations kServerlessKind;

// The typed configuration of a stream of one of these kinds, or nullptr.
const OpenSearchDestination* Of(const ParsedDestination& parsed);

// The config file's opensearch_domains: [{domain_arn?, endpoint, username?, password?,
// sigv4?: {service, region, access_key_id, secret_access_key}}].
Result<std::vector<ServerAccess>> ParseDomains(const boost::json::array& entries);

}  // namespace hydrant::destination::opensearch
