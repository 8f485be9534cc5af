#include "stream/delivery_journal.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "wal/testing/fault_injection_env.h"

namespace hydrant::stream {
namespace {

class DeliveryJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-journal-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = JoinPath(dir_, "delivery.journal");
  }
  void TearDown() override { (void)env_->RemoveDirRecursively(dir_); }

  std::unique_ptr<DeliveryJournal> Open(wal::LogPosition begin = {1, 8},
                                        uint64_t compact_at_bytes = 256 * 1024) {
    auto journal = DeliveryJournal::Open(env_, path_, begin, compact_at_bytes);
    EXPECT_TRUE(journal.ok()) << journal.status().ToString();
    return journal.ok() ? std::move(*journal) : nullptr;
  }

  static PlannedBatch Batch(uint64_t seq, wal::LogPosition begin, wal::LogPosition end) {
    PlannedBatch batch;
    batch.sequence = seq;
    batch.begin = begin;
    batch.end = end;
    batch.records = 10;
    batch.data_bytes = 1000;
    batch.bucket = "bucket";
    batch.key = "prefix/key-" + std::to_string(seq);
    return batch;
  }

  Env* env_ = Env::Default();
  std::string dir_, path_;
};

TEST_F(DeliveryJournalTest, NewJournalStartsAtTheLogBegin) {
  auto journal = Open({3, 8});
  EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{3, 8}));
  EXPECT_FALSE(journal->in_flight());
}

TEST_F(DeliveryJournalTest, PlannedButUnconfirmedBatchSurvivesReopenWithSameKey) {
  {
    auto journal = Open();
    ASSERT_TRUE(journal->Plan(Batch(1, {1, 8}, {1, 500})).ok());
    ASSERT_TRUE(journal->Done().ok());
    ASSERT_TRUE(journal->Plan(Batch(2, {1, 500}, {2, 100})).ok());
  }  // "crash": no Done for batch 2
  auto journal = Open();
  EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{1, 500}));
  ASSERT_TRUE(journal->in_flight());
  EXPECT_EQ(journal->in_flight()->key, "prefix/key-2");
  EXPECT_EQ(journal->in_flight()->end, (wal::LogPosition{2, 100}));
  EXPECT_EQ(journal->next_sequence(), 3u);
  ASSERT_TRUE(journal->Done().ok());
  auto reopened = Open();
  EXPECT_FALSE(reopened->in_flight());
  EXPECT_EQ(reopened->delivered_end(), (wal::LogPosition{2, 100}));
}

TEST_F(DeliveryJournalTest, AnOpaquePlanSurvivesReopenUnchanged) {
  PlannedBatch batch = Batch(1, {1, 8}, {1, 500});
  batch.bucket = batch.key = "";
  batch.batch_id = "0b1c2d3e-0000-4000-8000-000000000001";
  batch.plan = "{\"request\": \"id\"}\n with \"quotes\" and a newline";
  batch.error_key = std::string("errors/\0type\0/x", 16);
  {
    auto journal = Open();
    ASSERT_TRUE(journal->Plan(batch).ok());
  }
  auto journal = Open();
  ASSERT_TRUE(journal->in_flight());
  EXPECT_EQ(journal->in_flight()->plan, batch.plan);
  EXPECT_EQ(journal->in_flight()->batch_id, batch.batch_id);
  EXPECT_EQ(journal->in_flight()->error_key, batch.error_key);
  EXPECT_EQ(journal->in_flight()->key, "");
}

TEST_F(DeliveryJournalTest, DoneWithTheNextPlanSurvivesReopenAndATornPlanIsNoPlan) {
  {
    auto journal = Open();
    ASSERT_TRUE(journal->Plan(Batch(1, {1, 8}, {1, 500})).ok());
    const PlannedBatch next = Batch(2, {1, 500}, {2, 100});
    ASSERT_TRUE(journal->Done(&next).ok());
    EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{1, 500}));
    ASSERT_TRUE(journal->in_flight());
    EXPECT_EQ(journal->in_flight()->key, "prefix/key-2");
    EXPECT_EQ(journal->next_sequence(), 3u);
  }  // "crash": batch 2 planned, not confirmed
  {
    auto journal = Open();
    EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{1, 500}));
    ASSERT_TRUE(journal->in_flight());
    EXPECT_EQ(journal->in_flight()->key, "prefix/key-2");
    const PlannedBatch next = Batch(3, {2, 100}, {2, 900});
    ASSERT_TRUE(journal->Done(&next).ok());
  }
  // The same write cut inside the plan line: batch 2 is delivered, batch 3 never planned.
  std::string content = *env_->ReadFile(path_);
  ASSERT_TRUE(env_->WriteFileAtomic(path_, content.substr(0, content.size() - 20)).ok());
  auto journal = Open();
  EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{2, 100}));
  EXPECT_FALSE(journal->in_flight());
}

