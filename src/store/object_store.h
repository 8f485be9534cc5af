// ObjectStore: the embedded S3-compatible object store: buckets are folders, objects files.
//
// Layout under the root directory (e.g. <data-dir>/buckets):
//   <bucket>/                      one folder per bucket; keys map onto files (key_path.h)
//   <bucket>/.hydrant/bucket.json  creation time and location constraint
//   <bucket>/.hydrant/tmp/         objects being written (never listed)
//   <bucket>/.hydrant/uploads/<id>/  a multipart upload: "upload" (its metadata) + part files
//   .tmp/                          buckets being created or deleted
// Every object file is data + metadata trailer (object_file.h), written to a temp file,
// fsync'd, renamed over the key's path and the directory fsync'd: a reader never sees half
// an object, concurrent PUTs of one key leave exactly one of them (the last rename), and an
// acknowledged PUT survives a crash. Empty directories left by deletes are removed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/cipher.h"
#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"
#include "store/object_file.h"
#include "store/store_error.h"

namespace hydrant::store {

inline constexpr uint64_t kMaxObjectBytes = 5ull << 30;  // S3's single-PUT limit
inline constexpr int kMaxPartNumber = 10000;
inline constexpr const char* kDefaultContentType = "binary/octet-stream";

struct BucketInfo {
  std::string name;
  int64_t creation_millis = 0;
  std::string location;  // the CreateBucket LocationConstraint; "" means us-east-1
};

struct PutOptions {
  std::string content_type;                          // "" stores kDefaultContentType, as S3 does
  std::map<std::string, std::string> user_metadata;  // see ObjectInfo
  std::map<std::string, std::string> headers;        // see ObjectInfo
  std::string sse;             // "" | "AES256" | "aws:kms": stored encrypted (ObjectInfo::sse)
  std::string sse_kms_key_id;  // aws:kms: the key's ARN; "" = Hydrant's own key
  std::string md5;             // the data's MD5 digest when the caller has it; "" = computed here
};

// An HTTP byte range as requested: "bytes=first-last", "bytes=first-" or "bytes=-suffix".
struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;    // inclusive; clamped to the object's end
  std::optional<uint64_t> suffix;  // set for "bytes=-N": the last N bytes (first/last unused)
};

struct GetResult {
  ObjectInfo info;
  std::string data;      // the whole object, or the requested range
  bool partial = false;  // a range was applied: answer 206 with Content-Range
  uint64_t first = 0;    // the range served, inclusive (valid when partial)
  uint64_t last = 0;
};

struct ListRequest {
  std::string prefix;
  std::string delimiter;  // "" lists every key; otherwise keys roll up into common prefixes
  // Only keys and common prefixes ordered strictly after this one are returned (StartAfter,
  // Marker, or where the previous page stopped).
  std::string after;
  int max_keys = 1000;  // keys + common prefixes per page
};

struct ListResult {
  std::vector<ObjectInfo> objects;           // in UTF-8 byte order of keys
  std::vector<std::string> common_prefixes;  // in order
  bool truncated = false;
  // When truncated: the last key or common prefix returned; pass it as `after` to continue.
  std::string next_after;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // quotes optional
};

struct ObjectStoreOptions {
  // Every part of a multipart upload but the last must be at least this big (S3: 5 MiB).
  uint64_t min_part_bytes = 5ull << 20;
  // The master keys of server-side encryption; null: objects cannot be stored encrypted.
  const KeyRing* keys = nullptr;
};

// Thread-safe. One process owns the root directory. Every failure is a Status; the
// S3-visible ones are made with MakeError (store_error.h), everything else (I/O errors,
// corruption) is an internal error. Bucket names are checked with ValidateBucketName and
// keys with ValidateObjectKey before any file is touched.
class ObjectStore {
 public:
  // env and clock are not owned and must outlive the store. No I/O until Init().
  ObjectStore(Env* env, std::string root, Clock* clock, ObjectStoreOptions options = {});
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Creates the root directory and removes temp files a crash left behind. Call once,
  // before any other method.
  Status Init();

  // --- Buckets -------------------------------------------------------------------------
  // kBucketAlreadyOwnedByYou if it exists. Atomic: the folder appears complete or not at all.
  Status CreateBucket(const std::string& bucket, const std::string& location = "");
  // kBucketNotEmpty while it holds an object; pending multipart uploads are discarded.
  Status DeleteBucket(const std::string& bucket);
  bool BucketExists(const std::string& bucket);
  // kInvalidBucketName or kNoSuchBucket.
  Result<BucketInfo> GetBucket(const std::string& bucket);
  Result<std::vector<BucketInfo>> ListBuckets();  // sorted by name

