// SigV4: parsing the Authorization header, and verifying a request's signature.
#include "auth/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "common/base64.h"
#include "common/sha256.h"

namespace hydrant::auth {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return parts;
}

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The query as name/value pairs, decoded ('+' stays '+': SigV4 clients encode a space as %20).
std::vector<std::pair<std::string, std::string>> RawQuery(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  for (std::string_view part : Split(target.substr(q + 1), '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string name, value;
    http::PercentDecode(part.substr(0, eq), &name);
    if (eq != std::string_view::npos) http::PercentDecode(part.substr(eq + 1), &value);
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (auto& [name, value] : params) {
    if (name == "X-Amz-Signature") continue;
    encoded.emplace_back(http::PercentEncode(name), http::PercentEncode(value));  // SigV4 URI encoding
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

// A header value as SigV4 signs it: trimmed, runs of spaces as one.
std::string CanonicalValue(std::string_view value) {
  value = Trim(value);
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

// "20261206T101653Z" as epoch milliseconds; nullopt when not that form.
std::optional<int64_t> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && (text[i] < '0' || text[i] > '9')) return std::nullopt;
  }
  auto num = [&](size_t at, size_t n) { return std::stoi(std::string(text.substr(at, n))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// An RFC 1123 Date header ("Sun, 06 Dec 2026 10:16:53 GMT") as X-Amz-Date's form.
std::optional<std::string> DateHeaderAsAmzDate(std::string_view value) {
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return AmzDate(static_cast<int64_t>(timegm(&tm)) * 1000);
}

bool SameSignature(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The query parameters that are part of an S3 SigV2 CanonicalizedResource.
bool IsV2Subresource(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy",
      "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
      "response-content-language", "response-content-type", "response-expires", "restore", "tagging", "torrent",
      "uploadId", "uploads", "versionId", "versioning", "versions", "website"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// An S3 presigned URL of Signature Version 2 (AWSAccessKeyId, Expires, Signature), which the
// aws CLI v1's `aws s3 presign` makes: HMAC-SHA1 over the verb, Content-MD5, Content-Type,
// Expires, the x-amz-* headers and the resource.
Verdict VerifyV2Query(const http::HttpRequest& request, const std::vector<std::pair<std::string, std::string>>& query,
                      const CredentialStore& store, int64_t now_millis) {
  Verdict verdict;
  std::string key_id, signature, expires, token;
  std::vector<std::pair<std::string, std::string>> subresources;
  for (const auto& [name, value] : query) {
    if (name == "AWSAccessKeyId") key_id = value;
    else if (name == "Signature") signature = value;
    else if (name == "Expires") expires = value;
    else if (name == "x-amz-security-token") token = value;
    else if (IsV2Subresource(name)) subresources.emplace_back(name, value);
  }
  verdict.access_key = key_id;
  verdict.signature_provided = signature;
  verdict.expires = expires;
  verdict.credential = store.Find(key_id);
  if (!verdict.credential) {
    verdict.failure = Failure::kUnknownKey;
    return verdict;
  }
  if (!verdict.credential->session_token.empty() && !SameSignature(token, verdict.credential->session_token)) {
    verdict.failure = Failure::kBadToken;
    return verdict;
  }
  char* end = nullptr;
  long long expires_seconds = std::strtoll(expires.c_str(), &end, 10);
  if (expires.empty() || *end != '\0') {
    verdict.failure = Failure::kIncomplete;
    verdict.message = "Invalid date (should be seconds since epoch): " + expires;
    return verdict;
  }
  if (now_millis / 1000 > expires_seconds) {
    verdict.failure = Failure::kExpired;
    verdict.message = "Request has expired";
    return verdict;
  }
  std::map<std::string, std::string> amz_headers;
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.rfind("x-amz-", 0) == 0) amz_headers[lower] = CanonicalValue(value);
  }
  std::string to_sign = request.method + "\n" + std::string(request.Header("Content-MD5")) + "\n" +
                        std::string(request.Header("Content-Type")) + "\n" + expires + "\n";
  for (const auto& [name, value] : amz_headers) to_sign += name + ":" + value + "\n";
  std::string_view path = request.RawPath();
  to_sign += path.empty() ? "/" : std::string(path);
  std::sort(subresources.begin(), subresources.end());
  for (size_t i = 0; i < subresources.size(); ++i) {
    to_sign += i == 0 ? '?' : '&';
    to_sign += subresources[i].first;
    if (!subresources[i].second.empty()) to_sign += "=" + subresources[i].second;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string& secret = verdict.credential->secret_access_key;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(to_sign.data()),
       to_sign.size(), digest, &length);
  if (!SameSignature(Base64Encode({reinterpret_cast<const char*>(digest), length}), signature)) {
    verdict.failure = Failure::kBadSignature;
    verdict.string_to_sign = std::move(to_sign);
  }
  return verdict;
}

}  // namespace

std::string AmzDate(int64_t millis) {
  std::time_t t = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::optional<SigV4Credential> ParseSigV4Authorization(std::string_view header) {
  header = Trim(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
  header.remove_prefix(kAlgorithm.size());
  SigV4Credential out;
  bool has_credential = false, has_signed = false, has_signature = false;
  for (std::string_view part : Split(header, ',')) {
    part = Trim(part);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
    if (name == "Credential") {
      auto scope = Split(value, '/');
      if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty() || scope[1].size() != 8 ||
          scope[2].empty() || scope[3].empty()) {
        return std::nullopt;
      }
      out.access_key = scope[0];
      out.date = scope[1];
      out.region = scope[2];
      out.service = scope[3];
      has_credential = true;
    } else if (name == "SignedHeaders") {
      out.signed_headers = value;
      has_signed = !value.empty();
    } else if (name == "Signature") {
      out.signature = value;
      has_signature = !value.empty();
    }
  }
  if (!has_credential || !has_signed || !has_signature) return std::nullopt;
  return out;
}

}  // namespace hydrant::auth

namespace hydrant::auth {

std::string SigV4Verifier::SigningKey(const Credential& credential, std::string_view date, std::string_view region,
                                      std::string_view service) const {
  std::string id = credential.access_key_id;
  id.append("/").append(date).append("/").append(region).append("/").append(service);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = signing_keys_.find(id);
    if (it != signing_keys_.end()) return it->second;
  }
  std::string key = HmacSha256("AWS4" + credential.secret_access_key, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  std::lock_guard<std::mutex> lock(mu_);
  if (signing_keys_.size() >= 4096) signing_keys_.clear();  // keys of past days, regions, services
  signing_keys_.emplace(std::move(id), key);
  return key;
}

Verdict SigV4Verifier::Verify(const http::HttpRequest& request, std::string_view service, int64_t now_millis) const {
  Verdict verdict;
  auto query = RawQuery(request.target);
  auto param = [&](std::string_view name) -> const std::string* {
    for (const auto& [n, v] : query) {
      if (n == name) return &v;
    }
    return nullptr;
  };
  // Where the signature's parts come from: the Authorization header or the query (presigned).
  SigV4Credential credential;
  std::string amz_date;
  const bool presigned = request.Header("Authorization").empty() && param("X-Amz-Algorithm");
  if (service == "s3" && request.Header("Authorization").empty() && !presigned && param("AWSAccessKeyId") &&
      param("Signature")) {
    return VerifyV2Query(request, query, *store_, now_millis);
  }
  if (presigned) {
    const std::string* algorithm = param("X-Amz-Algorithm");
    const std::string* scope = param("X-Amz-Credential");
    const std::string* date = param("X-Amz-Date");
    const std::string* expires = param("X-Amz-Expires");
    const std::string* signed_headers = param("X-Amz-SignedHeaders");
    const std::string* signature = param("X-Amz-Signature");
    if (*algorithm != kAlgorithm || !scope || !date || !expires || !signed_headers || !signature) {
      verdict.failure = Failure::kIncomplete;
      verdict.message =
          "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
          "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
      return verdict;
    }
    auto parts = Split(*scope, '/');
    if (parts.size() != 5 || parts[4] != "aws4_request" || parts[0].empty() || parts[1].size() != 8) {
      verdict.failure = Failure::kIncomplete;
      verdict.message = "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
                        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
      return verdict;
    }
    credential = {std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3]),
                  *signed_headers, *signature};
    amz_date = *date;
    verdict.expires = *expires;
  } else {
    std::string_view authorization = request.Header("Authorization");
    if (authorization.empty()) {
      verdict.failure = Failure::kMissing;
      return verdict;
    }
    auto parsed = ParseSigV4Authorization(authorization);
    if (!parsed) {
      verdict.failure = Failure::kIncomplete;
      verdict.message = "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters "
                        "of an AWS4-HMAC-SHA256 signature.";
      return verdict;
    }
    credential = std::move(*parsed);
    amz_date = std::string(request.Header("X-Amz-Date"));
    if (amz_date.empty()) {
      if (auto date = DateHeaderAsAmzDate(request.Header("Date"))) amz_date = *date;
    }
  }
  verdict.access_key = credential.access_key;
  verdict.signature_provided = credential.signature;
  verdict.request_time = amz_date;

  verdict.credential = store_->Find(credential.access_key);
  if (!verdict.credential) {
    verdict.failure = Failure::kUnknownKey;
    return verdict;
  }
  const Credential& key = *verdict.credential;
  std::string_view token = presigned && param("X-Amz-Security-Token") ? std::string_view(*param("X-Amz-Security-Token"))
                                                                      : request.Header("X-Amz-Security-Token");
  if (!key.session_token.empty() && !SameSignature(token, key.session_token)) {
    verdict.failure = Failure::kBadToken;
    return verdict;
  }
  if (credential.service != service) {
    verdict.failure = Failure::kWrongService;
    verdict.message = credential.service;
    return verdict;
  }
  auto request_millis = ParseAmzDate(amz_date);
  if (!request_millis) {
    verdict.failure = Failure::kNoDate;
    return verdict;
  }
  if (amz_date.substr(0, 8) != credential.date) {
    verdict.failure = Failure::kWrongScopeDate;
    verdict.message = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                      credential.date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.";
    return verdict;
  }
  if (presigned) {
    char* end = nullptr;
    long long seconds = std::strtoll(verdict.expires.c_str(), &end, 10);
    if (verdict.expires.empty() || *end != '\0' || seconds < 0) {
      verdict.failure = Failure::kIncomplete;
      verdict.message = "X-Amz-Expires should be a number";
      return verdict;
    }
    if (seconds > 604800) {
      verdict.failure = Failure::kIncomplete;
      verdict.message = "X-Amz-Expires must be less than a week (in seconds) that is 604800";
      return verdict;
    }
    if (now_millis > *request_millis + seconds * 1000 || *request_millis > now_millis + kMaxSkewMillis) {
      verdict.failure = Failure::kExpired;
      verdict.message = *request_millis > now_millis ? "Request is not valid yet" : "Request has expired";
      return verdict;
    }
  } else if (*request_millis < now_millis - kMaxSkewMillis || *request_millis > now_millis + kMaxSkewMillis) {
    verdict.failure = Failure::kSkewed;
    const std::string now = AmzDate(now_millis);
    verdict.message = *request_millis < now_millis
                          ? "Signature expired: " + amz_date + " is now earlier than " +
                                AmzDate(now_millis - kMaxSkewMillis) + " (" + now + " - 15 min.)"
                          : "Signature not yet current: " + amz_date + " is still later than " +
                                AmzDate(now_millis + kMaxSkewMillis) + " (" + now + " + 15 min.)";
    return verdict;
  }

  // The canonical request.
  const bool s3 = service == "s3";
  std::string_view raw_path = request.RawPath();
  std::string path = raw_path.empty() ? "/" : std::string(raw_path);
  if (!s3) path = http::PercentEncode(path, /*encode_slash=*/false);
  std::string payload_hash;
  if (s3) {
    payload_hash = presigned && request.Header("x-amz-content-sha256").empty()
                       ? "UNSIGNED-PAYLOAD"
                       : std::string(request.Header("x-amz-content-sha256"));
  } else {
    payload_hash = HexSha256(request.body);
  }
  std::string canonical = request.method;
  canonical += '\n';
  canonical += path;
  canonical += '\n';
  canonical += CanonicalQuery(std::move(query));
  canonical += '\n';
  for (std::string_view name : Split(credential.signed_headers, ';')) {
    canonical += name;
    canonical += ':';
    canonical += CanonicalValue(request.Header(name));
    canonical += '\n';
  }
  canonical += '\n';
  canonical += credential.signed_headers;
  canonical += '\n';
  canonical += payload_hash;

  const std::string scope = credential.date + "/" + credential.region + "/" + credential.service + "/aws4_request";
  std::string to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" + HexSha256(canonical);
  const std::string signing_key = SigningKey(key, credential.date, credential.region, credential.service);
  const std::string expected = Hex(HmacSha256(signing_key, to_sign));
  if (!SameSignature(expected, credential.signature)) {
    verdict.failure = Failure::kBadSignature;
    verdict.canonical_request = std::move(canonical);
    verdict.string_to_sign = std::move(to_sign);
    return verdict;
  }
  if (s3 && payload_hash.rfind("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 0) == 0) {
    return VerifyChunks(request, signing_key, amz_date, scope, expected, std::move(verdict));
  }
  return verdict;
}

// aws-chunked: "<hex size>;chunk-signature=<sig>\r\n<data>\r\n" ..., the last of size 0; each
// chunk signed over the previous signature and its data's hash.
Verdict SigV4Verifier::VerifyChunks(const http::HttpRequest& request, const std::string& key,
                                    const std::string& amz_date, const std::string& scope,
                                    const std::string& seed_signature, Verdict verdict) const {
  std::string_view body = request.body;
  std::string previous = seed_signature;
  while (true) {
    auto line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) break;
    std::string_view line = body.substr(0, line_end);
    auto semi = line.find(';');
    std::string_view size_text = line.substr(0, semi);
    constexpr std::string_view kSig = "chunk-signature=";
    if (semi == std::string_view::npos || line.substr(semi + 1, kSig.size()) != kSig || size_text.empty() ||
        size_text.size() > 8) {
      break;
    }
    std::string_view signature = line.substr(semi + 1 + kSig.size());
    size_t size = 0;
    bool hex = true;
    for (char c : size_text) {
      int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (v < 0) hex = false;
      size = size * 16 + static_cast<size_t>(std::max(v, 0));
    }
    body.remove_prefix(line_end + 2);
    if (!hex || body.size() < size) break;
    std::string_view data = body.substr(0, size);
    body.remove_prefix(size);
    const std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date + "\n" + scope + "\n" + previous + "\n" +
                                std::string(kEmptySha256) + "\n" + HexSha256(data);
    const std::string expected = Hex(HmacSha256(key, to_sign));
    if (!SameSignature(expected, signature)) {
      verdict.failure = Failure::kBadChunkSignature;
      verdict.string_to_sign = to_sign;
      verdict.signature_provided = std::string(signature);
      return verdict;
    }
    if (size == 0) return verdict;  // the final chunk (trailers, if any, follow)
    if (body.substr(0, 2) != "\r\n") break;
    body.remove_prefix(2);
    previous = expected;
  }
  verdict.failure = Failure::kBadChunkEncoding;
  return verdict;
}

}  // namespace hydrant::auth
