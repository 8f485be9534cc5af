// OpenSearchDelivery: the OpenSearch kinds' delivery. A batch becomes `_bulk` requests
// (application/x-ndjson, an `index` action per record naming its own index, rotated by the
// record's arrival time, and with FIREHOSE_DEFAULT a document id derived from the record's place
// in the log, so a re-sent record overwrites its document instead of duplicating it). The bulk
// response is read item by item: an item the cluster refused with 429 or 5xx is retried, one it
// refused otherwise (a mapping error, a record that is not a JSON object) fails for good and
// goes to the error output at once; a request that fails as a whole is retried.
#pragma once

#include <string>

#include "destination/destination.h"
#include "destination/opensearch/opensearch_config.h"
#include "http/outbound_client.h"

namespace hydrant::destination::opensearch {

// How Hydrant reaches the cluster (the config file's opensearch_domains entry, if any).
struct ClusterAccess {
  std::string endpoint;                // base URL: ClusterEndpoint, or the domain's endpoint
  std::string username, password;      // HTTP basic, when username is set
  std::string sigv4_service;           // "es" or "aoss": requests are SigV4-signed
  std::string region, access_key_id, secret_access_key;
};

struct DeliveryOptions {
  ClusterAccess access;
  std::string document_id_prefix;      // makes ids unique across streams (see DocumentId)
  int64_t request_timeout_ms = 180'000;
  int64_t connect_timeout_ms = 10'000;
  std::string ca_bundle;
  bool skip_verify = false;
  size_t max_request_bytes = 16 << 20;  // a batch is split into bulk requests of at most this
};

class OpenSearchDelivery final : public Destination {
 public:
  OpenSearchDelivery(http::OutboundClient* client, OpenSearchDestination config, DeliveryOptions options)
      : client_(client), config_(std::move(config)), options_(std::move(options)) {}

  std::string Plan(const BatchFacts& facts) const override;  // the batch id
  Result<std::unique_ptr<Payload>> Encode(std::string_view plan, std::span<const Record> records,
                                          std::string* concatenated = nullptr) const override;
  DeliveryResult Send(const Payload& payload) const override;
  std::string Describe(std::string_view plan) const override;
  std::optional<int64_t> retry_window_millis() const override { return config_.retry_seconds * 1000; }
  std::string_view failed_output_type() const override;
  bool backup_all() const override { return config_.all_documents; }
  // The service's layout: attemptsMade, arrivalTimestamp, errorCode, errorMessage,
  // attemptEndingTimestamp, esDocumentId, esIndexName, esTypeName, rawData (Serverless:
  // osDocumentId, osIndexName).
  void AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const override;

  // The index a record goes to: IndexName with the rotation suffix of its UTC arrival time.
  std::string IndexFor(int64_t arrival_millis) const;
  // Its document id ("" with NO_DOCUMENT_ID): the prefix, the record id and its subsequence.
  std::string DocumentId(const Record& record) const;

 private:
  http::OutboundClient* client_;
  const OpenSearchDestination config_;
  const DeliveryOptions options_;
};

// IndexName with the suffix of `rotation` for `arrival_millis` (UTC): NoRotation none, OneHour
// -YYYY-MM-DD-HH, OneDay -YYYY-MM-DD, OneWeek -YYYY-wWW (ISO-8601 weeks and week-based year, which
// is what the service's documented example shows: 2016-02-25 is 2016-w08), OneMonth -YYYY-MM.
std::string RotatedIndex(std::string_view index, std::string_view rotation, int64_t arrival_millis);

// The bulk request bodies an Encode made (for tests).
std::vector<std::string_view> EncodedRequests(const Payload& payload);

// Outcomes of one bulk response for `count` records (exposed for tests).
DeliveryResult ClassifyBulkResponse(const http::OutboundResponse& response, size_t count, std::string_view code_prefix);

}  // namespace hydrant::destination::opensearch
