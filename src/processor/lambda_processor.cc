// LambdaProcessor: event built by hand into one reused buffer, response read with simdjson's
// DOM parser; both avoid per-record allocations because batches are megabytes.
#include "processor/lambda_processor.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "common/base64.h"
#include "common/ids.h"

namespace hydrant::processor {
namespace {

constexpr std::string_view kFunctionErrorMessage =
    "The Lambda function was successfully invoked but it returned an error result.";
constexpr std::string_view kInvalidFormatMessage =
    "Check your function and make sure the output is in required format. In addition to that, "
    "make sure the processed records contain valid result status of Dropped, Ok, or "
    "ProcessingFailed";
constexpr std::string_view kJsonMessage =
    "There was an error parsing returned records from the Lambda function. Ensure that the "
    "returned records follow the status model required by Firehose.";
constexpr std::string_view kMissingMessage =
    "One or more record Ids were not returned. Ensure that the Lambda function returns all "
    "received record Ids.";
constexpr std::string_view kDuplicatedMessage =
    "Multiple records were returned with the same record Id. Ensure that the Lambda function "
    "returns a unique record Id for each record.";
constexpr std::string_view kProcessingFailedMessage = "ProcessingFailed status set for record";
constexpr std::string_view kNotFoundMessage =
    "The specified Lambda function does not exist. Use a different function that does exist.";
constexpr std::string_view kRequestTooLargeMessage =
    "Request must be smaller than 6291456 bytes for the InvokeFunction operation";

constexpr std::string_view kEventHead = "{\"invocationId\":\"";
constexpr size_t kUuidLength = 36;
constexpr std::string_view kEventArn = "\",\"deliveryStreamArn\":\"";
constexpr std::string_view kEventRegion = "\",\"region\":\"";
constexpr std::string_view kEventRecords = "\",\"records\":[";
constexpr std::string_view kEventTail = "]}";
constexpr std::string_view kRecordHead = "{\"recordId\":\"";
constexpr std::string_view kRecordTimestamp = "\",\"approximateArrivalTimestamp\":";
constexpr std::string_view kRecordData = ",\"data\":\"";
constexpr std::string_view kRecordTail = "\"}";

constexpr char kHex[] = "0123456789abcdef";

// Extra bytes JSON escaping adds per character: \" \\ and \u00XX for controls.
struct EscapeExtra {
  uint8_t extra[256];
  constexpr EscapeExtra() : extra() {
    for (int c = 0; c < 0x20; ++c) extra[c] = 5;
    extra[static_cast<int>('"')] = 1;
    extra[static_cast<int>('\\')] = 1;
  }
};
constexpr EscapeExtra kEscapeExtra;

size_t JsonEscapedSize(std::string_view s) {
  size_t n = s.size();
  for (unsigned char c : s) n += kEscapeExtra.extra[c];
  return n;
}

// Writes `s` JSON-escaped at `dst` (which has JsonEscapedSize(s) bytes); returns the end.
char* WriteJsonEscaped(std::string_view s, size_t escaped_size, char* dst) {
  if (escaped_size == s.size()) {
    std::memcpy(dst, s.data(), s.size());
    return dst + s.size();
  }
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      *dst++ = '\\';
      *dst++ = static_cast<char>(c);
    } else if (c < 0x20) {
      std::memcpy(dst, "\\u00", 4);
      dst[4] = kHex[c >> 4];
      dst[5] = kHex[c & 15];
      dst += 6;
    } else {
      *dst++ = static_cast<char>(c);
    }
  }
  return dst;
}

char* WriteLiteral(std::string_view s, char* dst) {
  std::memcpy(dst, s.data(), s.size());
  return dst + s.size();
}

