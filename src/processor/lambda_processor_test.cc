// Tests of LambdaProcessor's side of the Lambda contract: event shape, batching, response
// validation, retries and the error fields it sets.
//
// The FunctionInvoker here is a scripted test double, on purpose: these are unit tests of
// how the processor builds events and judges responses, which need exact, repeatable
// responses (malformed ones included). Real functions run in the functions stage's tests.
#include "processor/lambda_processor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/clock.h"

namespace hydrant::processor {
namespace {

using functions::InvokeResult;
using Outcome = functions::InvokeResult::Outcome;

constexpr char kArn[] = "arn:aws:lambda:us-east-1:123456789012:function:TransformETLFunction";
constexpr char kStreamArn[] = "arn:aws:firehose:us-east-1:123456789012:deliverystream/s";

struct EventRecord {
  std::string record_id;
  int64_t arrival = 0;
  std::string data;  // decoded
};

std::vector<EventRecord> ParseEvent(std::string_view payload) {
  std::vector<EventRecord> out;
  boost::json::value event = boost::json::parse(payload);
  for (const auto& r : event.at("records").as_array()) {
    EventRecord e;
    e.record_id = std::string(r.at("recordId").as_string());
    e.arrival = r.at("approximateArrivalTimestamp").as_int64();
    EXPECT_TRUE(Base64Decode(std::string(r.at("data").as_string()), &e.data));
    out.push_back(std::move(e));
  }
  return out;
}

// One response entry; `data` is raw (encoded here) unless `raw_data_field` is given.
struct Entry {
  Entry(std::string id, std::string res, std::string d, std::string raw = "",
        std::string metadata = "")
      : record_id(std::move(id)), result(std::move(res)), data(std::move(d)),
        raw_data_field(std::move(raw)), metadata_json(std::move(metadata)) {}
  std::string record_id;
  std::string result;
  std::string data;
  std::string raw_data_field;
  std::string metadata_json;  // e.g. {"partitionKeys":{"k":"v"}}
};

std::string Response(const std::vector<Entry>& entries) {
  std::string out = "{\"records\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i > 0) out += ",";
    out += "{\"recordId\":" + boost::json::serialize(boost::json::string(e.record_id)) +
           ",\"result\":\"" + e.result + "\",\"data\":\"" +
           (e.raw_data_field.empty() ? Base64Encode(e.data) : e.raw_data_field) + "\"";
    if (!e.metadata_json.empty()) out += ",\"metadata\":" + e.metadata_json;
    out += "}";
  }
  return out + "]}";
}

InvokeResult Ok(std::string payload) {
  InvokeResult r;
  r.payload = std::move(payload);
  return r;
}

InvokeResult Failure(Outcome outcome) {
  InvokeResult r;
  r.outcome = outcome;
  r.error_type = "Runtime.ExitError";
  r.error_message = "boom";
  return r;
}

// Answers each call with `respond(event_records, call_number)` and keeps every payload.
class ScriptedInvoker : public functions::FunctionInvoker {
 public:
  using Responder = std::function<InvokeResult(const std::vector<EventRecord>&, int)>;
  explicit ScriptedInvoker(Responder respond) : respond_(std::move(respond)) {}

  // Thread-safe, as the contract requires: a batch's invocations may run concurrently.
  InvokeResult Invoke(std::string_view function, std::string_view payload) override {
    int call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      functions_.emplace_back(function);
      payloads_.emplace_back(payload);
      call = static_cast<int>(payloads_.size());
    }
    return respond_(ParseEvent(payload), call);
  }

  int calls() const { return static_cast<int>(payloads_.size()); }
  const std::vector<std::string>& payloads() const { return payloads_; }
  const std::vector<std::string>& functions() const { return functions_; }

 private:
  Responder respond_;
  std::mutex mu_;
  std::vector<std::string> payloads_;
  std::vector<std::string> functions_;
};

