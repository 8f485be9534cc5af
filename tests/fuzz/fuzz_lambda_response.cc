// Fuzzes the Lambda processor's handling of a function's response: the fuzz input is what the
// function answers, returned by an in-process FunctionInvoker, and LambdaProcessor::Process
// validates and applies it to a batch exactly as in delivery.
//
// Input: byte 0 = records in the batch (1-8, ids "a".."h"), byte 1 = flags (bit 0 retry invalid
// responses with one retry, bit 1 the first attempt fails as a function error), then the response.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "functions/function_invoker.h"
#include "processor/lambda_processor.h"

namespace {

namespace processor = hydrant::processor;
namespace functions = hydrant::functions;

class ScriptedFunction final : public functions::FunctionInvoker {
 public:
  ScriptedFunction(std::string_view response, bool fail_first) : response_(response), fail_first_(fail_first) {}
  functions::InvokeResult Invoke(std::string_view, std::string_view event) override {
    functions::InvokeResult result;
    if (fail_first_ && calls_++ == 0) {
      result.outcome = functions::InvokeResult::Outcome::kFunctionError;
      result.error_type = "Error";
      result.error_message = "first attempt fails";
      return result;
    }
    result.payload = std::string(response_);
    return result;
  }

 private:
  std::string_view response_;
  bool fail_first_;
  int calls_ = 0;
};

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "check failed: %s\n", what);
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t n = 1 + data[0] % 8;
  const bool retry_invalid = data[1] & 1;
  ScriptedFunction function(std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2), data[1] & 2);
  hydrant::FakeClock clock(1'700'000'000'000);
  processor::LambdaProcessorOptions options{
      .lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:f",
      .delivery_stream_arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
      .region = "us-east-1",
      .number_of_retries = 1,
      .retry_invalid_responses = retry_invalid};
  processor::LambdaProcessor lambda(&function, options, &clock);

  processor::RecordBatch batch(n);
  for (size_t i = 0; i < n; ++i) {
    batch[i].record_id = std::string(1, static_cast<char>('a' + i));
    batch[i].arrival_millis = 1'700'000'000'000;
    batch[i].data = batch[i].raw_data = "record " + batch[i].record_id;
  }
  Check(lambda.Process(batch).ok(), "Process always returns OK");
  Check(batch.size() == n, "one result per record");
  for (const processor::Record& r : batch) {
    if (r.result == processor::RecordResult::kProcessingFailed) {
      Check(!r.error_code.empty() && r.attempts_made >= 1 && r.attempts_made <= 2, "failure details");
      Check(r.lambda_arn == options.lambda_arn, "failure names the function");
    } else {
      Check(r.error_code.empty(), "no error code on success");
    }
    Check(r.raw_data == "record " + r.record_id, "raw data kept");
  }
  return 0;
}
