// SigV4 Authorization header parsing.
#include "api/sigv4.h"

#include <vector>

namespace hydrant::api {
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

}  // namespace

std::optional<SigV4Credential> ParseSigV4Authorization(std::string_view header) {
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
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

}  // namespace hydrant::api
