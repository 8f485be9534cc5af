// Tests for bucket/key validation and the key -> file name mapping.
#include "store/key_path.h"

#include <gtest/gtest.h>

#include <set>

#include "store/store_error.h"

namespace hydrant::store {
namespace {

std::optional<StoreError> BucketError(std::string_view name) {
  return ErrorOf(ValidateBucketName(name));
}
std::optional<StoreError> KeyError(std::string_view key) { return ErrorOf(ValidateObjectKey(key)); }

TEST(KeyPathTest, BucketNames) {
  for (const char* ok : {"abc", "my-etl-bucket", "a.b.c", "0bucket9", "firehose-etl-demo-bucket",
                         "a23456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_TRUE(ValidateBucketName(ok).ok()) << ok;
  }
  for (const char* bad :
       {"ab", "Abc", "a_b", "-abc", "abc-", ".abc", "abc.", "a..b", "192.168.1.1", "xn--abc",
        "sthree-abc", "abc-s3alias", "abc--ol-s3", "abc--x-s3", "a/b", "..",
        "a234567890123456789012345678901234567890123456789012345678901234"}) {
    EXPECT_EQ(BucketError(bad), StoreError::kInvalidBucketName) << bad;
  }
  EXPECT_TRUE(ValidateBucketName("192.168.1.a").ok());
}

TEST(KeyPathTest, KeyValidation) {
  for (const char* ok : {"a", "a/b", "a//b", "folder/", "/abs", "a/../b", "./x", "a/..", ".hidden",
                         "%2e%2e/x", "한글/키.json", "a b+c=d?&#"}) {
    EXPECT_TRUE(ValidateObjectKey(ok).ok()) << ok;
  }
  EXPECT_EQ(KeyError(""), StoreError::kInvalidArgument);
  EXPECT_EQ(KeyError(std::string("a\0b", 3)), StoreError::kInvalidArgument);
  EXPECT_EQ(KeyError("\xff\xfe"), StoreError::kInvalidArgument);
  EXPECT_EQ(KeyError("\xc0\xaf"), StoreError::kInvalidArgument);  // overlong '/'
  EXPECT_EQ(KeyError(".."), StoreError::kInvalidArgument);
  EXPECT_EQ(KeyError("../x"), StoreError::kInvalidArgument);
  EXPECT_EQ(KeyError("a/../../x"), StoreError::kInvalidArgument);
  EXPECT_EQ(KeyError("./../x"), StoreError::kInvalidArgument);
  EXPECT_TRUE(ValidateObjectKey(std::string(1024, 'k')).ok());
  EXPECT_EQ(KeyError(std::string(1025, 'k')), StoreError::kKeyTooLongError);
}

TEST(KeyPathTest, OrdinaryKeysStayReadable) {
  EXPECT_EQ(KeyToRelativePath("2026/08/07/10/stream-1-2026-08-07-10-15-00-ab.gz"),
            "2026/08/07/10/stream-1-2026-08-07-10-15-00-ab.gz@");
  EXPECT_EQ(KeyToRelativePath("raw/year=2026/한글.json"), "raw/year=2026/한글.json@");
  EXPECT_EQ(KeyToRelativePath("a"), "a@");
}

TEST(KeyPathTest, TrickyKeysMapInsideTheBucket) {
  EXPECT_EQ(KeyToRelativePath("a/b"), "a/b@");
  EXPECT_EQ(KeyToRelativePath("folder/"), "folder/%@");
  EXPECT_EQ(KeyToRelativePath("a//b"), "a/%/b@");
  EXPECT_EQ(KeyToRelativePath("/abs"), "%/abs@");
  EXPECT_EQ(KeyToRelativePath("../x"), "%2E./x@");
  EXPECT_EQ(KeyToRelativePath("a/../../x"), "a/%2E./%2E./x@");
  EXPECT_EQ(KeyToRelativePath("./x"), "%2E/x@");
  EXPECT_EQ(KeyToRelativePath(".hydrant/tmp"), "%2Ehydrant/tmp@");
  EXPECT_EQ(KeyToRelativePath("100%/a@b"), "100%25/a%40b@");
  EXPECT_EQ(KeyToRelativePath("line\nbreak"), "line%0Abreak@");
}

// Whatever the key, no path segment is empty, ".", ".." or hidden.
TEST(KeyPathTest, NoSegmentCanEscape) {
  std::vector<std::string> keys = {"../x", "a/../../x", "/abs", "..", ".", "//", "a/./b"};
  // Long dot runs of every length near a chunk boundary: no chunk may start with '.'.
  for (size_t n = 195; n < 610; ++n) {
    keys.push_back(std::string(n, '.'));
    keys.push_back(std::string(n, '.') + "/x");
    std::string percent_dots = "%";
    percent_dots.append(n, '.');
    keys.push_back(percent_dots + "/x");
  }
  for (const std::string& key : keys) {
    std::string path = KeyToRelativePath(key);
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      std::string segment =
          path.substr(start, slash == std::string::npos ? path.npos : slash - start);
      EXPECT_FALSE(segment.empty()) << key;
      EXPECT_NE(segment.front(), '.') << key << " -> " << path;
      EXPECT_LE(segment.size(), kMaxChunkBytes + 2);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  }
}

TEST(KeyPathTest, LongComponentsAreChunked) {
  std::string component(450, 'x');
  std::vector<std::string> chunks = EncodeComponent(component);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].size(), kMaxChunkBytes);
  EXPECT_EQ(KeyToRelativePath(component + "/y"),
            chunks[0] + "@@/" + chunks[1] + "@@/" + chunks[2] + "/y@");
  EXPECT_EQ(DecodeComponent(chunks), component);

