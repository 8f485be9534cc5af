// Tests for the encrypted WAL: sealed segments, key changes, missing or wrong keys, crashes.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "common/cipher.h"
#include "wal/testing/fault_injection_env.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

namespace hydrant::wal {
namespace {

constexpr char kArn[] = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
constexpr char kMarker[] = "MARKER-7f3a9c";

class EncryptedWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-ewal-XXXXXX";
    root_ = mkdtemp(tmpl);
    dir_ = JoinPath(root_, "wal");
    key_file_ = JoinPath(root_, "customer.key");
    ASSERT_TRUE(Env::Default()->WriteFileAtomic(key_file_, std::string(64, 'a')).ok());
    OpenKeys();
  }
  void TearDown() override { (void)Env::Default()->RemoveDirRecursively(root_); }

  void OpenKeys(bool with_customer_key = true) {
    std::map<std::string, std::string> files;
    if (with_customer_key) files[kArn] = key_file_;
    auto keys = KeyRing::Open(Env::Default(), JoinPath(root_, "keys"), files);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    keys_ = std::move(*keys);
  }

  Result<std::unique_ptr<Wal>> TryOpen(std::string key_ref, uint64_t max_segment_bytes = 64 << 20,
                                       RecentWrites* recent = nullptr) {
    return Wal::Open(Options{.env = &env_,
                             .dir = dir_,
                             .max_segment_bytes = max_segment_bytes,
                             .keys = keys_.get(),
                             .key_ref = std::move(key_ref),
                             .recent = recent},
                     nullptr);
  }
  std::unique_ptr<Wal> Open(std::string key_ref, uint64_t max_segment_bytes = 64 << 20,
                            RecentWrites* recent = nullptr) {
    auto wal = TryOpen(std::move(key_ref), max_segment_bytes, recent);
    EXPECT_TRUE(wal.ok()) << wal.status().ToString();
    return wal.ok() ? std::move(*wal) : nullptr;
  }

  static Status AppendSync(Wal& wal, const std::vector<std::string>& records, int64_t arrival = 1) {
    std::vector<std::string_view> views(records.begin(), records.end());
    std::promise<Status> done;
    wal.Append(views, arrival, [&](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }
  static Status RekeySync(Wal& wal, std::string key_ref) {
    std::promise<Status> done;
    wal.Rekey(std::move(key_ref), [&](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }
  static std::vector<std::string> ReadAll(const Wal& wal, Status* status = nullptr) {
    std::vector<std::string> out;
    Status s = wal.Read(wal.Begin(), [&](const RecordView& r) {
      out.emplace_back(r.data);
      return true;
    });
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return out;
  }
  // Every segment file's bytes, concatenated.
  std::string AllSegmentBytes() {
    std::string all;
    auto children = Env::Default()->GetChildren(dir_);
    EXPECT_TRUE(children.ok());
    for (const std::string& name : *children) {
      if (!ParseSegmentFileName(name)) continue;
      auto data = Env::Default()->ReadFile(JoinPath(dir_, name));
      EXPECT_TRUE(data.ok());
      all += *data;
    }
    return all;
  }
  static std::vector<std::string> Marked(int n, const std::string& tag) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(tag + "-" + std::to_string(i) + "-" + kMarker);
    return out;
  }

  FaultInjectionEnv env_;
  std::string root_, dir_, key_file_;
  std::unique_ptr<KeyRing> keys_;
};

// Recent writes keep the sealed frames as written; a read from memory opens them as one from
// the file does.
TEST_F(EncryptedWalTest, SealedRecordsReadFromMemoryOpenAsFromTheFile) {
  RecentWrites recent(1 << 20);
  std::vector<std::string> records = Marked(200, "kept");
  auto wal = Open(std::string(kOwnKeyRef), 4096, &recent);
  ASSERT_TRUE(wal);
  for (size_t i = 0; i < records.size(); i += 10) {
    ASSERT_TRUE(AppendSync(*wal, {records.begin() + i, records.begin() + i + 10}).ok());
  }
  const uint64_t before = env_.random_read_count();
  EXPECT_EQ(ReadAll(*wal), records);
  EXPECT_EQ(env_.random_read_count(), before);
  EXPECT_EQ(recent.missed_bytes(), 0u);
}

TEST_F(EncryptedWalTest, SealedRecordsReadBackAndNeverLieOnDiskInPlaintext) {
  std::vector<std::string> records = Marked(200, "own");
  {
    auto wal = Open(std::string(kOwnKeyRef), 4096);  // several segments, each with its own data key
    ASSERT_TRUE(wal);
    for (size_t i = 0; i < records.size(); i += 10) {
      ASSERT_TRUE(AppendSync(*wal, {records.begin() + i, records.begin() + i + 10}).ok());
    }
    EXPECT_EQ(ReadAll(*wal), records);
  }
  EXPECT_EQ(AllSegmentBytes().find(kMarker), std::string::npos);
  EXPECT_EQ(AllSegmentBytes().find("own-1"), std::string::npos);
  auto wal = Open(std::string(kOwnKeyRef), 4096);
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal), records);  // after a restart, from the sealed segments
  ASSERT_TRUE(AppendSync(*wal, {"after restart"}).ok());
  EXPECT_EQ(ReadAll(*wal).back(), "after restart");
}

TEST_F(EncryptedWalTest, RekeyChangesTheKeyOfLaterRecordsAndEveryRecordStaysReadable) {
  auto wal = Open("");
  ASSERT_TRUE(wal);
  ASSERT_TRUE(AppendSync(*wal, {"plain-1"}).ok());
  ASSERT_TRUE(RekeySync(*wal, std::string(kOwnKeyRef)).ok());
  ASSERT_TRUE(AppendSync(*wal, Marked(3, "own")).ok());
  ASSERT_TRUE(RekeySync(*wal, kArn).ok());
  ASSERT_TRUE(AppendSync(*wal, Marked(3, "cmk")).ok());
  ASSERT_TRUE(RekeySync(*wal, "").ok());
  ASSERT_TRUE(AppendSync(*wal, {"plain-2"}).ok());
  std::vector<std::string> expected = {"plain-1"};
  for (auto& r : Marked(3, "own")) expected.push_back(r);
  for (auto& r : Marked(3, "cmk")) expected.push_back(r);
  expected.push_back("plain-2");
  EXPECT_EQ(ReadAll(*wal), expected);
  wal.reset();

  std::string disk = AllSegmentBytes();
  EXPECT_NE(disk.find("plain-1"), std::string::npos);  // written before encryption started
  EXPECT_EQ(disk.find(kMarker), std::string::npos);
  EXPECT_NE(disk.find(kOwnKeyRef), std::string::npos);  // the headers name their master keys
  EXPECT_NE(disk.find(kArn), std::string::npos);
  wal = Open("");
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal), expected);
}

