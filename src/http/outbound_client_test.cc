// OutboundClient against Hydrant's own HTTP server on loopback: what is sent, what is read
// back, connection reuse, no redirects, and how transport failures are told apart.
#include "http/outbound_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "http/http_server.h"

namespace hydrant::http {
namespace {

class OutboundClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    server_ = std::make_unique<HttpServer>(options, [this](HttpRequest request, Respond respond) {
      remotes_.insert(request.remote);
      if (request.Path() == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      HttpResponse response;
      if (request.Path() == "/moved") {
        response.status = 302;
        response.headers = {{"Location", "/elsewhere"}};
      } else {
        response.status = 200;
        response.headers = {{"X-Echo-Method", request.method}, {"X-Echo-Type", std::string(request.Header("Content-Type"))}};
        response.body = request.body;
      }
      respond(std::move(response));
    });
    auto port = server_->Start();
    ASSERT_TRUE(port.ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
  }
  void TearDown() override { server_->Stop(); }

  std::unique_ptr<HttpServer> server_;
  std::string base_;
  std::set<std::string> remotes_;  // the I/O thread writes, the test reads after the requests
};

TEST_F(OutboundClientTest, SendsBodyAndHeadersAndReadsTheResponse) {
  OutboundClient client;
  OutboundRequest request;
  request.method = "PUT";
  request.url = base_ + "/echo";
  request.headers = {"Content-Type: application/json"};
  request.body = R"({"a":1})";
  OutboundResponse response = client.Send(request);
  ASSERT_EQ(response.transport, OutboundResponse::Transport::kOk) << response.transport_error;
  EXPECT_TRUE(response.ok());
  EXPECT_EQ(response.body, R"({"a":1})");
  EXPECT_EQ(response.headers["x-echo-method"], "PUT");  // names lower-cased
  EXPECT_EQ(response.headers["x-echo-type"], "application/json");
}

TEST_F(OutboundClientTest, ReusesTheConnectionForTheNextRequest) {
  OutboundClient client;
  for (int i = 0; i < 3; ++i) {
    OutboundRequest request;
    request.method = "POST";
    request.url = base_ + "/echo";
    request.body = "x";
    ASSERT_TRUE(client.Send(request).ok());
  }
  EXPECT_EQ(remotes_.size(), 1u) << "three requests, one connection";
}

TEST_F(OutboundClientTest, DoesNotFollowRedirects) {
  OutboundClient client;
  OutboundRequest request;
  request.url = base_ + "/moved";
  OutboundResponse response = client.Send(request);
  EXPECT_EQ(response.transport, OutboundResponse::Transport::kOk);
  EXPECT_EQ(response.status, 302);
  EXPECT_FALSE(response.ok());
}

TEST_F(OutboundClientTest, TellsTimeoutsFromRefusedConnections) {
  OutboundClient client;
  OutboundRequest slow;
  slow.url = base_ + "/slow";
  slow.timeout_ms = 300;
  OutboundResponse timed_out = client.Send(slow);
  EXPECT_EQ(timed_out.transport, OutboundResponse::Transport::kTimeout);
  EXPECT_NE(timed_out.transport_error.find("/slow"), std::string::npos);

  // A port nobody listens on: bound, never listening.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  OutboundRequest refused;
  refused.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/";
  EXPECT_EQ(client.Send(refused).transport, OutboundResponse::Transport::kConnectFailed);
  ::close(fd);
}

}  // namespace
}  // namespace hydrant::http
