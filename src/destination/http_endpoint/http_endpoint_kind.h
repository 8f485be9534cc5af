// The HTTP endpoint destination kind (HttpEndpointDestinationConfiguration).
#pragma once

#include "destination/http_endpoint/http_endpoint_config.h"
#include "destination/kind.h"

namespace hydrant::destination::http_endpoint {

extern const KindOperations kKind;

// The HTTP endpoint configuration of `parsed`, or nullptr when it is of another kind.
const HttpEndpointDestination* Of(const ParsedDestination& parsed);

}  // namespace hydrant::destination::http_endpoint
