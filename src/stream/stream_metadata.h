// StreamMetadata: what the catalog persists about a stream besides its data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

#include "common/status.h"
#include "stream/stream_config.h"

namespace hydrant::stream {

// Server-side encryption of the stream's data at rest (CreateDeliveryStream's
// DeliveryStreamEncryptionConfigurationInput, Start/StopDeliveryStreamEncryption).
struct StreamEncryption {
  std::string status = "DISABLED";  // ENABLED, ENABLING, ENABLING_FAILED, DISABLING, DISABLED
  std::string key_type;             // the last one asked for: AWS_OWNED_CMK | CUSTOMER_MANAGED_CMK
  std::string key_arn;              // CUSTOMER_MANAGED_CMK's
  std::string failure_type, failure_details;  // ENABLING_FAILED
  // The master key records are written with now ("" = plaintext, kOwnKeyRef or a key ARN);
  // after ENABLING_FAILED, still the previous one.
  std::string key_ref;
  // When Start/StopDeliveryStreamEncryption were called in the last 24 hours (the service
  // allows 25).
  std::vector<int64_t> change_millis{};

  // The master key the last request asks for.
  std::string TargetRef() const;
};

struct StreamMetadata {
  StreamConfig config;
  int64_t version = 1;  // VersionId; +1 on every UpdateDestination
  int64_t create_millis = 0;
  std::optional<int64_t> last_update_millis{};
  std::vector<std::pair<std::string, std::string>> tags{};  // in insertion order
  StreamEncryption encryption{};

  std::string ToJsonText() const;
  static Result<StreamMetadata> FromJsonText(std::string_view text);
};

}  // namespace hydrant::stream
