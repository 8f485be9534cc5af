// The operator commands: `hydrant lineage` and `hydrant replay`, clients of a running server's
// console endpoints (api/console_handler.h). With AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// set, requests are SigV4-signed for "firehose", as the server requires when it has credentials.
#pragma once

#include <string>

namespace hydrant {

struct LineageOptions {
  std::string endpoint = "http://127.0.0.1:4573";
  std::string stream;
  std::string record_id;
  bool json = false;
};
int RunLineage(const LineageOptions& options);

struct ReplayOptions {
  std::string endpoint = "http://127.0.0.1:4573";
  std::string stream, from, to, to_stream;
  bool no_wait = false;
  std::string status_id, cancel_id;
  bool list = false;
};
int RunReplay(const ReplayOptions& options);

}  // namespace hydrant
