// S3Handler: routes S3 REST requests to ObjectStore calls and writes S3's XML answers.
#include "api/s3_handler.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include "api/s3_xml.h"
#include "common/base64.h"
#include "common/ids.h"
#include "common/time_format.h"
#include "store/key_path.h"

namespace hydrant::api {
namespace {

using store::ObjectInfo;
using store::StoreError;

constexpr char kOwnerId[] = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
constexpr char kOwnerName[] = "hydrant";
constexpr int kMaxListKeys = 1000;
constexpr size_t kMaxDeleteObjects = 1000;

// Query parameters that select an S3 sub-resource. Those not handled below answer 501.
// clang-format off
const std::set<std::string, std::less<>> kSubresources = {
    "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
    "metadataTable", "metrics", "notification", "object-lock", "ownershipControls", "policy",
    "policyStatus", "publicAccessBlock", "renameObject", "replication", "requestPayment",
    "restore", "retention", "select", "tagging", "torrent", "uploads", "versioning", "versions",
    "website"};
// clang-format on

// Headers stored with an object and returned on GET/HEAD, by canonical name.
constexpr const char* kStoredHeaders[] = {"Cache-Control", "Content-Disposition",
                                          "Content-Encoding", "Content-Language", "Expires"};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename Int>
std::optional<Int> ParseInt(std::string_view s, int base = 10) {
  Int value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string Iso(int64_t millis) { return FormatIso8601Millis(millis); }

std::string NormalizeEtag(std::string_view etag) {
  etag = Trim(etag);
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

// "*" or a comma-separated list of entity tags containing `etag`.
bool EtagListMatches(std::string_view list, const std::string& etag) {
  if (Trim(list) == "*") return true;
  std::string want = NormalizeEtag(etag);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (NormalizeEtag(list.substr(
            start, comma == std::string_view::npos ? list.npos : comma - start)) == want) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

std::optional<int64_t> ParseHttpDateSeconds(std::string_view text) {
  std::string s(Trim(text));
  struct tm tm = {};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// "bytes=a-b", "bytes=a-" or "bytes=-n"; anything else (several ranges, bad syntax) is
// ignored and the whole object served, as HTTP says.
std::optional<store::ByteRange> ParseRange(std::string_view header) {
  header = Trim(header);
  if (header.substr(0, 6) != "bytes=") return std::nullopt;
  std::string_view spec = Trim(header.substr(6));
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos)
    return std::nullopt;
  store::ByteRange range;
  if (dash == 0) {
    auto suffix = ParseInt<uint64_t>(spec.substr(1));
    if (!suffix) return std::nullopt;
    range.suffix = *suffix;
    return range;
  }
  auto first = ParseInt<uint64_t>(spec.substr(0, dash));
  if (!first) return std::nullopt;
  range.first = *first;
  if (dash + 1 < spec.size()) {
    auto last = ParseInt<uint64_t>(spec.substr(dash + 1));
    if (!last || *last < *first) return std::nullopt;
    range.last = *last;
  }
  return range;
}

// ---- Checksums -------------------------------------------------------------------------------

std::string BigEndian(uint64_t value, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) out[i] = static_cast<char>(value & 0xFF);
  return out;
}

std::string EvpDigest(std::string_view data, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string Crc32(std::string_view data) {
  return BigEndian(
      crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(data.data()), data.size()), 4);
}

std::string Crc32c(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  // ISA-L takes int lengths: feed large bodies in pieces, chaining the raw state.
  for (size_t off = 0; off < data.size(); off += 1u << 30) {
    int n = static_cast<int>(std::min<size_t>(data.size() - off, 1u << 30));
    crc =
        crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(data.data() + off)), n, crc);
  }
  return BigEndian(crc ^ 0xFFFFFFFFu, 4);
}

// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), as S3's CRC64NVME.
std::string Crc64Nvme(std::string_view data) {
  static const auto kTable = [] {
    std::array<uint64_t, 256> table{};
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x9A6C9329AC4BC9B5ull : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint64_t crc = ~0ull;
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xFF] ^ (crc >> 8);
  return BigEndian(~crc, 8);
}

struct ChecksumAlgorithm {
  const char* header;  // x-amz-checksum-<name>
  const char* display;
  std::string (*compute)(std::string_view);
};

const ChecksumAlgorithm kChecksums[] = {
    {"x-amz-checksum-crc32", "CRC32", Crc32},
    {"x-amz-checksum-crc32c", "CRC32C", Crc32c},
    {"x-amz-checksum-crc64nvme", "CRC64NVME", Crc64Nvme},
    {"x-amz-checksum-sha1", "SHA1", [](std::string_view d) { return EvpDigest(d, EVP_sha1()); }},
    {"x-amz-checksum-sha256", "SHA256",
     [](std::string_view d) { return EvpDigest(d, EVP_sha256()); }},
};

// ---- One request -----------------------------------------------------------------------------

struct S3Failure {
  std::string code;
  int status;
  std::string message;
  std::vector<std::pair<std::string, std::string>> details;  // extra <Name>value</Name>
};

S3Failure Fail(std::string code, int status, std::string message,
               std::vector<std::pair<std::string, std::string>> details = {}) {
  return {std::move(code), status, std::move(message), std::move(details)};
}

S3Failure MalformedXml() {
  return Fail(
      "MalformedXML", 400,
      "The XML you provided was not well-formed or did not validate against our published schema");
}

S3Failure NotImplemented() {
  return Fail("NotImplemented", 501,
              "A header or query you provided requested a function that is not implemented.");
}

int HttpStatusOf(StoreError error) {
  switch (error) {
    case StoreError::kNoSuchBucket:
    case StoreError::kNoSuchKey:
    case StoreError::kNoSuchUpload:
      return 404;
    case StoreError::kBucketAlreadyOwnedByYou:
    case StoreError::kBucketNotEmpty:
      return 409;
    case StoreError::kInvalidRange:
      return 416;
    case StoreError::kPreconditionFailed:
      return 412;
    default:
      return 400;
  }
}

// The decoded request payload: the body itself, or the data of an aws-chunked body.
struct Payload {
  std::string decoded;
  std::string_view data;
  std::map<std::string, std::string> trailers;  // lower-case names
  bool chunked = false;
};

class S3Call {
 public:
  S3Call(store::ObjectStore* store, const http::HttpRequest& request, const auth::Caller* caller = nullptr,
         const S3Handler::ReadThrough* read_through = nullptr)
      : store_(store), req_(request), caller_(caller), read_through_(read_through), request_id_(RandomHex(16)) {
    std::transform(request_id_.begin(), request_id_.end(), request_id_.begin(), ::toupper);
  }

