// AES-256-GCM (OpenSSL), what Hydrant encrypts data at rest with, and the keys it uses: a
// master key wraps a fresh data key per object, so a master key encrypts only keys.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"

namespace hydrant {

inline constexpr size_t kCipherKeyBytes = 32;
inline constexpr size_t kCipherNonceBytes = 12;
inline constexpr size_t kCipherTagBytes = 16;

// `n` bytes from OpenSSL's CSPRNG.
std::string RandomBytes(size_t n);

// nonce (random, 12 bytes) || ciphertext || tag (16 bytes). `aad` is authenticated, not stored:
// opening with another `aad` fails, so a sealed blob cannot be moved to another name.
std::string Seal(std::string_view key, std::string_view plain, std::string_view aad);
// Corruption when the key, the aad or any byte is wrong.
Result<std::string> Unseal(std::string_view key, std::string_view sealed, std::string_view aad);

// Sealing a stream piece by piece (a multipart object), with the same layout as Seal.
class SealStream {
 public:
  SealStream(std::string_view key, std::string_view aad);  // the nonce is Begin()'s output
  ~SealStream();
  SealStream(const SealStream&) = delete;
  SealStream& operator=(const SealStream&) = delete;
  std::string Begin() const { return nonce_; }
  std::string Update(std::string_view plain);
  std::string Finish();  // the tag

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  std::string nonce_;
};

// The master keys: Hydrant's own, created at first start (32 random bytes in
// <dir>/hydrant-own.key, mode 0600), and the customer-managed keys the config names by ARN (a
// file of 32 raw bytes or 64 hex digits). Thread-safe once opened (read-only).
class KeyRing {
 public:
  static Result<std::unique_ptr<KeyRing>> Open(Env* env, const std::string& dir,
                                               const std::map<std::string, std::string>& key_files_by_arn);
  const std::string& own_key() const { return own_; }
  // nullptr when the config names no key with that ARN.
  const std::string* Find(std::string_view arn) const;

 private:
  std::string own_;
  std::map<std::string, std::string, std::less<>> by_arn_;
};

}  // namespace hydrant
