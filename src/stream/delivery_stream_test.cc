// DeliveryStream end to end inside the process: real WAL, real embedded store, system clock.
#include "stream/delivery_stream.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <regex>
#include <set>
#include <thread>

#include "destination/s3/local_s3_destination.h"
#include "destination/s3/s3_delivery.h"
#include "store/object_store.h"
#include "wal/wal_format.h"

namespace hydrant::stream {
namespace {

namespace json = boost::json;

class DeliveryStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-stream-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = std::make_unique<store::ObjectStore>(env_, JoinPath(dir_, "buckets"), clock_);
    ASSERT_TRUE(store_->Init().ok());
    destination_ = std::make_unique<destination::s3::LocalS3Destination>(store_.get());
  }
  void TearDown() override { (void)env_->RemoveDirRecursively(dir_); }

  StreamMetadata Metadata(int size_mb, int interval_seconds) {
    json::object request = json::parse(R"({
      "DeliveryStreamName": "orders",
      "ExtendedS3DestinationConfiguration": {
        "RoleARN": "arn:aws:iam::123456789012:role/FirehoseDeliveryRole",
        "BucketARN": "arn:aws:s3:::bucket",
        "Prefix": "out/"}})").as_object();
    request["ExtendedS3DestinationConfiguration"].as_object()["BufferingHints"] =
        json::object{{"SizeInMBs", size_mb}, {"IntervalInSeconds", interval_seconds}};
    auto config = StreamConfig::FromCreateRequest(request);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    StreamMetadata m{std::move(*config)};
    m.create_millis = clock_->NowMillis();
    return m;
  }

  std::unique_ptr<DeliveryStream> Open(StreamMetadata metadata, int64_t retention_millis = 24ll * 3600 * 1000) {
    DeliveryStreamDeps deps;
    deps.env = env_;
    deps.clock = clock_;
    deps.objects = destination_.get();
    deps.destinations = [this](const StreamMetadata& m) -> Result<std::unique_ptr<destination::Destination>> {
      return std::unique_ptr<destination::Destination>(
          new destination::s3::S3Delivery(destination_.get(), m.config.s3()));
    };
    deps.budget = budget_.get();
    deps.max_retry_backoff_millis = 200;
    deps.retention_millis = retention_millis;
    std::string stream_dir = JoinPath(dir_, "stream");
    EXPECT_TRUE(env_->CreateDirs(stream_dir).ok());
    auto stream = DeliveryStream::Open(stream_dir, std::move(metadata), deps);
    EXPECT_TRUE(stream.ok()) << stream.status().ToString();
    return stream.ok() ? std::move(*stream) : nullptr;
  }

  // Appends records and waits until they are acknowledged.
  void PutAndWait(DeliveryStream* stream, const std::vector<std::string>& records) {
    std::vector<std::string_view> views(records.begin(), records.end());
    ASSERT_EQ(stream->Reserve(views), views.size());
    std::promise<Status> acked;
    stream->Append(views, clock_->NowMillis(), [&](Status s) { acked.set_value(s); });
    ASSERT_TRUE(acked.get_future().get().ok());
  }

  std::map<std::string, std::string> Objects() {
    std::map<std::string, std::string> out;
    auto list = store_->ListObjects("bucket", {});
    if (!list.ok()) return out;
    for (const auto& info : list->objects) {
      auto got = store_->GetObject("bucket", info.key);
      if (got.ok()) out[info.key] = got->data;
    }
    return out;
  }

  std::map<std::string, std::string> WaitForObjects(size_t count, int timeout_ms = 8000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      auto objects = Objects();
      if (objects.size() >= count) return objects;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Objects();
  }

  static std::string Concat(const std::map<std::string, std::string>& objects) {
    std::string all;
    for (const auto& [k, v] : objects) all += v;
    return all;
  }

  Env* env_ = Env::Default();
  Clock* clock_ = SystemClock::Default();
  std::string dir_;
  std::unique_ptr<store::ObjectStore> store_;
  std::unique_ptr<destination::s3::LocalS3Destination> destination_;
  std::unique_ptr<DiskBudget> budget_ = std::make_unique<DiskBudget>(1ull << 30);
};

