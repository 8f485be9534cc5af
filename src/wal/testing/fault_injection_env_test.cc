// Tests for FaultInjectionEnv: what survives a simulated power loss, injected failures.
#include "wal/testing/fault_injection_env.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace hydrant::wal {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-fault-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { (void)Env::Default()->RemoveDirRecursively(dir_); }
  std::string Contents(const std::string& name) {
    auto data = Env::Default()->ReadFile(JoinPath(dir_, name));
    return data.ok() ? *data : "<missing>";
  }

  FaultInjectionEnv env_;
  std::string dir_;
};

TEST_F(FaultInjectionEnvTest, PowerLossKeepsSyncedBytesAndDurableEntriesOnly) {
  auto synced = env_.NewWritableFile(JoinPath(dir_, "synced"), true);
  ASSERT_TRUE(synced.ok());
  ASSERT_TRUE(env_.SyncDir(dir_).ok());
  ASSERT_TRUE((*synced)->Append("durable").ok());
  ASSERT_TRUE((*synced)->Sync().ok());
  ASSERT_TRUE((*synced)->Append(" lost").ok());
  auto unlisted = env_.NewWritableFile(JoinPath(dir_, "unlisted"), true);
  ASSERT_TRUE(unlisted.ok());
  ASSERT_TRUE((*unlisted)->Append("synced but its directory entry is not").ok());
  ASSERT_TRUE((*unlisted)->Sync().ok());
  EXPECT_EQ(env_.sync_count(), 2u);

  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("synced"), "durable");
  EXPECT_FALSE(Env::Default()->FileExists(JoinPath(dir_, "unlisted")));
}

TEST_F(FaultInjectionEnvTest, ExistingFilesCountAsSyncedUntilWritten) {
  ASSERT_TRUE(Env::Default()->WriteFileAtomic(JoinPath(dir_, "old"), "before").ok());
  auto file = env_.NewWritableFile(JoinPath(dir_, "old"), false);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(" after").ok());
  ASSERT_TRUE(env_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("old"), "before");
}

TEST_F(FaultInjectionEnvTest, InjectedFailuresHitOnceAndCrashHitsEverything) {
  auto file = env_.NewWritableFile(JoinPath(dir_, "f"), true);
  ASSERT_TRUE(file.ok());
  env_.FailNextAppend();
  EXPECT_EQ((*file)->Append("x").code(), StatusCode::kIOError);
  EXPECT_TRUE((*file)->Append("y").ok());
  env_.FailNextSync();
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kIOError);
  EXPECT_TRUE((*file)->Sync().ok());
  env_.SetFilesystemActive(false);
  EXPECT_FALSE((*file)->Append("z").ok());
  EXPECT_FALSE((*file)->Sync().ok());
  env_.SetFilesystemActive(true);
  EXPECT_EQ(Contents("f"), "y");
}

}  // namespace
}  // namespace hydrant::wal