  // --- Objects -------------------------------------------------------------------------
  // Stores `data` under `key`, replacing any object there. kNoSuchBucket, key errors,
  // kEntityTooLarge above kMaxObjectBytes.
  Result<ObjectInfo> PutObject(const std::string& bucket, const std::string& key,
                               std::string_view data, const PutOptions& options);
  // The same, for callers that only set a content type (the S3 delivery destination).
  Status PutObject(const std::string& bucket, const std::string& key, std::string_view data,
                   const std::string& content_type);
  // kNoSuchBucket, kNoSuchKey.
  Result<ObjectInfo> HeadObject(const std::string& bucket, const std::string& key);
  // kNoSuchBucket, kNoSuchKey, kInvalidRange when the range starts at or past the end (or is
  // an empty suffix). A range covering the whole object still answers partial (206), as S3.
  Result<GetResult> GetObject(const std::string& bucket, const std::string& key,
                              std::optional<ByteRange> range = std::nullopt);
  // Idempotent: deleting a missing key succeeds. kNoSuchBucket.
  Status DeleteObject(const std::string& bucket, const std::string& key);
  // Walks only the directories whose keys can match request.prefix, in key order, and stops
  // after max_keys items. kNoSuchBucket.
  Result<ListResult> ListObjects(const std::string& bucket, const ListRequest& request);

  // --- Multipart uploads (parts staged in the bucket's hidden .hydrant/uploads) -------------
  // Returns the upload id (32 lower-case hex characters). Options apply to the final object.
  Result<std::string> CreateMultipartUpload(const std::string& bucket, const std::string& key,
                                            const PutOptions& options);
  // Returns the part's quoted ETag. kNoSuchUpload (unknown id, or not this key's),
  // kInvalidArgument for a part number outside 1..10000. Re-uploading a part replaces it.
  Result<std::string> UploadPart(const std::string& bucket, const std::string& key,
                                 const std::string& upload_id, int part_number,
                                 std::string_view data);
  // Assembles the listed parts, in order, into the object, atomically; ETag
  // "<md5 of the parts' binary md5s>-<count>". kInvalidPartOrder unless part numbers
  // strictly ascend, kInvalidPart for a missing part or an ETag mismatch, kEntityTooSmall for
  // a non-final part under min_part_bytes, kNoSuchUpload. The upload is gone afterwards.
  Result<ObjectInfo> CompleteMultipartUpload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<CompletedPart>& parts);
  // kNoSuchUpload if unknown.
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id);

  const std::string& root() const { return root_; }

 private:
  std::string BucketDir(const std::string& bucket) const;
  std::string StagingDir(const std::string& bucket) const;
  std::string UploadDir(const std::string& bucket, const std::string& upload_id) const;
  Status CheckBucket(const std::string& bucket);  // name valid and folder present
  // Why an object file is missing: kNoSuchBucket or kNoSuchKey.
  Status MissingObject(const std::string& bucket);
  // Renames a temp file onto the key's path, creating directories (durably) as needed.
  Status Commit(const std::string& bucket, const std::string& temp, const std::string& key);
  Status EnsureDirs(const std::string& base, const std::string& relative_dir);
  void PruneEmptyDirs(const std::string& bucket_dir, std::string dir);
  // The upload's pending-object metadata; kNoSuchUpload unless it exists for `key`.
  Result<ObjectInfo> ReadUpload(const std::string& bucket, const std::string& key,
                                const std::string& upload_id);
  // A new temp file path in the bucket's staging area (kNoSuchBucket if the bucket is gone).
  Result<std::string> TempPath(const std::string& bucket);
  // The master key for `sse` / `kms_key_id`: kKmsNotFound for a key the config does not name.
  Result<std::string> MasterKey(const std::string& sse, const std::string& kms_key_id) const;
  // Fills info's encryption fields and returns its data key (sealed into the metadata).
  Result<std::string> NewDataKey(const PutOptions& options, ObjectInfo* info) const;
  // The plaintext of the stored bytes of the encrypted object at bucket/key (the name they were
  // sealed for: bytes moved to another name do not open).
  Result<std::string> Decrypt(const ObjectInfo& info, std::string_view stored, const std::string& bucket,
                              const std::string& key) const;

  Env* const env_;
  const std::string root_;
  Clock* const clock_;
  const ObjectStoreOptions options_;
  // Exclusive while a bucket folder appears or disappears; shared by every operation that
  // creates files or directories inside a bucket, so none can resurrect a deleted bucket.
  std::shared_mutex bucket_mu_;
};

}  // namespace hydrant::store
