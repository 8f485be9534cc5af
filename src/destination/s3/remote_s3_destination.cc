// RemoteS3Destination: PutObject / multipart upload through the outbound HTTP client, and the
// mapping of S3 errors onto delivery outcomes.
#include "destination/s3/remote_s3_destination.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <cctype>
#include <ctime>
#include <map>
#include <sstream>
#include <unistd.h>

#include "common/sha256.h"
#include "http/http_types.h"

namespace hydrant::destination::s3 {
namespace {

namespace json = boost::json;

constexpr uint64_t kMinPartBytes = 5ull << 20;  // S3's minimum part size (all but the last)
constexpr uint64_t kMaxParts = 10'000;          // S3's maximum part count

// libcurl 7.88 sorts the headers it signs as "name:value" lines, so a name that is a prefix of
// another (x-amz-server-side-encryption / x-amz-server-side-encryption-aws-kms-key-id) lands in
// the wrong order and S3 answers SignatureDoesNotMatch. Requests carrying such headers are signed
// here instead: the SigV4 algorithm with canonical headers sorted by name. `url_path_and_query`
// is already canonical (encoded path, sorted encoded query). Returns the headers to add
// (Authorization and X-Amz-Date).
std::vector<std::string> SignV4(const std::string& method, const std::string& host,
                                const std::string& path, const std::string& query,
                                std::vector<std::pair<std::string, std::string>> headers,
                                const std::string& payload_hash, const RemoteS3Config& config) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm utc;
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const std::string amz_date = stamp, date = amz_date.substr(0, 8);
  headers.emplace_back("host", host);
  headers.emplace_back("x-amz-date", amz_date);
  for (auto& [name, value] : headers) {
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::sort(headers.begin(), headers.end());
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  }
  const std::string canonical = method + "\n" + path + "\n" + query + "\n" + canonical_headers + "\n" +
                                signed_headers + "\n" + payload_hash;
  const std::string scope = date + "/" + config.region + "/s3/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + HexSha256(canonical);
  std::string key = HmacSha256("AWS4" + config.secret_access_key, date);
  key = HmacSha256(key, config.region);
  key = HmacSha256(key, "s3");
  key = HmacSha256(key, "aws4_request");
  const std::string signature = HmacSha256(key, to_sign);
  return {"X-Amz-Date: " + amz_date,
          "Authorization: AWS4-HMAC-SHA256 Credential=" + config.access_key_id + "/" + scope +
              ", SignedHeaders=" + signed_headers + ", Signature=" +
              Hex(signature)};
}

// The document's root element and its tree; nullopt when the body is not XML.
std::optional<boost::property_tree::ptree> ParseXml(const std::string& body) {
  if (body.empty()) return std::nullopt;
  boost::property_tree::ptree tree;
  std::istringstream in(body);
  try {
    boost::property_tree::read_xml(in, tree);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return tree;
}

// A scalar config value as text: YAML turns unquoted digits into numbers, which are still valid
// names and keys.
Status GetText(const json::object& entry, std::string_view key, const std::string& where,
               std::string* out) {
  const json::value* v = entry.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (v->is_string()) {
    *out = std::string(v->get_string());
  } else if (v->is_int64()) {
    *out = std::to_string(v->get_int64());
  } else {
    return Status::InvalidArgument(fmt::format("{}: {} must be a string", where, key));
  }
  return Status::Ok();
}

Status GetPositive(const json::object& entry, std::string_view key, const std::string& where,
                   int64_t min, int64_t max, int64_t* out) {
  const json::value* v = entry.if_contains(key);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_int64() || v->get_int64() < min || v->get_int64() > max) {
    return Status::InvalidArgument(
        fmt::format("{}: {} must be a whole number from {} to {}", where, key, min, max));
  }
  *out = v->get_int64();
  return Status::Ok();
}

}  // namespace

