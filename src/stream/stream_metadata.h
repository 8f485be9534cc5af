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

struct StreamMetadata {
  StreamConfig config;
  int64_t version = 1;  // VersionId; +1 on every UpdateDestination
  int64_t create_millis = 0;
  std::optional<int64_t> last_update_millis{};
  std::vector<std::pair<std::string, std::string>> tags{};  // in insertion order

  std::string ToJsonText() const;
  static Result<StreamMetadata> FromJsonText(std::string_view text);
};

}  // namespace hydrant::stream