// The identity transformation, uppercasing nothing: every record back Ok unchanged.
InvokeResult Identity(const std::vector<EventRecord>& records, int) {
  std::vector<Entry> entries;
  for (const auto& r : records) entries.push_back({r.record_id, "Ok", r.data});
  return Ok(Response(entries));
}

Record MakeRecord(std::string id, std::string data, int64_t arrival = 1754561600000) {
  Record r;
  r.record_id = std::move(id);
  r.arrival_millis = arrival;
  r.data = data;
  r.raw_data = std::move(data);
  return r;
}

LambdaProcessorOptions Options(int retries = 3) {
  LambdaProcessorOptions o;
  o.lambda_arn = kArn;
  o.delivery_stream_arn = kStreamArn;
  o.region = "us-east-1";
  o.number_of_retries = retries;
  return o;
}

class LambdaProcessorTest : public ::testing::Test {
 protected:
  FakeClock clock_{1754561700000};
};

TEST_F(LambdaProcessorTest, EventHasTheServiceShapeExactly) {
  ScriptedInvoker invoker(Identity);
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("4957546968052413504158680576464928061863365749160856", "hi"),
                       MakeRecord("2", std::string("\x00\xff\"", 3), 1754561600123)};
  std::string event;
  p.BuildEvent(batch, {0, 1}, "0b5e0c1d-0000-4000-8000-000000000001", &event);
  EXPECT_EQ(event,
            "{\"invocationId\":\"0b5e0c1d-0000-4000-8000-000000000001\","
            "\"deliveryStreamArn\":\"arn:aws:firehose:us-east-1:123456789012:deliverystream/s\","
            "\"region\":\"us-east-1\","
            "\"records\":[{\"recordId\":\"4957546968052413504158680576464928061863365749160856\","
            "\"approximateArrivalTimestamp\":1754561600000,\"data\":\"aGk=\"},"
            "{\"recordId\":\"2\",\"approximateArrivalTimestamp\":1754561600123,\"data\":\"AP8i\"}]}");
}

TEST_F(LambdaProcessorTest, ProcessSendsValidJsonWithAFreshInvocationIdPerAttempt) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int call) {
    return call < 3 ? Failure(Outcome::kFunctionError) : Identity(records, call);
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  // An id needing JSON escapes still round-trips and matches.
  RecordBatch batch = {MakeRecord(std::string("i\"d\\\x01", 5), "a\"b\\c\n")};
  ASSERT_TRUE(p.Process(batch).ok());
  ASSERT_EQ(invoker.calls(), 3);
  EXPECT_EQ(ParseEvent(invoker.payloads()[0])[0].record_id, batch[0].record_id);
  EXPECT_EQ(batch[0].result, RecordResult::kOk);
  std::vector<std::string> ids;
  for (const auto& payload : invoker.payloads()) {
    boost::json::value v = boost::json::parse(payload);
    const auto& o = v.as_object();
    ASSERT_EQ(o.size(), 4u);
    EXPECT_EQ(o.at("deliveryStreamArn").as_string(), kStreamArn);
    EXPECT_EQ(o.at("region").as_string(), "us-east-1");
    ids.emplace_back(o.at("invocationId").as_string());
    EXPECT_EQ(ids.back().size(), 36u);
  }
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
  EXPECT_EQ(invoker.functions()[0], kArn);
  EXPECT_EQ(batch[0].data, "a\"b\\c\n");
}

