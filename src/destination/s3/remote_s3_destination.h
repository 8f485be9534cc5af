// RemoteS3Destination: delivers objects to an external S3-compatible endpoint (AWS S3, MinIO,
// Ceph, ...) with SigV4 signing, through the shared outbound HTTP client.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "destination/object_writer.h"
#include "http/outbound_client.h"

namespace hydrant::destination::s3 {

// One entry of the config file's `remote_buckets:` list, validated.
struct RemoteS3Config {
  std::string name;      // the bucket name streams use (BucketARN arn:aws:s3:::<name>)
  std::string endpoint;  // scheme://host[:port], no trailing slash
  std::string region;
  std::string bucket;    // the bucket's name at the endpoint
  bool path_style = false;  // endpoint/bucket/key instead of bucket.host/key
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" = none
  // Objects larger than this go up as a multipart upload with parts of this size.
  uint64_t multipart_threshold_bytes = 16ull << 20;
  int64_t connect_timeout_ms = 10'000;
  // A transfer that moves under 1 KiB/s for this long is aborted (a fixed total timeout would
  // cut off large objects on slow links).
  int64_t stall_timeout_ms = 30'000;
  // PEM file of the CAs an https:// endpoint's certificate is verified against; "" = the
  // system's (self-hosted servers with a private CA).
  std::string ca_bundle;
  bool insecure_skip_verify = false;  // the endpoint's certificate is not verified (logged at start)
};

// Reads one `remote_buckets:` entry (already converted from YAML to JSON). Keys: name, region
// (required); endpoint (default https://s3.<region>.amazonaws.com), bucket (default name),
// path_style (default true for an explicit endpoint, false for AWS's), access_key_id,
// secret_access_key, session_token (default: the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN variables read through `getenv`), multipart_threshold_mb (5-5120, default 16),
// connect_timeout_seconds, stall_timeout_seconds, ca_bundle (a readable file). kInvalidArgument names the entry and the key.
Result<RemoteS3Config> ParseRemoteS3Config(
    const boost::json::value& entry,
    const std::function<const char*(const char*)>& getenv = [](const char* n) { return std::getenv(n); });

// What a failed S3 response means for delivery. `code`/`message` come from the S3 XML error body
// (empty if there was none). Credentials and missing buckets are retryable: the service keeps
// retrying for 24 hours and keeps the data, and a fixed config lets it through. Only errors that
// no retry can fix (the object is too large, the key too long) are kFailed.
DeliveryResult MapS3Error(long http_status, std::string_view code, std::string_view message,
                          const RemoteS3Config& config);
// A transport failure (connection refused, timeout, TLS): always retryable.
DeliveryResult MapTransportError(std::string_view curl_error, const RemoteS3Config& config);

// Thread-safe; connections to the endpoint are reused across objects and parts. Objects up to the multipart threshold go up
// with one PutObject; larger ones with CreateMultipartUpload, UploadPart for slices of the body
// (sent from the object's memory, not copied) and CompleteMultipartUpload, aborted on failure.
// Keys are the batch's deterministic key, so a re-delivery after a crash overwrites the same
// object. With object.kms_key_arn set, PutObject and CreateMultipartUpload ask for SSE-KMS with
// that key.
class RemoteS3Destination final : public ObjectWriter {
 public:
  explicit RemoteS3Destination(RemoteS3Config config);
  DeliveryResult Write(const format::Object& object) override;
  Result<std::string> Read(const std::string& bucket, const std::string& key) override;
  const RemoteS3Config& config() const { return config_; }
  // A GET or HEAD of `key` ("" = the bucket: a listing) with `query` (decoded pairs), signed,
  // for the embedded S3 API's read-through; `range` is the Range header ("" = none).
  http::OutboundResponse Fetch(const std::string& method, const std::string& key,
                               std::vector<std::pair<std::string, std::string>> query, std::string_view range);

 private:
  // One signed request. `body` is sent as is (may point into the object); `headers` are extra
  // request headers ("Name: value").
  http::OutboundResponse Send(const std::string& method, const std::string& key, const std::string& query,
                              std::string_view body, const std::vector<std::string>& headers);
  DeliveryResult PutObject(const format::Object& object);
  DeliveryResult MultipartUpload(const format::Object& object);
  std::string ObjectUrl(const std::string& key, const std::string& query) const;
  std::vector<std::string> EncryptionHeaders(const format::Object& object) const;

  const RemoteS3Config config_;
  const std::string sigv4_;  // "aws:amz:<region>:s3"
  http::OutboundClient client_;
};

}  // namespace hydrant::destination::s3