size_t DecimalSize(int64_t v) {
  if (v < 0) {  // not a real arrival time, but sized exactly all the same
    char buf[24];
    return static_cast<size_t>(std::to_chars(buf, buf + sizeof(buf), v).ptr - buf);
  }
  // Compares, not divisions: this runs for every record of every invocation.
  static constexpr int64_t kPowers[] = {10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL,
      10000000LL, 100000000LL, 1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL,
      10000000000000LL, 100000000000000LL, 1000000000000000LL, 10000000000000000LL,
      100000000000000000LL, 1000000000000000000LL};
  size_t digits = 1;
  for (int64_t p : kPowers) digits += v >= p;
  return digits;
}

// Bytes one record adds to the event's "records" array (without the separating comma).
size_t RecordEventSize(const Record& r) {
  return kRecordHead.size() + JsonEscapedSize(r.record_id) + kRecordTimestamp.size() +
         DecimalSize(r.arrival_millis) + kRecordData.size() + Base64EncodedSize(r.data.size()) +
         kRecordTail.size();
}

void Fail(Record& r, std::string_view code, std::string_view message, int attempts,
          int64_t ending_millis, const std::string& lambda_arn) {
  r.result = RecordResult::kProcessingFailed;
  r.error_code.assign(code);
  r.error_message.assign(message);
  r.attempts_made = attempts;
  r.attempt_ending_millis = ending_millis;
  r.lambda_arn = lambda_arn;
}

}  // namespace

// Reads and validates one response against the invocation's records, then applies it.
// Validation completes before any record changes, so a response rejected as a whole
// leaves the records as they were for a retry or for the error output.
class LambdaProcessor::ResponseParser {
 public:
  enum class Verdict { kValid, kJsonError, kFormatError };

  Verdict Parse(const RecordBatch& batch, const std::vector<size_t>& indices,
                const std::string& payload) {
    const size_t n = indices.size();
    slots_.assign(n, Slot{});
    decoded_.clear();
    keys_.clear();
    by_id_.clear();
    // simdjson reads up to SIMDJSON_PADDING bytes past the end. Growing `payload` would map
    // and fault in fresh pages per response; a kept buffer is reused instead.
    std::string_view json = payload;
    if (payload.capacity() - payload.size() < simdjson::SIMDJSON_PADDING) {
      padded_.resize(std::max(padded_.size(), payload.size() + simdjson::SIMDJSON_PADDING));
      std::memcpy(padded_.data(), payload.data(), payload.size());
      json = std::string_view(padded_.data(), payload.size());
    }
    // The DOM parser, unlike header-only on-demand, dispatches to the CPU's SIMD kernels at
    // run time; it also rejects trailing content.
    simdjson::dom::element doc;
    simdjson::dom::object root;
    if (parser_.parse(json.data(), json.size(), false).get(doc) || doc.get(root)) {
      return Verdict::kJsonError;
    }
    // A response without "records" returns no ids: every record is then missing.
    for (auto [key, value] : root) {
      if (key != "records") continue;
      simdjson::dom::array records;
      if (value.get(records)) return Verdict::kJsonError;
      size_t position = 0;
      for (simdjson::dom::element element : records) {
        simdjson::dom::object entry;
        if (element.get(entry)) return Verdict::kJsonError;
        Verdict v = ParseEntry(batch, indices, position++, entry);
        if (v != Verdict::kValid) return v;
      }
    }
    return Verdict::kValid;
  }

  void Apply(RecordBatch& batch, const std::vector<size_t>& indices, int attempts,
             int64_t ending_millis, const std::string& lambda_arn) {
    for (size_t k = 0; k < indices.size(); ++k) {
      Record& r = batch[indices[k]];
      const Slot& s = slots_[k];
      if (s.count == 0) {
        Fail(r, kLambdaMissingRecordId, kMissingMessage, attempts, ending_millis, lambda_arn);
      } else if (s.count > 1) {
        Fail(r, kLambdaDuplicatedRecordId, kDuplicatedMessage, attempts, ending_millis,
             lambda_arn);
      } else if (s.result == RecordResult::kDropped) {
        r.result = RecordResult::kDropped;
      } else if (s.result == RecordResult::kProcessingFailed) {
        Fail(r, kLambdaProcessingFailedStatus, kProcessingFailedMessage, attempts, ending_millis,
             lambda_arn);
      } else {
        r.data.assign(decoded_, s.data_begin, s.data_end - s.data_begin);
        for (size_t i = s.keys_begin; i < s.keys_end; ++i) {
          r.partition_keys.insert_or_assign(std::string(keys_[i].first),
                                            std::string(keys_[i].second));
        }
      }
    }
  }