TEST_F(LambdaProcessorTest, AppliesOkDroppedAndProcessingFailedInOrder) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int) {
    // Answered out of order: matching is by recordId.
    return Ok(Response({
        {records[2].record_id, "ProcessingFailed", records[2].data},
        {records[0].record_id, "Ok", "FIRST", "", R"({"partitionKeys":{"customer":"42","year":"2025"}})"},
        {records[3].record_id, "Ok", ""},
        {records[1].record_id, "Dropped", ""},
    }));
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "one"), MakeRecord("b", "two"), MakeRecord("c", "three"),
                       MakeRecord("d", "four"), MakeRecord("e", "already dropped")};
  batch[4].result = RecordResult::kDropped;
  ASSERT_TRUE(p.Process(batch).ok());
  ASSERT_EQ(invoker.calls(), 1);
  EXPECT_EQ(ParseEvent(invoker.payloads()[0]).size(), 4u);  // "e" is not sent

  ASSERT_EQ(batch.size(), 5u);
  EXPECT_EQ(batch[0].result, RecordResult::kOk);
  EXPECT_EQ(batch[0].data, "FIRST");
  EXPECT_EQ(batch[0].raw_data, "one");
  EXPECT_EQ(batch[0].partition_keys,
            (std::map<std::string, std::string>{{"customer", "42"}, {"year", "2025"}}));
  EXPECT_EQ(batch[1].result, RecordResult::kDropped);
  EXPECT_EQ(batch[2].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[2].error_code, "Lambda.ProcessingFailedStatus");
  EXPECT_EQ(batch[2].error_message, "ProcessingFailed status set for record");
  EXPECT_EQ(batch[2].attempts_made, 1);
  EXPECT_EQ(batch[2].attempt_ending_millis, clock_.NowMillis());
  EXPECT_EQ(batch[2].lambda_arn, kArn);
  EXPECT_EQ(batch[3].result, RecordResult::kOk);
  EXPECT_EQ(batch[3].data, "");  // an empty Ok record stays, empty
  EXPECT_EQ(batch[4].result, RecordResult::kDropped);
  EXPECT_EQ(batch[4].data, "already dropped");
}

TEST_F(LambdaProcessorTest, ARecordNotReturnedIsMissingAndTheOthersProceed) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int) {
    return Ok(Response({{records[0].record_id, "Ok", "x"}}));
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "1"), MakeRecord("b", "2")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 1);  // a returned response is final
  EXPECT_EQ(batch[0].result, RecordResult::kOk);
  EXPECT_EQ(batch[0].data, "x");
  EXPECT_EQ(batch[1].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[1].error_code, "Lambda.MissingRecordId");
  EXPECT_EQ(batch[1].error_message,
            "One or more record Ids were not returned. Ensure that the Lambda function returns "
            "all received record Ids.");
  EXPECT_EQ(batch[1].attempts_made, 1);
  EXPECT_EQ(batch[1].data, "2");
}

TEST_F(LambdaProcessorTest, ARecordReturnedTwiceIsDuplicated) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int) {
    return Ok(Response({{records[0].record_id, "Ok", "x"},
                        {records[0].record_id, "Ok", "y"},
                        {records[1].record_id, "Ok", "z"}}));
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "1"), MakeRecord("b", "2")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(batch[0].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[0].error_code, "Lambda.DuplicatedRecordId");
  EXPECT_EQ(batch[0].data, "1");
  EXPECT_EQ(batch[1].result, RecordResult::kOk);
  EXPECT_EQ(batch[1].data, "z");
}

TEST_F(LambdaProcessorTest, AnUnknownIdIsIgnoredAndTheReplacedOneIsMissing) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int) {
    return Ok(Response({{records[0].record_id, "Ok", "x"}, {"not-an-id", "Ok", "y"}}));
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "1"), MakeRecord("b", "2")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(batch[0].result, RecordResult::kOk);
  EXPECT_EQ(batch[1].error_code, "Lambda.MissingRecordId");
}

TEST_F(LambdaProcessorTest, AResponseWithoutRecordsLeavesEveryRecordMissing) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>&, int) { return Ok("{}"); });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "1"), MakeRecord("b", "2")};
  ASSERT_TRUE(p.Process(batch).ok());
  for (const Record& r : batch) EXPECT_EQ(r.error_code, "Lambda.MissingRecordId");
}

