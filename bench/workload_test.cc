// Tests that the generator's bodies are what a Firehose server expects and responses scan right.
#include "workload.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/base64.h"
#include "sigv4.h"

namespace hydrant::bench {
namespace {

std::string Body(const Workload& w, size_t b) {
  return std::string(w.prefix(b)) + std::string(w.records(b)) + std::string(w.suffix());
}

TEST(WorkloadTest, BatchBodiesAreValidRequestsWithExactRecordSizes) {
  WorkloadSpec spec;
  spec.streams = {"s-0", "s-1", "s-2"};
  spec.records_per_request = 7;
  spec.record_size = 300;
  spec.variants = 2;
  const Workload w = Workload::Build(spec);
  ASSERT_EQ(w.bodies(), 6u);
  for (size_t s = 0; s < 3; ++s) {
    for (size_t v = 0; v < 2; ++v) {
      const size_t b = w.BodyIndex(s, v);
      const std::string body = Body(w, b);
      EXPECT_EQ(w.body_size(b), body.size());
      EXPECT_EQ(w.body_hash(b), Sha256Hex(body));
      const boost::json::object doc = boost::json::parse(body).as_object();
      EXPECT_EQ(doc.at("DeliveryStreamName").as_string(), spec.streams[s]);
      const boost::json::array& records = doc.at("Records").as_array();
      ASSERT_EQ(records.size(), 7u);
      for (const auto& r : records) {
        std::string data;
        ASSERT_TRUE(Base64Decode(r.as_object().at("Data").as_string(), &data));
        ASSERT_EQ(data.size(), 300u);
        EXPECT_EQ(data.back(), '\n');
        // Each record is itself a JSON log line.
        EXPECT_TRUE(boost::json::parse(data).is_object()) << data;
      }
    }
  }
  EXPECT_NE(w.records(w.BodyIndex(0, 0)), w.records(w.BodyIndex(0, 1)));
}

TEST(WorkloadTest, PutRecordBodyHasOneRecord) {
  WorkloadSpec spec;
  spec.op = Operation::kPutRecord;
  spec.streams = {"one"};
  spec.records_per_request = 500;  // ignored for PutRecord
  spec.record_size = 1024;
  const Workload w = Workload::Build(spec);
  EXPECT_EQ(w.records_per_request(), 1u);
  const boost::json::object doc = boost::json::parse(Body(w, 0)).as_object();
  EXPECT_EQ(doc.at("DeliveryStreamName").as_string(), "one");
  std::string data;
  ASSERT_TRUE(Base64Decode(doc.at("Record").as_object().at("Data").as_string(), &data));
  EXPECT_EQ(data.size(), 1024u);
}

TEST(WorkloadTest, EveryRecordSizeIsExactTextEndingInNewline) {
  uint64_t rng = 7;
  for (size_t size = 1; size <= 400; ++size) {
    for (uint64_t seq = 0; seq < 20; ++seq) {
      const std::string r = MakeRecord(seq * 99991, size, &rng);
      ASSERT_EQ(r.size(), size);
      ASSERT_EQ(r.back(), '\n');
      ASSERT_EQ(r.find('\0'), std::string::npos) << "size " << size;
      // Large enough for the whole object: a complete JSON line.
      if (size >= 88) {
        ASSERT_TRUE(boost::json::parse(r).is_object()) << r;
      }
    }
  }
}

TEST(WorkloadTest, RecordsSmallerThanTheSkeletonAreTruncated) {
  uint64_t rng = 1;
  EXPECT_EQ(MakeRecord(0, 10, &rng).size(), 10u);
  EXPECT_EQ(MakeRecord(0, 1, &rng), "\n");
  EXPECT_EQ(MakeRecord(0, 0, &rng), "");
}

TEST(WorkloadTest, FindFailedPutCount) {
  EXPECT_EQ(FindFailedPutCount(R"({"FailedPutCount":0,"Encrypted":false})"), 0u);
  EXPECT_EQ(FindFailedPutCount(R"({"Encrypted": false, "FailedPutCount": 12, "R":[]})"), 12u);
  EXPECT_EQ(FindFailedPutCount(R"({"FailedPutCount" :
 3})"), 3u);
  EXPECT_EQ(FindFailedPutCount(R"({"RecordId":"x"})"), std::nullopt);
  EXPECT_EQ(FindFailedPutCount(R"({"FailedPutCount":"0"})"), std::nullopt);
  EXPECT_EQ(FindFailedPutCount(R"({"FailedPutCount":)"), std::nullopt);
}

}  // namespace
}  // namespace hydrant::bench
