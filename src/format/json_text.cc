// EndOfJsonValue: bracket depth outside strings.
#include "format/json_text.h"

namespace hydrant::format {

size_t EndOfJsonValue(std::string_view in, size_t begin) {
  int depth = 0;
  bool string = false;
  for (size_t i = begin; i < in.size(); ++i) {
    const char c = in[i];
    if (string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        string = false;
      }
    } else if (c == '"') {
      string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace hydrant::format
