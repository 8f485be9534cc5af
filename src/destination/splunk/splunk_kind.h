// The Splunk kind (SplunkDestinationConfiguration): splunk_config.cc's rules, splunk_delivery.cc's
// delivery through the HTTP Event Collector.
#pragma once

#include "destination/kind.h"
#include "destination/splunk/splunk_config.h"

namespace hydrant::destination::splunk {

extern const KindOperations kKind;

// The typed configuration of a Splunk stream, or nullptr.
const SplunkDestination* Of(const ParsedDestination& parsed);

}  // namespace hydrant::destination::splunk
