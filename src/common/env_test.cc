#include "common/env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

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

// Bytes of every size around the block (4 KiB) and staging (1 MiB) boundaries of direct writes.
std::string Pattern(size_t n, char seed) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(seed + i * 7 + i / 4096);
  return out;
}

TEST_F(EnvTest, DirectFilesHoldExactlyWhatWasAppendedAcrossBlocksSyncsAndReopens) {
  const std::string path = JoinPath(dir_, "direct");
  std::string expected;
  {
    auto file = env_->NewWritableFile(path, true, WriteMode::kDirect);
    ASSERT_TRUE(file.ok());
    bool together = false;  // alternately Append then Sync, and AppendAndSync
    for (size_t n : {size_t{100}, size_t{4096 - 100}, size_t{5000}, size_t{(1 << 20) + 4097}, size_t{3},
                     size_t{70000}, size_t{4096}, size_t{(2 << 20) + 5}}) {
      std::string piece = Pattern(n, static_cast<char>(n));
      if (together) {
        ASSERT_TRUE((*file)->AppendAndSync(piece).ok());
      } else {
        ASSERT_TRUE((*file)->Append(piece).ok());
        ASSERT_TRUE((*file)->Sync().ok());
      }
      together = !together;
      expected += piece;
      EXPECT_EQ(*env_->GetFileSize(path), expected.size()) << "after a sync the size is exact";
      EXPECT_EQ(*env_->ReadFile(path), expected);
    }
    ASSERT_TRUE((*file)->Append("unsynced").ok());
    expected += "unsynced";
    ASSERT_TRUE((*file)->Close().ok());
  }
  EXPECT_EQ(*env_->ReadFile(path), expected);
  // Reopened where its last block is partial: that block is read and written again whole.
  auto again = env_->NewWritableFile(path, false, WriteMode::kDirect);
  ASSERT_TRUE(again.ok());
  std::string more = Pattern(9000, 'x');
  ASSERT_TRUE((*again)->Append(more).ok());
  ASSERT_TRUE((*again)->Sync().ok());
  EXPECT_EQ(*env_->ReadFile(path), expected + more);
}

TEST_F(EnvTest, DirectReadsReturnTheBytesAskedForAtAnyOffset) {
  const std::string path = JoinPath(dir_, "read");
  const std::string content = Pattern(3 * 4096 + 1234, 'r');
  ASSERT_TRUE(env_->WriteFileAtomic(path, content).ok());
  auto file = env_->NewRandomAccessFile(path, /*direct=*/true);
  ASSERT_TRUE(file.ok());
  std::string out;
  for (uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{4095}, uint64_t{4096}, uint64_t{9000},
                          uint64_t{content.size() - 1}, uint64_t{content.size()}}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{17}, size_t{4096}, size_t{10000}}) {
      ASSERT_TRUE((*file)->Read(offset, n, &out).ok());
      EXPECT_EQ(out, content.substr(offset, n)) << offset << " " << n;
    }
  }
  EXPECT_EQ(env_->NewRandomAccessFile(JoinPath(dir_, "missing"), true).status().code(), StatusCode::kNotFound);
}

TEST_F(EnvTest, DirectLogFilesPadTheLastBlockWithZerosUntilClosed) {
  const std::string path = JoinPath(dir_, "log");
  auto file = env_->NewWritableFile(path, true, WriteMode::kDirectLog);
  ASSERT_TRUE(file.ok());
  std::string expected = Pattern(6000, 'a');
  ASSERT_TRUE((*file)->Append(expected).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  std::string on_disk = *env_->ReadFile(path);
  ASSERT_EQ(on_disk.size(), 8192u);
  EXPECT_EQ(on_disk.substr(0, expected.size()), expected);
  EXPECT_EQ(on_disk.substr(expected.size()), std::string(8192 - expected.size(), '\0'));
  // The next append overwrites the padding; Close cuts what is left of it.
  ASSERT_TRUE((*file)->Append("tail").ok());
  expected += "tail";
  ASSERT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(env_->ReadFile(path)->substr(0, expected.size()), expected);
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(*env_->ReadFile(path), expected);
}

// A small AppendAndSync that extends a log writes zeros up to the next kDirectLogZeroBytes
// boundary; the small appends after it stay inside what is written, so the file's size (a
// journal commit per sync) does not change until they pass it.
TEST_F(EnvTest, DirectLogFilesWriteZerosAheadSoSmallSyncsKeepTheFileSize) {
  const std::string path = JoinPath(dir_, "log");
  auto file = env_->NewWritableFile(path, true, WriteMode::kDirectLog);
  ASSERT_TRUE(file.ok());
  std::string expected;
  for (int i = 0; expected.size() + 6000 <= kDirectLogZeroBytes; ++i) {
    std::string piece = Pattern(6000, static_cast<char>('a' + i));
    ASSERT_TRUE((*file)->AppendAndSync(piece).ok());
    expected += piece;
    std::string on_disk = *env_->ReadFile(path);
    ASSERT_EQ(on_disk.size(), kDirectLogZeroBytes) << "after " << expected.size() << " bytes";
    EXPECT_EQ(on_disk.substr(0, expected.size()), expected);
    EXPECT_EQ(on_disk.find_first_not_of('\0', expected.size()), std::string::npos);
  }
  // The one that passes the boundary extends the file by another kDirectLogZeroBytes at most.
  std::string piece = Pattern(6000, 'z');
  ASSERT_TRUE((*file)->AppendAndSync(piece).ok());
  expected += piece;
  EXPECT_EQ(*env_->GetFileSize(path), 2 * kDirectLogZeroBytes);
  // A write as large as the zeros writes no zeros ahead, even where its last staged piece is
  // small: only its last block is padded.
  for (size_t n : {size_t{2 * kDirectLogZeroBytes}, size_t{(1 << 20) + 100}}) {
    std::string large = Pattern(n, 'L');
    ASSERT_TRUE((*file)->AppendAndSync(large).ok());
    expected += large;
    EXPECT_EQ(*env_->GetFileSize(path),
              (expected.size() + kDirectBlockBytes - 1) / kDirectBlockBytes * kDirectBlockBytes) << n;
  }
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(*env_->ReadFile(path), expected);
}

}  // namespace
}  // namespace hydrant
