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

// AES-256-GCM with a caller-chosen nonce, for many small messages under one key (the WAL's
// frames): the key schedule is set up once. The caller guarantees that no nonce repeats
// under one key. Not thread-safe.
class NonceCipher {
 public:
  explicit NonceCipher(std::string_view key);
  ~NonceCipher();
  NonceCipher(const NonceCipher&) = delete;
  NonceCipher& operator=(const NonceCipher&) = delete;
  // Writes plain.size() ciphertext bytes and the 16-byte tag to `out`.
  void Seal(std::string_view nonce, std::string_view aad, std::string_view plain, char* out);
  // `sealed` is ciphertext || tag; writes sealed.size() - 16 bytes to `out`. False when the
  // tag does not verify.
  bool Open(std::string_view nonce, std::string_view aad, std::string_view sealed, char* out);

 private:
  void* encrypt_;  // EVP_CIPHER_CTX
  void* decrypt_;
};

// What data at rest names its master key by: Hydrant's own key, or a customer-managed key's ARN.
inline constexpr std::string_view kOwnKeyRef = "AWS_OWNED_CMK";

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
  // The master key a reference names (kOwnKeyRef or an ARN); nullptr when unknown.
  const std::string* Master(std::string_view ref) const { return ref == kOwnKeyRef ? &own_ : Find(ref); }

 private:
  std::string own_;
  std::map<std::string, std::string, std::less<>> by_arn_;
};

}  // namespace hydrant
