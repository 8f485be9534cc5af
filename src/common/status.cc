// Status helpers.
#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace hydrant {

Status Status::FromErrno(const std::string& context, int err) {
  // A full disk or quota is a capacity limit to back off from, not a broken file system.
  StatusCode code = err == ENOSPC || err == EDQUOT ? StatusCode::kResourceExhausted : StatusCode::kIOError;
  return Status(code, context + ": " + std::strerror(err));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return message_;
}

}  // namespace hydrant
