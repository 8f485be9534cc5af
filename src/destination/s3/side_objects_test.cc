// Tests for the S3 objects beside a destination's sends: their names and their bytes.
#include "destination/s3/side_objects.h"

#include <gtest/gtest.h>

#include "store/object_file.h"

namespace hydrant::destination::s3 {
namespace {

constexpr BatchFacts kFacts{.stream_name = "hooks", .stream_version = 2,
                            .first_arrival_millis = 1754561700250,  // 2025-08-07T10:15:00.250Z
                            .batch_id = "0f8fad5b-d9cb-469f-a165-70867728950e"};

S3Destination Location() {
  S3Destination s3;
  s3.bucket = "bucket";
  s3.prefix = "data/";
  s3.compression = "GZIP";
  s3.kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/k";
  return s3;
}

TEST(SideObjectsTest, BackupGoesToTheBackupBucketWithItsOwnCompression) {
  S3Destination s3 = Location();
  s3.backup = S3BackupDestination{.bucket = "archive", .prefix = "source/", .buffering = {}, .compression = "UNCOMPRESSED"};
  auto target = BackupTarget(s3, kFacts);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->bucket, "archive");
  EXPECT_EQ(target->key, "source/2025/08/07/10/hooks-2-2025-08-07-10-15-00-0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_EQ(target->compression, "UNCOMPRESSED");
}

TEST(SideObjectsTest, AllDataCopyIsADataObjectCompressedAsConfigured) {
  auto target = AllDataTarget(Location(), kFacts);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->key, "data/2025/08/07/10/hooks-2-2025-08-07-10-15-00-0f8fad5b-d9cb-469f-a165-70867728950e.gz");
  const std::vector<Record> records = {{"{\"a\":1}\n", 1, "1"}, {"{\"a\":2}\n", 2, "2"}};
  auto object = MakeObject(*target, records);
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->bucket, "bucket");
  EXPECT_EQ(object->records, 2u);
  EXPECT_EQ(object->content_encoding, "gzip");
  EXPECT_EQ(object->kms_key_arn, "arn:aws:kms:us-east-1:123456789012:key/k");
  ASSERT_GE(object->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(object->body[0]), 0x1f);  // the gzip magic
  EXPECT_EQ(static_cast<unsigned char>(object->body[1]), 0x8b);
  EXPECT_EQ(object->md5, store::Md5(object->body));  // of the bytes stored, compressed
}

TEST(SideObjectsTest, AFailedPartitionIsAnUncompressedErrorObject) {
  S3Destination s3 = Location();
  s3.prefix = "by/!{partitionKeyFromQuery:customer}/";
  s3.error_output_prefix = "errors/!{firehose:error-output-type}/";
  auto data = PartitionTarget(s3, {{"customer", "c7"}}, "", kFacts);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->key, "by/c7/hooks-2-2025-08-07-10-15-00-0f8fad5b-d9cb-469f-a165-70867728950e.gz");
  EXPECT_EQ(data->compression, "GZIP");
  auto failed = PartitionTarget(s3, {}, "processing-failed", kFacts);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->key.rfind("errors/processing-failed/", 0), 0u) << failed->key;
  EXPECT_EQ(failed->compression, "UNCOMPRESSED");
  auto object = MakeObject(*failed, "{\"errorCode\":\"x\"}\n", 1);
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->body, "{\"errorCode\":\"x\"}\n");
  EXPECT_EQ(store::HexEncode(object->md5), "87281e47c7b7ce91e4b12c4c3debed4b");  // md5sum's
}

TEST(SideObjectsTest, ErrorOutputCountsItsLines) {
  auto object = ErrorOutputObject(Location(), "errors/x", "{}\n{}\n{}\n");
  EXPECT_EQ(object.key, "errors/x");
  EXPECT_EQ(object.records, 3u);
  EXPECT_TRUE(object.content_encoding.empty());
}

}  // namespace
}  // namespace hydrant::destination::s3
