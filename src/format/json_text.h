// Finding JSON values in text that holds several back to back (concatenated JSON records, as
// Firehose's JSON consumers read them), without parsing them.
#pragma once

#include <string_view>

namespace hydrant::format {

// The end of the JSON object or array that starts at in[begin] ('{' or '['): one past its
// closing bracket, with strings and escapes skipped; npos when it is not closed.
size_t EndOfJsonValue(std::string_view in, size_t begin);

}  // namespace hydrant::format
