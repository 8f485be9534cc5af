// Tests for S3Delivery: the planned key, and the object a batch becomes.
#include "destination/s3/s3_delivery.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace hydrant::destination::s3 {
namespace {

// Keeps what it is asked to write.
class RecordingWriter : public ObjectWriter {
 public:
  DeliveryResult Write(const format::Object& object) override {
    written.push_back(object);
    bodies.push_back(object.body.data());
    return {};
  }
  std::vector<format::Object> written;
  std::vector<const char*> bodies;  // where each body was when it was written
};

S3Destination Config(std::string compression) {
  S3Destination config;
  config.bucket = "bucket";
  config.prefix = "logs/";
  config.compression = std::move(compression);
  return config;
}

constexpr BatchFacts kFacts{.stream_name = "orders", .stream_version = 3,
                            .first_arrival_millis = 1754561700250,  // 2025-08-07T10:15:00.250Z
                            .batch_id = "0f8fad5b-d9cb-469f-a165-70867728950e"};

TEST(S3DeliveryTest, ABatchIsOneObjectOfItsRecordsBackToBackUnderThePlannedKey) {
  RecordingWriter writer;
  S3Delivery delivery(&writer, Config("UNCOMPRESSED"));
  const std::string plan = delivery.Plan(kFacts);
  EXPECT_EQ(delivery.Describe(plan),
            "s3://bucket/logs/2025/08/07/10/orders-3-2025-08-07-10-15-00-0f8fad5b-d9cb-469f-a165-70867728950e");
  const std::vector<Record> records = {{"{\"a\":1}", 1, "1"}, {"", 2, "2"}, {"{\"a\":2}\n", 3, "3"}};
  auto payload = delivery.Encode(plan, records);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(delivery.Send(**payload).outcome, Outcome::kDelivered);
  ASSERT_EQ(writer.written.size(), 1u);
  EXPECT_EQ(writer.written[0].bucket, "bucket");
  EXPECT_EQ("s3://bucket/" + writer.written[0].key, delivery.Describe(plan));
  EXPECT_EQ(writer.written[0].body, "{\"a\":1}{\"a\":2}\n");  // no delimiter, as the service writes
  EXPECT_EQ(writer.written[0].records, 3u);

  // Handed the records back to back, it takes that buffer instead of copying.
  std::string concatenated(4096, 'x');
  const char* bytes = concatenated.data();
  const std::vector<Record> halves = {{std::string_view(bytes, 2048), 1, "1"}, {std::string_view(bytes + 2048, 2048), 2, "2"}};
  auto taken = delivery.Encode(plan, halves, &concatenated);
  ASSERT_TRUE(taken.ok());
  writer.written.clear();
  delivery.Send(**taken);
  ASSERT_EQ(writer.written.size(), 1u);
  EXPECT_EQ(writer.written[0].body, std::string(4096, 'x'));
  EXPECT_EQ(static_cast<const void*>(writer.bodies.back()), static_cast<const void*>(bytes));
}

TEST(S3DeliveryTest, TheCompressionNamesAndEncodesTheObject) {
  RecordingWriter writer;
  S3Delivery delivery(&writer, Config("GZIP"));
  const std::string plan = delivery.Plan(kFacts);
  EXPECT_TRUE(delivery.Describe(plan).ends_with("-0f8fad5b-d9cb-469f-a165-70867728950e.gz"));
  const std::vector<Record> records = {{"hello", 1, "1"}};
  auto payload = delivery.Encode(plan, records);
  ASSERT_TRUE(payload.ok());
  delivery.Send(**payload);
  ASSERT_EQ(writer.written.size(), 1u);
  EXPECT_EQ(writer.written[0].content_encoding, "gzip");
  EXPECT_EQ(writer.written[0].body.substr(0, 2), "\x1f\x8b");
  // The plan is what the journal keeps: the object's bucket, key and compression.
  auto parsed = boost::json::parse(plan).as_object();
  EXPECT_EQ(parsed.at("compression").as_string(), "GZIP");
}

}  // namespace
}  // namespace hydrant::destination::s3
