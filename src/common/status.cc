// Status helpers.
#include "common/status.h"

#include <cstring>

namespace hydrant {

Status Status::FromErrno(const std::string& context, int err) {
  return Status(StatusCode::kIOError, context + ": " + std::strerror(err));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return message_;
}

}  // namespace hydrant