Result<RemoteS3Config> ParseRemoteS3Config(const json::value& value,
                                           const std::function<const char*(const char*)>& getenv) {
  if (!value.is_object()) return Status::InvalidArgument("remote_buckets: each entry must be a mapping");
  const json::object& entry = value.get_object();
  RemoteS3Config c;
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "name", "remote_buckets entry", &c.name));
  if (c.name.empty()) return Status::InvalidArgument("remote_buckets: an entry has no name");
  const std::string where = "remote bucket " + c.name;
  static const char* kKnown[] = {"name", "endpoint", "region", "bucket", "path_style",
                                 "access_key_id", "secret_access_key", "session_token",
                                 "multipart_threshold_mb", "connect_timeout_seconds",
                                 "stall_timeout_seconds", "ca_bundle", "insecure_skip_verify"};
  for (const auto& kv : entry) {
    if (std::find(std::begin(kKnown), std::end(kKnown), kv.key()) == std::end(kKnown)) {
      return Status::InvalidArgument(fmt::format("{}: unknown setting '{}'", where, std::string_view(kv.key())));
    }
  }
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "region", where, &c.region));
  if (c.region.empty()) return Status::InvalidArgument(where + ": region is required (the region requests are signed for)");
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "endpoint", where, &c.endpoint));
  const bool explicit_endpoint = !c.endpoint.empty();
  if (!explicit_endpoint) c.endpoint = "https://s3." + c.region + ".amazonaws.com";
  while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
  if (c.endpoint.rfind("http://", 0) != 0 && c.endpoint.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(fmt::format("{}: endpoint {} must start with http:// or https://", where, c.endpoint));
  }
  if (c.endpoint.find('/', c.endpoint.find("://") + 3) != std::string::npos) {
    return Status::InvalidArgument(fmt::format("{}: endpoint {} must not have a path", where, c.endpoint));
  }
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "bucket", where, &c.bucket));
  if (c.bucket.empty()) c.bucket = c.name;
  // Explicit endpoints are mostly self-hosted servers addressed by IP or a single host name,
  // where bucket.host does not resolve.
  c.path_style = explicit_endpoint;
  if (const json::value* v = entry.if_contains("path_style"); v && !v->is_null()) {
    if (!v->is_bool()) return Status::InvalidArgument(where + ": path_style must be true or false");
    c.path_style = v->get_bool();
  }
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "access_key_id", where, &c.access_key_id));
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "secret_access_key", where, &c.secret_access_key));
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "session_token", where, &c.session_token));
  if (c.access_key_id.empty() != c.secret_access_key.empty()) {
    return Status::InvalidArgument(where + ": access_key_id and secret_access_key go together");
  }
  if (c.access_key_id.empty()) {
    const char* key = getenv("AWS_ACCESS_KEY_ID");
    const char* secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char* token = getenv("AWS_SESSION_TOKEN");
    if (!key || !*key || !secret || !*secret) {
      return Status::InvalidArgument(
          where + ": no credentials: set access_key_id and secret_access_key, or the "
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables");
    }
    c.access_key_id = key;
    c.secret_access_key = secret;
    if (c.session_token.empty() && token) c.session_token = token;
  }
  HYDRANT_RETURN_IF_ERROR(GetText(entry, "ca_bundle", where, &c.ca_bundle));
  if (!c.ca_bundle.empty() && ::access(c.ca_bundle.c_str(), R_OK) != 0) {
    return Status::InvalidArgument(fmt::format("{}: ca_bundle {} cannot be read", where, c.ca_bundle));
  }
  if (const json::value* v = entry.if_contains("insecure_skip_verify"); v && !v->is_null()) {
    if (!v->is_bool()) return Status::InvalidArgument(where + ": insecure_skip_verify must be true or false");
    c.insecure_skip_verify = v->get_bool();
  }
  int64_t threshold_mb = static_cast<int64_t>(c.multipart_threshold_bytes >> 20);
  HYDRANT_RETURN_IF_ERROR(GetPositive(entry, "multipart_threshold_mb", where, 5, 5120, &threshold_mb));
  c.multipart_threshold_bytes = static_cast<uint64_t>(threshold_mb) << 20;
  int64_t connect_s = c.connect_timeout_ms / 1000, stall_s = c.stall_timeout_ms / 1000;
  HYDRANT_RETURN_IF_ERROR(GetPositive(entry, "connect_timeout_seconds", where, 1, 600, &connect_s));
  HYDRANT_RETURN_IF_ERROR(GetPositive(entry, "stall_timeout_seconds", where, 1, 3600, &stall_s));
  c.connect_timeout_ms = connect_s * 1000;
  c.stall_timeout_ms = stall_s * 1000;
  return c;
}

