// Random identifiers: UUIDs for object keys and request ids.
#pragma once

#include <string>

namespace hydrant {

// A random (version 4) UUID in its 36-character lower-case form. Thread-safe.
std::string NewUuid();
// n random lower-case hex characters. Thread-safe.
std::string RandomHex(size_t n);

}  // namespace hydrant
