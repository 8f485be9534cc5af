#include "stream/partition_buffers.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace hydrant::stream {
namespace {

class PartitionBuffersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-partitions-XXXXXX";
    dir_ = JoinPath(mkdtemp(tmpl), "partitions");
  }
  void TearDown() override { (void)env_->RemoveDirRecursively(dir_.substr(0, dir_.rfind('/'))); }

  Env* env_ = Env::Default();
  std::string dir_;
};

// Bytes beyond the spill threshold go to a spool file; ReadAll gives them back in order with the
// unspilled tail, and memory holds only the tails.
TEST_F(PartitionBuffersTest, SpillsBeyondTheThresholdAndReadsBackInOrder) {
  auto buffers = PartitionBuffers::Open(env_, dir_, /*spill_at_bytes=*/16);
  ASSERT_TRUE(buffers.ok()) << buffers.status().ToString();
  PartitionBuffers& b = **buffers;
  PartitionBuffer* a = b.Create(PartitionBuffers::DataIdentity(std::string("a\0", 2)));
  PartitionBuffer* e = b.Create(PartitionBuffers::ErrorIdentity("processing-failed"));
  std::string expected;
  for (uint64_t i = 0; i < 10; ++i) {
    std::string record = "record-" + std::to_string(i) + ";";
    expected += record;
    ASSERT_TRUE(b.Append(a, record, 1000 + static_cast<int64_t>(i), {1, 100 + i}, {1, 101 + i}).ok());
  }
  ASSERT_TRUE(b.Append(e, "failed\n", 900, {1, 50}, {1, 51}).ok());
  EXPECT_LT(b.memory_bytes(), 16u + 16u);  // at most one partial tail per buffer
  EXPECT_GT(a->spilled, 0u);
  // Spilled bytes are sealed: no record is in the spool in plaintext.
  auto spooled = env_->ReadFile(a->spool_path);
  ASSERT_TRUE(spooled.ok());
  EXPECT_EQ(spooled->find("record-"), std::string::npos);
  auto body = b.ReadAll(*a);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, expected);
  EXPECT_EQ(a->records, 10u);
  EXPECT_EQ(a->bytes, expected.size());
  EXPECT_EQ(a->oldest_arrival_millis, 1000);
  EXPECT_EQ(a->first_source, (wal::LogPosition{1, 100}));
  EXPECT_EQ(a->source_end, (wal::LogPosition{1, 110}));
  // Error outputs are not active partitions, but they hold WAL records too.
  EXPECT_EQ(b.active_data_partitions(), 1u);
  EXPECT_EQ(b.OldestSource(), (wal::LogPosition{1, 50}));

  const std::string spool = a->spool_path;
  ASSERT_TRUE(b.Remove(a->identity).ok());
  EXPECT_FALSE(env_->FileExists(spool));
  EXPECT_EQ(b.active_data_partitions(), 0u);
  EXPECT_EQ(b.OldestSource(), (wal::LogPosition{1, 50}));
}

// Spools are a cache of what the WAL still holds: a new run starts without them.
TEST_F(PartitionBuffersTest, OpenRemovesSpoolsOfAnEarlierRun) {
  {
    auto buffers = PartitionBuffers::Open(env_, dir_, 4);
    ASSERT_TRUE(buffers.ok());
    PartitionBuffer* a = (*buffers)->Create(PartitionBuffers::DataIdentity("x"));
    ASSERT_TRUE((*buffers)->Append(a, "0123456789", 1, {1, 0}, {1, 1}).ok());
    ASSERT_TRUE(env_->FileExists(a->spool_path));
  }
  auto reopened = PartitionBuffers::Open(env_, dir_, 4);
  ASSERT_TRUE(reopened.ok());
  auto children = env_->GetChildren(dir_);
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->empty());
  EXPECT_EQ((*reopened)->size(), 0u);
}

}  // namespace
}  // namespace hydrant::stream
