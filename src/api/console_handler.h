// ConsoleHandler: the web console at /console (its page and scripts are built into the binary)
// and the JSON endpoints under /console/api that the page and the operator commands
// (`hydrant lineage`, `hydrant replay`) use:
//   GET/POST/DELETE /console/api/session     sign in with an access key and secret, sign out
//   GET  /console/api/overview               every stream: configuration summary and counters
//   GET  /console/api/streams/<name>/history the last hour at 10 s resolution (StreamHistory)
//   GET  /console/api/streams/<name>/errors  its recent errors (stream::RecentErrors)
//   GET  /console/api/lineage?stream=&record_id=   where a record is (stream/lineage.h)
//   GET/POST /console/api/replays, GET/DELETE /console/api/replays/<id>   (stream/replay.h)
// Everything else the page shows comes from the service's own APIs (Firehose, S3, Lambda),
// which the router lets a signed-in console session call as its access key (SessionOf).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/metrics_handler.h"
#include "api/stream_history.h"
#include "auth/authenticator.h"
#include "common/clock.h"
#include "http/http_types.h"
#include "stream/catalog.h"
#include "stream/replay.h"

namespace hydrant::api {

// Thread-safe.
class ConsoleHandler {
 public:
  // `credentials` empty: no sign-in (every session may do everything). `assets_dir` non-empty:
  // the page's files are read from there at each request (for working on the console).
  ConsoleHandler(stream::Catalog* catalog, const MetricsHandler* metrics, const StreamHistory* history,
                 stream::ReplayService* replays, const auth::CredentialStore* credentials, const Clock* clock,
                 std::string assets_dir = "");

  static bool IsConsolePath(std::string_view raw_path);

  // A console session's cookie on `request`: nullopt when it has none that is valid; else the
  // signed-in key (nullptr when sign-in is off).
  std::optional<const auth::Credential*> SessionOf(const http::HttpRequest& request) const;

  // `authenticated`: whether the router has a verified sender for the request (a session or a
  // SigV4 signature); `caller` is that sender when credentials are configured.
  http::HttpResponse Handle(const http::HttpRequest& request, bool authenticated, const auth::Caller* caller);

 private:
  http::HttpResponse Asset(std::string_view name) const;
  http::HttpResponse Session(const http::HttpRequest& request);
  http::HttpResponse Overview(const auth::Caller* caller) const;
  http::HttpResponse StreamPage(const std::string& name, std::string_view what, const auth::Caller* caller) const;
  http::HttpResponse Lineage(const http::HttpRequest& request, const auth::Caller* caller) const;
  http::HttpResponse Replays(const http::HttpRequest& request, std::string_view id, const auth::Caller* caller);

  stream::Catalog* catalog_;
  const MetricsHandler* metrics_;
  const StreamHistory* history_;
  stream::ReplayService* replays_;
  const auth::CredentialStore* credentials_;
  const Clock* clock_;
  const std::string assets_dir_;

  struct SessionEntry {
    const auth::Credential* credential;
    int64_t expires_millis;
  };
  mutable std::mutex mu_;
  std::map<std::string, SessionEntry> sessions_;  // by token
};

}  // namespace hydrant::api