DeliveryResult MapS3Error(long http_status, std::string_view code, std::string_view message,
                          const RemoteS3Config& config) {
  const std::string where = fmt::format("bucket {} at {}", config.bucket, config.endpoint);
  std::string detail = code.empty() ? fmt::format("HTTP {}", http_status)
                                    : fmt::format("{} ({})", message.empty() ? code : message, code);
  std::string error_code = code.empty() ? (http_status >= 500 ? "S3.InternalError"
                                                              : fmt::format("S3.HTTP{}", http_status))
                                        : fmt::format("S3.{}", code);
  if (http_status == 403 || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
      code == "ExpiredToken" || code == "InvalidToken") {
    if (code.empty()) error_code = "S3.AccessDenied";
    return {Outcome::kRetryable, error_code,
            fmt::format("access to {} was denied: {}; check the credentials (access_key_id / "
                        "secret_access_key / session_token, or AWS_ACCESS_KEY_ID / "
                        "AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN) and permissions of remote "
                        "bucket {}",
                        where, detail, config.name)};
  }
  if (code == "NoSuchBucket" || (http_status == 404 && code.empty())) {
    return {Outcome::kRetryable, "S3.NoSuchBucket", fmt::format("{} does not exist", where)};
  }
  // Nothing a retry, a fixed config or a restored server could change.
  static constexpr std::string_view kNeverSucceeds[] = {"EntityTooLarge", "KeyTooLongError",
                                                        "MetadataTooLarge", "InvalidBucketName"};
  if (std::find(std::begin(kNeverSucceeds), std::end(kNeverSucceeds), code) != std::end(kNeverSucceeds)) {
    return {Outcome::kFailed, error_code, fmt::format("{} refused the object: {}", where, detail)};
  }
  if (http_status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed") {
    return {Outcome::kRetryable, error_code,
            fmt::format("{}: {}; check the region and endpoint of remote bucket {}", where, detail,
                        config.name)};
  }
  // 5xx, throttling (SlowDown, 429), RequestTimeout, KMS errors, conflicts: retry.
  return {Outcome::kRetryable, error_code, fmt::format("{}: {}", where, detail)};
}

DeliveryResult MapTransportError(std::string_view curl_error, const RemoteS3Config& config) {
  return {Outcome::kRetryable, "S3.ConnectionError",
          fmt::format("cannot reach {} for bucket {}: {}", config.endpoint, config.bucket, curl_error)};
}

RemoteS3Destination::RemoteS3Destination(RemoteS3Config config)
    : config_(std::move(config)),
      sigv4_("aws:amz:" + config_.region + ":s3"),
      client_(http::OutboundClientOptions{.ca_bundle = config_.ca_bundle, .skip_verify = config_.insecure_skip_verify}) {
  if (config_.insecure_skip_verify) {
    spdlog::warn("remote bucket {}: insecure_skip_verify is set: the certificate of {} is not verified", config_.name,
                 config_.endpoint);
  }
}

