// AES-256-GCM through OpenSSL's EVP interface, and the key ring.
#include "common/cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <stdexcept>

namespace hydrant {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("the system's random number generator failed");
  }
  return out;
}

struct SealStream::Context {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ~Context() { EVP_CIPHER_CTX_free(ctx); }
};

namespace {
const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

SealStream::SealStream(std::string_view key, std::string_view aad)
    : context_(std::make_unique<Context>()), nonce_(RandomBytes(kCipherNonceBytes)) {
  int n = 0;
  EVP_EncryptInit_ex(context_->ctx, EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce_));
  if (!aad.empty()) EVP_EncryptUpdate(context_->ctx, nullptr, &n, Bytes(aad), static_cast<int>(aad.size()));
}

SealStream::~SealStream() = default;

std::string SealStream::Update(std::string_view plain) {
  std::string out(plain.size(), '\0');
  int n = 0;
  EVP_EncryptUpdate(context_->ctx, reinterpret_cast<unsigned char*>(out.data()), &n, Bytes(plain),
                    static_cast<int>(plain.size()));
  out.resize(n);
  return out;
}

std::string SealStream::Finish() {
  int n = 0;
  unsigned char tail[16];
  EVP_EncryptFinal_ex(context_->ctx, tail, &n);  // GCM has no padding: n == 0
  std::string tag(kCipherTagBytes, '\0');
  EVP_CIPHER_CTX_ctrl(context_->ctx, EVP_CTRL_GCM_GET_TAG, kCipherTagBytes, tag.data());
  return tag;
}

std::string Seal(std::string_view key, std::string_view plain, std::string_view aad) {
  SealStream stream(key, aad);
  std::string out = stream.Begin();
  out.reserve(kCipherNonceBytes + plain.size() + kCipherTagBytes);
  // EVP lengths are ints: large objects go through in pieces.
  constexpr size_t kPiece = 1 << 30;
  for (size_t at = 0; at < plain.size(); at += kPiece) out += stream.Update(plain.substr(at, kPiece));
  out += stream.Finish();
  return out;
}

Result<std::string> Unseal(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kCipherKeyBytes || sealed.size() < kCipherNonceBytes + kCipherTagBytes) {
    return Status::Corruption("encrypted data is too short or the key is not 32 bytes");
  }
  std::string_view nonce = sealed.substr(0, kCipherNonceBytes);
  std::string_view body = sealed.substr(kCipherNonceBytes, sealed.size() - kCipherNonceBytes - kCipherTagBytes);
  std::string tag(sealed.substr(sealed.size() - kCipherTagBytes));
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce));
  if (!aad.empty()) EVP_DecryptUpdate(ctx.get(), nullptr, &n, Bytes(aad), static_cast<int>(aad.size()));
  std::string out(body.size(), '\0');
  constexpr size_t kPiece = 1 << 30;
  for (size_t at = 0; at < body.size(); at += kPiece) {
    size_t len = std::min(kPiece, body.size() - at);
    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data() + at), &n, Bytes(body.substr(at, len)),
                      static_cast<int>(len));
  }
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kCipherTagBytes, tag.data());
  unsigned char tail[16];
  if (EVP_DecryptFinal_ex(ctx.get(), tail, &n) != 1) {
    return Status::Corruption("encrypted data does not verify (wrong key, or changed on disk)");
  }
  return out;
}

NonceCipher::NonceCipher(std::string_view key) : encrypt_(EVP_CIPHER_CTX_new()), decrypt_(EVP_CIPHER_CTX_new()) {
  EVP_EncryptInit_ex(static_cast<EVP_CIPHER_CTX*>(encrypt_), EVP_aes_256_gcm(), nullptr, Bytes(key), nullptr);
  EVP_DecryptInit_ex(static_cast<EVP_CIPHER_CTX*>(decrypt_), EVP_aes_256_gcm(), nullptr, Bytes(key), nullptr);
}

NonceCipher::~NonceCipher() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(encrypt_));
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(decrypt_));
}

void NonceCipher::Seal(std::string_view nonce, std::string_view aad, std::string_view plain, char* out) {
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(encrypt_);
  int n = 0;
  EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, Bytes(nonce));  // same key, new nonce
  if (!aad.empty()) EVP_EncryptUpdate(ctx, nullptr, &n, Bytes(aad), static_cast<int>(aad.size()));
  auto* dst = reinterpret_cast<unsigned char*>(out);
  EVP_EncryptUpdate(ctx, dst, &n, Bytes(plain), static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx, dst + plain.size(), &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kCipherTagBytes, dst + plain.size());
}

bool NonceCipher::Open(std::string_view nonce, std::string_view aad, std::string_view sealed, char* out) {
  if (sealed.size() < kCipherTagBytes) return false;
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(decrypt_);
  size_t body = sealed.size() - kCipherTagBytes;
  int n = 0;
  EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, Bytes(nonce));
  if (!aad.empty()) EVP_DecryptUpdate(ctx, nullptr, &n, Bytes(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out), &n, Bytes(sealed), static_cast<int>(body));
  std::string tag(sealed.substr(body));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kCipherTagBytes, tag.data());
  unsigned char tail[16];
  return EVP_DecryptFinal_ex(ctx, tail, &n) == 1;
}

namespace {

// 32 raw bytes, or 64 hex digits (a trailing newline allowed).
Result<std::string> ReadKeyFile(Env* env, const std::string& path) {
  auto text = env->ReadFile(path);
  if (!text.ok()) return Status::InvalidArgument("cannot read the key file " + path + ": " + text.status().message());
  std::string s = *text;
  if (s.size() == kCipherKeyBytes) return s;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.size() == 2 * kCipherKeyBytes) {
    std::string key;
    for (size_t i = 0; i < s.size(); i += 2) {
      auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10 : -1; };
      int hi = hex(s[i]), lo = hex(s[i + 1]);
      if (hi < 0 || lo < 0) break;
      key.push_back(static_cast<char>(hi * 16 + lo));
    }
    if (key.size() == kCipherKeyBytes) return key;
  }
  return Status::InvalidArgument("the key file " + path + " must hold 32 bytes or 64 hex digits");
}

}  // namespace

Result<std::unique_ptr<KeyRing>> KeyRing::Open(Env* env, const std::string& dir,
                                               const std::map<std::string, std::string>& key_files_by_arn) {
  auto ring = std::make_unique<KeyRing>();
  const std::string own_path = JoinPath(dir, "hydrant-own.key");
  if (!env->FileExists(own_path)) {
    HYDRANT_RETURN_IF_ERROR(env->CreateDirs(dir));
    ::chmod(dir.c_str(), 0700);
    HYDRANT_RETURN_IF_ERROR(env->WriteFileAtomic(own_path, RandomBytes(kCipherKeyBytes)));
    ::chmod(own_path.c_str(), 0600);
  }
  auto own = ReadKeyFile(env, own_path);
  if (!own.ok()) return own.status();
  ring->own_ = std::move(*own);
  for (const auto& [arn, path] : key_files_by_arn) {
    auto key = ReadKeyFile(env, path);
    if (!key.ok()) return Status::InvalidArgument("key " + arn + ": " + key.status().message());
    ring->by_arn_.emplace(arn, std::move(*key));
  }
  return ring;
}

const std::string* KeyRing::Find(std::string_view arn) const {
  auto it = by_arn_.find(arn);
  return it == by_arn_.end() ? nullptr : &it->second;
}

}  // namespace hydrant
