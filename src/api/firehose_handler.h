// FirehoseHandler: the Firehose_20150804 operations (AWS JSON 1.1) over the stream catalog.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "common/clock.h"
#include "http/http_server.h"
#include "stream/catalog.h"

namespace hydrant::api {

// Thread-safe. Control-plane operations answer synchronously; PutRecord/PutRecordBatch answer
// once their records are durable (after the WAL group commit).
class FirehoseHandler {
 public:
  FirehoseHandler(stream::Catalog* catalog, Clock* clock);

  // `operation` is the part of X-Amz-Target after "Firehose_20150804.". `caller`: the request's
  // verified sender, whose policy must allow firehose:<operation> on the stream (null when
  // requests are not authenticated).
  void Handle(std::string_view operation, http::HttpRequest request, http::Respond respond,
              const auth::Caller* caller = nullptr);

 private:
  void Put(bool batch, http::HttpRequest& request, const std::string& request_id, http::Respond respond,
           const auth::Caller* caller);
  uint64_t NextRecordNumber(size_t count);

  stream::Catalog* catalog_;
  Clock* clock_;
  const uint64_t record_id_salt_;  // random per process (16 bits): cluster mode's ids
  std::atomic<uint64_t> record_counter_{0};
};

}  // namespace hydrant::api