  http::HttpResponse Run() { return Finish(Dispatch()); }

  // An S3 error for this request, decided before it is dispatched (authentication).
  http::HttpResponse Refuse(std::string code, int status, std::string message,
                            std::vector<std::pair<std::string, std::string>> details) {
    std::string path;
    http::PercentDecode(req_.RawPath(), &path);
    resource_ = path;
    return Finish(Error(Fail(std::move(code), status, std::move(message), std::move(details))));
  }

  // S3's throttling answer, for a request refused before its body was read.
  http::HttpResponse SlowDown() {
    resource_ = std::string(req_.RawPath());
    return Finish(Error(Fail("SlowDown", 503, "Please reduce your request rate.")));
  }

 private:
  http::HttpResponse Finish(http::HttpResponse response) {
    response.SetHeader("x-amz-request-id", request_id_);
    response.SetHeader("x-amz-id-2", Base64Encode(request_id_));
    if (req_.method == "HEAD" && !response.head_only) {  // errors: status and headers only
      response.head_only = true;
      response.head_content_length = 0;
      response.body.clear();
    }
    return response;
  }

  http::HttpResponse Dispatch() {
    std::string path;
    if (!http::PercentDecode(req_.RawPath(), &path) || path.empty() || path[0] != '/') {
      return Error(Fail("InvalidURI", 400, "Couldn't parse the specified URI."));
    }
    size_t slash = path.find('/', 1);
    bucket_ = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    if (slash != std::string::npos) key_ = path.substr(slash + 1);
    resource_ = path;
    query_ = req_.Query();
    const std::string& m = req_.method;

    if (bucket_.empty()) {
      if (!key_.empty())
        return Error(Fail("InvalidBucketName", 400, "The specified bucket is not valid."));
      if (m == "GET") {
        if (auto denied = Denied("s3:ListAllMyBuckets", "*")) return *denied;
        return ListBuckets();
      }
      return MethodNotAllowed();
    }
    std::optional<std::string_view> sub = Subresource();
    if (auto denied = Denied(ActionOf(sub), key_.empty() ? "arn:aws:s3:::" + bucket_ : "arn:aws:s3:::" + bucket_ + "/" + key_)) {
      return *denied;
    }
    if (std::string_view source = req_.Header("x-amz-copy-source"); !source.empty() && m == "PUT") {
      std::string decoded;
      http::PercentDecode(source.substr(0, source.find('?')), &decoded);
      if (!decoded.empty() && decoded.front() == '/') decoded.erase(0, 1);
      if (auto denied = Denied("s3:GetObject", "arn:aws:s3:::" + decoded)) return *denied;
    }
    if ((m == "GET" || m == "HEAD") && !sub && read_through_ && *read_through_ && !store_->BucketExists(bucket_)) {
      if (auto answer = (*read_through_)(m, bucket_, key_, req_.Query(), req_.Header("Range"))) return *answer;
    }
    if (key_.empty()) {
      if (m == "GET") {
        if (sub == "location") return GetBucketLocation();
        if (sub == "versioning") return GetBucketVersioning();
        if (sub) return Error(NotImplemented());
        return ListObjects(Param("list-type") == "2");
      }
      if (m == "HEAD") return HeadBucket();
      if (m == "PUT") return sub ? Error(NotImplemented()) : CreateBucket();
      if (m == "DELETE") return sub ? Error(NotImplemented()) : DeleteBucket();
      if (m == "POST") return sub == "delete" ? DeleteObjects() : Error(NotImplemented());
      return MethodNotAllowed();
    }
    bool upload = Has("uploadId");
    if (m == "GET" || m == "HEAD")
      return upload || sub ? Error(NotImplemented()) : GetObject(m == "HEAD");
    if (m == "PUT") {
      if (upload && Has("partNumber")) return UploadPart();
      if (upload || sub) return Error(NotImplemented());
      return req_.headers.count("x-amz-copy-source") ? CopyObject() : PutObject();
    }
    if (m == "DELETE") {
      if (upload) return AbortUpload();
      return sub ? Error(NotImplemented()) : DeleteObject();
    }
    if (m == "POST") {
      if (sub == "uploads") return CreateUpload();
      if (upload) return CompleteUpload();
      return Error(NotImplemented());
    }
    return MethodNotAllowed();
  }

  // ---- Helpers ---------------------------------------------------------------------------

