#include "api/console_handler.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "common/ids.h"
#include "stream/lineage.h"

namespace hydrant::api {

// The page's files (src/api/console/), compiled in by scripts/embed_text.cmake.
extern const std::string_view kConsoleIndexHtml;
extern const std::string_view kConsoleAppJs;
extern const std::string_view kConsoleAppCss;

namespace {

namespace json = boost::json;

constexpr std::string_view kCookie = "hydrant_console";
constexpr int64_t kSessionMillis = 12ll * 3600 * 1000;
constexpr size_t kMaxSessions = 1000;

http::HttpResponse Json(int status, const json::value& body) {
  http::HttpResponse res;
  res.status = status;
  res.SetHeader("Content-Type", "application/json");
  res.SetHeader("Cache-Control", "no-store");
  res.body = json::serialize(body);
  return res;
}
http::HttpResponse Message(int status, std::string_view message) {
  return Json(status, json::object{{"message", message}});
}
int StatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    default: return 500;
  }
}

// The value of cookie `name` in a Cookie header.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
  }
  return {};
}

std::string QueryValue(const http::HttpRequest& request, std::string_view name) {
  for (auto& [k, v] : request.Query()) {
    if (k == name) return v;
  }
  return "";
}

// "ExtendedS3DestinationConfiguration" → "S3", "HttpEndpointDestinationConfiguration" → "HttpEndpoint".
std::string KindName(std::string_view member) {
  std::string name(member.substr(0, member.find("DestinationConfiguration")));
  if (name == "ExtendedS3") return "S3";
  return name;
}

// Where a destination's description says it delivers.
std::string TargetOf(const json::object& description) {
  for (const auto& [member, value] : description) {
    if (!value.is_object()) continue;
    const json::object& d = value.as_object();
    if (auto* endpoint = d.if_contains("EndpointConfiguration"); endpoint && endpoint->is_object()) {
      if (auto* url = endpoint->as_object().if_contains("Url")) return std::string(url->as_string());
    }
    for (std::string_view key : {"BucketARN", "DomainARN", "ClusterEndpoint", "CollectionEndpoint", "HECEndpoint",
                                 "ClusterJDBCURL"}) {
      if (auto* v = d.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    }
  }
  return "";
}

}  // namespace

ConsoleHandler::ConsoleHandler(stream::Catalog* catalog, const MetricsHandler* metrics, const StreamHistory* history,
                               stream::ReplayService* replays, const auth::CredentialStore* credentials,
                               const Clock* clock, std::string assets_dir)
    : catalog_(catalog),
      metrics_(metrics),
      history_(history),
      replays_(replays),
      credentials_(credentials),
      clock_(clock),
      assets_dir_(std::move(assets_dir)) {}

bool ConsoleHandler::IsConsolePath(std::string_view raw_path) {
  std::string_view path = raw_path.substr(0, raw_path.find('?'));
  return path == "/console" || path.starts_with("/console/");
}

