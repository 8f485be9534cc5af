#include "common/env.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace hydrant {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-env-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { (void)env_->RemoveDirRecursively(dir_); }
  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(EnvTest, AtomicWriteReplacesContentAndLeavesNoTempFiles) {
  std::string path = JoinPath(dir_, "f");
  ASSERT_TRUE(env_->WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(env_->WriteFileAtomic(path, "two").ok());
  auto data = env_->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "two");
  auto children = env_->GetChildren(dir_);
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->size(), 1u);
}

TEST_F(EnvTest, AppendsAndReadsAtOffsets) {
  std::string path = JoinPath(dir_, "log");
  auto file = env_->NewWritableFile(path, true);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("abc").ok());
  ASSERT_TRUE((*file)->Append("defg").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  auto reader = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(reader.ok());
  std::string out;
  ASSERT_TRUE((*reader)->Read(2, 3, &out).ok());
  EXPECT_EQ(out, "cde");
  ASSERT_TRUE((*reader)->Read(5, 10, &out).ok());
  EXPECT_EQ(out, "fg");
  EXPECT_EQ(env_->NewRandomAccessFile(JoinPath(dir_, "missing")).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace hydrant