// Each malformed response fails the whole invocation with one code, once.
struct Malformed {
  const char* name;
  std::function<std::string(const std::vector<EventRecord>&)> response;
  const char* code;
};

class MalformedResponseTest : public LambdaProcessorTest,
                              public ::testing::WithParamInterface<Malformed> {};

TEST_P(MalformedResponseTest, FailsEveryRecordOfTheInvocation) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int) {
    return Ok(GetParam().response(records));
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "1"), MakeRecord("b", "2")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 1);
  for (size_t i = 0; i < batch.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(batch[i].result, RecordResult::kProcessingFailed);
    EXPECT_EQ(batch[i].error_code, GetParam().code);
    EXPECT_EQ(batch[i].attempts_made, 1);
    EXPECT_EQ(batch[i].lambda_arn, kArn);
    EXPECT_EQ(batch[i].data, i == 0 ? "1" : "2");  // nothing half-applied
    EXPECT_TRUE(batch[i].partition_keys.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Responses, MalformedResponseTest,
    ::testing::Values(
        Malformed{"NotJson", [](const auto&) { return std::string("records: yes"); },
                  "Lambda.JsonProcessingException"},
        Malformed{"TruncatedJson",
                  [](const auto& r) {
                    std::string s = Response({{r[0].record_id, "Ok", "x"}, {r[1].record_id, "Ok", "y"}});
                    return s.substr(0, s.size() - 3);
                  },
                  "Lambda.JsonProcessingException"},
        Malformed{"NotAnObject", [](const auto&) { return std::string("[1,2]"); },
                  "Lambda.JsonProcessingException"},
        Malformed{"RecordsNotAnArray",
                  [](const auto&) { return std::string(R"({"records":"all of them"})"); },
                  "Lambda.JsonProcessingException"},
        Malformed{"RecordIdNotAString",
                  [](const auto&) {
                    return std::string(R"({"records":[{"recordId":1,"result":"Ok","data":""}]})");
                  },
                  "Lambda.JsonProcessingException"},
        Malformed{"PartitionKeyNotAString",
                  [](const auto& r) {
                    return Response({{r[0].record_id, "Ok", "x", "", R"({"partitionKeys":{"k":1}})"},
                                     {r[1].record_id, "Ok", "y"}});
                  },
                  "Lambda.JsonProcessingException"},
        Malformed{"TrailingGarbage",
                  [](const auto& r) {
                    return Response({{r[0].record_id, "Ok", "x"}, {r[1].record_id, "Ok", "y"}}) + "}";
                  },
                  "Lambda.JsonProcessingException"},
        Malformed{"UnknownResult",
                  [](const auto& r) {
                    return Response({{r[0].record_id, "Ok", "x"}, {r[1].record_id, "Success", "y"}});
                  },
                  "Lambda.FunctionError"},
        Malformed{"OkDataNotBase64",
                  [](const auto& r) {
                    return Response({{r[0].record_id, "Ok", "x"}, {r[1].record_id, "Ok", "", "not base64!"}});
                  },
                  "Lambda.FunctionError"},
        Malformed{"OkWithoutData",
                  [](const auto& r) {
                    return Response({{r[0].record_id, "Ok", "x"}}).insert(
                        Response({{r[0].record_id, "Ok", "x"}}).size() - 2,
                        ",{\"recordId\":\"" + r[1].record_id + "\",\"result\":\"Ok\"}");
                  },
                  "Lambda.FunctionError"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(LambdaProcessorTest, InvalidResponsesAreRetriedWhenConfigured) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>&, int) { return Ok("nope"); });
  LambdaProcessorOptions o = Options(2);
  o.retry_invalid_responses = true;
  LambdaProcessor p(&invoker, o, &clock_);
  RecordBatch batch = {MakeRecord("a", "1")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 3);
  EXPECT_EQ(batch[0].error_code, "Lambda.JsonProcessingException");
  EXPECT_EQ(batch[0].attempts_made, 3);
}

TEST_F(LambdaProcessorTest, InvocationFailuresAreRetriedThenFailTheWholeInvocation) {
  struct Case {
    Outcome outcome;
    const char* code;
  };
  for (Case c : {Case{Outcome::kFunctionError, "Lambda.FunctionError"},
                 Case{Outcome::kTimeout, "Lambda.FunctionError"},
                 Case{Outcome::kCrashed, "Lambda.FunctionError"},
                 Case{Outcome::kNotFound, "Lambda.ResourceNotFound"},
                 Case{Outcome::kUnavailable, "Lambda.ServiceException"}}) {
    SCOPED_TRACE(c.code);
    ScriptedInvoker invoker([&](const std::vector<EventRecord>&, int) {
      clock_.Advance(1000);  // each attempt takes a second
      return Failure(c.outcome);
    });
    LambdaProcessor p(&invoker, Options(), &clock_);
    RecordBatch batch = {MakeRecord("a", "1"), MakeRecord("b", "2")};
    ASSERT_TRUE(p.Process(batch).ok());
    EXPECT_EQ(invoker.calls(), 4);  // 1 + NumberOfRetries (3)
    for (const Record& r : batch) {
      EXPECT_EQ(r.result, RecordResult::kProcessingFailed);
      EXPECT_EQ(r.error_code, c.code);
      EXPECT_EQ(r.attempts_made, 4);
      EXPECT_EQ(r.attempt_ending_millis, clock_.NowMillis());
      EXPECT_EQ(r.lambda_arn, kArn);
    }
    if (c.outcome == Outcome::kFunctionError) {
      EXPECT_EQ(batch[0].error_message,
                "The Lambda function was successfully invoked but it returned an error result.");
    }
  }
}

TEST_F(LambdaProcessorTest, NumberOfRetriesZeroMeansOneAttempt) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>&, int) {
    return Failure(Outcome::kTimeout);
  });
  LambdaProcessor p(&invoker, Options(0), &clock_);
  RecordBatch batch = {MakeRecord("a", "1")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 1);
  EXPECT_EQ(batch[0].attempts_made, 1);
}