TEST_F(DeliveryStreamTest, DeliversConcatenatedRecordsAfterTheInterval) {
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto stream = Open(Metadata(5, 1));
  PutAndWait(stream.get(), {"{\"a\":1}", "{\"a\":2}"});
  PutAndWait(stream.get(), {"{\"a\":3}\n"});
  EXPECT_TRUE(Objects().empty()) << "delivered before the buffering interval";
  auto objects = WaitForObjects(1);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, "{\"a\":1}{\"a\":2}{\"a\":3}\n");
  std::regex key(R"(out/\d{4}/\d{2}/\d{2}/\d{2}/orders-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36})");
  EXPECT_TRUE(std::regex_match(objects.begin()->first, key)) << objects.begin()->first;
  // The checkpoint (and its counters) follows the object's delivery.
  for (int i = 0; i < 100 && stream->stats().records_delivered < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(stream->stats().records_delivered, 3u);
}

TEST_F(DeliveryStreamTest, FlushesOnSizeAndSplitsAtRecordBoundaries) {
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto stream = Open(Metadata(1, 900));
  std::vector<std::string> records;
  for (int i = 0; i < 30; ++i) records.push_back(std::string(100 * 1024, static_cast<char>('a' + i % 26)));
  PutAndWait(stream.get(), records);  // 3 MiB: three full objects, no wait for 900 s
  auto objects = WaitForObjects(2, 5000);
  ASSERT_GE(objects.size(), 2u);
  for (const auto& [key, body] : objects) {
    EXPECT_LE(body.size(), 1u << 20);
    EXPECT_EQ(body.size() % (100 * 1024), 0u) << "a record was split across objects";
  }
}

// As the service does: data not delivered within the retention period is discarded and its
// WAL space released (24 h in production; 1.5 s here).
TEST_F(DeliveryStreamTest, UndeliverableDataIsDiscardedAfterTheRetentionPeriod) {
  auto stream = Open(Metadata(5, 0), /*retention_millis=*/1500);
  PutAndWait(stream.get(), {"lost", "too"});
  EXPECT_GT(stream->retained_wal_bytes(), 0u);
  for (int i = 0; i < 250 && stream->stats().records_expired < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(stream->stats().records_expired, 2u);
  EXPECT_GE(stream->stats().failed_attempts, 2u);  // retried until then
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  PutAndWait(stream.get(), {"later"});
  auto objects = WaitForObjects(1);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, "later");
}

TEST_F(DeliveryStreamTest, MissingBucketKeepsDataUntilItExists) {
  auto stream = Open(Metadata(5, 0));
  PutAndWait(stream.get(), {"kept"});
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_GE(stream->stats().failed_attempts, 1u);
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto objects = WaitForObjects(1);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, "kept");
}

TEST_F(DeliveryStreamTest, RestartDeliversBufferedRecords) {
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  {
    auto stream = Open(Metadata(5, 900));
    PutAndWait(stream.get(), {"one", "two"});
    stream->Stop();
  }
  auto stream = Open(Metadata(5, 1));
  auto objects = WaitForObjects(1);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, "onetwo");
}

TEST_F(DeliveryStreamTest, BatchInFlightAtStopIsRedeliveredUnderTheSameKey) {
  std::string planned_key;
  {
    auto stream = Open(Metadata(5, 0));  // bucket missing: the batch stays in flight
    PutAndWait(stream.get(), {"abc"});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stream->Stop();
  }
  auto journal = env_->ReadFile(JoinPath(JoinPath(dir_, "stream"), "delivery.journal"));
  ASSERT_TRUE(journal.ok());
  auto plan = json::parse(journal->substr(journal->find('\n') + 1)).as_object();
  // The S3 destination's plan names the object.
  auto object_plan = json::parse(json::value_to<std::string>(plan.at("destination_plan"))).as_object();
  planned_key = json::value_to<std::string>(object_plan.at("key"));

  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto stream = Open(Metadata(5, 0));
  auto objects = WaitForObjects(1);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first, planned_key);
  EXPECT_EQ(objects.begin()->second, "abc");
}

