// HttpServer over Boost.Beast: one strand per connection, async reads and writes.
#include "http/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <array>
#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <type_traits>
#include <thread>
#include <vector>

#include "common/byte_budget.h"

namespace hydrant::http {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr int kAcceptRetryMillis = 100;
constexpr uint64_t kChunkedReserveStep = 1 << 20;  // chunked bodies reserve budget in 1 MiB steps
constexpr int kLingerSeconds = 2;                 // discarding a refused body before closing

// The server-wide budget for request bodies in memory (HttpServerOptions::max_inflight_body_bytes).
using BodyBudget = ByteBudget;

// One connection: plain (beast::tcp_stream) or TLS (TlsStream, after detecting and completing
// the handshake).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const Handler& handler, BodyBudget* budget)
    requires(!kTls)
      : stream_(std::move(socket)), options_(options), handler_(handler), budget_(budget) {}
  Session(tcp::socket socket, std::shared_ptr<ssl::context> tls, const HttpServerOptions& options,
          const Handler& handler, BodyBudget* budget)
    requires(kTls)
      : tls_(std::move(tls)), stream_(std::move(socket), *tls_), options_(options), handler_(handler), budget_(budget) {}
  ~Session() { ReleaseBody(); }

  void Start() {
    beast::error_code ec;
    auto ep = Lowest().socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    // Beast reads at most the buffer's free capacity per call (64 KiB cap): without this a
    // 5 MB PutRecordBatch body arrives in ~500-byte reads.
    buffer_.reserve(64 * 1024);
    if constexpr (kTls) {
      net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->DetectTls(); });
    } else {
      net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->ReadHeader(); });
    }
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // A client speaking plain HTTP to the TLS port gets a plain 400 saying so, then the
  // connection closes; a TLS client gets its handshake.
  void DetectTls() {
    Lowest().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    beast::async_detect_ssl(Lowest(), buffer_, [self = this->shared_from_this()](beast::error_code ec, bool tls) {
      if (ec) return self->Close();
      if (!tls) return self->RefusePlainHttp();
      self->stream_.async_handshake(ssl::stream_base::server, self->buffer_.data(),
                                    // (Boost 1.81 constrains this handler as if it took only the error.)
                                    [self](beast::error_code ec, size_t used = 0) {
                                      if (ec) return self->Lowest().close();  // not TLS we can speak
                                      self->buffer_.consume(used);
                                      self->ReadHeader();
                                    });
    });
  }

  void RefusePlainHttp() {
    static const std::string kBody = "This port speaks HTTPS only: use https:// to reach it";
    static const std::string kResponse = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                                         "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
    net::async_write(Lowest(), net::buffer(kResponse), [self = this->shared_from_this()](beast::error_code, size_t) {
      beast::error_code ec;
      self->Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
      self->Lowest().close();
    });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    Lowest().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    if (!ReserveBody(parser_->content_length().value_or(0))) return Throttle();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->chunked()) return ReadChunkedBody();
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  // A chunked body's length is unknown up front: read piece by piece, reserving as it grows.
  void ReadChunkedBody() {
    http::async_read_some(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      uint64_t size = self->parser_->get().body().size();
      if (size > self->body_reserved_ &&
          !self->ReserveBody(size - self->body_reserved_ + kChunkedReserveStep)) {
        return self->Throttle();
      }
      if (self->parser_->is_done()) return self->OnRead(ec);
      self->ReadChunkedBody();
    });
  }

  bool ReserveBody(uint64_t bytes) {
    if (bytes == 0) return true;
    if (!budget_->TryReserve(bytes)) return false;
    body_reserved_ += bytes;
    return true;
  }

  void ReleaseBody() {
    if (body_reserved_ == 0) return;
    budget_->Release(body_reserved_);
    body_reserved_ = 0;
  }

  // The body does not fit the budget: the protocol's throttling answer at once, then close.
  void Throttle() {
    auto& head = parser_->get();
    HttpRequest request;
    request.method = std::string(head.method_string());
    request.target = std::string(head.target());
    for (const auto& field : head) {
      request.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    request.remote = remote_;
    HttpResponse response;
    if (options_.throttled) {
      response = options_.throttled(request);
    } else {
      response.status = 503;
      response.body = "server busy: too many request bodies in flight";
    }
    ReleaseBody();
    parser_.reset();  // frees what was read of the body
    keep_alive_ = false;
    body_unread_ = true;
    Write(std::move(response));
  }

  // The client may still be sending the refused body: closing with unread bytes would reset the
  // connection, and a reset can destroy the response before the client reads it. Half-close,
  // discard what arrives into a small buffer until the client closes or kLingerSeconds pass.
  void Linger() {
    if (!discard_) {
      beast::error_code ec;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      Lowest().expires_after(std::chrono::seconds(kLingerSeconds));
      discard_ = std::make_unique<std::array<char, 16384>>();
    }
    stream_.async_read_some(net::buffer(*discard_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Linger();
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset) {
      return Close();
    }
    HttpResponse res;
    keep_alive_ = false;
    body_unread_ = true;  // the client may still be sending the rest: linger so it reads the answer
    if (ec == http::error::body_limit) {
      res.status = 413;
      res.body = "request body too large";
    } else if (ec == http::error::header_limit) {
      res.status = 431;
      res.body = "request headers too large";
    } else {
      res.status = 400;
      res.body = "malformed HTTP request: " + ec.message();
    }
    Write(std::move(res));
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) {
      request.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(req.body());
    request.remote = remote_;
    request.secure = kTls;
    // The handler may take a while (group commit); no read deadline while it runs.
    Lowest().expires_never();
    handler_(std::move(request), [self = this->shared_from_this()](HttpResponse response) {
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
    });
  }

  void Write(HttpResponse response) {
    ReleaseBody();  // the handler is done with the body
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), 11);
    for (auto& [name, value] : response.headers) res->insert(name, value);
    res->keep_alive(keep_alive_);
    if (response.head_only) {
      res->set(http::field::content_length, std::to_string(response.head_content_length));
    } else {
      res->body() = std::move(response.body);
      res->prepare_payload();
    }
    auto serializer = std::make_shared<http::response_serializer<http::string_body>>(*res);
    if (response.head_only) serializer->split(true);
    Lowest().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    if (response.head_only) {
      http::async_write_header(stream_, *serializer,
                               [self = this->shared_from_this(), res, serializer](beast::error_code ec, size_t) {
                                 self->OnWrite(ec);
                               });
    } else {
      http::async_write(stream_, *serializer,
                        [self = this->shared_from_this(), res, serializer](beast::error_code ec, size_t) {
                          self->OnWrite(ec);
                        });
    }
  }

  void OnWrite(beast::error_code ec) {
    if (!ec && body_unread_) return Linger();
    if (ec || !keep_alive_) return Close();
    ReadHeader();
  }

  void Close() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().close();
  }

  std::shared_ptr<ssl::context> tls_;  // TLS: the certificate this connection was accepted with
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  const Handler& handler_;
  std::string remote_;
  bool keep_alive_ = true;
  BodyBudget* budget_;
  uint64_t body_reserved_ = 0;  // this request's share of budget_
  bool body_unread_ = false;    // refused before the request was read: linger before closing
  std::unique_ptr<std::array<char, 16384>> discard_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  net::io_context ioc;
  std::optional<BodyBudget> body_budget;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;

  std::mutex tls_mu;
  std::shared_ptr<ssl::context> tls;  // the current certificate; null = plain HTTP

  std::shared_ptr<ssl::context> Tls() {
    std::lock_guard<std::mutex> lock(tls_mu);
    return tls;
  }

  std::optional<net::steady_timer> accept_retry;  // on the acceptor's strand
  uint64_t accept_failures = 0;                   // in a row; guarded by the acceptor's strand

  void Accept() {
    acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
        // Out of file descriptors (EMFILE/ENFILE) the pending connection stays queued: accepting
        // again at once would spin a core and log a line per try. Wait for connections to close.
        if (accept_failures++ == 0) {
          spdlog::warn("accept failed: {}; retrying every {} ms until it succeeds", ec.message(),
                       kAcceptRetryMillis);
        }
        accept_retry->expires_after(std::chrono::milliseconds(kAcceptRetryMillis));
        accept_retry->async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec && acceptor->is_open()) Accept();
        });
        return;
      }
      if (accept_failures > 0) {
        spdlog::info("accepting connections again after {} failed accepts", accept_failures);
        accept_failures = 0;
      }
      if (auto context = Tls()) {
        std::make_shared<Session<TlsStream>>(std::move(socket), std::move(context), options, handler, &*body_budget)
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), options, handler, &*body_budget)->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler) : impl_(new Impl) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  impl_->body_budget.emplace(impl_->options.max_inflight_body_bytes);
}

