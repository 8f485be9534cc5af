// The Redshift kind (RedshiftDestinationConfiguration, loaded into PostgreSQL or Redshift):
// redshift_config.cc's rules, redshift_delivery.cc's staging, manifest and load.
#pragma once

#include "destination/kind.h"
#include "destination/redshift/redshift_config.h"

namespace hydrant::destination::redshift {

extern const KindOperations kKind;

}  // namespace hydrant::destination::redshift