TEST_F(LambdaProcessorTest, AFunctionErrorThenSuccessUsesTheRetry) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int call) {
    if (call == 1) return Failure(Outcome::kCrashed);
    return Ok(Response({{records[0].record_id, "Ok", "ONE"},
                        {records[1].record_id, "ProcessingFailed", ""}}));
  });
  LambdaProcessor p(&invoker, Options(), &clock_);
  RecordBatch batch = {MakeRecord("a", "one"), MakeRecord("b", "two")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 2);
  // Both attempts carried the same records.
  EXPECT_EQ(ParseEvent(invoker.payloads()[1])[1].data, "two");
  EXPECT_EQ(batch[0].result, RecordResult::kOk);
  EXPECT_EQ(batch[0].data, "ONE");
  EXPECT_EQ(batch[1].error_code, "Lambda.ProcessingFailedStatus");
  EXPECT_EQ(batch[1].attempts_made, 2);
}

TEST_F(LambdaProcessorTest, AResponseOverSixMegabytesIsAFunctionError) {
  ScriptedInvoker invoker([](const std::vector<EventRecord>& records, int) {
    return Ok(Response({{records[0].record_id, "Ok", std::string(5 * 1024 * 1024, 'x')}}));
  });
  LambdaProcessor p(&invoker, Options(1), &clock_);
  RecordBatch batch = {MakeRecord("a", "1")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 2);
  EXPECT_EQ(batch[0].error_code, "Lambda.FunctionError");
  EXPECT_EQ(batch[0].attempts_made, 2);
}

