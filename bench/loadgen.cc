// hydrant-loadgen: a load generator for Firehose-compatible servers (PutRecordBatch/PutRecord).
//
// One thread per keep-alive HTTP/1.1 connection. Bodies are built, base64-encoded and hashed
// once (workload.h); each connection caches the signed request head of every body and re-signs
// it only when the wall-clock second changes, so a request costs one gather write and one read.
// With --rate the schedule is open-loop: request g (counted over all connections) is due at
// start + g / rate, and latency runs from that due time, so a slow server is not hidden by the
// generator waiting for it (coordinated omission).
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "common/status.h"
#include "sigv4.h"
#include "workload.h"

namespace hydrant::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::nanoseconds;

constexpr char kTargetPrefix[] = "Firehose_20150804.";
constexpr char kJsonContentType[] = "application/x-amz-json-1.1";

struct Options {
  std::string endpoint = "http://127.0.0.1:4573";
  std::string stream = "hydrant-bench";
  size_t streams = 0;  // 0: just --stream; N: --stream-0 .. --stream-(N-1)
  std::string op = "PutRecordBatch";
  size_t records_per_request = 500;
  size_t record_size = 100;
  size_t connections = 16;
  double duration_s = 0;
  int64_t requests = 0;
  double warmup_s = 0;
  double rate = 0;
  double timeout_s = 30;
  size_t variants = 4;
  uint64_t seed = 1;
  bool create = false;
  std::string bucket = "hydrant-bench";
  int buffer_mb = 5;
  int buffer_seconds = 300;
  std::string region = "us-east-1";
  std::string access_key = "test";
  std::string secret_key = "test";
  bool json = false;
  bool verify = false;
  int server_pid = 0;

  std::vector<std::string> StreamNames() const {
    if (streams == 0) return {stream};
    std::vector<std::string> names;
    for (size_t i = 0; i < streams; ++i) names.push_back(stream + "-" + std::to_string(i));
    return names;
  }
};

struct Endpoint {
  std::string host;
  std::string port;
  std::string host_header;  // host[:port] exactly as in the URL; also what SigV4 signs
};

Result<Endpoint> ParseEndpoint(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("endpoint must start with http:// (TLS is not supported)");
  }
  url.remove_prefix(kScheme.size());
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("endpoint must be http://host[:port] with no path");
  }
  Endpoint e;
  e.host_header = std::string(url);
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || url.back() == ']') {
    e.host = std::string(url);
    e.port = "80";
  } else {
    e.host = std::string(url.substr(0, colon));
    e.port = std::string(url.substr(colon + 1));
  }
  if (e.host.size() > 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  return e;
}