 private:
  struct Slot {
    int count = 0;
    RecordResult result = RecordResult::kOk;
    size_t data_begin = 0, data_end = 0;  // in decoded_
    size_t keys_begin = 0, keys_end = 0;  // in keys_
  };

  // Index of `id` among the invocation's records, or -1. Functions almost always answer
  // in input order, so position is tried before the (lazily built) map.
  ptrdiff_t Find(const RecordBatch& batch, const std::vector<size_t>& indices, size_t position,
                 std::string_view id) {
    if (position < indices.size() && batch[indices[position]].record_id == id) {
      return static_cast<ptrdiff_t>(position);
    }
    if (by_id_.empty()) {
      by_id_.reserve(indices.size());
      for (size_t k = 0; k < indices.size(); ++k) by_id_.emplace(batch[indices[k]].record_id, k);
    }
    auto it = by_id_.find(id);
    return it == by_id_.end() ? -1 : static_cast<ptrdiff_t>(it->second);
  }

  Verdict ParseEntry(const RecordBatch& batch, const std::vector<size_t>& indices,
                     size_t position, simdjson::dom::object entry) {
    std::string_view id, result, data;
    bool has_id = false, has_result = false, has_data = false;
    const size_t keys_begin = keys_.size();
    for (auto [key, value] : entry) {
      if (value.is_null()) continue;
      if (key == "recordId") {
        if (value.get(id)) return Verdict::kJsonError;
        has_id = true;
      } else if (key == "result") {
        if (value.get(result)) return Verdict::kJsonError;
        has_result = true;
      } else if (key == "data") {
        if (value.get(data)) return Verdict::kJsonError;
        has_data = true;
      } else if (key == "metadata") {
        Verdict v = ParseMetadata(value);
        if (v != Verdict::kValid) return v;
      }
    }
    ptrdiff_t k = has_id ? Find(batch, indices, position, id) : -1;
    if (k < 0) {  // an id the invocation never sent: ignored, as the service does
      keys_.resize(keys_begin);
      return Verdict::kValid;
    }
    Slot& slot = slots_[static_cast<size_t>(k)];
    ++slot.count;
    if (!has_result) return Verdict::kFormatError;
    if (result == "Ok") {
      slot.result = RecordResult::kOk;
      if (!has_data) return Verdict::kFormatError;
      slot.data_begin = decoded_.size();
      if (!Base64Decode(data, &decoded_)) return Verdict::kFormatError;
      slot.data_end = decoded_.size();
    } else if (result == "Dropped") {
      slot.result = RecordResult::kDropped;
    } else if (result == "ProcessingFailed") {
      slot.result = RecordResult::kProcessingFailed;
    } else {
      return Verdict::kFormatError;
    }
    slot.keys_begin = keys_begin;
    slot.keys_end = keys_.size();
    return Verdict::kValid;
  }

  // metadata: {"partitionKeys": {"k": "v", ...}}; other members are ignored.
  Verdict ParseMetadata(simdjson::dom::element value) {
    simdjson::dom::object metadata;
    if (value.get(metadata)) return Verdict::kJsonError;
    for (auto [key, keys_value] : metadata) {
      if (key != "partitionKeys" || keys_value.is_null()) continue;
      simdjson::dom::object keys;
      if (keys_value.get(keys)) return Verdict::kJsonError;
      for (auto [name, v] : keys) {
        std::string_view text;
        if (v.get(text)) return Verdict::kJsonError;
        keys_.emplace_back(name, text);
      }
    }
    return Verdict::kValid;
  }