HttpServer::~HttpServer() { Stop(); }

namespace {

// A TLS 1.2 / 1.3 server context with the certificate chain and key in PEM files.
Result<std::shared_ptr<ssl::context>> LoadTls(const std::string& cert_file, const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  beast::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (!ec) context->use_certificate_chain_file(cert_file, ec);
  if (ec) return Status::InvalidArgument("cannot load the TLS certificate " + cert_file + ": " + ec.message());
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("cannot load the TLS key " + key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Status::InvalidArgument("the TLS key " + key_file + " does not match the certificate " + cert_file);
  }
  return context;
}

}  // namespace

Status HttpServer::ReloadTls() {
  if (impl_->options.tls_cert_file.empty()) return Status::Ok();
  auto context = LoadTls(impl_->options.tls_cert_file, impl_->options.tls_key_file);
  if (!context.ok()) return context.status();
  std::lock_guard<std::mutex> lock(impl_->tls_mu);
  impl_->tls = std::move(*context);  // connections keep the context they were accepted with
  return Status::Ok();
}

Result<uint16_t> HttpServer::Start() {
  if (Status s = ReloadTls(); !s.ok()) return s;
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + impl_->options.host + "'");
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor.emplace(net::make_strand(impl_->ioc));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + impl_->options.host + ":" +
                           std::to_string(impl_->options.port) + ": " + ec.message());
  }
  uint16_t port = acceptor.local_endpoint().port();
  impl_->accept_retry.emplace(acceptor.get_executor());
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->options.io_threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return port;
}

void HttpServer::StopAccepting() {
  if (!impl_->acceptor) return;
  std::promise<void> done;
  net::post(impl_->acceptor->get_executor(), [this, &done] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
    done.set_value();
  });
  done.get_future().wait();
}

void HttpServer::Stop() {
  if (impl_->threads.empty()) return;
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace hydrant::http