TEST_F(EncryptedWalTest, RekeyToAnUnknownKeyIsRefusedAndChangesNothing) {
  auto wal = Open(std::string(kOwnKeyRef));
  ASSERT_TRUE(wal);
  LogPosition end = wal->DurableEnd();
  EXPECT_EQ(RekeySync(*wal, "arn:aws:kms:us-east-1:123456789012:key/unknown").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(wal->DurableEnd(), end);
  ASSERT_TRUE(AppendSync(*wal, Marked(1, "x")).ok());
  EXPECT_EQ(AllSegmentBytes().find(kMarker), std::string::npos);
}

TEST_F(EncryptedWalTest, AMissingMasterKeyIsAStartUpErrorThatKeepsTheRecords) {
  {
    auto wal = Open(kArn);
    ASSERT_TRUE(wal);
    ASSERT_TRUE(AppendSync(*wal, Marked(5, "cmk")).ok());
  }
  std::string before = AllSegmentBytes();
  OpenKeys(/*with_customer_key=*/false);
  auto refused = TryOpen("");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find(kArn), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("kms_keys"), std::string::npos);
  EXPECT_EQ(AllSegmentBytes(), before);  // nothing cut

  OpenKeys(/*with_customer_key=*/true);  // the key comes back: so do the records
  auto wal = Open(kArn);
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal), Marked(5, "cmk"));
}

TEST_F(EncryptedWalTest, AWrongKeyFileIsAStartUpErrorThatKeepsTheRecords) {
  {
    auto wal = Open(kArn);
    ASSERT_TRUE(wal);
    ASSERT_TRUE(AppendSync(*wal, Marked(5, "cmk")).ok());
  }
  std::string before = AllSegmentBytes();
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(key_file_, std::string(64, 'b')).ok());
  OpenKeys();
  auto refused = TryOpen(kArn);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("does not open"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(AllSegmentBytes(), before);
}

TEST_F(EncryptedWalTest, ChangedCiphertextIsCorruptionNotOtherData) {
  {
    auto wal = Open(std::string(kOwnKeyRef));
    ASSERT_TRUE(wal);
    ASSERT_TRUE(AppendSync(*wal, {"first", "second"}).ok());
  }
  // Flip a ciphertext byte of the first frame and fix its CRC: only the tag can tell.
  const std::string path = JoinPath(dir_, SegmentFileName(1));
  std::string bytes = *Env::Default()->ReadFile(path);
  const size_t header = DecodeSegmentHeader(bytes).size;
  FrameHeader frame = DecodeFrameHeader(bytes.data() + header);
  bytes[header + kFrameHeaderSize] ^= 1;
  EncodeFixed32(bytes.data() + header,
                MaskCrc(Crc32c(std::string_view(bytes).substr(header + 4, kFrameHeaderSize - 4 + frame.length))));
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(path, bytes).ok());
  auto wal = Open(std::string(kOwnKeyRef));
  ASSERT_TRUE(wal);
  Status status;
  EXPECT_TRUE(ReadAll(*wal, &status).empty());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("does not decrypt"), std::string::npos);
}