std::optional<const auth::Credential*> ConsoleHandler::SessionOf(const http::HttpRequest& request) const {
  std::string_view token = CookieValue(request.Header("Cookie"), kCookie);
  if (token.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(std::string(token));
  if (it == sessions_.end() || it->second.expires_millis < clock_->NowMillis()) return std::nullopt;
  return it->second.credential;
}

http::HttpResponse ConsoleHandler::Asset(std::string_view name) const {
  http::HttpResponse res;
  std::string_view type = name.ends_with(".js")    ? "text/javascript; charset=utf-8"
                          : name.ends_with(".css") ? "text/css; charset=utf-8"
                                                   : "text/html; charset=utf-8";
  if (!assets_dir_.empty()) {
    auto text = Env::Default()->ReadFile(JoinPath(assets_dir_, std::string(name)));
    if (!text.ok()) return Message(404, text.status().ToString());
    res.body = std::move(*text);
  } else if (name == "index.html") {
    res.body = kConsoleIndexHtml;
  } else if (name == "app.js") {
    res.body = kConsoleAppJs;
  } else {
    res.body = kConsoleAppCss;
  }
  res.SetHeader("Content-Type", std::string(type));
  res.SetHeader("Cache-Control", "no-cache");
  // The page runs only its own files and talks only to this server.
  res.SetHeader("Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
  res.SetHeader("X-Content-Type-Options", "nosniff");
  return res;
}

http::HttpResponse ConsoleHandler::Handle(const http::HttpRequest& request, bool authenticated,
                                          const auth::Caller* caller) {
  std::string path = request.Path();
  if (path == "/console" || path == "/console/" || path == "/console/index.html") return Asset("index.html");
  if (path == "/console/app.js" || path == "/console/app.css") return Asset(path.substr(9));
  if (path == "/console/api/session") return Session(request);
  if (!path.starts_with("/console/api/")) return Message(404, "no such console page");
  if (!authenticated) return Message(401, "Sign in with an access key first.");
  std::string_view rest = std::string_view(path).substr(13);
  if (rest == "overview" && request.method == "GET") return Overview(caller);
  if (rest == "lineage" && request.method == "GET") return Lineage(request, caller);
  if (rest == "replays" || rest.starts_with("replays/")) {
    return Replays(request, rest == "replays" ? std::string_view{} : rest.substr(8), caller);
  }
  if (rest.starts_with("streams/") && request.method == "GET") {
    std::string_view tail = rest.substr(8);
    size_t slash = tail.rfind('/');
    if (slash != std::string_view::npos) {
      return StreamPage(std::string(tail.substr(0, slash)), tail.substr(slash + 1), caller);
    }
  }
  return Message(404, "no such console endpoint");
}

http::HttpResponse ConsoleHandler::Session(const http::HttpRequest& request) {
  const bool auth_required = credentials_ && !credentials_->empty();
  // Over HTTPS (--tls-cert) the browser sends the cookie over HTTPS only.
  auto cookie = [secure = request.secure](const std::string& token, int64_t max_age_seconds) {
    return std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
           std::to_string(max_age_seconds) + (secure ? "; Secure" : "");
  };
  auto start = [&](const auth::Credential* credential) {
    std::string token = RandomHex(32);
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_->NowMillis();
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires_millis < now; });
    if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
    sessions_[token] = {credential, now + kSessionMillis};
    return token;
  };
  if (request.method == "GET") {
    auto session = SessionOf(request);
    json::object body{{"auth_required", auth_required},
                      {"signed_in", session.has_value()},
                      {"access_key_id", session && *session ? json::value((*session)->access_key_id) : nullptr}};
    http::HttpResponse res = Json(200, body);
    if (!session && !auth_required) {
      // Without credentials there is nothing to sign in with: the page gets its session now.
      res.SetHeader("Set-Cookie", cookie(start(nullptr), kSessionMillis / 1000));
      res.body = json::serialize(json::object{{"auth_required", false}, {"signed_in", true}, {"access_key_id", nullptr}});
    }
    return res;
  }
  if (request.method == "DELETE") {
    std::string token(CookieValue(request.Header("Cookie"), kCookie));
    {
      std::lock_guard<std::mutex> lock(mu_);
      sessions_.erase(token);
    }
    http::HttpResponse res = Json(200, json::object{{"signed_in", false}});
    res.SetHeader("Set-Cookie", cookie("", 0));
    return res;
  }
  if (request.method != "POST") return Message(405, "GET, POST or DELETE");
  if (!auth_required) {
    http::HttpResponse res = Json(200, json::object{{"signed_in", true}, {"access_key_id", nullptr}});
    res.SetHeader("Set-Cookie", cookie(start(nullptr), kSessionMillis / 1000));
    return res;
  }
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  const json::object* o = !ec && body.is_object() ? &body.as_object() : nullptr;
  const json::value* key = o ? o->if_contains("access_key_id") : nullptr;
  const json::value* secret = o ? o->if_contains("secret_access_key") : nullptr;
  if (!key || !secret || !key->is_string() || !secret->is_string()) {
    return Message(400, "Give access_key_id and secret_access_key.");
  }
  const auth::Credential* credential = credentials_->Find(key->as_string());
  std::string_view given = secret->as_string();
  if (!credential || credential->secret_access_key.size() != given.size() ||
      CRYPTO_memcmp(credential->secret_access_key.data(), given.data(), given.size()) != 0) {
    spdlog::info("console sign-in refused for access key '{}' from {}", std::string_view(key->as_string()),
                 request.remote);
    return Message(403, "The access key or the secret is wrong.");
  }
  http::HttpResponse res = Json(200, json::object{{"signed_in", true}, {"access_key_id", credential->access_key_id}});
  res.SetHeader("Set-Cookie", cookie(start(credential), kSessionMillis / 1000));
  return res;
}

