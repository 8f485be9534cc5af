// The destination kinds Hydrant knows: one row per *DestinationConfiguration member of
// CreateDeliveryStream, with its UpdateDestination member and the operations of the folder under
// destination/ that owns its configuration and delivery. A new kind is its folder plus its row.
#pragma once

#include <span>
#include <string_view>

#include "destination/kind.h"

namespace hydrant::destination {

struct DestinationKind {
  std::string_view configuration;  // CreateDeliveryStream member, e.g. "HttpEndpointDestinationConfiguration"
  std::string_view update;         // UpdateDestination member, e.g. "HttpEndpointDestinationUpdate"
  const KindOperations* operations;  // nullptr: the service has it, Hydrant does not yet
};

// Every kind of the service's API model, in the model's order.
std::span<const DestinationKind> DestinationKinds();

// The operations of the kind stored under `stored_member` (KindOperations::stored_member), or
// nullptr.
const KindOperations* KindStoredAs(std::string_view stored_member);

}  // namespace hydrant::destination
