// S3Handler: the path-style S3 REST API (what aws s3 / s3api, boto3 and the JS SDK v3 with
// forcePathStyle send) served from the embedded ObjectStore.
//
// Supported: ListBuckets; CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// GetBucketVersioning (never enabled); ListObjects (v1) and ListObjectsV2 (prefix, delimiter,
// max-keys <= 1000, marker / start-after / continuation-token, encoding-type=url,
// fetch-owner); PutObject, GetObject (Range, If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since, response-* overrides), HeadObject, DeleteObject, DeleteObjects,
// CopyObject; CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
// AbortMultipartUpload. Request bodies sent with Content-Encoding: aws-chunked (signed or
// unsigned streaming, with or without trailers) are decoded. Content-MD5, a hex
// x-amz-content-sha256 and x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256} (header or
// trailer) are verified; verified checksums are echoed on the response. Server-side encryption
// (x-amz-server-side-encryption AES256 / aws:kms with a configured key) stores objects
// encrypted and answers with the encryption headers. Signatures are checked
// before a request gets here (Router, auth/).
// Every other S3 operation answers 501 NotImplemented. Errors are S3 XML
// (<Error><Code/><Message/><Resource/><RequestId/></Error>) with S3's HTTP status; HEAD
// errors carry no body. Every response has x-amz-request-id. Content-Length is left to the
// HTTP server (body size, or head_content_length for HEAD).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/authenticator.h"
#include "http/http_types.h"
#include "store/object_store.h"

namespace hydrant::api {

class S3Handler {
 public:
  // store is not owned and must outlive the handler.
  explicit S3Handler(store::ObjectStore* store) : store_(store) {}

  // Reads (ListObjects, GetObject, HeadObject) of a bucket the embedded store does not hold go
  // here: the config file's remote buckets, so that `aws s3 ls` against any node, of a cluster
  // too, shows what was delivered there. nullopt: not such a bucket. `query` is decoded.
  using ReadThrough = std::function<std::optional<http::HttpResponse>(
      const std::string& method, const std::string& bucket, const std::string& key,
      const std::vector<std::pair<std::string, std::string>>& query, std::string_view range)>;
  void SetReadThrough(ReadThrough read_through) { read_through_ = std::move(read_through); }

  // Thread-safe; never fails (failures are S3 error responses). request.target is the raw
  // request target ("/bucket/key?query"); the Host header is only used in Location values.
  // `caller`: the verified sender, whose policy must allow the s3:<action> on the bucket or
  // object (AccessDenied otherwise); null when requests are not authenticated.
  http::HttpResponse Handle(const http::HttpRequest& request, const auth::Caller* caller = nullptr);
  // 503 SlowDown, for a request refused before its body was read (server busy).
  http::HttpResponse SlowDown(const http::HttpRequest& request);
  // An S3 error answered instead of the request (authentication): <Code>, <Message>, then
  // `details` as elements, <Resource> and <RequestId>.
  http::HttpResponse Refuse(const http::HttpRequest& request, std::string code, int status, std::string message,
                            std::vector<std::pair<std::string, std::string>> details = {});

 private:
  store::ObjectStore* store_;
  ReadThrough read_through_;
};

}  // namespace hydrant::api