http::HttpResponse ConsoleHandler::Overview(const auth::Caller* caller) const {
  if (caller) {
    if (auto denied = caller->Denied("firehose:ListDeliveryStreams", "*")) return Message(403, *denied);
  }
  json::array streams;
  for (const StreamMetricsSnapshot& s : metrics_->Snapshot().streams) {
    auto stream = catalog_->Find(s.name);
    if (!stream) continue;
    if (caller && caller->Denied("firehose:DescribeDeliveryStream", catalog_->Arn(s.name))) continue;
    const stream::StreamMetadata meta = stream->metadata();
    const stream::StreamConfig& config = meta.config;
    json::array processors;
    if (const auto& processing = config.processing()) {
      if (auto* list = processing->if_contains("Processors"); list && list->is_array()) {
        for (const auto& p : list->as_array()) {
          if (auto* type = p.is_object() ? p.as_object().if_contains("Type") : nullptr) processors.push_back(*type);
        }
      }
    }
    const auto& b = config.buffering();
    streams.push_back(json::object{
        {"name", s.name},
        {"status", catalog_->StatusOf(*stream) == stream::StreamStatus::kCreating ? "CREATING" : "ACTIVE"},
        {"kind", KindName(config.destination_member())},
        {"target", TargetOf(config.DescribeDestination())},
        {"buffering", json::object{{"size_mb", b.size_mb}, {"interval_seconds", b.interval_seconds}}},
        {"processors", std::move(processors)},
        {"version_id", std::to_string(meta.version)},
        {"create_time", meta.create_millis},
        {"retention_hours", stream->retention_millis() % 3'600'000 == 0
                                ? json::value(stream->retention_millis() / 3'600'000)
                                : json::value(stream->retention_millis() / 3'600'000.0)},
        {"counters",
         json::object{{"incoming_records", s.incoming_records},
                      {"incoming_bytes", s.incoming_bytes},
                      {"delivered_records", s.delivery.destination.records_to_destination},
                      {"delivered_bytes", s.delivery.destination.bytes_to_destination},
                      {"throttled_records", s.throttled_records},
                      {"failed_records",
                       s.delivery.destination.records_delivery_failed + s.delivery.records_processing_failed},
                      {"buffered_records", s.delivery.buffered_records},
                      {"buffered_bytes", s.delivery.buffered_bytes}}}});
  }
  return Json(200, json::object{{"resolution_seconds", StreamHistory::kResolutionMillis / 1000},
                                {"streams", std::move(streams)}});
}

http::HttpResponse ConsoleHandler::StreamPage(const std::string& name, std::string_view what,
                                              const auth::Caller* caller) const {
  auto stream = catalog_->Find(name);
  if (!stream) return Message(404, "Firehose " + name + " not found.");
  if (caller) {
    if (auto denied = caller->Denied("firehose:DescribeDeliveryStream", catalog_->Arn(name))) return Message(403, *denied);
  }
  if (what == "history") {
    json::array points;
    for (const HistoryPoint& p : history_->Points(name)) {
      points.push_back(json::object{{"time", p.time_millis},
                                    {"incoming_records", p.incoming_records},
                                    {"incoming_bytes", p.incoming_bytes},
                                    {"delivered_records", p.delivered_records},
                                    {"delivered_bytes", p.delivered_bytes},
                                    {"throttled_records", p.throttled_records},
                                    {"failed_records", p.failed_records},
                                    {"freshness_seconds", p.freshness_seconds},
                                    {"backlog_bytes", p.backlog_bytes}});
    }
    return Json(200, json::object{{"resolution_seconds", StreamHistory::kResolutionMillis / 1000},
                                  {"points", std::move(points)}});
  }
  if (what == "errors") {
    json::array errors;
    for (const stream::ErrorEntry& e : stream->recent_errors()) {
      errors.push_back(json::object{{"time", e.last_millis},
                                    {"first_time", e.first_millis},
                                    {"code", e.code},
                                    {"message", e.message},
                                    {"count", e.count},
                                    {"deliveryStreamARN", catalog_->Arn(name)}});
    }
    return Json(200, json::object{{"errors", std::move(errors)}});
  }
  return Message(404, "no such console endpoint");
}

