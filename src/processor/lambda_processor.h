// LambdaProcessor: the Lambda processor type — the Firehose data-transformation contract
// (firehose-spec §5.2) run against a FunctionInvoker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "functions/function_invoker.h"
#include "processor/processor.h"

namespace hydrant::processor {

// The processor's parameters. Ranges (NumberOfRetries, BufferSizeInMBs 0.2–3,
// BufferIntervalInSeconds 0–900) are validated with the stream configuration, not here.
struct LambdaProcessorOptions {
  std::string lambda_arn;           // LambdaArn, passed verbatim to the invoker and error records
  std::string delivery_stream_arn;  // event "deliveryStreamArn"
  std::string region;               // event "region"
  int number_of_retries = 3;        // NumberOfRetries: attempts per invocation = 1 + this
  double buffer_size_mbs = 1.0;     // BufferSizeInMBs: record bytes per invocation (MiB), a hint
  int buffer_interval_seconds = 60; // BufferIntervalInSeconds: the caller's flush timer; stored only
  // The real service takes a response the function returned as final, however malformed
  // (a MissingRecordId error record reads attemptsMade 1); only invocation failures are
  // retried. True also retries invalid responses, up to the same budget.
  bool retry_invalid_responses = false;
};

// Error codes and messages written to records this processor fails (the service's own
// words where it documents or was observed to write them).
inline constexpr std::string_view kLambdaFunctionError = "Lambda.FunctionError";
inline constexpr std::string_view kLambdaProcessingFailedStatus = "Lambda.ProcessingFailedStatus";
inline constexpr std::string_view kLambdaMissingRecordId = "Lambda.MissingRecordId";
inline constexpr std::string_view kLambdaDuplicatedRecordId = "Lambda.DuplicatedRecordId";
inline constexpr std::string_view kLambdaJsonProcessingException = "Lambda.JsonProcessingException";
inline constexpr std::string_view kLambdaResourceNotFound = "Lambda.ResourceNotFound";
// Not documented by the service: Hydrant's names, following its "Lambda.<Lambda API error>" form.
inline constexpr std::string_view kLambdaServiceException = "Lambda.ServiceException";
inline constexpr std::string_view kLambdaRequestTooLarge = "Lambda.RequestTooLargeException";

// Synchronous invocation limits. The request cap is kept under Lambda's 6 MiB so a batch
// never trips it; responses are held to Lambda's own limit.
inline constexpr size_t kMaxEventBytes = 6'000'000;
inline constexpr size_t kMaxResponseBytes = 6 * 1024 * 1024;

// Process(batch) sends the batch's kOk records, in order, through the function in
// invocations of at most buffer_size_mbs of record data whose event JSON is at most
// kMaxEventBytes. Per invocation:
//  - an invocation failure (function error, timeout, crash, not found, unavailable, or a
//    response over kMaxResponseBytes) is retried number_of_retries times, at once and with
//    a fresh invocationId each time; if every attempt fails, every record of that
//    invocation becomes kProcessingFailed with the last attempt's error;
//  - a response is validated: a JSON object whose "records" array names each input
//    recordId once (ids it does not know are ignored). A record not returned fails with
//    Lambda.MissingRecordId, one returned twice with Lambda.DuplicatedRecordId; the rest
//    take their result. Unparseable JSON or wrong types fail the whole invocation with
//    Lambda.JsonProcessingException; a result outside Ok|Dropped|ProcessingFailed or an Ok
//    without canonical base64 "data" fails it with Lambda.FunctionError (as the service
//    was observed to report both). These are final unless retry_invalid_responses;
//  - Ok: data = decoded "data", partition_keys = metadata.partitionKeys (strings only);
//    Dropped: kDropped; ProcessingFailed: Lambda.ProcessingFailedStatus.
// Failed records get error_code, error_message, attempts_made (attempts used by their
// invocation), attempt_ending_millis (clock, after the last attempt) and lambda_arn.
// A single record whose event alone exceeds kMaxEventBytes is not sent: it fails with
// Lambda.RequestTooLargeException after 1 attempt.
// Always returns OK: every outcome is a per-record result. Not thread-safe (one delivery
// loop drives it); `invoker` and `clock` are not owned and must outlive the processor.
class LambdaProcessor final : public Processor {
 public:
  LambdaProcessor(functions::FunctionInvoker* invoker, LambdaProcessorOptions options,
                  const Clock* clock);
  ~LambdaProcessor() override;

  Status Process(RecordBatch& batch) override;

  const LambdaProcessorOptions& options() const { return options_; }

  // Builds the event for records[indices...] into *out (replacing its contents), exactly
  // as sent to the function. Exposed for tests of the event's shape.
  void BuildEvent(const RecordBatch& batch, const std::vector<size_t>& indices,
                  std::string_view invocation_id, std::string* out) const;

 private:
  class ResponseParser;
  // The buffers one outstanding invocation works in.
  struct Lane {
    Lane();
    ~Lane();
    std::string event;                       // reused across invocations
    std::unique_ptr<ResponseParser> parser;  // reused simdjson state
  };
  // Sends records[indices] (whose event is event_size bytes) with retries; sets results.
  void Invoke(Lane& lane, RecordBatch& batch, const std::vector<size_t>& indices, size_t event_size);
  void WriteEvent(const RecordBatch& batch, const std::vector<size_t>& indices,
                  std::string_view invocation_id, size_t size, std::string* out) const;

  functions::FunctionInvoker* invoker_;
  LambdaProcessorOptions options_;
  const Clock* clock_;
  // Up to kMaxOutstandingInvocations invocations of one batch run at once (the service keeps
  // several outstanding per stream), each in its own lane; groups of records are disjoint.
  std::vector<std::unique_ptr<Lane>> lanes_;
};

// Invocations of one batch in flight at once, as the service allows per shard.
inline constexpr size_t kMaxOutstandingInvocations = 5;

}  // namespace hydrant::processor
