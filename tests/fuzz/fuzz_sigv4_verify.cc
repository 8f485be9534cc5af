// Fuzzes SigV4 verification with whole requests: "<service>\n<method>\n<target>\n" then header
// lines "Name: value" up to an empty line, then the body. Nothing the fuzzer makes can carry a
// valid signature for the server's secret, so no input may be authenticated, and none may crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/sigv4.h"

namespace {

std::string_view NextLine(std::string_view* rest) {
  auto eol = rest->find('\n');
  std::string_view line = rest->substr(0, eol);
  rest->remove_prefix(eol == std::string_view::npos ? rest->size() : eol + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hydrant::auth;
  static const CredentialStore store({Credential{.access_key_id = "AKIDEXAMPLE",
                                                 .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                 .session_token = "", .user = "", .policy = nullptr}});
  static const SigV4Verifier verifier(&store);
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string service(NextLine(&rest));
  hydrant::http::HttpRequest request;
  request.method = std::string(NextLine(&rest));
  request.target = std::string(NextLine(&rest));
  while (!rest.empty()) {
    std::string_view line = NextLine(&rest);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    request.headers[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
  }
  request.body = std::string(rest);
  constexpr int64_t k20150830T123600Z = 1440938160000;
  Verdict verdict = verifier.Verify(request, service, k20150830T123600Z);
  if (verdict.ok()) {
    fprintf(stderr, "a request without a valid signature was authenticated\n");
    abort();
  }
  return 0;
}