  // The IAM action of the request (s3:GetObject, ...), from its method, key and subresource.
  std::string_view ActionOf(std::optional<std::string_view> sub) const {
    const std::string& m = req_.method;
    if (key_.empty()) {
      if (m == "GET" && sub == "location") return "s3:GetBucketLocation";
      if (m == "GET" && sub == "versioning") return "s3:GetBucketVersioning";
      if (m == "GET" || m == "HEAD") return "s3:ListBucket";
      if (m == "PUT") return "s3:CreateBucket";
      if (m == "DELETE") return "s3:DeleteBucket";
      return "s3:DeleteObject";  // POST ?delete: checked again per key
    }
    if (m == "GET" || m == "HEAD") return "s3:GetObject";
    if (m == "DELETE") return Has("uploadId") ? "s3:AbortMultipartUpload" : "s3:DeleteObject";
    return "s3:PutObject";  // PUT, uploads, parts, completion, copies (their source is checked too)
  }

  // AccessDenied when the caller's policy does not allow `action` on `resource`.
  std::optional<http::HttpResponse> Denied(std::string_view action, const std::string& resource) {
    if (!caller_) return std::nullopt;
    std::map<std::string, std::string> keys;
    if (action == "s3:ListBucket") {
      keys["s3:prefix"] = Param("prefix").value_or("");
      if (auto delimiter = Param("delimiter")) keys["s3:delimiter"] = *delimiter;
      if (auto max_keys = Param("max-keys")) keys["s3:max-keys"] = *max_keys;
    }
    // A multi-object delete is decided per key (DeleteObjects).
    if (req_.method == "POST" && key_.empty()) return std::nullopt;
    auto denial = caller_->Denied(action, resource, std::move(keys));
    if (!denial) return std::nullopt;
    return Error(Fail("AccessDenied", 403, *denial));
  }

  bool Has(std::string_view name) const {
    return std::any_of(query_.begin(), query_.end(),
                       [&](const auto& kv) { return kv.first == name; });
  }
  std::optional<std::string> Param(std::string_view name) const {
    for (const auto& [k, v] : query_) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
  std::optional<std::string_view> Subresource() const {
    for (const auto& [k, v] : query_) {
      auto it = kSubresources.find(k);
      if (it != kSubresources.end()) return std::string_view(*it);
    }
    return std::nullopt;
  }

  http::HttpResponse Xml(int status, const std::string& body) {
    http::HttpResponse response;
    response.status = status;
    response.SetHeader("Content-Type", "application/xml");
    response.body = kXmlDeclaration + body;
    return response;
  }

  http::HttpResponse Error(const S3Failure& f) {
    std::string body = "<Error>";
    AppendXmlElement(&body, "Code", f.code);
    AppendXmlElement(&body, "Message", f.message);
    for (const auto& [name, value] : f.details) AppendXmlElement(&body, name, value);
    AppendXmlElement(&body, "Resource", resource_);
    AppendXmlElement(&body, "RequestId", request_id_);
    body += "</Error>";
    return Xml(f.status, body);
  }

  http::HttpResponse MethodNotAllowed() {
    return Error(
        Fail("MethodNotAllowed", 405, "The specified method is not allowed against this resource.",
             {{"Method", req_.method}, {"ResourceType", key_.empty() ? "BUCKET" : "OBJECT"}}));
  }

  http::HttpResponse StoreFailure(const Status& status, const std::string& upload_id = "") {
    std::optional<store::StoreError> error = store::ErrorOf(status);
    if (!error) {
      spdlog::error("S3 {} {}: {}", req_.method, req_.target, status.ToString());
      return Error(
          Fail("InternalError", 500, "We encountered an internal error. Please try again."));
    }
    S3Failure f = Fail(store::ErrorName(*error), HttpStatusOf(*error), store::ErrorMessage(status));
    switch (*error) {
      case StoreError::kNoSuchBucket:
      case StoreError::kBucketNotEmpty:
      case StoreError::kBucketAlreadyOwnedByYou:
      case StoreError::kInvalidBucketName:
        f.details.emplace_back("BucketName", bucket_);
        break;
      case StoreError::kNoSuchKey:
        f.details.emplace_back("Key", key_);
        break;
      case StoreError::kNoSuchUpload:
        f.details.emplace_back("UploadId", upload_id);
        break;
      default:
        break;
    }
    return Error(f);
  }

  http::HttpResponse Empty(int status) {
    http::HttpResponse response;
    response.status = status;
    return response;
  }

  // ---- Request bodies ----------------------------------------------------------------------

  // Decodes aws-chunked bodies ("<hex>[;chunk-signature=..]\r\n<data>\r\n ...
  // 0\r\n<trailers>\r\n").
  std::optional<S3Failure> ReadPayload(Payload* payload) {
    std::string_view sha = req_.Header("x-amz-content-sha256");
    std::string encoding = Lower(req_.Header("Content-Encoding"));
    payload->chunked =
        sha.substr(0, 10) == "STREAMING-" || encoding.find("aws-chunked") != std::string::npos;
    if (!payload->chunked) {
      payload->data = req_.body;
      return std::nullopt;
    }
    S3Failure incomplete =
        Fail("IncompleteBody", 400,
             "The request body terminated unexpectedly or is not valid aws-chunked encoding");
    std::string_view body = req_.body;
    size_t pos = 0;
    while (true) {
      size_t eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos) return incomplete;
      std::string_view header = body.substr(pos, eol - pos);
      auto size = ParseInt<uint64_t>(Trim(header.substr(0, header.find(';'))), 16);
      if (!size) return incomplete;
      pos = eol + 2;
      if (*size == 0) break;
      if (body.size() - pos < *size + 2 || body.substr(pos + *size, 2) != "\r\n") return incomplete;
      payload->decoded.append(body.substr(pos, *size));
      pos += *size + 2;
    }
    while (pos < body.size()) {  // trailers, until an empty line
      size_t eol = body.find("\r\n", pos);
      std::string_view line =
          body.substr(pos, eol == std::string_view::npos ? body.npos : eol - pos);
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        payload->trailers[Lower(Trim(line.substr(0, colon)))] =
            std::string(Trim(line.substr(colon + 1)));
      }
      if (eol == std::string_view::npos) break;
      pos = eol + 2;
    }
    payload->data = payload->decoded;
    std::string_view declared = req_.Header("x-amz-decoded-content-length");
    if (!declared.empty() && ParseInt<uint64_t>(declared) != payload->data.size()) {
      return Fail("IncompleteBody", 400,
                  "You did not provide the number of bytes specified by the "
                  "x-amz-decoded-content-length header");
    }
    return std::nullopt;
  }

