// Tests of the processing-failed error-record layout (firehose-spec §4.4).
#include "processor/error_record.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace hydrant::processor {
namespace {

Record FailedRecord() {
  Record r;
  r.record_id = std::string(1, '1');
  r.arrival_millis = 1575020067711;
  r.data = "transformed, not what is reported";
  r.raw_data = "{\"user\":\"kim\"}";
  r.result = RecordResult::kProcessingFailed;
  r.error_code = "Lambda.MissingRecordId";
  r.error_message =
      "One or more record Ids were not returned. Ensure that the Lambda function returns all "
      "received record Ids.";
  r.attempts_made = 1;
  r.attempt_ending_millis = 1575020129986;
  r.lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:TransformETLFunction";
  return r;
}

TEST(ErrorRecordTest, HasTheServiceLayoutAndFieldOrder) {
  EXPECT_EQ(FormatProcessingFailedRecord(FailedRecord()),
            "{\"attemptsMade\":1,\"arrivalTimestamp\":1575020067711,"
            "\"errorCode\":\"Lambda.MissingRecordId\","
            "\"errorMessage\":\"One or more record Ids were not returned. Ensure that the Lambda "
            "function returns all received record Ids.\","
            "\"attemptEndingTimestamp\":1575020129986,"
            "\"rawData\":\"eyJ1c2VyIjoia2ltIn0=\","
            "\"lambdaArn\":\"arn:aws:lambda:us-east-1:123456789012:function:TransformETLFunction\"}");
}

TEST(ErrorRecordTest, EscapesTextAndEncodesBinaryRawData) {
  Record r = FailedRecord();
  r.error_message = "bad \"quote\" \\ and\nnewline";
  r.raw_data = std::string("\x00\xff\n", 3);
  boost::json::value v = boost::json::parse(FormatProcessingFailedRecord(r));
  EXPECT_EQ(v.at("errorMessage").as_string(), "bad \"quote\" \\ and\nnewline");
  EXPECT_EQ(v.at("rawData").as_string(), "AP8K");
}

TEST(ErrorRecordTest, ObjectBodyIsOneDocumentPerLineForFailedRecordsOnly) {
  Record ok;
  ok.record_id = std::string(1, '0');
  Record second = FailedRecord();
  second.raw_data = std::string(1, 'b');
  RecordBatch batch = {FailedRecord(), ok, second};
  std::string body;
  AppendProcessingFailedRecords(batch, &body);
  std::string expected = FormatProcessingFailedRecord(batch[0]);
  expected.push_back('\n');
  expected.append(FormatProcessingFailedRecord(batch[2]));
  expected.push_back('\n');
  EXPECT_EQ(body, expected);
}

}  // namespace
}  // namespace hydrant::processor