TEST_F(EncryptedWalTest, TornSealedHeaderLeavesAnEmptyUsableLog) {
  {
    auto wal = Open(std::string(kOwnKeyRef));
    ASSERT_TRUE(wal);
  }
  const std::string path = JoinPath(dir_, SegmentFileName(1));
  ASSERT_TRUE(Env::Default()->TruncateFile(path, 40).ok());
  RecoveryReport report;
  auto wal = Wal::Open(Options{.env = &env_, .dir = dir_, .keys = keys_.get(), .key_ref = std::string(kOwnKeyRef)},
                       &report);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_NE(report.detail.find("torn segment header"), std::string::npos) << report.detail;
  ASSERT_TRUE(AppendSync(**wal, {"after"}).ok());
  EXPECT_EQ(ReadAll(**wal), std::vector<std::string>{"after"});
}

// After a failed sync the frames of the failed group may be on disk: the next records go to a
// new segment (a new data key), so no nonce is used twice, and only acknowledged records stay.
TEST_F(EncryptedWalTest, FailedSyncStartsANewSegmentAndKeepsExactlyTheAcknowledged) {
  auto wal = Open(std::string(kOwnKeyRef));
  ASSERT_TRUE(wal);
  ASSERT_TRUE(AppendSync(*wal, {"kept"}).ok());
  const LogPosition durable = wal->DurableEnd();
  env_.FailNextSync();
  EXPECT_EQ(AppendSync(*wal, {"unknown fate"}).code(), StatusCode::kIOError);
  ASSERT_TRUE(AppendSync(*wal, {"after"}).ok());
  EXPECT_EQ(wal->DurableEnd().segment, durable.segment + 1);
  EXPECT_EQ(ReadAll(*wal), (std::vector<std::string>{"kept", "after"}));
  wal.reset();
  wal = Open(std::string(kOwnKeyRef));
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal), (std::vector<std::string>{"kept", "after"}));
}

TEST_F(EncryptedWalTest, PowerLossDuringRekeysLosesNoAcknowledgedRecord) {
  std::vector<std::string> acked;
  {
    auto wal = Open("", 1024);
    ASSERT_TRUE(wal);
    const std::string keys[] = {std::string(kOwnKeyRef), kArn, ""};
    for (int i = 0; i < 60; ++i) {
      if (i % 7 == 3) {
        ASSERT_TRUE(RekeySync(*wal, keys[i % 3]).ok());
      }
      std::vector<std::string> batch = Marked(3, "p" + std::to_string(i));
      ASSERT_TRUE(AppendSync(*wal, batch).ok());
      acked.insert(acked.end(), batch.begin(), batch.end());
    }
    // An unacknowledged rekey and append in flight when the power goes.
    wal->Rekey(std::string(kOwnKeyRef), nullptr);
    std::vector<std::string_view> lost = {"never acknowledged"};
    env_.SetFilesystemActive(false);
    wal->Append(lost, 1, nullptr);
    (void)wal->Close();
  }
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  env_.SetFilesystemActive(true);
  auto wal = Open(std::string(kOwnKeyRef), 1024);
  ASSERT_TRUE(wal);
  EXPECT_EQ(ReadAll(*wal), acked);
}

// Appenders seal their frames outside the log's lock while groups are written, segments roll,
// the key changes, syncs fail and the power goes out: exactly the acknowledged records remain.
TEST_F(EncryptedWalTest, ConcurrentSealingAppendersKeepExactlyTheAcknowledged) {
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> stop{false};
  {
    auto wal = Open(std::string(kOwnKeyRef), 4096);
    ASSERT_TRUE(wal);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          std::string a = "t" + std::to_string(t) + "-" + std::to_string(i) + "a-" + kMarker;
          std::string b = "t" + std::to_string(t) + "-" + std::to_string(i) + "b";
          std::vector<std::string_view> views = {a, b};
          wal->Append(views, i, [&, a, b](Status s) {
            if (!s.ok()) return;
            std::lock_guard lock(mu);
            acked.insert(a);
            acked.insert(b);
          });
          if (i % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      });
    }
    const std::string keys[] = {kArn, std::string(kOwnKeyRef)};
    for (int round = 0;; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (round % 10 == 3) env_.FailNextSync();  // a failed group amid sealing appends
      if (round % 10 == 7) wal->Rekey(keys[round % 2], nullptr);
      std::lock_guard lock(mu);
      if (acked.size() >= 4000) break;
    }
    env_.SetFilesystemActive(false);  // the power goes out
    stop = true;
    for (auto& thread : threads) thread.join();
    (void)wal->Close();
  }
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  env_.SetFilesystemActive(true);
  EXPECT_EQ(AllSegmentBytes().find(kMarker), std::string::npos);
  auto wal = Open(std::string(kOwnKeyRef), 4096);
  ASSERT_TRUE(wal);
  std::set<std::string> recovered;
  for (const std::string& r : ReadAll(*wal)) recovered.insert(r);
  std::lock_guard lock(mu);
  for (const std::string& a : acked) ASSERT_TRUE(recovered.count(a)) << "lost acknowledged " << a;
}

}  // namespace
}  // namespace hydrant::wal
