#include "api/put_request_parser.h"

#include <gtest/gtest.h>

namespace hydrant::api {
namespace {

Status Parse(std::string body, bool batch, ParsedPut* out) { return ParsePutRequest(body, batch, out); }

TEST(PutRequestParserTest, ReadsBatch) {
  ParsedPut put;
  ASSERT_TRUE(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"aGk="},{"Data":""}]})", true, &put).ok());
  EXPECT_EQ(put.stream_name, "s");
  ASSERT_EQ(put.records.size(), 2u);
  EXPECT_EQ(put.records[0], "hi");
  EXPECT_EQ(put.records[1], "");
}

// A repeated member replaces the earlier one, as the model validator (Boost.JSON) reads the body;
// found by fuzz_put_records (tests/fuzz/regressions/fuzz_put_records/).
TEST(PutRequestParserTest, RepeatedRecordsListReplacesTheEarlierOne) {
  ParsedPut put;
  ASSERT_TRUE(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"YQ=="}],"Records":[{"Data":"Yg=="}]})",
                    true, &put).ok());
  ASSERT_EQ(put.records.size(), 1u);
  EXPECT_EQ(put.records[0], "b");
  EXPECT_EQ(put.data, "b");
}

TEST(PutRequestParserTest, RepeatedDataIsOneRecord) {
  ParsedPut put;
  ASSERT_TRUE(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"YQ==","Data":"Yg=="},{"Data":"Yw=="}]})",
                    true, &put).ok());
  ASSERT_EQ(put.records.size(), 2u);
  EXPECT_EQ(put.records[0], "b");
  EXPECT_EQ(put.records[1], "c");
  ASSERT_TRUE(Parse(R"({"DeliveryStreamName":"s","Record":{"Data":"YQ=="},"Record":{"Data":"Yg=="}})", false, &put).ok());
  ASSERT_EQ(put.records.size(), 1u);
  EXPECT_EQ(put.records[0], "b");
}

TEST(PutRequestParserTest, LaterNullRemovesTheMember) {
  ParsedPut put;
  EXPECT_EQ(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"YQ=="}],"Records":null})", true, &put).code(),
            StatusCode::kValidation);
  EXPECT_EQ(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"YQ==","Data":null}]})", true, &put).code(),
            StatusCode::kValidation);
  EXPECT_EQ(Parse(R"({"DeliveryStreamName":"s","DeliveryStreamName":null,"Record":{"Data":"YQ=="}})", false, &put).code(),
            StatusCode::kValidation);
}

// Data is read where it lies in the body unless it has escapes: an encoder that writes "/" as
// "\/" (allowed by JSON, and PHP's default) or pads with whitespace gets the same bytes.
TEST(PutRequestParserTest, DataWithEscapesOrSpacesDecodesTheSame) {
  ParsedPut put;
  ASSERT_TRUE(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"P\/8=" },{"Data" : "P/8="} , {"Data":"\u0050/8="}]})",
                    true, &put).ok());
  ASSERT_EQ(put.records.size(), 3u);
  for (std::string_view record : put.records) EXPECT_EQ(record, "?\xff");
  EXPECT_EQ(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":12}]})", true, &put).code(), StatusCode::kMalformed);
  EXPECT_EQ(Parse(R"({"DeliveryStreamName":"s","Records":[{"Data":"P\/8"}]})", true, &put).code(), StatusCode::kMalformed);
}

}  // namespace
}  // namespace hydrant::api