TEST_F(LambdaProcessorTest, SplitsInvocationsByBufferSize) {
  ScriptedInvoker invoker(Identity);
  LambdaProcessorOptions o = Options();
  o.buffer_size_mbs = 0.2;  // 209,715 bytes of record data
  LambdaProcessor p(&invoker, o, &clock_);
  RecordBatch batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(MakeRecord(std::to_string(i), std::string(50'000, static_cast<char>('a' + i))));
  }
  ASSERT_TRUE(p.Process(batch).ok());
  ASSERT_EQ(invoker.calls(), 3);
  // Invocations run concurrently: put them back in record order before comparing.
  std::vector<std::vector<EventRecord>> events;
  for (const auto& payload : invoker.payloads()) events.push_back(ParseEvent(payload));
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a[0].record_id < b[0].record_id; });
  std::vector<size_t> sizes;
  std::string order;
  for (const auto& records : events) {
    sizes.push_back(records.size());
    for (const auto& r : records) order += r.record_id;
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 2}));
  EXPECT_EQ(order, "0123456789");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(batch[i].result, RecordResult::kOk);
    EXPECT_EQ(batch[i].data, std::string(50'000, static_cast<char>('a' + i)));
  }
}

TEST_F(LambdaProcessorTest, OneRecordOverTheHintStillGoesAlone) {
  ScriptedInvoker invoker(Identity);
  LambdaProcessorOptions o = Options();
  o.buffer_size_mbs = 0.2;
  LambdaProcessor p(&invoker, o, &clock_);
  RecordBatch batch = {MakeRecord("a", "small"), MakeRecord("b", std::string(300'000, 'b')),
                       MakeRecord("c", "small")};
  ASSERT_TRUE(p.Process(batch).ok());
  EXPECT_EQ(invoker.calls(), 3);
  for (const Record& r : batch) EXPECT_EQ(r.result, RecordResult::kOk);
}

TEST_F(LambdaProcessorTest, SplitsInvocationsAtTheSixMegabytePayloadCap) {
  ScriptedInvoker invoker(Identity);
  // A hint beyond the service's 3 MB range, so only the payload cap can split: records of
  // 2,000,000 bytes are 2,666,668 base64 characters, two per event.
  LambdaProcessorOptions o = Options();
  o.buffer_size_mbs = 20;
  LambdaProcessor p(&invoker, o, &clock_);
  RecordBatch batch;
  for (int i = 0; i < 5; ++i) batch.push_back(MakeRecord(std::to_string(i), std::string(2'000'000, 'x')));
  // Alone, its event is over the cap: it fails without an invocation.
  batch.insert(batch.begin() + 2, MakeRecord("huge", std::string(4'600'000, 'h')));
  ASSERT_TRUE(p.Process(batch).ok());
  ASSERT_EQ(invoker.calls(), 3);
  std::multiset<size_t> sizes;  // invocations run concurrently, in any order
  for (const auto& payload : invoker.payloads()) {
    EXPECT_LE(payload.size(), kMaxEventBytes);
    sizes.insert(ParseEvent(payload).size());
  }
  EXPECT_EQ(sizes, (std::multiset<size_t>{1, 2, 2}));
  EXPECT_EQ(batch[2].record_id, "huge");
  EXPECT_EQ(batch[2].result, RecordResult::kProcessingFailed);
  EXPECT_EQ(batch[2].error_code, "Lambda.RequestTooLargeException");
  EXPECT_EQ(batch[2].lambda_arn, kArn);
  for (size_t i : {0, 1, 3, 4, 5}) EXPECT_EQ(batch[i].result, RecordResult::kOk) << i;
}

TEST_F(LambdaProcessorTest, EventsFillUpToTheCapExactly) {
  // A pair of records whose event lands within 3 bytes under the cap goes in one
  // invocation; 3 more data bytes (4 base64 characters) split it. The processor's size
  // accounting must match the event it builds byte for byte.
  LambdaProcessorOptions o = Options();
  o.buffer_size_mbs = 20;
  ScriptedInvoker unused(Identity);
  LambdaProcessor builder(&unused, o, &clock_);
  const std::string id(36, '0');
  std::string event;
  RecordBatch probe = {MakeRecord("0", "xxx"), MakeRecord("1", "")};
  builder.BuildEvent(probe, {}, id, &event);
  const size_t fixed = event.size();
  builder.BuildEvent(probe, {0}, id, &event);
  const size_t with_first = event.size();
  builder.BuildEvent(probe, {1}, id, &event);
  const size_t second_overhead = event.size() - fixed;
  size_t b64 = kMaxEventBytes - with_first - 1 - second_overhead;
  b64 -= b64 % 4;
  for (size_t extra : {size_t{0}, size_t{3}}) {
    SCOPED_TRACE(extra);
    ScriptedInvoker invoker(Identity);
    LambdaProcessor p(&invoker, o, &clock_);
    RecordBatch batch = {MakeRecord("0", "xxx"), MakeRecord("1", std::string(b64 / 4 * 3 + extra, 'y'))};
    ASSERT_TRUE(p.Process(batch).ok());
    ASSERT_EQ(invoker.calls(), extra == 0 ? 1 : 2);
    if (extra == 0) {
      EXPECT_GT(invoker.payloads()[0].size(), kMaxEventBytes - 4);
    }
    for (const auto& payload : invoker.payloads()) EXPECT_LE(payload.size(), kMaxEventBytes);
    for (const Record& r : batch) EXPECT_EQ(r.result, RecordResult::kOk);
  }
}

// This thread's CPU time, so other processes on a busy machine do not inflate the figure.
struct ThreadCpuClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<ThreadCpuClock>;
  static time_point now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec));
  }
};