// The AWS error type of an error response ("ValidationException"), or "" when there is none.
std::string ErrorType(std::string_view body) {
  size_t i = body.find("\"__type\"");
  if (i == std::string_view::npos) return "";
  i = body.find('"', i + 8);
  if (i == std::string_view::npos) return "";
  const size_t end = body.find('"', i + 1);
  if (end == std::string_view::npos) return "";
  std::string_view type = body.substr(i + 1, end - i - 1);
  if (size_t hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  return std::string(type);
}

// ---------------------------------------------------------------------------------------------
// Control plane (--create): bucket, streams, wait for ACTIVE. One short connection per call.

class ControlClient {
 public:
  ControlClient(const Options& options, const Endpoint& endpoint,
                const tcp::resolver::results_type& addresses)
      : options_(options), endpoint_(endpoint), addresses_(addresses) {}

  Status CreateBucket() {
    std::string body;
    if (options_.region != "us-east-1") {
      body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
             "<LocationConstraint>" + options_.region +
             "</LocationConstraint></CreateBucketConfiguration>";
    }
    Reply reply;
    HYDRANT_RETURN_IF_ERROR(Call(http::verb::put, "/" + options_.bucket, "s3", "", body, &reply));
    // 409 BucketAlreadyOwnedByYou: an earlier run made it; reuse it.
    if (reply.status == 200 || reply.body.find("BucketAlreadyOwnedByYou") != std::string::npos) {
      return Status::Ok();
    }
    return Status::Internal("CreateBucket: HTTP " + std::to_string(reply.status) + " " + reply.body);
  }

  Status CreateStream(const std::string& name) {
    json::object hints{{"SizeInMBs", options_.buffer_mb},
                       {"IntervalInSeconds", options_.buffer_seconds}};
    json::object s3{{"RoleARN", "arn:aws:iam::123456789012:role/hydrant-bench"},
                    {"BucketARN", "arn:aws:s3:::" + options_.bucket},
                    {"BufferingHints", std::move(hints)}};
    json::object request{{"DeliveryStreamName", name},
                         {"DeliveryStreamType", "DirectPut"},
                         {"ExtendedS3DestinationConfiguration", std::move(s3)}};
    Reply reply;
    HYDRANT_RETURN_IF_ERROR(Call(http::verb::post, "/", "firehose", "CreateDeliveryStream",
                                 json::serialize(request), &reply));
    // ResourceInUseException: the stream exists from an earlier run; reuse it.
    if (reply.status == 200 || ErrorType(reply.body) == "ResourceInUseException") {
      return Status::Ok();
    }
    return Status::Internal("CreateDeliveryStream " + name + ": HTTP " +
                            std::to_string(reply.status) + " " + reply.body);
  }

  Status WaitActive(const std::string& name, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const std::string request = json::serialize(json::object{{"DeliveryStreamName", name}});
    std::string last_status;
    while (Clock::now() < deadline) {
      Reply reply;
      HYDRANT_RETURN_IF_ERROR(
          Call(http::verb::post, "/", "firehose", "DescribeDeliveryStream", request, &reply));
      if (reply.status == 200) {
        boost::system::error_code ec;
        json::value doc = json::parse(reply.body, ec);
        const json::value* status =
            ec ? nullptr : doc.find_pointer("/DeliveryStreamDescription/DeliveryStreamStatus", ec);
        if (status != nullptr && status->is_string()) {
          last_status = std::string(status->as_string());
          if (last_status == "ACTIVE") return Status::Ok();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::Unavailable("stream " + name + " not ACTIVE after " +
                               std::to_string(timeout.count()) + " s (last status '" +
                               last_status + "')");
  }

 private:
  struct Reply {
    int status = 0;
    std::string body;
  };

  Status Call(http::verb verb, const std::string& path, std::string_view service,
              std::string_view operation, std::string body, Reply* reply) {
    asio::io_context io;
    tcp::socket socket(io);
    boost::system::error_code ec;
    asio::connect(socket, addresses_, ec);
    if (ec) return Status::Unavailable("connect " + options_.endpoint + ": " + ec.message());

    const std::string amz_date = AmzDate(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    const std::string payload_hash = Sha256Hex(body);
    const std::string target = kTargetPrefix + std::string(operation);
    http::request<http::string_body> req(verb, path, 11);
    req.set(http::field::host, endpoint_.host_header);
    req.set("X-Amz-Date", amz_date);
    SigV4Signer signer(options_.access_key, options_.secret_key, options_.region,
                       std::string(service));
    std::string authorization;
    if (service == "s3") {
      req.set("X-Amz-Content-SHA256", payload_hash);
      const SignedHeader headers[] = {{"host", endpoint_.host_header},
                                      {"x-amz-content-sha256", payload_hash},
                                      {"x-amz-date", amz_date}};
      authorization = signer.Authorization({"PUT", path, "", headers, payload_hash}, amz_date);
    } else {
      req.set(http::field::content_type, kJsonContentType);
      req.set("X-Amz-Target", target);
      const SignedHeader headers[] = {{"content-type", kJsonContentType},
                                      {"host", endpoint_.host_header},
                                      {"x-amz-date", amz_date},
                                      {"x-amz-target", target}};
      authorization = signer.Authorization({"POST", path, "", headers, payload_hash}, amz_date);
    }
    req.set(http::field::authorization, authorization);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(socket, req, ec);
    if (ec) return Status::Unavailable("write: " + ec.message());
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res, ec);
    if (ec) return Status::Unavailable("read: " + ec.message());
    reply->status = static_cast<int>(res.result_int());
    reply->body = std::move(res.body());
    return Status::Ok();
  }

  const Options& options_;
  const Endpoint& endpoint_;
  const tcp::resolver::results_type& addresses_;
};

// ---------------------------------------------------------------------------------------------
// Data plane.

// Per connection: the signed request head of every body, re-signed when the second changes.
// Not thread-safe: one per connection thread.
class RequestHeads {
 public:
  RequestHeads(const Workload& workload, const Options& options, const Endpoint& endpoint,
               std::string target)
      : workload_(workload),
        host_(endpoint.host_header),
        target_(std::move(target)),
        signer_(options.access_key, options.secret_key, options.region, "firehose"),
        entries_(workload.bodies()) {}

  std::string_view Get(size_t body, int64_t epoch_second) {
    Entry& e = entries_[body];
    if (e.second != epoch_second) {
      Sign(body, epoch_second, &e.head);
      e.second = epoch_second;
    }
    return e.head;
  }

 private:
  struct Entry {
    int64_t second = -1;
    std::string head;
  };

  void Sign(size_t body, int64_t epoch_second, std::string* head) {
    const std::string amz_date = AmzDate(epoch_second);
    const SignedHeader headers[] = {{"content-type", kJsonContentType},
                                    {"host", host_},
                                    {"x-amz-date", amz_date},
                                    {"x-amz-target", target_}};
    const std::string authorization =
        signer_.Authorization({"POST", "/", "", headers, workload_.body_hash(body)}, amz_date);
    head->clear();
    head->append("POST / HTTP/1.1\r\nHost: ").append(host_);
    head->append("\r\nContent-Type: ").append(kJsonContentType);
    head->append("\r\nX-Amz-Target: ").append(target_);
    head->append("\r\nX-Amz-Date: ").append(amz_date);
    head->append("\r\nAuthorization: ").append(authorization);
    head->append("\r\nContent-Length: ").append(std::to_string(workload_.body_size(body)));
    head->append("\r\n\r\n");
  }

  const Workload& workload_;
  const std::string host_;
  const std::string target_;
  SigV4Signer signer_;
  std::vector<Entry> entries_;
};

// When to send and when to stop; written by main before the workers are released.
struct Plan {
  Clock::time_point start;          // schedule origin
  Clock::time_point measure_start;  // start + warmup: requests due earlier are not reported
  Clock::time_point end;            // duration mode: no request is due at or after this
  bool by_duration = true;
  double rate = 0;                  // total requests/s over all connections; 0 = closed loop
  std::atomic<int64_t> tickets{0};  // --requests mode: requests left to send
  std::atomic<bool> stop{false};    // set by main past end + timeout
};

struct WorkerStats {
  uint64_t requests_ok = 0;  // HTTP 200 (and, with --verify, no failed record)
  uint64_t records_ok = 0;
  uint64_t records_failed = 0;
  uint64_t bytes_sent = 0;
  std::vector<int64_t> latencies_ns;  // of every HTTP 200 response in the measured window
  std::map<std::string, uint64_t> errors;  // over the whole run, warmup included
  Clock::time_point last_done{};
};

class Worker {
 public:
  Worker(size_t index, const Options& options, const Endpoint& endpoint,
         const tcp::resolver::results_type& addresses, const Workload& workload, Operation op,
         Plan* plan)
      : index_(index),
        connections_(options.connections),
        verify_(options.verify),
        op_(op),
        addresses_(addresses),
        workload_(workload),
        plan_(plan),
        heads_(workload, options, endpoint, kTargetPrefix + std::string(OperationName(op))),
        socket_(io_) {}

  const WorkerStats& stats() const { return stats_; }
  bool Connect();
  void Run();
  // Called by the main thread: unblocks a request in flight for longer than `timeout`.
  void AbortIfStuck(Clock::time_point now, nanoseconds timeout);

 private:
  void Disconnect();
  void Send(size_t body, Clock::time_point due);
  void Error(std::string kind) { ++stats_.errors[std::move(kind)]; }

  const size_t index_;
  const size_t connections_;
  const bool verify_;
  const Operation op_;
  const tcp::resolver::results_type& addresses_;
  const Workload& workload_;
  Plan* const plan_;
  RequestHeads heads_;
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  WorkerStats stats_;

  std::mutex fd_mu_;  // orders AbortIfStuck's shutdown against Disconnect's close
  int fd_ = -1;       // guarded by fd_mu_
  std::atomic<int64_t> in_flight_since_{0};  // steady ns of the current send; 0 when idle
  std::atomic<bool> aborted_{false};
};

bool Worker::Connect() {
  boost::system::error_code ec;
  asio::connect(socket_, addresses_, ec);
  if (ec) return false;
  socket_.set_option(tcp::no_delay(true), ec);
  std::lock_guard lock(fd_mu_);
  fd_ = socket_.native_handle();
  connected_ = true;
  return true;
}

void Worker::Disconnect() {
  {
    std::lock_guard lock(fd_mu_);
    fd_ = -1;
  }
  boost::system::error_code ec;
  socket_.close(ec);
  buffer_.clear();
  connected_ = false;
}

void Worker::AbortIfStuck(Clock::time_point now, nanoseconds timeout) {
  const int64_t since = in_flight_since_.load(std::memory_order_relaxed);
  if (since == 0 || now.time_since_epoch().count() - since < timeout.count()) return;
  std::lock_guard lock(fd_mu_);
  if (fd_ >= 0 && in_flight_since_.load() == since) {
    aborted_ = true;
    ::shutdown(fd_, SHUT_RDWR);
  }
}

void Worker::Run() {
  const size_t streams = workload_.streams();
  const size_t variants = workload_.variants();
  for (uint64_t k = 0;; ++k) {
    // Spread consecutive requests of all connections over streams first, then variants.
    const uint64_t g = k * connections_ + index_;
    Clock::time_point due;
    if (plan_->rate > 0) {
      due = plan_->start + std::chrono::duration_cast<nanoseconds>(
                               duration<double>(static_cast<double>(g) / plan_->rate));
      if (plan_->by_duration && due >= plan_->end) break;
      if (due > Clock::now()) std::this_thread::sleep_until(due);
    } else {
      due = Clock::now();
      if (plan_->by_duration && due >= plan_->end) break;
    }
    if (!plan_->by_duration && plan_->tickets.fetch_sub(1) <= 0) break;
    if (plan_->stop.load(std::memory_order_relaxed)) break;
    if (!connected_ && !Connect()) {
      Error("connect");
      // Closed loop would spin on a refused port; open loop keeps its schedule.
      if (plan_->rate == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    Send(workload_.BodyIndex(g % streams, (g / streams) % variants), due);
  }
  Disconnect();
}

void Worker::Send(size_t body, Clock::time_point due) {
  const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string_view head = heads_.Get(body, second);
  const std::array<asio::const_buffer, 4> request = {
      asio::buffer(head.data(), head.size()),
      asio::buffer(workload_.prefix(body).data(), workload_.prefix(body).size()),
      asio::buffer(workload_.records(body).data(), workload_.records(body).size()),
      asio::buffer(workload_.suffix().data(), workload_.suffix().size())};

  in_flight_since_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  boost::system::error_code ec;
  asio::write(socket_, request, ec);
  http::response_parser<http::string_body> parser;
  if (!ec) http::read(socket_, buffer_, parser, ec);
  in_flight_since_.store(0, std::memory_order_relaxed);
  const Clock::time_point done = Clock::now();
  if (ec) {
    if (aborted_.exchange(false)) {
      Error("timeout");
    } else if (ec == http::error::end_of_stream || ec == asio::error::eof ||
               ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
      Error("connection_closed");
    } else {
      Error("io:" + ec.message());
    }
    Disconnect();
    return;
  }

  const auto& res = parser.get();
  const bool measured = due >= plan_->measure_start;
  const size_t records = workload_.records_per_request();
  if (res.result_int() != 200) {
    const std::string type = ErrorType(res.body());
    Error("http_" + std::to_string(res.result_int()) + (type.empty() ? "" : ":" + type));
  } else {
    uint64_t failed = 0;
    bool ok = true;
    if (verify_) {
      if (op_ == Operation::kPutRecordBatch) {
        const std::optional<uint64_t> count = FindFailedPutCount(res.body());
        if (!count || *count > records) {
          Error("bad_response");
          failed = records;
          ok = false;
        } else if (*count > 0) {
          Error("failed_put_count");
          failed = *count;
          ok = false;
        }
      } else if (res.body().find("\"RecordId\"") == std::string::npos) {
        Error("bad_response");
        failed = records;
        ok = false;
      }
    }
    if (measured) {
      stats_.requests_ok += ok ? 1 : 0;
      stats_.records_ok += records - failed;
      stats_.records_failed += failed;
      stats_.bytes_sent += head.size() + workload_.body_size(body);
      stats_.latencies_ns.push_back((done - due).count());
      stats_.last_done = done;
    }
  }
  if (!res.keep_alive()) Disconnect();
}

// ---------------------------------------------------------------------------------------------
// Reporting.

struct ProcStatus {
  int64_t vm_hwm_kib = -1;
  int64_t vm_rss_kib = -1;
};

ProcStatus ReadProcStatus(int pid) {
  ProcStatus out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) out.vm_hwm_kib = std::stoll(line.substr(6));
    if (line.rfind("VmRSS:", 0) == 0) out.vm_rss_kib = std::stoll(line.substr(6));
  }
  return out;
}

// utime + stime of a process in seconds, or -1 when it cannot be read.
double ProcCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');  // the command name may contain blanks
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Nearest-rank percentile of sorted values, in milliseconds.
double PercentileMs(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

struct Percentile {
  const char* name;
  double quantile;
};
constexpr Percentile kPercentiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1.0}};

// What one run measured, ready to print.
struct Summary {
  Operation op = Operation::kPutRecordBatch;
  size_t streams = 0;
  size_t records_per_request = 0;
  double elapsed_s = 0;  // from the end of warmup to the last measured response
  uint64_t requests = 0;
  uint64_t records = 0;
  uint64_t records_failed = 0;
  uint64_t record_bytes = 0;  // decoded record data of the records accepted
  uint64_t bytes_sent = 0;    // request heads + bodies
  std::vector<double> latency_ms;  // one per kPercentiles entry
  std::map<std::string, uint64_t> errors;
  uint64_t errors_total = 0;
  double loadgen_cpu_s = 0;
  ProcStatus server;
  double server_cpu_s = -1;

  double PerSecond(double v) const { return elapsed_s > 0 ? v / elapsed_s : 0; }
  double MiBPerSecond(uint64_t bytes) const {
    return PerSecond(static_cast<double>(bytes)) / (1024.0 * 1024.0);
  }
};

// Appends `"key":` (with a leading comma unless first) to a one-line JSON object.
class JsonLine {
 public:
  JsonLine& Str(std::string_view key, std::string_view value) {
    Key(key);
    out_ += json::serialize(json::string(value));
    return *this;
  }
  JsonLine& Int(std::string_view key, int64_t value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  // Fixed-point, so the line reads well and every JSON parser takes it.
  JsonLine& Num(std::string_view key, double value, int decimals = 3) {
    Key(key);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
    out_ += buf;
    return *this;
  }
  JsonLine& Object(std::string_view key, const JsonLine& inner) {
    Key(key);
    out_ += inner.Finish();
    return *this;
  }
  std::string Finish() const { return out_ + "}"; }

 private:
  void Key(std::string_view key) {
    if (out_.size() > 1) out_ += ',';
    out_ += json::serialize(json::string(key));
    out_ += ':';
  }
  std::string out_ = "{";
};

void PrintJson(const Options& options, const Summary& s) {
  JsonLine latency;
  for (size_t i = 0; i < s.latency_ms.size(); ++i) latency.Num(kPercentiles[i].name, s.latency_ms[i]);
  JsonLine errors;
  for (const auto& [kind, n] : s.errors) errors.Int(kind, static_cast<int64_t>(n));
  JsonLine out;
  out.Str("endpoint", options.endpoint)
      .Str("op", OperationName(s.op))
      .Int("streams", static_cast<int64_t>(s.streams))
      .Int("connections", static_cast<int64_t>(options.connections))
      .Int("records_per_request", static_cast<int64_t>(s.records_per_request))
      .Int("record_size", static_cast<int64_t>(options.record_size))
      .Num("target_rate", options.rate, 1)
      .Num("elapsed_s", s.elapsed_s)
      .Int("requests", static_cast<int64_t>(s.requests))
      .Int("records", static_cast<int64_t>(s.records))
      .Int("records_failed", static_cast<int64_t>(s.records_failed))
      .Num("requests_per_s", s.PerSecond(static_cast<double>(s.requests)), 1)
      .Num("records_per_s", s.PerSecond(static_cast<double>(s.records)), 0)
      .Num("payload_mib_per_s", s.MiBPerSecond(s.record_bytes))
      .Num("wire_mib_per_s", s.MiBPerSecond(s.bytes_sent))
      .Object("latency_ms", latency)
      .Object("errors", errors)
      .Int("errors_total", static_cast<int64_t>(s.errors_total))
      .Num("loadgen_cpu_s", s.loadgen_cpu_s, 2);
  if (options.server_pid > 0) {
    out.Int("server_pid", options.server_pid)
        .Int("server_vmhwm_kib", s.server.vm_hwm_kib)
        .Int("server_vmrss_kib", s.server.vm_rss_kib)
        .Num("server_cpu_s", s.server_cpu_s, 2);
  }
  std::printf("%s\n", out.Finish().c_str());
}

void PrintText(const Options& options, const Summary& s) {
  char rate[32] = "max";
  if (options.rate > 0) std::snprintf(rate, sizeof(rate), "%.1f req/s", options.rate);
  std::printf("%s to %s: %zu stream(s), %zu connection(s), %zu record(s) x %zu B per request, "
              "rate %s\n",
              std::string(OperationName(s.op)).c_str(), options.endpoint.c_str(), s.streams,
              options.connections, s.records_per_request, options.record_size, rate);
  std::printf("elapsed      %.2f s (after %.1f s warmup)\n", s.elapsed_s, options.warmup_s);
  std::printf("requests     %llu ok, %.1f req/s\n", static_cast<unsigned long long>(s.requests),
              s.PerSecond(static_cast<double>(s.requests)));
  std::printf("records      %llu ok, %.0f rec/s, %llu failed\n",
              static_cast<unsigned long long>(s.records),
              s.PerSecond(static_cast<double>(s.records)),
              static_cast<unsigned long long>(s.records_failed));
  std::printf("throughput   %.2f MiB/s of record data, %.2f MiB/s of request bytes\n",
              s.MiBPerSecond(s.record_bytes), s.MiBPerSecond(s.bytes_sent));
  std::printf("latency ms  ");
  for (size_t i = 0; i < s.latency_ms.size(); ++i) {
    std::printf(" %s %.3f", kPercentiles[i].name, s.latency_ms[i]);
  }
  std::printf("\nerrors       %llu", static_cast<unsigned long long>(s.errors_total));
  for (const auto& [kind, n] : s.errors) {
    std::printf("  %s=%llu", kind.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\nloadgen cpu  %.2f s\n", s.loadgen_cpu_s);
  if (options.server_pid > 0) {
    std::printf("server       pid %d: VmHWM %lld KiB, VmRSS %lld KiB, cpu %.2f s\n",
                options.server_pid, static_cast<long long>(s.server.vm_hwm_kib),
                static_cast<long long>(s.server.vm_rss_kib), s.server_cpu_s);
  }
}

int Run(const Options& options) {
  const Operation op =
      options.op == "PutRecord" ? Operation::kPutRecord : Operation::kPutRecordBatch;
  Result<Endpoint> endpoint = ParseEndpoint(options.endpoint);
  if (!endpoint.ok()) {
    std::fprintf(stderr, "hydrant-loadgen: %s\n", endpoint.status().message().c_str());
    return 2;
  }
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  const tcp::resolver::results_type addresses = resolver.resolve(endpoint->host, endpoint->port, ec);
  if (ec) {
    std::fprintf(stderr, "hydrant-loadgen: resolve %s: %s\n", endpoint->host.c_str(),
                 ec.message().c_str());
    return 2;
  }
  const std::vector<std::string> stream_names = options.StreamNames();

  if (options.create) {
    ControlClient control(options, *endpoint, addresses);
    Status st = control.CreateBucket();
    for (size_t i = 0; st.ok() && i < stream_names.size(); ++i) {
      st = control.CreateStream(stream_names[i]);
    }
    for (size_t i = 0; st.ok() && i < stream_names.size(); ++i) {
      st = control.WaitActive(stream_names[i], std::chrono::seconds(60));
    }
    if (!st.ok()) {
      std::fprintf(stderr, "hydrant-loadgen: --create failed: %s\n", st.ToString().c_str());
      return 2;
    }
  }

  WorkloadSpec spec;
  spec.op = op;
  spec.streams = stream_names;
  spec.records_per_request = options.records_per_request;
  spec.record_size = options.record_size;
  spec.variants = options.variants;
  spec.seed = options.seed;
  const Workload workload = Workload::Build(spec);

  Plan plan;
  plan.by_duration = options.requests == 0;
  plan.rate = options.rate;
  plan.tickets = options.requests;
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < options.connections; ++i) {
    workers.push_back(
        std::make_unique<Worker>(i, options, *endpoint, addresses, workload, op, &plan));
  }
  std::latch connected(static_cast<std::ptrdiff_t>(workers.size()));
  std::latch go(1);
  std::atomic<size_t> any_connected{0};
  std::atomic<size_t> finished{0};
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&, w = worker.get()] {
      if (w->Connect()) ++any_connected;
      connected.count_down();
      go.wait();
      if (any_connected > 0) w->Run();
      ++finished;
    });
  }
  connected.wait();
  if (any_connected == 0) {
    go.count_down();
    for (auto& t : threads) t.join();
    std::fprintf(stderr, "hydrant-loadgen: cannot connect to %s\n", options.endpoint.c_str());
    return 2;
  }

  plan.start = Clock::now();
  plan.measure_start =
      plan.start + std::chrono::duration_cast<nanoseconds>(duration<double>(options.warmup_s));
  plan.end = plan.measure_start +
             std::chrono::duration_cast<nanoseconds>(duration<double>(options.duration_s));
  go.count_down();

  // CPU time is sampled over the measured window only (from the end of warmup).
  double server_cpu_start = -1;
  double self_cpu_start = -1;
  const auto sample_cpu = [&] {
    if (options.server_pid > 0) server_cpu_start = ProcCpuSeconds(options.server_pid);
    self_cpu_start = SelfCpuSeconds();
  };
  if (options.warmup_s == 0) sample_cpu();
  const auto timeout = std::chrono::duration_cast<nanoseconds>(duration<double>(options.timeout_s));
  while (finished.load() < workers.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const Clock::time_point now = Clock::now();
    if (self_cpu_start < 0 && now >= plan.measure_start) sample_cpu();
    if (plan.by_duration && now > plan.end + timeout) plan.stop = true;
    for (auto& w : workers) w->AbortIfStuck(now, timeout);
  }
  for (auto& t : threads) t.join();
  const double self_cpu = self_cpu_start >= 0 ? SelfCpuSeconds() - self_cpu_start : 0;
  const double server_cpu =
      server_cpu_start >= 0 ? ProcCpuSeconds(options.server_pid) - server_cpu_start : -1;

  WorkerStats total;
  for (auto& w : workers) {
    const WorkerStats& s = w->stats();
    total.requests_ok += s.requests_ok;
    total.records_ok += s.records_ok;
    total.records_failed += s.records_failed;
    total.bytes_sent += s.bytes_sent;
    total.latencies_ns.insert(total.latencies_ns.end(), s.latencies_ns.begin(),
                              s.latencies_ns.end());
    for (const auto& [kind, n] : s.errors) total.errors[kind] += n;
    total.last_done = std::max(total.last_done, s.last_done);
  }
  std::sort(total.latencies_ns.begin(), total.latencies_ns.end());

  Summary sum;
  sum.op = op;
  sum.streams = stream_names.size();
  sum.records_per_request = workload.records_per_request();
  sum.elapsed_s = total.last_done > plan.measure_start
                      ? duration<double>(total.last_done - plan.measure_start).count()
                      : 0;
  sum.requests = total.requests_ok;
  sum.records = total.records_ok;
  sum.records_failed = total.records_failed;
  sum.record_bytes = total.records_ok * options.record_size;
  sum.bytes_sent = total.bytes_sent;
  for (const Percentile& p : kPercentiles) {
    sum.latency_ms.push_back(PercentileMs(total.latencies_ns, p.quantile));
  }
  sum.errors = std::move(total.errors);
  for (const auto& [kind, n] : sum.errors) sum.errors_total += n;
  sum.loadgen_cpu_s = self_cpu;
  if (options.server_pid > 0) {
    sum.server = ReadProcStatus(options.server_pid);
    sum.server_cpu_s = server_cpu;
  }
  if (options.json) {
    PrintJson(options, sum);
  } else {
    PrintText(options, sum);
  }
  return options.verify && sum.errors_total > 0 ? 1 : 0;
}

}  // namespace
}  // namespace hydrant::bench

