// The S3 objects a stream writes beside its destination's sends: the source-record backup, a
// copy of every record for a kind with AllData backup, dynamic partitions, and error output.
// stream/ decides which objects a batch has; this file names them and makes their bytes
// (records back to back, compressed as configured). MakeObject also makes an S3 stream's data
// objects (s3_delivery.cc).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "destination/destination.h"
#include "destination/s3/s3_config.h"
#include "format/object.h"

namespace hydrant::destination::s3 {

// Where one object goes and how its bytes are compressed. A stream journals bucket, key and
// compression before the first attempt, so a retried object keeps its name.
struct ObjectTarget {
  std::string bucket;
  std::string key;
  std::string compression = "UNCOMPRESSED";
  std::string kms_key_arn;  // "" = no SSE-KMS
};

// The source-record backup of a batch: <S3BackupConfiguration Prefix>[YYYY/MM/DD/HH/]<name>
// in the backup bucket, with the backup's compression. `s3.backup` must be set.
Result<ObjectTarget> BackupTarget(const S3Destination& s3, const BatchFacts& facts);

// Every record of a batch of another kind with backup of all data (S3BackupMode AllData /
// AllEvents / AllDocuments): a data object under its S3Configuration.
Result<ObjectTarget> AllDataTarget(const S3Destination& s3, const BatchFacts& facts);

// A dynamic partition's object: the Prefix evaluated with its keys, or, for a partition of
// records that failed (`error_output_type` set), an error output object.
Result<ObjectTarget> PartitionTarget(const S3Destination& s3, const std::map<std::string, std::string>& keys,
                                     std::string_view error_output_type, const BatchFacts& facts);

// The object: `body` (records back to back) compressed as `target` says.
Result<format::Object> MakeObject(const ObjectTarget& target, std::string body, uint64_t records);
Result<format::Object> MakeObject(const ObjectTarget& target, std::span<const Record> records);

// An error output object (never compressed) under `key` in the stream's S3 location.
format::Object ErrorOutputObject(const S3Destination& s3, std::string key, std::string body);

}  // namespace hydrant::destination::s3
