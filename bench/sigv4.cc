// AWS Signature Version 4 signing with OpenSSL's SHA-256 and HMAC.
#include "sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <ctime>
#include <memory>

namespace hydrant::bench {
namespace {

using Digest = std::array<unsigned char, 32>;

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

Digest Hmac(const unsigned char* key, size_t key_size, std::string_view data) {
  Digest out;
  unsigned int out_size = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(key_size),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &out_size);
  return out;
}

Digest Hmac(const Digest& key, std::string_view data) { return Hmac(key.data(), key.size(), data); }

// Header values are signed trimmed, with inner runs of blanks collapsed to one space.
void AppendCanonicalValue(std::string_view value, std::string* out) {
  bool pending_space = false;
  bool started = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = started;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    started = true;
    out->push_back(c);
  }
}

}  // namespace

std::string Sha256Hex(std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  Digest digest;
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &size);
  return Hex(digest.data(), digest.size());
}

std::string AmzDate(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SigV4Signer::SigV4Signer(std::string access_key, std::string secret_key, std::string region,
                         std::string service)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      region_(std::move(region)),
      service_(std::move(service)) {}

std::string SigV4Signer::CanonicalRequest(const SigV4Request& request) {
  std::string out;
  out.reserve(256);
  out.append(request.method).push_back('\n');
  out.append(request.canonical_uri).push_back('\n');
  out.append(request.canonical_query).push_back('\n');
  for (const SignedHeader& h : request.headers) {
    out.append(h.name).push_back(':');
    AppendCanonicalValue(h.value, &out);
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < request.headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(request.headers[i].name);
  }
  out.push_back('\n');
  out.append(request.payload_hash);
  return out;
}

void SigV4Signer::DeriveKey(std::string_view date) {
  const std::string secret = "AWS4" + secret_key_;
  Digest k = Hmac(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), date);
  k = Hmac(k, region_);
  k = Hmac(k, service_);
  key_ = Hmac(k, "aws4_request");
  key_date_ = date;
}

std::string SigV4Signer::Authorization(const SigV4Request& request, std::string_view amz_date) {
  const std::string_view date = amz_date.substr(0, 8);
  if (date != key_date_) DeriveKey(date);
  const std::string scope =
      std::string(date) + "/" + region_ + "/" + service_ + "/aws4_request";

  std::string string_to_sign = "AWS4-HMAC-SHA256\n";
  string_to_sign.append(amz_date).push_back('\n');
  string_to_sign.append(scope).push_back('\n');
  string_to_sign.append(Sha256Hex(CanonicalRequest(request)));
  const Digest signature = Hmac(key_, string_to_sign);

  std::string out = "AWS4-HMAC-SHA256 Credential=" + access_key_ + "/" + scope + ", SignedHeaders=";
  for (size_t i = 0; i < request.headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(request.headers[i].name);
  }
  out.append(", Signature=").append(Hex(signature.data(), signature.size()));
  return out;
}

}  // namespace hydrant::bench