int main(int argc, char** argv) {
  hydrant::bench::Options o;
  CLI::App app{"hydrant-loadgen: load generator for Firehose-compatible servers"};
  app.add_option("--endpoint", o.endpoint, "http://host:port of the server")->capture_default_str();
  app.add_option("--stream", o.stream, "stream name (with --streams: the name prefix)")
      ->capture_default_str();
  app.add_option("--streams", o.streams, "spread load over N streams named STREAM-0..STREAM-(N-1)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--op", o.op, "operation")
      ->check(CLI::IsMember({"PutRecordBatch", "PutRecord"}))
      ->capture_default_str();
  app.add_option("--records-per-request", o.records_per_request, "records per PutRecordBatch")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--record-size", o.record_size, "decoded bytes per record")
      ->check(CLI::Range(1, 16 << 20))
      ->capture_default_str();
  app.add_option("--connections", o.connections, "keep-alive connections (one thread each)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  auto* duration = app.add_option("--duration", o.duration_s, "seconds to send (default 10)")
                       ->check(CLI::PositiveNumber);
  auto* requests = app.add_option("--requests", o.requests, "total requests to send, then stop")
                       ->check(CLI::PositiveNumber);
  duration->excludes(requests);
  app.add_option("--warmup", o.warmup_s, "seconds sent first and left out of the report")
      ->check(CLI::NonNegativeNumber)
      ->excludes(requests);
  app.add_option("--rate", o.rate, "target requests/s over all connections (0 = as fast as possible)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "seconds before a request in flight is aborted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--variants", o.variants, "distinct record sets rotated through")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "record generator seed")->capture_default_str();
  app.add_flag("--create", o.create,
               "create the bucket and the stream(s) first (existing ones are reused)");
  app.add_option("--bucket", o.bucket, "bucket for --create")->capture_default_str();
  app.add_option("--buffer-mb", o.buffer_mb, "BufferingHints.SizeInMBs for --create")
      ->check(CLI::Range(1, 128))
      ->capture_default_str();
  app.add_option("--buffer-seconds", o.buffer_seconds,
                 "BufferingHints.IntervalInSeconds for --create")
      ->check(CLI::Range(0, 900))
      ->capture_default_str();
  app.add_option("--region", o.region, "SigV4 region")
      ->envname("AWS_DEFAULT_REGION")
      ->capture_default_str();
  app.add_option("--access-key", o.access_key, "SigV4 access key")
      ->envname("AWS_ACCESS_KEY_ID")
      ->capture_default_str();
  app.add_option("--secret-key", o.secret_key, "SigV4 secret key")->envname("AWS_SECRET_ACCESS_KEY");
  app.add_flag("--json", o.json, "print one JSON summary line instead of the text report");
  app.add_flag("--verify", o.verify,
               "check that each response reports no failed record (FailedPutCount 0 / RecordId); "
               "exit 1 if any request failed");
  app.add_option("--server-pid", o.server_pid,
                 "report this process's peak RSS (VmHWM) and CPU time over the run")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  if (o.duration_s == 0 && o.requests == 0) o.duration_s = 10;
  for (const std::string& name : o.StreamNames()) {
    const bool valid =
        !name.empty() && name.size() <= 64 &&
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
            std::string::npos;
    if (!valid) {
      std::fprintf(stderr, "hydrant-loadgen: invalid stream name '%s'\n", name.c_str());
      return 2;
    }
  }
  return hydrant::bench::Run(o);
}
