// hydrant-bench-http-ceiling: Hydrant's own HTTP layer (http::HttpServer, same I/O thread count
// as `hydrant serve`) with a handler that answers every request at once, without looking at it.
// hydrant-loadgen against it gives the loopback HTTP ceiling: the most any handler behind this
// layer could be acknowledged at, on this machine, with the generator on the same cores.
//
//   hydrant-bench-http-ceiling [PORT [IO_THREADS]]   (PORT 0: a free port; prints "listening on PORT")
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "http/http_server.h"

int main(int argc, char** argv) {
  hydrant::http::HttpServerOptions options;
  options.port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 0);
  options.io_threads = argc > 2 ? std::atoi(argv[2]) : 2;  // `hydrant serve --io-threads` default

  sigset_t termination;
  sigemptyset(&termination);
  sigaddset(&termination, SIGTERM);
  sigaddset(&termination, SIGINT);
  pthread_sigmask(SIG_BLOCK, &termination, nullptr);

  // One body satisfies `hydrant-loadgen --verify` for both operations: PutRecordBatch looks for
  // "FailedPutCount":0, PutRecord for a RecordId.
  const std::string body =
      R"({"Encrypted":false,"FailedPutCount":0,"RecordId":"0","RequestResponses":[]})";
  hydrant::http::HttpServer server(
      options, [&body](hydrant::http::HttpRequest, hydrant::http::Respond respond) {
        hydrant::http::HttpResponse response;
        response.SetHeader("Content-Type", "application/x-amz-json-1.1");
        response.body = body;
        respond(std::move(response));
      });
  auto port = server.Start();
  if (!port.ok()) {
    std::fprintf(stderr, "%s\n", port.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&termination, &signal_number);
  server.StopAccepting();
  server.Stop();
  return 0;
}