TEST_F(DeliveryJournalTest, TornLastLineIsIgnored) {
  {
    auto journal = Open();
    ASSERT_TRUE(journal->Plan(Batch(1, {1, 8}, {1, 500})).ok());
  }
  // A Done record cut short by a crash: the delivery it records is not trusted.
  auto file = env_->NewWritableFile(path_, false);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("{\"done\":").ok());
  ASSERT_TRUE((*file)->Close().ok());
  auto journal = Open();
  ASSERT_TRUE(journal->in_flight());
  EXPECT_EQ(journal->in_flight()->sequence, 1u);
}

// A full disk tears a line; the journal cuts it off before its next line, so a later reopen
// still reads every line.
TEST_F(DeliveryJournalTest, TornWriteIsCutBeforeTheNextLine) {
  wal::FaultInjectionEnv faulty(env_);
  {
    auto opened = DeliveryJournal::Open(&faulty, path_, {1, 8});
    ASSERT_TRUE(opened.ok());
    auto& journal = *opened;
    ASSERT_TRUE(journal->Plan(Batch(1, {1, 8}, {1, 500})).ok());
    faulty.TearNextAppend();
    EXPECT_FALSE(journal->Done().ok());
    ASSERT_TRUE(journal->in_flight());  // still to be confirmed
    ASSERT_TRUE(journal->Done().ok());
    ASSERT_TRUE(journal->Plan(Batch(2, {1, 500}, {1, 900})).ok());
  }
  auto journal = Open();
  EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{1, 500}));
  ASSERT_TRUE(journal->in_flight());
  EXPECT_EQ(journal->in_flight()->sequence, 2u);
}

TEST_F(DeliveryJournalTest, CompactionKeepsStateAndBoundsTheFile) {
  auto journal = Open({1, 8}, /*compact_at_bytes=*/4096);
  wal::LogPosition pos{1, 8};
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    wal::LogPosition next{1, pos.offset + 100};
    ASSERT_TRUE(journal->Plan(Batch(seq, pos, next)).ok());
    ASSERT_TRUE(journal->Done().ok());
    pos = next;
  }
  auto size = env_->GetFileSize(path_);
  ASSERT_TRUE(size.ok());
  EXPECT_LT(*size, 4096u + 512);
  auto reopened = Open();
  EXPECT_EQ(reopened->delivered_end(), pos);
  EXPECT_EQ(reopened->next_sequence(), 201u);
}

// Dynamic partitioning: a partition's delivered ranges survive reopening and compaction, leave
// the stream-wide delivered end alone, and are forgotten once the log no longer holds them.
TEST_F(DeliveryJournalTest, PartitionRangesSurviveReopenAndCompaction) {
  auto journal = Open({1, 0}, /*compact_at_bytes=*/1);  // compacts after every Done
  PlannedBatch a = Batch(1, {1, 100}, {1, 500});
  a.partition = std::string("d:customer-1\0", 13);
  ASSERT_TRUE(journal->Plan(a).ok());
  ASSERT_TRUE(journal->Done().ok());
  PlannedBatch b = Batch(2, {1, 900}, {2, 40});
  b.partition = a.partition;
  ASSERT_TRUE(journal->Plan(b).ok());
  ASSERT_TRUE(journal->Done().ok());
  PlannedBatch c = Batch(3, {2, 0}, {2, 80});
  c.partition = "e:processing-failed";
  ASSERT_TRUE(journal->Plan(c).ok());  // not confirmed

  journal = Open({1, 0});
  EXPECT_EQ(journal->delivered_end(), (wal::LogPosition{1, 0}));
  EXPECT_TRUE(journal->PartitionDelivered(a.partition, {1, 100}));
  EXPECT_TRUE(journal->PartitionDelivered(a.partition, {1, 499}));
  EXPECT_FALSE(journal->PartitionDelivered(a.partition, {1, 500}));  // between the two objects
  EXPECT_TRUE(journal->PartitionDelivered(a.partition, {2, 0}));
  EXPECT_FALSE(journal->PartitionDelivered("d:customer-2", {1, 200}));
  EXPECT_FALSE(journal->PartitionDelivered(c.partition, {2, 10}));
  ASSERT_TRUE(journal->in_flight());
  EXPECT_EQ(journal->in_flight()->partition, c.partition);

  journal->ForgetPartitionsBefore({2, 0});  // the log now starts at segment 2
  EXPECT_FALSE(journal->PartitionDelivered(a.partition, {1, 100}));
  EXPECT_TRUE(journal->PartitionDelivered(a.partition, {2, 0}));
}

}  // namespace
}  // namespace hydrant::stream
