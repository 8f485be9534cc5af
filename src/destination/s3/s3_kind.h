// The S3 destination kind (ExtendedS3DestinationConfiguration and the legacy
// S3DestinationConfiguration).
#pragma once

#include "destination/kind.h"

namespace hydrant::destination::s3 {

extern const KindOperations kKind;

}  // namespace hydrant::destination::s3