  simdjson::dom::parser parser_;
  std::string padded_;  // a padded copy of a response that arrived without padding
  std::vector<Slot> slots_;
  std::string decoded_;  // every Ok record's decoded data, back to back (one cache-friendly run)
  // Views into the parser's string buffer: valid until the next Parse.
  std::vector<std::pair<std::string_view, std::string_view>> keys_;
  std::unordered_map<std::string_view, size_t> by_id_;
};

LambdaProcessor::LambdaProcessor(functions::FunctionInvoker* invoker,
                                 LambdaProcessorOptions options, const Clock* clock)
    : invoker_(invoker), options_(std::move(options)), clock_(clock) {}

LambdaProcessor::~LambdaProcessor() = default;

LambdaProcessor::Lane::Lane() : parser(std::make_unique<ResponseParser>()) {}
LambdaProcessor::Lane::~Lane() = default;

void LambdaProcessor::BuildEvent(const RecordBatch& batch, const std::vector<size_t>& indices,
                                 std::string_view invocation_id, std::string* out) const {
  size_t size = kEventHead.size() + invocation_id.size() + kEventArn.size() +
                JsonEscapedSize(options_.delivery_stream_arn) + kEventRegion.size() +
                JsonEscapedSize(options_.region) + kEventRecords.size() + kEventTail.size();
  for (size_t k = 0; k < indices.size(); ++k) {
    size += (k > 0 ? 1 : 0) + RecordEventSize(batch[indices[k]]);
  }
  WriteEvent(batch, indices, invocation_id, size, out);
}

// Written through a pointer into a buffer of exactly `size` bytes (sized by the same
// functions): no per-record growth or bounds checks.
void LambdaProcessor::WriteEvent(const RecordBatch& batch, const std::vector<size_t>& indices,
                                 std::string_view invocation_id, size_t size,
                                 std::string* out) const {
  const size_t arn_size = JsonEscapedSize(options_.delivery_stream_arn);
  const size_t region_size = JsonEscapedSize(options_.region);
  out->resize(size);
  char* dst = out->data();
  dst = WriteLiteral(kEventHead, dst);
  dst = WriteLiteral(invocation_id, dst);
  dst = WriteLiteral(kEventArn, dst);
  dst = WriteJsonEscaped(options_.delivery_stream_arn, arn_size, dst);
  dst = WriteLiteral(kEventRegion, dst);
  dst = WriteJsonEscaped(options_.region, region_size, dst);
  dst = WriteLiteral(kEventRecords, dst);
  for (size_t k = 0; k < indices.size(); ++k) {
    const Record& r = batch[indices[k]];
    if (k > 0) *dst++ = ',';
    dst = WriteLiteral(kRecordHead, dst);
    dst = WriteJsonEscaped(r.record_id, JsonEscapedSize(r.record_id), dst);
    dst = WriteLiteral(kRecordTimestamp, dst);
    dst = std::to_chars(dst, dst + 24, r.arrival_millis).ptr;
    dst = WriteLiteral(kRecordData, dst);
    dst = Base64EncodeTo(r.data, dst);
    dst = WriteLiteral(kRecordTail, dst);
  }
  WriteLiteral(kEventTail, dst);
}

