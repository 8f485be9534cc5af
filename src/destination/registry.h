// The destination kinds Hydrant knows: one row per *DestinationConfiguration member of
// CreateDeliveryStream, with its UpdateDestination member and the folder under destination/
// that owns its configuration and delivery. A new kind is its folder plus its row.
#pragma once

#include <span>
#include <string_view>

namespace hydrant::destination {

struct DestinationKind {
  std::string_view configuration;  // CreateDeliveryStream member, e.g. "HttpEndpointDestinationConfiguration"
  std::string_view update;         // UpdateDestination member, e.g. "HttpEndpointDestinationUpdate"
  std::string_view folder;         // "s3", "http_endpoint", ...; empty: the service has it, Hydrant does not yet
};

// Every kind of the service's API model, in the model's order.
std::span<const DestinationKind> DestinationKinds();

}  // namespace hydrant::destination
