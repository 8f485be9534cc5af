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

}  // namespace
}  // namespace hydrant::api