Status LambdaProcessor::Process(RecordBatch& batch) {
  const size_t data_limit = static_cast<size_t>(options_.buffer_size_mbs * 1024 * 1024);
  // Everything in the event but its records: head, uuid, arn, region, brackets.
  const size_t fixed = kEventHead.size() + kUuidLength + kEventArn.size() +
                       JsonEscapedSize(options_.delivery_stream_arn) + kEventRegion.size() +
                       JsonEscapedSize(options_.region) + kEventRecords.size() +
                       kEventTail.size();
  std::vector<std::pair<std::vector<size_t>, size_t>> groups;  // records, event size
  std::vector<size_t> group;
  size_t group_data = 0, group_event = fixed;
  for (size_t i = 0; i < batch.size(); ++i) {
    Record& r = batch[i];
    if (r.result != RecordResult::kOk) continue;
    const size_t record_event = RecordEventSize(r);
    if (fixed + record_event > kMaxEventBytes) {
      Fail(r, kLambdaRequestTooLarge, kRequestTooLargeMessage, 1, clock_->NowMillis(),
           options_.lambda_arn);
      continue;
    }
    const size_t separator = group.empty() ? 0 : 1;
    if (!group.empty() && (group_data + r.data.size() > data_limit ||
                           group_event + separator + record_event > kMaxEventBytes)) {
      groups.emplace_back(std::move(group), group_event);
      group.clear();
      group_data = 0;
      group_event = fixed;
    }
    group_event += (group.empty() ? 0 : 1) + record_event;
    group_data += r.data.size();
    group.push_back(i);
  }
  if (!group.empty()) groups.emplace_back(std::move(group), group_event);

  const size_t lanes = std::min(groups.size(), kMaxOutstandingInvocations);
  while (lanes_.size() < lanes) lanes_.push_back(std::make_unique<Lane>());
  if (lanes <= 1) {
    for (auto& [indices, size] : groups) Invoke(*lanes_[0], batch, indices, size);
    return Status::Ok();
  }
  // Several invocations at once: a stream's throughput is not bound to one worker.
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (size_t l = 0; l < lanes; ++l) {
    threads.emplace_back([&, l] {
      for (size_t g; (g = next.fetch_add(1)) < groups.size();) {
        Invoke(*lanes_[l], batch, groups[g].first, groups[g].second);
      }
    });
  }
  for (auto& t : threads) t.join();
  return Status::Ok();
}

void LambdaProcessor::Invoke(Lane& lane, RecordBatch& batch, const std::vector<size_t>& indices,
                             size_t event_size) {
  std::string& event = lane.event;
  ResponseParser* parser = lane.parser.get();
  WriteEvent(batch, indices, std::string(kUuidLength, '0'), event_size, &event);
  const int max_attempts = 1 + std::max(0, options_.number_of_retries);
  std::string_view code, message;
  int attempt = 0;
  while (attempt < max_attempts) {
    ++attempt;
    // Each attempt is a new invocation with its own id; the records stay as they were.
    const std::string id = NewUuid();
    event.replace(kEventHead.size(), kUuidLength, id);
    functions::InvokeResult result = invoker_->Invoke(options_.lambda_arn, event);
    using Outcome = functions::InvokeResult::Outcome;
    bool retryable = true;
    switch (result.outcome) {
      case Outcome::kOk:
        if (result.payload.size() > kMaxResponseBytes) {  // Lambda fails such a response
          code = kLambdaFunctionError;
          message = kFunctionErrorMessage;
          break;
        }
        switch (parser->Parse(batch, indices, result.payload)) {
          case ResponseParser::Verdict::kValid:
            parser->Apply(batch, indices, attempt, clock_->NowMillis(), options_.lambda_arn);
            return;
          case ResponseParser::Verdict::kJsonError:
            code = kLambdaJsonProcessingException;
            message = kJsonMessage;
            break;
          case ResponseParser::Verdict::kFormatError:
            code = kLambdaFunctionError;
            message = kInvalidFormatMessage;
            break;
        }
        retryable = options_.retry_invalid_responses;
        break;
      case Outcome::kFunctionError:
      case Outcome::kTimeout:
      case Outcome::kCrashed:
        // Lambda reports timeouts and runtime crashes as (unhandled) function errors.
        code = kLambdaFunctionError;
        message = kFunctionErrorMessage;
        break;
      case Outcome::kNotFound:
        code = kLambdaResourceNotFound;
        message = kNotFoundMessage;
        break;
      case Outcome::kUnavailable:
        code = kLambdaServiceException;
        message = "The Lambda function could not be invoked.";
        break;
    }
    if (!retryable) break;
  }
  const int64_t now = clock_->NowMillis();
  for (size_t i : indices) Fail(batch[i], code, message, attempt, now, options_.lambda_arn);
}

}  // namespace hydrant::processor
