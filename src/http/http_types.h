// HttpRequest/HttpResponse: the plain request and response every handler sees. Only
// http_server.cc knows Beast; handlers stay cheap to compile and easy to test.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hydrant::http {

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

struct HttpRequest {
  std::string method;   // "GET", "PUT", ...
  std::string target;   // raw request target: path plus "?query", still percent-encoded
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  std::string remote;   // peer address, for logs
  bool secure = false;  // arrived over TLS

  // Header value or "" when absent.
  std::string_view Header(std::string_view name) const;
  // The target's path, percent-decoded ("/bucket/key").
  std::string Path() const;
  // The raw (still encoded) path part of the target.
  std::string_view RawPath() const;
  // Decoded query parameters in order; a key without '=' has an empty value.
  std::vector<std::pair<std::string, std::string>> Query() const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // HEAD responses carry Content-Length of the object but no body.
  bool head_only = false;
  uint64_t head_content_length = 0;

  void SetHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Decodes %XX escapes (and '+' as space only when plus_is_space). Returns false on a bad escape.
bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space = false);
// Encodes everything but unreserved characters (A-Z a-z 0-9 - _ . ~), and '/' unless encode_slash.
std::string PercentEncode(std::string_view in, bool encode_slash = true);

}  // namespace hydrant::http
