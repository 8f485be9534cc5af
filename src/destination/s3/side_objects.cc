// The S3 objects beside a destination's sends: names from object_key.cc, bytes compressed here.
#include "destination/s3/side_objects.h"

#include <algorithm>

#include "destination/s3/object_key.h"
#include "format/compression.h"
#include "store/object_file.h"

namespace hydrant::destination::s3 {

Result<ObjectTarget> BackupTarget(const S3Destination& s3, const BatchFacts& facts) {
  const S3BackupDestination& backup = *s3.backup;
  auto key = DataObjectKey(backup.prefix, backup.compression, "", s3.time_zone, facts);
  if (!key.ok()) return key.status();
  return ObjectTarget{.bucket = backup.bucket, .key = std::move(*key), .compression = backup.compression, .kms_key_arn = ""};
}

Result<ObjectTarget> AllDataTarget(const S3Destination& s3, const BatchFacts& facts) {
  auto key = DataObjectKey(s3.prefix, s3.compression, s3.file_extension, s3.time_zone, facts);
  if (!key.ok()) return key.status();
  return ObjectTarget{.bucket = s3.bucket, .key = std::move(*key), .compression = s3.compression, .kms_key_arn = s3.kms_key_arn};
}

Result<ObjectTarget> PartitionTarget(const S3Destination& s3, const std::map<std::string, std::string>& keys,
                                     std::string_view error_output_type, const BatchFacts& facts) {
  const bool data = error_output_type.empty();
  auto key = data ? PartitionObjectKey(s3, keys, facts) : ErrorObjectKey(s3, error_output_type, facts);
  if (!key.ok()) return key.status();
  return ObjectTarget{.bucket = s3.bucket,
                      .key = std::move(*key),
                      .compression = data ? s3.compression : "UNCOMPRESSED",
                      .kms_key_arn = s3.kms_key_arn};
}

Result<format::Object> MakeObject(const ObjectTarget& target, std::string body, uint64_t records) {
  format::Object object;
  object.bucket = target.bucket;
  object.key = target.key;
  object.kms_key_arn = target.kms_key_arn;
  object.body = std::move(body);
  object.records = records;
  HYDRANT_RETURN_IF_ERROR(format::CompressObjectForKey(target.compression, &object));
  // Hashed here, where a batch is built (ahead of its delivery when pipelined): hashing on the
  // lane took half of its CPU and delayed every object behind it.
  object.md5 = store::Md5(object.body);
  return object;
}

Result<format::Object> MakeObject(const ObjectTarget& target, std::span<const Record> records) {
  std::string body;
  size_t bytes = 0;
  for (const Record& r : records) bytes += r.data.size();
  body.reserve(bytes);
  for (const Record& r : records) body.append(r.data);
  return MakeObject(target, std::move(body), records.size());
}

format::Object ErrorOutputObject(const S3Destination& s3, std::string key, std::string body) {
  format::Object object;
  object.bucket = s3.bucket;
  object.key = std::move(key);
  object.kms_key_arn = s3.kms_key_arn;
  object.records = std::count(body.begin(), body.end(), '\n');
  object.body = std::move(body);
  return object;
}

}  // namespace hydrant::destination::s3
