// Destination: where one stream's records go, built from the stream's configuration by the
// folder of its kind (s3/, http_endpoint/). The stream's lane owns buffering, the journal,
// retries and the error output; a destination only plans, encodes and sends a batch.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::destination {

enum class Outcome {
  kDelivered,  // durably at the destination
  kRetryable,  // failed now, may succeed later (bucket missing, server down): keep the data
  kFailed,     // failed for good (e.g. HTTP 413): not retried, goes to the error output
};

// Why one record of an attempt was not delivered, when the destination says so per record.
struct RecordError {
  std::string code;     // e.g. "400" (the status an OpenSearch bulk item answered)
  std::string message;  // e.g. the item's error, as JSON
};

// The result of one attempt. `records`, when not empty, holds one outcome per record of the
// attempt, in order (a destination that accepts part of a batch); otherwise every record has
// `outcome`.
struct DeliveryResult {
  Outcome outcome = Outcome::kDelivered;
  std::string error_code;     // CloudWatch-style code, e.g. "S3.NoSuchBucket"
  std::string error_message;  // for logs and the error output
  std::vector<Outcome> records{};
  // With `records`: each record's own error (empty code: the attempt's error_code/message).
  std::vector<RecordError> record_errors{};
  // How long the destination took to acknowledge the delivery (Splunk's indexer acks); -1: none.
  int64_t ack_latency_millis = -1;
  // S3 objects the attempt wrote before loading them (Redshift's intermediate object and
  // manifest), the records and bytes they hold, and rows the destination skipped within its error
  // tolerance (MAXERROR): for the kind's metrics.
  uint64_t staged_objects = 0;
  uint64_t staged_records = 0;
  uint64_t staged_bytes = 0;
  uint64_t rows_rejected = 0;
};

// A record as a destination receives it: after the processors, with where it came from.
struct Record {
  std::string_view data;
  int64_t arrival_millis = 0;
  std::string_view record_id;  // stable across every attempt and restart (its place in the log)
  // Which output of that stored record this is (a de-aggregated or split record has several:
  // 0, 1, ...); (record_id, subsequence) is unique within a batch and stable across attempts.
  uint32_t subsequence = 0;
};

struct DeliveryFailure;

// What a destination may use to plan a batch; the same facts come back after a restart.
struct BatchFacts {
  std::string_view stream_name{};
  int64_t stream_version = 1;
  int64_t first_arrival_millis = 0;  // the oldest record's arrival
  std::string_view batch_id;         // a UUID, fixed when the batch was cut
};

// One attempt's request, built by Encode and sent by Send (kept across retries of the same
// records).
class Payload {
 public:
  virtual ~Payload() = default;
  virtual uint64_t bytes() const = 0;  // what goes on the wire, for metrics
};

// Encode may run on one thread while Send runs on another; neither keeps state between calls.
class Destination {
 public:
  virtual ~Destination() = default;
  // Written to the journal before the first attempt and handed back for every attempt, also
  // after a restart, so a batch sent again is recognisably the same batch (S3: the object key;
  // HTTP endpoint: the request id).
  virtual std::string Plan(const BatchFacts& facts) const = 0;
  // Builds the request for `records` (CPU only). `concatenated`, when not null, holds the
  // records' bytes back to back, in order, and the caller no longer needs it: Encode may take
  // it (an S3 object is exactly that) instead of copying the records.
  virtual Result<std::unique_ptr<Payload>> Encode(std::string_view plan, std::span<const Record> records,
                                                  std::string* concatenated = nullptr) const = 0;
  // One attempt.
  virtual DeliveryResult Send(const Payload& payload) const = 0;
  // Where it delivers, for logs ("s3://bucket/key", the URL).
  virtual std::string Describe(std::string_view plan) const = 0;
  // How long retryable records are retried, counting only the time spent waiting between
  // attempts (RetryOptions.DurationInSeconds); nullopt: until the stream's retention period
  // runs out (S3), after which they are discarded as the service does.
  virtual std::optional<int64_t> retry_window_millis() const = 0;
  // The error output type of records that failed for good or outlived the retry window
  // ("http-endpoint-failed"); they are written to the stream's S3 error location.
  virtual std::string_view failed_output_type() const = 0;
  // S3BackupMode AllData (and the other kinds' "all" modes): every delivered record is also
  // written to the stream's S3 location.
  virtual bool backup_all() const { return false; }
  // One record's document in the error output (failed_record.h's layout unless the kind has its
  // own, such as OpenSearch's esDocumentId and esIndexName), followed by "\n".
  virtual void AppendFailedRecord(const Record& record, const DeliveryFailure& failure, std::string* out) const;
  // The error output of a batch whose records failed for good, when the kind writes one object for
  // the batch instead of a document per record (Redshift: the batch's manifest); "" otherwise.
  virtual std::string FailedBatchOutput(std::string_view plan) const { return {}; }
};

}  // namespace hydrant::destination