http::HttpResponse ConsoleHandler::Lineage(const http::HttpRequest& request, const auth::Caller* caller) const {
  const std::string name = QueryValue(request, "stream");
  const std::string id = QueryValue(request, "record_id");
  if (name.empty() || id.empty()) return Message(400, "Give stream and record_id.");
  auto stream = catalog_->Find(name);
  if (!stream) return Message(404, "Firehose " + name + " not found.");
  if (caller) {
    if (auto denied = caller->Denied("firehose:DescribeDeliveryStream", catalog_->Arn(name))) return Message(403, *denied);
  }
  auto decoded = stream::DecodeRecordId(id);
  if (!decoded) return Message(400, "'" + id + "' is not a RecordId Hydrant gave out.");
  if (decoded->tag != stream->record_id_tag()) {
    return Message(404, "RecordId " + id + " is not a record of stream " + name +
                            " (another stream's, or an earlier stream of that name).");
  }
  if (decoded->position.segment == 0) {
    return Message(404, "RecordId " + id + " was given in cluster mode, where records are not traced.");
  }
  auto lineage = stream->Lineage(decoded->position);
  if (!lineage.ok()) return Message(StatusOf(lineage.status()), "RecordId " + id + ": " + lineage.status().message());
  boost::system::error_code ec;
  json::value v = json::parse(*lineage, ec);
  json::object out{{"stream", name}, {"record_id", id}};
  if (!ec && v.is_object()) {
    for (auto& kv : v.as_object()) out[kv.key()] = kv.value();
  }
  return Json(200, out);
}

http::HttpResponse ConsoleHandler::Replays(const http::HttpRequest& request, std::string_view id,
                                           const auth::Caller* caller) {
  auto job_json = [](const stream::ReplayJob& job) {
    boost::system::error_code ec;
    return json::parse(job.ToJson(), ec);
  };
  if (id.empty() && request.method == "GET") {
    if (caller) {
      if (auto denied = caller->Denied("firehose:ListDeliveryStreams", "*")) return Message(403, *denied);
    }
    json::array list;
    for (const stream::ReplayJob& job : replays_->List()) list.push_back(job_json(job));
    return Json(200, json::object{{"replays", std::move(list)}});
  }
  if (id.empty() && request.method == "POST") {
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) return Message(400, "The body is a JSON object: stream, from, to, to_stream.");
    const json::object& o = body.as_object();
    auto text = [&](std::string_view key) {
      const json::value* v = o.if_contains(key);
      return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    const std::string name = text("stream"), to_stream = text("to_stream");
    if (name.empty() || text("from").empty() || text("to").empty()) return Message(400, "Give stream, from and to.");
    auto from = stream::ParseTimeMillis(text("from"));
    if (!from.ok()) return Message(400, from.status().message());
    auto to = stream::ParseTimeMillis(text("to"));
    if (!to.ok()) return Message(400, to.status().message());
    if (caller) {
      if (auto denied = caller->Denied("firehose:DescribeDeliveryStream", catalog_->Arn(name))) return Message(403, *denied);
      const std::string target = to_stream.empty() ? name : to_stream;
      if (auto denied = caller->Denied("firehose:PutRecordBatch", catalog_->Arn(target))) return Message(403, *denied);
    }
    auto job = replays_->Create(name, *from, *to, to_stream);
    if (!job.ok()) return Message(StatusOf(job.status()), job.status().message());
    return Json(201, job_json(*job));
  }
  auto job = replays_->Get(std::string(id));
  if (!job.ok()) return Message(404, job.status().message());
  if (caller) {
    if (auto denied = caller->Denied(request.method == "DELETE" ? "firehose:PutRecordBatch" : "firehose:DescribeDeliveryStream",
                                     catalog_->Arn(job->to_stream))) {
      return Message(403, *denied);
    }
  }
  if (request.method == "GET") return Json(200, job_json(*job));
  if (request.method == "DELETE") {
    auto cancelled = replays_->Cancel(std::string(id));
    if (!cancelled.ok()) return Message(500, cancelled.status().message());
    return Json(200, job_json(*cancelled));
  }
  return Message(405, "GET or DELETE");
}

}  // namespace hydrant::api
