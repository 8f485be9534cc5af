#include "operator_commands.h"

#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "http/outbound_client.h"

#include <optional>

namespace hydrant {
namespace {

namespace json = boost::json;

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string EnvVar(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// One request to the server's console endpoints: the answer's JSON, or an error printed and
// nullopt.
std::optional<json::value> Call(const std::string& endpoint, const std::string& method, const std::string& path,
                                const std::string& body = "") {
  static http::OutboundClient client;
  http::OutboundRequest request;
  request.method = method;
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  request.body = body;
  request.timeout_ms = 60'000;
  if (!body.empty()) request.headers.push_back("Content-Type: application/json");
  if (std::string key = EnvVar("AWS_ACCESS_KEY_ID"); !key.empty()) {
    std::string region = EnvVar("AWS_REGION").empty() ? EnvVar("AWS_DEFAULT_REGION") : EnvVar("AWS_REGION");
    request.sigv4 = "aws:amz:" + (region.empty() ? std::string("us-east-1") : region) + ":firehose";
    request.access_key_id = key;
    request.secret_access_key = EnvVar("AWS_SECRET_ACCESS_KEY");
    if (std::string token = EnvVar("AWS_SESSION_TOKEN"); !token.empty()) {
      request.headers.push_back("X-Amz-Security-Token: " + token);
    }
  }
  http::OutboundResponse response = client.Send(request);
  if (response.transport != http::OutboundResponse::Transport::kOk) {
    std::fprintf(stderr, "cannot reach %s: %s\n", endpoint.c_str(), response.transport_error.c_str());
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value answer = json::parse(response.body, ec);
  if (response.status >= 300 || ec) {
    std::string message = response.body;
    if (!ec && answer.is_object()) {
      if (auto* m = answer.as_object().if_contains("message"); m && m->is_string()) message = m->as_string();
    }
    std::fprintf(stderr, "%s (HTTP %ld)\n", message.c_str(), static_cast<long>(response.status));
    return std::nullopt;
  }
  return answer;
}

std::string Text(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

void PrintReplay(const json::object& r) {
  std::printf("replay %s: %s, %.1f%% (%s records put into %s)%s%s\n", Text(r.at("id")).c_str(),
              Text(r.at("state")).c_str(), r.at("progress").to_number<double>() * 100,
              Text(r.at("records_replayed")).c_str(), Text(r.at("to_stream")).c_str(),
              Text(r.at("message")).empty() ? "" : ": ", Text(r.at("message")).c_str());
  std::fflush(stdout);
}

std::atomic<bool> interrupted{false};

}  // namespace

int RunLineage(const LineageOptions& o) {
  auto answer = Call(o.endpoint, "GET",
                     "/console/api/lineage?record_id=" + UrlEncode(o.record_id) + "&stream=" + UrlEncode(o.stream));
  if (!answer) return 1;
  if (o.json) {
    std::printf("%s\n", json::serialize(*answer).c_str());
    return 0;
  }
  const json::object& a = answer->as_object();
  std::printf("record %s of stream %s: %s\n", o.record_id.c_str(), o.stream.c_str(), Text(a.at("state")).c_str());
  for (const auto& step : a.at("steps").as_array()) {
    const json::object& s = step.as_object();
    std::string detail;
    for (const auto& [key, value] : s) {
      if (key == "time" || key == "state") continue;
      detail += " " + std::string(key) + "=" + Text(value);
    }
    std::printf("  %s  %-18s%s\n", Text(s.at("time")).c_str(), Text(s.at("state")).c_str(), detail.c_str());
  }
  return 0;
}

int RunReplay(const ReplayOptions& o) {
  if (o.list) {
    auto answer = Call(o.endpoint, "GET", "/console/api/replays");
    if (!answer) return 1;
    for (const auto& r : answer->as_object().at("replays").as_array()) PrintReplay(r.as_object());
    return 0;
  }
  if (!o.cancel_id.empty()) {
    auto answer = Call(o.endpoint, "DELETE", "/console/api/replays/" + UrlEncode(o.cancel_id));
    if (!answer) return 1;
    PrintReplay(answer->as_object());
    return 0;
  }
  std::string id = o.status_id;
  if (id.empty()) {
    if (o.stream.empty() || o.from.empty() || o.to.empty()) {
      std::fprintf(stderr, "give --stream, --from and --to (or --list, --status ID, --cancel ID)\n");
      return 2;
    }
    json::object body{{"stream", o.stream}, {"from", o.from}, {"to", o.to}};
    if (!o.to_stream.empty()) body["to_stream"] = o.to_stream;
    auto answer = Call(o.endpoint, "POST", "/console/api/replays", json::serialize(body));
    if (!answer) return 1;
    id = Text(answer->as_object().at("id"));
    PrintReplay(answer->as_object());
    if (o.no_wait) return 0;
  }
  // Follows the replay until it ends; Ctrl-C cancels it.
  signal(SIGINT, [](int) { interrupted = true; });
  for (;;) {
    if (interrupted) {
      auto answer = Call(o.endpoint, "DELETE", "/console/api/replays/" + UrlEncode(id));
      if (answer) PrintReplay(answer->as_object());
      return 130;
    }
    auto answer = Call(o.endpoint, "GET", "/console/api/replays/" + UrlEncode(id));
    if (!answer) return 1;
    PrintReplay(answer->as_object());
    const std::string state = Text(answer->as_object().at("state"));
    if (state != "running") return state == "completed" ? 0 : 1;
    if (!o.status_id.empty()) return 0;
    for (int i = 0; i < 10 && !interrupted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace hydrant