  // Verifies Content-MD5, a hex x-amz-content-sha256 and x-amz-checksum-*; verified
  // checksums are added to `echo` for the response.
  std::optional<S3Failure> VerifyPayload(const Payload& payload,
                                         std::vector<std::pair<std::string, std::string>>* echo) {
    std::string_view md5 = req_.Header("Content-MD5");
    if (!md5.empty()) {
      std::string digest;
      if (!Base64Decode(Trim(md5), &digest) || digest.size() != 16) {
        return Fail("InvalidDigest", 400, "The Content-MD5 you specified was invalid.");
      }
      if (digest != store::Md5(payload.data)) {
        return Fail("BadDigest", 400,
                    "The Content-MD5 you specified did not match what we received.");
      }
    }
    std::string_view sha = req_.Header("x-amz-content-sha256");
    if (!payload.chunked && sha.size() == 64 && std::all_of(sha.begin(), sha.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c));
        })) {
      if (Lower(sha) != store::HexEncode(EvpDigest(payload.data, EVP_sha256()))) {
        return Fail("XAmzContentSHA256Mismatch", 400,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
      }
    }
    for (const ChecksumAlgorithm& algorithm : kChecksums) {
      std::string value(Trim(req_.Header(algorithm.header)));
      if (auto it = payload.trailers.find(algorithm.header);
          value.empty() && it != payload.trailers.end()) {
        value = it->second;
      }
      if (value.empty()) continue;
      if (Base64Encode(algorithm.compute(payload.data)) != value) {
        return Fail("BadDigest", 400,
                    std::string("The ") + algorithm.display +
                        " you specified did not match the calculated checksum.");
      }
      echo->emplace_back(algorithm.header, value);
    }
    return std::nullopt;
  }

  store::PutOptions OptionsFromHeaders() const {
    store::PutOptions options;
    options.content_type = std::string(req_.Header("Content-Type"));
    for (const auto& [name, value] : req_.headers) {
      if (StartsWithNoCase(name, "x-amz-meta-") && name.size() > 11) {
        options.user_metadata[Lower(std::string_view(name).substr(11))] = value;
      }
    }
    for (const char* name : kStoredHeaders) {
      std::string value(Trim(req_.Header(name)));
      if (std::string_view(name) == "Content-Encoding") {  // aws-chunked is transport only
        std::string kept;
        size_t start = 0;
        while (start <= value.size()) {
          size_t comma = value.find(',', start);
          std::string_view token = Trim(std::string_view(value).substr(
              start, comma == std::string::npos ? value.npos : comma - start));
          if (!token.empty() && Lower(token) != "aws-chunked") {
            if (!kept.empty()) kept += ',';
            kept += token;
          }
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        value = kept;
      }
      if (!value.empty()) options.headers[name] = value;
    }
    options.sse = std::string(Trim(req_.Header("x-amz-server-side-encryption")));
    options.sse_kms_key_id = std::string(Trim(req_.Header("x-amz-server-side-encryption-aws-kms-key-id")));
    return options;
  }

  // x-amz-server-side-encryption (and the KMS key) of an encrypted object.
  static void SetSseHeaders(const ObjectInfo& info, http::HttpResponse* response) {
    if (info.sse.empty()) return;
    response->SetHeader("x-amz-server-side-encryption", info.sse);
    if (!info.sse_kms_key_id.empty()) {
      response->SetHeader("x-amz-server-side-encryption-aws-kms-key-id", info.sse_kms_key_id);
    }
  }

  // ---- Service and buckets -----------------------------------------------------------------

  static void AppendOwner(std::string* body, std::string_view element = "Owner") {
    body->append("<").append(element).append(">");
    AppendXmlElement(body, "ID", kOwnerId);
    AppendXmlElement(body, "DisplayName", kOwnerName);
    body->append("</").append(element).append(">");
  }

  http::HttpResponse ListBuckets() {
    auto buckets = store_->ListBuckets();
    if (!buckets.ok()) return StoreFailure(buckets.status());
    std::string body = std::string("<ListAllMyBucketsResult xmlns=\"") + kS3Xmlns + "\">";
    AppendOwner(&body);
    body += "<Buckets>";
    for (const store::BucketInfo& bucket : *buckets) {
      body += "<Bucket>";
      AppendXmlElement(&body, "Name", bucket.name);
      AppendXmlElement(&body, "CreationDate", Iso(bucket.creation_millis));
      body += "</Bucket>";
    }
    body += "</Buckets></ListAllMyBucketsResult>";
    return Xml(200, body);
  }

  http::HttpResponse CreateBucket() {
    std::string location;
    if (!Trim(req_.body).empty()) {
      auto elements = XmlElements(req_.body, "LocationConstraint");
      if (!elements) return Error(MalformedXml());
      if (!elements->empty()) {
        auto text = XmlText(elements->front());
        if (!text) return Error(MalformedXml());
        location = std::string(Trim(*text));
      }
    }
    Status s = store_->CreateBucket(bucket_, location);
    if (!s.ok()) return StoreFailure(s);
    http::HttpResponse response = Empty(200);
    response.SetHeader("Location", "/" + bucket_);
    return response;
  }

  http::HttpResponse HeadBucket() {
    auto info = store_->GetBucket(bucket_);
    if (!info.ok()) return StoreFailure(info.status());
    http::HttpResponse response = Empty(200);
    response.SetHeader("x-amz-bucket-region",
                       info->location.empty() ? "us-east-1" : info->location);
    return response;
  }

  http::HttpResponse DeleteBucket() {
    Status s = store_->DeleteBucket(bucket_);
    return s.ok() ? Empty(204) : StoreFailure(s);
  }

  http::HttpResponse GetBucketLocation() {
    auto info = store_->GetBucket(bucket_);
    if (!info.ok()) return StoreFailure(info.status());
    return Xml(200, std::string("<LocationConstraint xmlns=\"") + kS3Xmlns + "\">" +
                        XmlEscape(info->location) + "</LocationConstraint>");
  }

  http::HttpResponse GetBucketVersioning() {
    auto info = store_->GetBucket(bucket_);
    if (!info.ok()) return StoreFailure(info.status());
    return Xml(200, std::string("<VersioningConfiguration xmlns=\"") + kS3Xmlns + "\"/>");
  }

  http::HttpResponse ListObjects(bool v2) {
    std::optional<std::string> encoding = Param("encoding-type");
    if (encoding && *encoding != "url") {
      return Error(Fail("InvalidArgument", 400, "Invalid Encoding Method specified in Request",
                        {{"ArgumentName", "encoding-type"}, {"ArgumentValue", *encoding}}));
    }
    bool url = encoding.has_value();
    auto enc = [&](const std::string& s) {
      return url ? http::PercentEncode(s, /*encode_slash=*/false) : s;
    };
    store::ListRequest request;
    request.prefix = Param("prefix").value_or("");
    request.delimiter = Param("delimiter").value_or("");
    if (std::optional<std::string> max = Param("max-keys")) {
      auto value = ParseInt<int64_t>(*max);
      if (!value || *value < 0) {
        return Error(Fail("InvalidArgument", 400,
                          "Provided max-keys not an integer or within integer range",
                          {{"ArgumentName", "max-keys"}, {"ArgumentValue", *max}}));
      }
      request.max_keys = static_cast<int>(std::min<int64_t>(*value, kMaxListKeys));
    }
    std::optional<std::string> token = v2 ? Param("continuation-token") : std::nullopt;
    std::optional<std::string> start_after = Param(v2 ? "start-after" : "marker");
    if (token) {
      if (token->empty() || !Base64Decode(*token, &request.after)) {
        return Error(Fail("InvalidArgument", 400, "The continuation token provided is incorrect",
                          {{"ArgumentName", "continuation-token"}}));
      }
    } else if (start_after) {
      request.after = *start_after;
    }
    auto result = store_->ListObjects(bucket_, request);
    if (!result.ok()) return StoreFailure(result.status());

    bool fetch_owner = !v2 || Param("fetch-owner") == "true";
    std::string body = std::string("<ListBucketResult xmlns=\"") + kS3Xmlns + "\">";
    AppendXmlElement(&body, "Name", bucket_);
    AppendXmlElement(&body, "Prefix", enc(request.prefix));
    if (!v2) AppendXmlElement(&body, "Marker", enc(start_after.value_or("")));
    AppendXmlElement(&body, "MaxKeys", std::to_string(request.max_keys));
    if (!request.delimiter.empty()) AppendXmlElement(&body, "Delimiter", enc(request.delimiter));
    if (url) AppendXmlElement(&body, "EncodingType", "url");
    if (v2) {
      AppendXmlElement(&body, "KeyCount",
                       std::to_string(result->objects.size() + result->common_prefixes.size()));
    }
    AppendXmlElement(&body, "IsTruncated", result->truncated ? "true" : "false");
    if (v2) {
      if (token) AppendXmlElement(&body, "ContinuationToken", *token);
      if (result->truncated)
        AppendXmlElement(&body, "NextContinuationToken", Base64Encode(result->next_after));
      if (start_after) AppendXmlElement(&body, "StartAfter", enc(*start_after));
    } else if (result->truncated && !request.delimiter.empty()) {
      AppendXmlElement(&body, "NextMarker", enc(result->next_after));
    }
    for (const ObjectInfo& object : result->objects) {
      body += "<Contents>";
      AppendXmlElement(&body, "Key", enc(object.key));
      AppendXmlElement(&body, "LastModified", Iso(object.last_modified_millis));
      AppendXmlElement(&body, "ETag", object.etag);
      AppendXmlElement(&body, "Size", std::to_string(object.size));
      if (fetch_owner) AppendOwner(&body);
      AppendXmlElement(&body, "StorageClass", "STANDARD");
      body += "</Contents>";
    }
    for (const std::string& prefix : result->common_prefixes) {
      body += "<CommonPrefixes>";
      AppendXmlElement(&body, "Prefix", enc(prefix));
      body += "</CommonPrefixes>";
    }
    body += "</ListBucketResult>";
    return Xml(200, body);
  }

  http::HttpResponse DeleteObjects() {
    auto objects = XmlElements(req_.body, "Object");
    if (!objects || objects->empty() || objects->size() > kMaxDeleteObjects)
      return Error(MalformedXml());
    auto quiet = XmlElements(req_.body, "Quiet");
    bool is_quiet = quiet && !quiet->empty() && XmlText(quiet->front()) == "true";
    std::vector<std::string> keys;
    for (std::string_view object : *objects) {
      auto key = XmlElements(object, "Key");
      if (!key || key->empty()) return Error(MalformedXml());
      auto text = XmlText(key->front());
      if (!text) return Error(MalformedXml());
      keys.push_back(std::move(*text));
    }
    auto bucket = store_->GetBucket(bucket_);
    if (!bucket.ok()) return StoreFailure(bucket.status());
    std::string body = std::string("<DeleteResult xmlns=\"") + kS3Xmlns + "\">";
    for (const std::string& key : keys) {
      if (caller_) {
        if (auto denial = caller_->Denied("s3:DeleteObject", "arn:aws:s3:::" + bucket_ + "/" + key)) {
          body += "<Error>";
          AppendXmlElement(&body, "Key", key);
          AppendXmlElement(&body, "Code", "AccessDenied");
          AppendXmlElement(&body, "Message", *denial);
          body += "</Error>";
          continue;
        }
      }
      Status s = store_->DeleteObject(bucket_, key);
      if (s.ok()) {
        if (is_quiet) continue;
        body += "<Deleted>";
        AppendXmlElement(&body, "Key", key);
        body += "</Deleted>";
        continue;
      }
      std::optional<store::StoreError> error = store::ErrorOf(s);
      if (!error) spdlog::error("S3 DeleteObjects {}/{}: {}", bucket_, key, s.ToString());
      body += "<Error>";
      AppendXmlElement(&body, "Key", key);
      AppendXmlElement(&body, "Code", error ? store::ErrorName(*error) : "InternalError");
      AppendXmlElement(&body, "Message",
                       error ? store::ErrorMessage(s) : "We encountered an internal error.");
      body += "</Error>";
    }
    body += "</DeleteResult>";
    return Xml(200, body);
  }

  // ---- Objects -----------------------------------------------------------------------------

  // Content headers of a stored object, with response-* query overrides applied.
  void AddObjectHeaders(const ObjectInfo& info, http::HttpResponse* response) {
    std::map<std::string, std::string> headers(info.headers.begin(), info.headers.end());
    headers["Content-Type"] = info.content_type;
    for (const auto& [param, header] : {std::pair{"response-content-type", "Content-Type"},
                                        {"response-content-language", "Content-Language"},
                                        {"response-expires", "Expires"},
                                        {"response-cache-control", "Cache-Control"},
                                        {"response-content-disposition", "Content-Disposition"},
                                        {"response-content-encoding", "Content-Encoding"}}) {
      if (std::optional<std::string> value = Param(param)) headers[header] = *value;
    }
    for (auto& [name, value] : headers) response->SetHeader(name, value);
    response->SetHeader("ETag", info.etag);
    response->SetHeader("Last-Modified", FormatHttpDate(info.last_modified_millis));
    response->SetHeader("Accept-Ranges", "bytes");
    for (const auto& [name, value] : info.user_metadata)
      response->SetHeader("x-amz-meta-" + name, value);
    SetSseHeaders(info, response);
  }

  // RFC 7232 preconditions in their order; an answer if one decides the request.
  std::optional<http::HttpResponse> CheckPreconditions(const ObjectInfo& info,
                                                 std::string_view prefix = "") {
    auto header = [&](const char* name) { return req_.Header(std::string(prefix) + name); };
    int64_t modified = info.last_modified_millis / 1000;
    auto failed = [&](const char* condition) {
      return Error(Fail("PreconditionFailed", 412,
                        "At least one of the pre-conditions you specified did not hold",
                        {{"Condition", std::string(prefix) + condition}}));
    };
    std::string_view if_match = header("If-Match");
    if (!if_match.empty()) {
      if (!EtagListMatches(if_match, info.etag)) return failed("If-Match");
    } else if (auto since = ParseHttpDateSeconds(header("If-Unmodified-Since"));
               since && modified > *since) {
      return failed("If-Unmodified-Since");
    }
    bool not_modified = false;
    std::string_view if_none_match = header("If-None-Match");
    if (!if_none_match.empty()) {
      not_modified = EtagListMatches(if_none_match, info.etag);
    } else if (auto since = ParseHttpDateSeconds(header("If-Modified-Since")); since) {
      not_modified = modified <= *since;
    }
    if (!not_modified) return std::nullopt;
    if (!prefix.empty()) return failed("If-None-Match");  // copy sources fail instead of 304
    http::HttpResponse response = Empty(304);
    response.SetHeader("ETag", info.etag);
    response.SetHeader("Last-Modified", FormatHttpDate(info.last_modified_millis));
    return response;
  }

  http::HttpResponse GetObject(bool head) {
    std::optional<store::ByteRange> range = ParseRange(req_.Header("Range"));
    if (head && !range) {
      auto info = store_->HeadObject(bucket_, key_);
      if (!info.ok()) return StoreFailure(info.status());
      if (auto decided = CheckPreconditions(*info)) return std::move(*decided);
      http::HttpResponse response = Empty(200);
      AddObjectHeaders(*info, &response);
      response.head_only = true;
      response.head_content_length = info->size;
      return response;
    }
    auto result = store_->GetObject(bucket_, key_, range);
    if (!result.ok()) {
      if (store::ErrorOf(result.status()) == StoreError::kInvalidRange) {
        auto info = store_->HeadObject(bucket_, key_);  // preconditions come before the range
        if (info.ok()) {
          if (auto decided = CheckPreconditions(*info)) return std::move(*decided);
          http::HttpResponse response =
              Error(Fail("InvalidRange", 416, "The requested range is not satisfiable",
                         {{"RangeRequested", std::string(Trim(req_.Header("Range")))},
                          {"ActualObjectSize", std::to_string(info->size)}}));
          response.SetHeader("Content-Range", "bytes */" + std::to_string(info->size));
          return response;
        }
      }
      return StoreFailure(result.status());
    }
    if (auto decided = CheckPreconditions(result->info)) return std::move(*decided);
    http::HttpResponse response = Empty(result->partial ? 206 : 200);
    AddObjectHeaders(result->info, &response);
    if (result->partial) {
      response.SetHeader("Content-Range", "bytes " + std::to_string(result->first) + "-" +
                                              std::to_string(result->last) + "/" +
                                              std::to_string(result->info.size));
    }
    if (head) {
      response.head_only = true;
      response.head_content_length = result->data.size();
    } else {
      response.body = std::move(result->data);
    }
    return response;
  }

  http::HttpResponse PutObject() {
    Payload payload;
    std::vector<std::pair<std::string, std::string>> echo;
    if (auto f = ReadPayload(&payload)) return Error(*f);
    if (auto f = VerifyPayload(payload, &echo)) return Error(*f);
    auto info = store_->PutObject(bucket_, key_, payload.data, OptionsFromHeaders());
    if (!info.ok()) return StoreFailure(info.status());
    http::HttpResponse response = Empty(200);
    response.SetHeader("ETag", info->etag);
    SetSseHeaders(*info, &response);
    for (auto& [name, value] : echo) response.SetHeader(name, value);
    return response;
  }

  http::HttpResponse DeleteObject() {
    Status s = store_->DeleteObject(bucket_, key_);
    return s.ok() ? Empty(204) : StoreFailure(s);
  }

  // x-amz-copy-source: "[/]bucket/key[?versionId=..]", percent-encoded.
  std::optional<S3Failure> ParseCopySource(std::string* bucket, std::string* key) {
    std::string_view raw = Trim(req_.Header("x-amz-copy-source"));
    raw = raw.substr(0, raw.find('?'));
    std::string source;
    if (!http::PercentDecode(raw, &source))
      return Fail("InvalidArgument", 400, "Invalid copy source encoding");
    if (!source.empty() && source[0] == '/') source.erase(0, 1);
    size_t slash = source.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == source.size()) {
      return Fail("InvalidArgument", 400,
                  "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                  {{"ArgumentName", "x-amz-copy-source"}});
    }
    *bucket = source.substr(0, slash);
    *key = source.substr(slash + 1);
    return std::nullopt;
  }

  http::HttpResponse CopyObject() {
    std::string source_bucket, source_key;
    if (auto f = ParseCopySource(&source_bucket, &source_key)) return Error(*f);
    auto source = store_->GetObject(source_bucket, source_key);
    if (!source.ok()) return StoreFailure(source.status());
    if (auto decided = CheckPreconditions(source->info, "x-amz-copy-source-"))
      return std::move(*decided);
    std::string directive(Trim(req_.Header("x-amz-metadata-directive")));
    if (!directive.empty() && directive != "COPY" && directive != "REPLACE") {
      return Error(
          Fail("InvalidArgument", 400, "Unknown metadata directive.",
               {{"ArgumentName", "x-amz-metadata-directive"}, {"ArgumentValue", directive}}));
    }
    store::PutOptions options;
    if (directive == "REPLACE") {
      options = OptionsFromHeaders();
    } else {
      if (source_bucket == bucket_ && source_key == key_) {
        return Error(
            Fail("InvalidRequest", 400,
                 "This copy request is illegal because it is trying to copy an object to itself "
                 "without changing the object's metadata, storage class, website redirect location "
                 "or encryption attributes."));
      }
      options.content_type = source->info.content_type;
      options.user_metadata = source->info.user_metadata;
      options.headers = source->info.headers;
      // The copy's encryption is the request's, as on S3 (not the source's).
      const store::PutOptions requested = OptionsFromHeaders();
      options.sse = requested.sse;
      options.sse_kms_key_id = requested.sse_kms_key_id;
    }
    auto info = store_->PutObject(bucket_, key_, source->data, options);
    if (!info.ok()) return StoreFailure(info.status());
    std::string body = std::string("<CopyObjectResult xmlns=\"") + kS3Xmlns + "\">";
    AppendXmlElement(&body, "LastModified", Iso(info->last_modified_millis));
    AppendXmlElement(&body, "ETag", info->etag);
    body += "</CopyObjectResult>";
    http::HttpResponse response = Xml(200, body);
    SetSseHeaders(*info, &response);
    return response;
  }

  // ---- Multipart uploads -------------------------------------------------------------------

  http::HttpResponse CreateUpload() {
    auto upload_id = store_->CreateMultipartUpload(bucket_, key_, OptionsFromHeaders());
    if (!upload_id.ok()) return StoreFailure(upload_id.status());
    std::string body = std::string("<InitiateMultipartUploadResult xmlns=\"") + kS3Xmlns + "\">";
    AppendXmlElement(&body, "Bucket", bucket_);
    AppendXmlElement(&body, "Key", key_);
    AppendXmlElement(&body, "UploadId", *upload_id);
    body += "</InitiateMultipartUploadResult>";
    http::HttpResponse response = Xml(200, body);
    std::string algorithm(Trim(req_.Header("x-amz-checksum-algorithm")));
    if (!algorithm.empty()) response.SetHeader("x-amz-checksum-algorithm", algorithm);
    return response;
  }

  http::HttpResponse UploadPart() {
    std::string upload_id = Param("uploadId").value_or("");
    std::string number_text = Param("partNumber").value_or("");
    auto number = ParseInt<int>(number_text);
    if (!number || *number < 1 || *number > store::kMaxPartNumber) {
      return Error(Fail("InvalidArgument", 400,
                        "Part number must be an integer between 1 and 10000, inclusive",
                        {{"ArgumentName", "partNumber"}, {"ArgumentValue", number_text}}));
    }
    if (req_.headers.count("x-amz-copy-source")) return UploadPartCopy(upload_id, *number);
    Payload payload;
    std::vector<std::pair<std::string, std::string>> echo;
    if (auto f = ReadPayload(&payload)) return Error(*f);
    if (auto f = VerifyPayload(payload, &echo)) return Error(*f);
    auto etag = store_->UploadPart(bucket_, key_, upload_id, *number, payload.data);
    if (!etag.ok()) return StoreFailure(etag.status(), upload_id);
    http::HttpResponse response = Empty(200);
    response.SetHeader("ETag", *etag);
    for (auto& [name, value] : echo) response.SetHeader(name, value);
    return response;
  }

  http::HttpResponse UploadPartCopy(const std::string& upload_id, int number) {
    std::string source_bucket, source_key;
    if (auto f = ParseCopySource(&source_bucket, &source_key)) return Error(*f);
    std::optional<store::ByteRange> range;
    std::string_view range_header = req_.Header("x-amz-copy-source-range");
    if (!range_header.empty()) {
      range = ParseRange(range_header);
      if (!range || range->suffix || !range->last) {
        return Error(Fail("InvalidArgument", 400,
                          "The x-amz-copy-source-range value must be of the form bytes=first-last",
                          {{"ArgumentName", "x-amz-copy-source-range"}}));
      }
    }
    auto source = store_->GetObject(source_bucket, source_key, range);
    if (!source.ok()) return StoreFailure(source.status());
    if (auto decided = CheckPreconditions(source->info, "x-amz-copy-source-"))
      return std::move(*decided);
    auto etag = store_->UploadPart(bucket_, key_, upload_id, number, source->data);
    if (!etag.ok()) return StoreFailure(etag.status(), upload_id);
    std::string body = std::string("<CopyPartResult xmlns=\"") + kS3Xmlns + "\">";
    AppendXmlElement(&body, "LastModified", Iso(source->info.last_modified_millis));
    AppendXmlElement(&body, "ETag", *etag);
    body += "</CopyPartResult>";
    return Xml(200, body);
  }

  http::HttpResponse CompleteUpload() {
    std::string upload_id = Param("uploadId").value_or("");
    auto parts = XmlElements(req_.body, "Part");
    if (!parts || parts->empty()) return Error(MalformedXml());
    std::vector<store::CompletedPart> completed;
    for (std::string_view part : *parts) {
      auto number = XmlElements(part, "PartNumber");
      auto etag = XmlElements(part, "ETag");
      if (!number || number->empty() || !etag || etag->empty()) return Error(MalformedXml());
      std::optional<std::string> number_text = XmlText(number->front());
      std::optional<std::string> etag_text = XmlText(etag->front());
      std::optional<int> value = number_text ? ParseInt<int>(Trim(*number_text)) : std::nullopt;
      if (!value || !etag_text) return Error(MalformedXml());
      completed.push_back({*value, std::string(Trim(*etag_text))});
    }
    auto info = store_->CompleteMultipartUpload(bucket_, key_, upload_id, completed);
    if (!info.ok()) return StoreFailure(info.status(), upload_id);
    std::string body = std::string("<CompleteMultipartUploadResult xmlns=\"") + kS3Xmlns + "\">";
    std::string host(req_.Header("Host"));
    AppendXmlElement(&body, "Location",
                     "http://" + (host.empty() ? "localhost" : host) + "/" + bucket_ + "/" +
                         http::PercentEncode(key_, false));
    AppendXmlElement(&body, "Bucket", bucket_);
    AppendXmlElement(&body, "Key", key_);
    AppendXmlElement(&body, "ETag", info->etag);
    body += "</CompleteMultipartUploadResult>";
    http::HttpResponse response = Xml(200, body);
    SetSseHeaders(*info, &response);
    return response;
  }

  http::HttpResponse AbortUpload() {
    std::string upload_id = Param("uploadId").value_or("");
    Status s = store_->AbortMultipartUpload(bucket_, key_, upload_id);
    return s.ok() ? Empty(204) : StoreFailure(s, upload_id);
  }

  store::ObjectStore* store_;
  const http::HttpRequest& req_;
  const auth::Caller* caller_;
  const S3Handler::ReadThrough* read_through_;
  std::string request_id_;
  std::string bucket_, key_, resource_;
  std::vector<std::pair<std::string, std::string>> query_;
};

}  // namespace

http::HttpResponse S3Handler::Handle(const http::HttpRequest& request, const auth::Caller* caller) {
  return S3Call(store_, request, caller, &read_through_).Run();
}

http::HttpResponse S3Handler::SlowDown(const http::HttpRequest& request) { return S3Call(store_, request).SlowDown(); }

http::HttpResponse S3Handler::Refuse(const http::HttpRequest& request, std::string code, int status,
                                     std::string message, std::vector<std::pair<std::string, std::string>> details) {
  return S3Call(store_, request).Refuse(std::move(code), status, std::move(message), std::move(details));
}

}  // namespace hydrant::api