// A backlog keeps a batch in flight, the next one built and the one after it cut ahead: all
// three still count as buffered, survive a stop, and are delivered once each, in order.
TEST_F(DeliveryStreamTest, ABacklogIsCountedAndDeliveredOnceInOrder) {
  constexpr int kRecords = 24, kRecordBytes = 256 * 1024;  // four per 1 MiB object: six objects
  std::vector<std::string> records;
  for (int i = 0; i < kRecords; ++i) {
    char head[16];
    std::snprintf(head, sizeof head, "%08d", i);
    records.push_back(head + std::string(kRecordBytes - 8, 'r'));
  }
  const uint64_t total = uint64_t{kRecords} * kRecordBytes;
  {
    auto stream = Open(Metadata(1, 900));  // bucket missing: every attempt fails
    PutAndWait(stream.get(), records);
    for (int i = 0; i < 100 && stream->stats().failed_attempts < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GE(stream->stats().failed_attempts, 2u);
    EXPECT_EQ(stream->stats().buffered_bytes, total);
    EXPECT_EQ(stream->stats().buffered_records, uint64_t{kRecords});
    stream->Stop();
  }
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto stream = Open(Metadata(1, 900));
  for (int i = 0; i < 400 && stream->stats().buffered_bytes > 0; ++i) {
    const uint64_t buffered = stream->stats().buffered_bytes;  // before the listing: never less
    uint64_t delivered = 0;
    for (const auto& [key, body] : Objects()) delivered += body.size();
    ASSERT_GE(buffered + delivered, total) << "records left the buffered count before delivery";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto objects = WaitForObjects(kRecords / 4);
  ASSERT_EQ(objects.size(), size_t{kRecords / 4});
  std::vector<int> firsts;
  std::set<int> seen;
  for (const auto& [key, body] : objects) {
    ASSERT_EQ(body.size(), 4u * kRecordBytes) << key;
    const int first = std::stoi(body.substr(0, 8));
    for (int r = 0; r < 4; ++r) {
      EXPECT_EQ(std::stoi(body.substr(size_t(r) * kRecordBytes, 8)), first + r) << key;  // consecutive
      EXPECT_TRUE(seen.insert(first + r).second) << "record " << first + r << " delivered twice";
    }
    firsts.push_back(first);
  }
  EXPECT_EQ(seen.size(), size_t{kRecords});
  std::sort(firsts.begin(), firsts.end());
  for (size_t i = 0; i < firsts.size(); ++i) EXPECT_EQ(firsts[i], int(i) * 4);
}

TEST_F(DeliveryStreamTest, ABatchJournaledWithABucketAndKeyIsDeliveredThere) {
  // Journals written before plans were opaque name the object of an in-flight batch directly.
  {
    auto stream = Open(Metadata(5, 0));  // bucket missing: the batch stays in flight
    PutAndWait(stream.get(), {"abc"});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stream->Stop();
  }
  const std::string path = JoinPath(JoinPath(dir_, "stream"), "delivery.journal");
  auto journal = env_->ReadFile(path);
  ASSERT_TRUE(journal.ok());
  const size_t line = journal->find('\n') + 1;
  auto plan = json::parse(journal->substr(line)).as_object();
  plan.erase("destination_plan");
  plan.erase("batch_id");
  plan["bucket"] = "bucket";
  plan["key"] = "out/an-older-key";
  plan["compression"] = "UNCOMPRESSED";
  ASSERT_TRUE(env_->WriteFileAtomic(path, journal->substr(0, line) + json::serialize(plan) + "\n").ok());

  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto stream = Open(Metadata(5, 0));
  auto objects = WaitForObjects(1);
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first, "out/an-older-key");
  EXPECT_EQ(objects.begin()->second, "abc");
}

TEST_F(DeliveryStreamTest, DrainDeliversEverythingBuffered) {
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  auto stream = Open(Metadata(128, 900));
  PutAndWait(stream.get(), {"x", "y"});
  stream->Drain();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(Concat(objects), "xy");
}

// Delivered bytes leave the budget at once, although their WAL segment (64 MiB) stays on disk
// until it rolls: otherwise many quiet streams hold the whole budget with delivered data.
TEST_F(DeliveryStreamTest, DeliveredBytesLeaveTheDiskBudgetBeforeTheirSegmentIsDeleted) {
  ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  budget_ = std::make_unique<DiskBudget>(300 * 1024);
  auto stream = Open(Metadata(1, 0));
  const std::vector<std::string> records(2, std::string(100 * 1024, 'x'));
  PutAndWait(stream.get(), records);
  ASSERT_EQ(WaitForObjects(1).size(), 1u);
  for (int i = 0; i < 100 && budget_->used() > 1024; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LT(budget_->used(), 1024u);
  EXPECT_GT(stream->retained_wal_bytes(), 200u * 1024);  // the segment is still there
  PutAndWait(stream.get(), records);                     // refused if the budget were still held
}

TEST_F(DeliveryStreamTest, DiskBudgetRefusesWhatCannotBeKept) {
  budget_ = std::make_unique<DiskBudget>(200);
  auto stream = Open(Metadata(5, 900));
  std::vector<std::string_view> records(5, std::string_view("0123456789012345678901234567890123456789"));
  // Each record costs its 40 bytes plus framing: only a prefix fits.
  size_t accepted = stream->Reserve(records);
  EXPECT_EQ(accepted, 200 / (40 + wal::kFrameHeaderSize));
  EXPECT_EQ(stream->Reserve(records), 0u);
}

}  // namespace
}  // namespace hydrant::stream
