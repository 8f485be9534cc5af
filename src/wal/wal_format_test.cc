// Tests for the WAL byte layout and the chunked segment reader.
#include "wal/wal_format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "wal/segment_reader.h"
#include "wal/testing/fault_injection_env.h"

namespace hydrant::wal {
namespace {

TEST(WalFormatTest, Crc32cMatchesTheStandardCheckValueAndExtends) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the CRC-32C check value
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("56789", Crc32c("1234")), Crc32c("123456789"));
}

TEST(WalFormatTest, MaskIsReversibleAndChangesTheValue) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu}) {
    EXPECT_NE(MaskCrc(crc), crc);
    EXPECT_EQ(UnmaskCrc(MaskCrc(crc)), crc);
  }
}

TEST(WalFormatTest, SegmentFileNames) {
  EXPECT_EQ(SegmentFileName(1), "00000000000000000001.wal");
  EXPECT_EQ(SegmentFileName(UINT64_MAX), "18446744073709551615.wal");
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.wal"), 42u);
  EXPECT_EQ(ParseSegmentFileName(SegmentFileName(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(ParseSegmentFileName("99999999999999999999.wal"), std::nullopt);  // overflows
  EXPECT_EQ(ParseSegmentFileName("0000000000000000001.wal"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("0000000000000000000a.wal"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("00000000000000000001.wal.tmp"), std::nullopt);
  EXPECT_EQ(ParseSegmentFileName("00000000000000000001.log"), std::nullopt);
}

TEST(WalFormatTest, SegmentHeaderBytes) {
  std::string header = EncodeSegmentHeader();
  ASSERT_EQ(header.size(), kSegmentHeaderSize);
  EXPECT_EQ(header, std::string("HYDRANTW\x01\0\0\0\0\0\0\0", 16));
}

TEST(WalFormatTest, FrameBytesAreLittleEndianAndCrcCoversEverythingAfterIt) {
  std::string frame;
  AppendFrame(&frame, 0x0102030405060708, "abc");
  ASSERT_EQ(frame.size(), kFrameHeaderSize + 3);
  // length 3, type 1, arrival 0x0102030405060708, "abc"
  const std::string fields(
      "\x03\0\0\0\x01\x08\x07\x06\x05\x04\x03\x02\x01"
      "abc",
      16);
  EXPECT_EQ(frame.substr(4), fields);
  EXPECT_EQ(DecodeFixed32(frame.data()), MaskCrc(Crc32c(std::string_view(frame).substr(4))));

  FrameHeader header = DecodeFrameHeader(frame.data());
  EXPECT_EQ(header.length, 3u);
  EXPECT_EQ(header.type, kFullRecord);
  EXPECT_EQ(header.arrival_millis, 0x0102030405060708);
  EXPECT_TRUE(FrameCrcMatches(frame.data(), 3));
  for (size_t i = 0; i < frame.size(); ++i) {
    std::string bad = frame;
    bad[i] ^= 0x20;
    EXPECT_FALSE(FrameCrcMatches(bad.data(), 3)) << "flipped byte " << i;
  }
}

TEST(WalFormatTest, NegativeArrivalAndEmptyRecordRoundTrip) {
  std::string frame;
  AppendFrame(&frame, -5, "");
  ASSERT_EQ(frame.size(), kFrameHeaderSize);
  FrameHeader header = DecodeFrameHeader(frame.data());
  EXPECT_EQ(header.length, 0u);
  EXPECT_EQ(header.arrival_millis, -5);
  EXPECT_TRUE(FrameCrcMatches(frame.data(), 0));
}

class SegmentReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hydrant-walfmt-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = JoinPath(dir_, "segment");
  }
  void TearDown() override { (void)Env::Default()->RemoveDirRecursively(dir_); }

  std::unique_ptr<RandomAccessFile> Write(const std::string& bytes) {
    EXPECT_TRUE(env_.WriteFileAtomic(path_, bytes).ok());
    auto file = env_.NewRandomAccessFile(path_);
    EXPECT_TRUE(file.ok());
    return std::move(*file);
  }

  FaultInjectionEnv env_;
  std::string dir_;
  std::string path_;
};

TEST_F(SegmentReaderTest, ReadsManySmallFramesWithFewReads) {
  std::string bytes;
  std::vector<std::string> records;
  for (int i = 0; i < 30000; ++i) {
    records.push_back(std::string(i % 200, static_cast<char>('a' + i % 26)));
    AppendFrame(&bytes, i, records.back());
  }
  auto file = Write(bytes);
  uint64_t reads_before = env_.random_read_count();
  SegmentReader reader(*file, 0, bytes.size(), kFullRecord);
  Frame frame;
  size_t n = 0;
  uint64_t expected_offset = 0;
  while (reader.Next(&frame)) {
    ASSERT_LT(n, records.size());
    EXPECT_EQ(frame.offset, expected_offset);
    EXPECT_EQ(frame.arrival_millis, static_cast<int64_t>(n));
    EXPECT_EQ(frame.data, records[n]);
    expected_offset = frame.next;
    ++n;
  }
  EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
  EXPECT_EQ(n, records.size());
  EXPECT_EQ(reader.offset(), bytes.size());
  // ~3.5 MB: 64K + 128K + 256K + 512K + 1M + 1M + 1M and a few re-reads of cut frames.
  EXPECT_LE(env_.random_read_count() - reads_before, 10u);
}

// Counts the bytes read through it.
class CountingFile final : public RandomAccessFile {
 public:
  explicit CountingFile(const RandomAccessFile& file) : file_(file) {}
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    Status s = file_.Read(offset, n, out);
    bytes_ += out->size();
    return s;
  }
  Result<uint64_t> Size() const override { return file_.Size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  const RandomAccessFile& file_;
  mutable uint64_t bytes_ = 0;
};

// A batch of known size: the reader fetches nothing past where it is expected to stop (the
// next batch's reader would read it again); when the caller reads on, it starts small again.
TEST_F(SegmentReaderTest, ReadsNoFurtherAheadThanExpected) {
  std::string bytes;
  std::vector<uint64_t> ends;  // where each frame ends
  for (int i = 0; i < 4000; ++i) {
    AppendFrame(&bytes, i, std::string(1000, static_cast<char>('a' + i % 26)));
    ends.push_back(bytes.size());
  }
  auto file = Write(bytes);
  const uint64_t frame_bytes = ends[0];  // a frame cut by a chunk's end is read again whole
  // A batch of 2,000 frames; visiting the 2,001st ends it.
  const uint64_t batch_end = ends[1999];
  const uint64_t expected_end = ends[2000];
  auto read_batch = [&](uint64_t expected) {
    CountingFile counting(*file);
    SegmentReader reader(counting, 0, bytes.size(), kFullRecord, 0, expected);
    Frame frame;
    while (reader.Next(&frame) && frame.offset < batch_end) {
    }
    EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
    return counting.bytes();
  };
  const uint64_t expected_read = read_batch(expected_end);
  EXPECT_GE(expected_read, expected_end);
  EXPECT_LT(expected_read, expected_end + 8 * frame_bytes);
  EXPECT_GT(read_batch(UINT64_MAX), expected_end + (256 << 10));  // a 1 MiB chunk's overshoot

  // Expected too short: past it, the next reads are 64 KiB, then double.
  CountingFile counting(*file);
  SegmentReader reader(counting, 0, bytes.size(), kFullRecord, 0, ends[99]);
  Frame frame;
  while (reader.Next(&frame) && frame.next <= ends[99]) {
  }
  ASSERT_TRUE(reader.Next(&frame));
  EXPECT_GE(counting.bytes(), ends[99] + (64 << 10));
  EXPECT_LT(counting.bytes(), ends[99] + (64 << 10) + 4 * frame_bytes);
}

TEST_F(SegmentReaderTest, ReadsFramesLargerThanAChunk) {
  std::string bytes;
  std::string big(3 << 20, 'x');
  AppendFrame(&bytes, 1, "small");
  AppendFrame(&bytes, 2, big);
  AppendFrame(&bytes, 3, "tail");
  auto file = Write(bytes);
  SegmentReader reader(*file, 0, bytes.size(), kFullRecord);
  Frame frame;
  ASSERT_TRUE(reader.Next(&frame));
  EXPECT_EQ(frame.data, "small");
  ASSERT_TRUE(reader.Next(&frame));
  EXPECT_EQ(frame.data, big);
  ASSERT_TRUE(reader.Next(&frame));
  EXPECT_EQ(frame.data, "tail");
  EXPECT_FALSE(reader.Next(&frame));
  EXPECT_TRUE(reader.status().ok());
}

TEST_F(SegmentReaderTest, StopsAtTheFirstBadFrameWithCorruption) {
  std::string bytes;
  AppendFrame(&bytes, 1, "one");
  uint64_t second = bytes.size();
  AppendFrame(&bytes, 2, "two");
  AppendFrame(&bytes, 3, "three");
  bytes[second + kFrameHeaderSize] ^= 1;
  auto file = Write(bytes);
  SegmentReader reader(*file, 0, bytes.size(), kFullRecord);
  Frame frame;
  ASSERT_TRUE(reader.Next(&frame));
  EXPECT_FALSE(reader.Next(&frame));
  EXPECT_EQ(reader.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(reader.offset(), second);
}

TEST_F(SegmentReaderTest, RejectsHugeLengthAndUnknownTypeAndShortFrames) {
  std::string good;
  AppendFrame(&good, 1, "payload");
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::string huge = good;
  EncodeFixed32(huge.data() + 4, kMaxRecordBytes + 1);
  std::string past_end = good;
  EncodeFixed32(past_end.data() + 4, 1000);
  std::string type = good;
  type[8] = 2;
  std::vector<Case> cases = {{"huge length", huge},
                             {"length past end", past_end},
                             {"sealed frame in a plaintext segment", type},
                             {"short header", good.substr(0, 10)},
                             {"short payload", good.substr(0, good.size() - 1)}};
  for (const Case& c : cases) {
    auto file = Write(c.bytes);
    SegmentReader reader(*file, 0, c.bytes.size(), kFullRecord);
    Frame frame;
    EXPECT_FALSE(reader.Next(&frame)) << c.name;
    EXPECT_EQ(reader.status().code(), StatusCode::kCorruption) << c.name;
    EXPECT_EQ(reader.offset(), 0u) << c.name;
  }
}

}  // namespace
}  // namespace hydrant::wal