std::string RemoteS3Destination::ObjectUrl(const std::string& key, const std::string& query) const {
  // RFC 3986 encoding of each '/'-separated segment: the form S3's SigV4 canonical URI expects
  // (S3 does not encode the path a second time).
  const std::string path = http::PercentEncode(key, /*encode_slash=*/false);
  std::string url;
  if (config_.path_style) {
    url = config_.endpoint + "/" + config_.bucket + "/" + path;
  } else {
    size_t host = config_.endpoint.find("://") + 3;
    url = config_.endpoint.substr(0, host) + config_.bucket + "." + config_.endpoint.substr(host) + "/" + path;
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

std::vector<std::string> RemoteS3Destination::EncryptionHeaders(const format::Object& object) const {
  if (object.kms_key_arn.empty()) return {};
  return {"x-amz-server-side-encryption: aws:kms",
          "x-amz-server-side-encryption-aws-kms-key-id: " + object.kms_key_arn};
}

http::OutboundResponse RemoteS3Destination::Fetch(const std::string& method, const std::string& key,
                                                  std::vector<std::pair<std::string, std::string>> query,
                                                  std::string_view range) {
  // The canonical form SigV4 signs: sorted by name, each part RFC 3986 encoded.
  std::sort(query.begin(), query.end());
  std::string canonical;
  for (const auto& [name, value] : query) {
    if (!canonical.empty()) canonical += '&';
    canonical += http::PercentEncode(name) + "=" + http::PercentEncode(value);
  }
  std::vector<std::string> headers;
  if (!range.empty()) headers.push_back("Range: " + std::string(range));
  return Send(method, key, canonical, "", headers);
}

http::OutboundResponse RemoteS3Destination::Send(const std::string& method, const std::string& key,
                                                 const std::string& query, std::string_view body,
                                                 const std::vector<std::string>& extra) {
  http::OutboundRequest request;
  request.method = method;
  request.url = ObjectUrl(key, query);
  request.body = body;
  // libcurl signs x-amz-content-sha256 only when the header is present, and S3 requires it.
  request.headers = {"x-amz-content-sha256: " + HexSha256(body)};
  if (!config_.session_token.empty()) request.headers.push_back("x-amz-security-token: " + config_.session_token);
  request.headers.insert(request.headers.end(), extra.begin(), extra.end());
  const bool sign_here = std::any_of(extra.begin(), extra.end(), [](const std::string& h) {
    return h.rfind("x-amz-server-side-encryption-aws-kms-key-id:", 0) == 0;
  });
  if (sign_here) {
    std::vector<std::pair<std::string, std::string>> signed_headers;
    for (const std::string& line : request.headers) {
      size_t colon = line.find(':');
      signed_headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
    const std::string& url = request.url;
    const size_t host_begin = url.find("://") + 3, path_begin = url.find('/', host_begin);
    std::string host = url.substr(host_begin, path_begin - host_begin);
    const size_t query_begin = url.find('?');
    std::string path = url.substr(path_begin, query_begin == std::string::npos ? std::string::npos : query_begin - path_begin);
    auto added = SignV4(method, host, path, query, std::move(signed_headers), HexSha256(body), config_);
    request.headers.insert(request.headers.end(), added.begin(), added.end());
  } else {
    request.sigv4 = sigv4_;
    request.access_key_id = config_.access_key_id;
    request.secret_access_key = config_.secret_access_key;
  }
  request.path_as_is = true;  // keys may hold "." or ".." segments
  request.connect_timeout_ms = config_.connect_timeout_ms;
  request.stall_timeout_ms = config_.stall_timeout_ms;
  return client_.Send(request);
}

namespace {

// The outcome of a failed response (or a 200 whose body is an <Error>, as
// CompleteMultipartUpload may answer).
DeliveryResult FailureOf(long status, const std::string& body, const std::string& transport_error,
                         const RemoteS3Config& config) {
  if (!transport_error.empty()) return MapTransportError(transport_error, config);
  std::string code, message;
  if (auto tree = ParseXml(body)) {
    code = tree->get("Error.Code", "");
    message = tree->get("Error.Message", "");
  }
  return MapS3Error(status, code, message, config);
}

}  // namespace

Result<std::string> RemoteS3Destination::Read(const std::string& bucket, const std::string& key) {
  http::OutboundResponse r = Send("GET", key, "", "", {});
  if (r.ok()) return std::move(r.body);
  const DeliveryResult failure = FailureOf(r.status, r.body, r.transport_error, config_);
  const std::string message = "s3://" + bucket + "/" + key + ": " + failure.error_code + ": " + failure.error_message;
  if (r.status == 404) return Status::NotFound(message);
  return Status::Unavailable(message);
}

DeliveryResult RemoteS3Destination::PutObject(const format::Object& object) {
  std::vector<std::string> headers = EncryptionHeaders(object);
  headers.push_back("Content-Type: " + object.content_type);
  http::OutboundResponse r = Send("PUT", object.key, "", object.body, headers);
  if (r.ok()) return {Outcome::kDelivered, "", ""};
  return FailureOf(r.status, r.body, r.transport_error, config_);
}

DeliveryResult RemoteS3Destination::MultipartUpload(const format::Object& object) {
  std::vector<std::string> create_headers = EncryptionHeaders(object);
  create_headers.push_back("Content-Type: " + object.content_type);
  // Query strings are written in SigV4's canonical form (sorted, encoded, "k=" for bare names),
  // so the signature holds whether or not libcurl canonicalises them itself.
  http::OutboundResponse created = Send("POST", object.key, "uploads=", "", create_headers);
  std::string upload_id;
  if (created.ok()) {
    if (auto tree = ParseXml(created.body)) upload_id = tree->get("InitiateMultipartUploadResult.UploadId", "");
    if (upload_id.empty()) {
      return {Outcome::kRetryable, "S3.InternalError",
              fmt::format("bucket {} at {}: CreateMultipartUpload answered without an UploadId",
                          config_.bucket, config_.endpoint)};
    }
  } else {
    return FailureOf(created.status, created.body, created.transport_error, config_);
  }
  const std::string upload_query = "uploadId=" + http::PercentEncode(upload_id);

  const uint64_t size = object.body.size();
  const uint64_t part_bytes = std::max({config_.multipart_threshold_bytes, kMinPartBytes,
                                        (size + kMaxParts - 1) / kMaxParts});
  std::string complete = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  DeliveryResult failure;
  bool failed = false;
  uint64_t part = 1;
  for (uint64_t offset = 0; offset < size; offset += part_bytes, ++part) {
    std::string_view slice = std::string_view(object.body).substr(offset, part_bytes);
    http::OutboundResponse r = Send("PUT", object.key,
                      fmt::format("partNumber={}&{}", part, upload_query), slice,
                      {"Content-Type: application/octet-stream"});
    auto etag = r.headers.find("etag");
    if (!r.ok() || etag == r.headers.end()) {
      failure = r.ok() ? DeliveryResult{Outcome::kRetryable, "S3.InternalError",
                                        fmt::format("bucket {} at {}: UploadPart answered without an ETag",
                                                    config_.bucket, config_.endpoint)}
                       : FailureOf(r.status, r.body, r.transport_error, config_);
      failed = true;
      break;
    }
    // ETags are quoted hex; quotes need no escaping in element text.
    complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part, etag->second);
  }
  if (!failed) {
    complete += "</CompleteMultipartUpload>";
    http::OutboundResponse r = Send("POST", object.key, upload_query, complete, {"Content-Type: application/xml"});
    auto tree = r.ok() ? ParseXml(r.body) : std::nullopt;
    if (r.ok() && !(tree && tree->get_child_optional("Error"))) {
      spdlog::debug("s3://{}/{} delivered to {} as a multipart upload of {} parts", config_.bucket,
                    object.key, config_.endpoint, part - 1);
      return {Outcome::kDelivered, "", ""};
    }
    failure = FailureOf(r.ok() ? 500 : r.status, r.body, r.transport_error, config_);
  }
  // Frees the parts stored so far; the retry starts a new upload.
  http::OutboundResponse aborted = Send("DELETE", object.key, upload_query, "", {});
  if (!aborted.ok()) {
    spdlog::warn("could not abort multipart upload {} of s3://{}/{} at {} (it may linger until a "
                 "lifecycle rule removes it): {}",
                 upload_id, config_.bucket, object.key, config_.endpoint,
                 aborted.transport_error.empty() ? "HTTP " + std::to_string(aborted.status) : aborted.transport_error);
  }
  return failure;
}

DeliveryResult RemoteS3Destination::Write(const format::Object& object) {
  return object.body.size() > config_.multipart_threshold_bytes ? MultipartUpload(object) : PutObject(object);
}

}  // namespace hydrant::destination::s3
