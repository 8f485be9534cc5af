// Object key naming.
#include "format/object_key.h"

#include "common/time_format.h"
#include "format/prefix_expression.h"

namespace hydrant::format {

std::string ObjectKey(const ObjectKeyParts& parts) {
  // Prefixes are validated when a stream is created, so evaluation cannot fail here; the
  // literal prefix is the safe fallback should it ever.
  auto evaluated = EvaluateDataPrefix(parts.prefix, parts.timestamp_millis);
  std::string key = evaluated.ok() ? std::move(*evaluated)
                                   : std::string(parts.prefix) + FormatUtc(parts.timestamp_millis, "%Y/%m/%d/%H/");
  key += parts.stream_name;
  key += '-';
  key += std::to_string(parts.stream_version);
  key += FormatUtc(parts.timestamp_millis, "-%Y-%m-%d-%H-%M-%S-");
  key += parts.uuid;
  key += parts.extension;
  return key;
}

}  // namespace hydrant::format