  // Never split inside an escape or a UTF-8 sequence.
  std::string mixed;
  for (int i = 0; i < 150; ++i) mixed += "\x01가";
  for (const std::string& chunk : EncodeComponent(mixed)) {
    EXPECT_LE(chunk.size(), kMaxChunkBytes);
    EXPECT_TRUE(DecodeChunk(chunk).has_value());
    EXPECT_NE(static_cast<unsigned char>(chunk[0]) & 0xC0, 0x80u) << "starts mid-sequence";
  }
  EXPECT_EQ(DecodeComponent(EncodeComponent(mixed)), mixed);
}

TEST(KeyPathTest, DecodeRoundTripsAndRejectsNonCanonical) {
  for (std::string component :
       {std::string("a"), std::string(""), std::string(".."), std::string("%41"),
        std::string("a@b"), std::string("x\x7f"), std::string("키")}) {
    EXPECT_EQ(DecodeComponent(EncodeComponent(component)), component);
  }
  EXPECT_EQ(DecodeComponent({"%41"}), std::nullopt);  // 'A' needs no escape
  EXPECT_EQ(DecodeComponent({"%2e"}), std::nullopt);  // lower-case hex
  EXPECT_EQ(DecodeComponent({"%2"}), std::nullopt);
  EXPECT_EQ(DecodeComponent({"."}), std::nullopt);
  EXPECT_EQ(DecodeComponent({"%00"}), std::nullopt);
  EXPECT_EQ(DecodeComponent({"%2F"}), std::nullopt);  // '/' never sits inside a component
}

TEST(KeyPathTest, EntryNames) {
  EXPECT_EQ(ParseEntryName("a@").kind, EntryKind::kObject);
  EXPECT_EQ(ParseEntryName("a@").chunk, "a");
  EXPECT_EQ(ParseEntryName("%@").kind, EntryKind::kObject);
  EXPECT_EQ(ParseEntryName("a").kind, EntryKind::kDirectory);
  EXPECT_EQ(ParseEntryName("abc@@").kind, EntryKind::kContinuation);
  EXPECT_EQ(ParseEntryName("abc@@").chunk, "abc");
  EXPECT_EQ(ParseEntryName(".hydrant").kind, EntryKind::kForeign);
  EXPECT_EQ(ParseEntryName("@").kind, EntryKind::kForeign);
  EXPECT_EQ(ParseEntryName("a@b").kind, EntryKind::kForeign);
}

// Distinct keys never share a file: objects, directories and chunks cannot collide.
TEST(KeyPathTest, MappingIsInjective) {
  std::vector<std::string> keys = {"a",
                                   "a/",
                                   "a/b",
                                   "a//b",
                                   "a@",
                                   "a%40",
                                   "%",
                                   "%25",
                                   ".a",
                                   "%2Ea",
                                   "a/%",
                                   "a/%/b",
                                   std::string(201, 'z'),
                                   std::string(200, 'z'),
                                   std::string(200, 'z') + "/z"};
  std::set<std::string> paths;
  for (const std::string& key : keys) paths.insert(KeyToRelativePath(key));
  EXPECT_EQ(paths.size(), keys.size());
}

}  // namespace
}  // namespace hydrant::store
