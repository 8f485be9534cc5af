// Destination: where a finished object goes. One call, one outcome; destinations never retry
// or buffer on their own (the stream's delivery loop owns retries and backoff).
#pragma once

#include <string>

#include "format/object.h"

namespace hydrant::destination {

enum class Outcome {
  kDelivered,  // the object is durably stored at the destination
  kRetryable,  // failed now, may succeed later (bucket missing, server down): keep the data
  kRejected,   // will never succeed as sent
};

struct DeliveryResult {
  Outcome outcome = Outcome::kDelivered;
  std::string error_code;     // CloudWatch-style code, e.g. "S3.NoSuchBucket"
  std::string error_message;  // for logs
};

// Thread-safe.
class Destination {
 public:
  virtual ~Destination() = default;
  virtual DeliveryResult Deliver(const format::Object& object) = 0;
};

}  // namespace hydrant::destination