// Not a timing assertion: prints Hydrant's own CPU time per 1 MiB invocation of 100-byte
// records (event build + response validation + apply), the invoker's time excluded. The
// invoker returns a canned identity response, so nothing else runs between rounds.
TEST_F(LambdaProcessorTest, MeasuresOverheadPerInvocation) {
  using Steady = ThreadCpuClock;
  class CannedIdentity : public functions::FunctionInvoker {
   public:
    InvokeResult Invoke(std::string_view, std::string_view payload) override {
      std::lock_guard<std::mutex> lock(mu);
      auto start = Steady::now();
      if (response.empty()) response = Identity(ParseEvent(payload), 0).payload;
      InvokeResult r = Ok(response);
      ++calls;
      spent += Steady::now() - start;
      return r;
    }
    std::mutex mu;
    std::string response;
    Steady::duration spent{};
    int calls = 0;
  } invoker;
  LambdaProcessor p(&invoker, Options(), &clock_);
  const size_t n = 1024 * 1024 / 100;
  RecordBatch proto;
  for (size_t i = 0; i < n; ++i) {
    proto.push_back(MakeRecord(std::to_string(49575469680524135ULL + i),
                               std::string(100, static_cast<char>('a' + i % 26))));
  }
  RecordBatch warm = proto;
  ASSERT_TRUE(p.Process(warm).ok());  // builds the canned response
  constexpr int kRounds = 30;
  std::vector<double> us;
  for (int round = 0; round < kRounds; ++round) {
    RecordBatch batch = proto;
    invoker.spent = {};
    auto start = Steady::now();
    ASSERT_TRUE(p.Process(batch).ok());
    us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start - invoker.spent)
                     .count());
    ASSERT_EQ(batch.back().result, RecordResult::kOk);
    ASSERT_EQ(batch.back().data, proto.back().data);
  }
  EXPECT_EQ(invoker.calls, 1 + kRounds);  // 1 MiB of data is one invocation
  std::sort(us.begin(), us.end());
  std::printf("Hydrant overhead per invocation (%zu records x 100 B): min %.0f us, median %.0f us\n",
              n, us.front(), us[us.size() / 2]);
  RecordProperty("overhead_min_us", static_cast<int>(us.front()));
  RecordProperty("overhead_median_us", static_cast<int>(us[us.size() / 2]));
}

}  // namespace
}  // namespace hydrant::processor
