// ObjectStore: buckets, objects, listings and multipart uploads over the Env file system.
#include "store/object_store.h"

#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <mutex>

#include "common/ids.h"
#include "store/key_path.h"

namespace hydrant::store {
namespace {

namespace json = boost::json;

constexpr char kStagingName[] = ".hydrant";
constexpr char kRootTempName[] = ".tmp";
constexpr uint64_t kCopyChunkBytes = 8ull << 20;
constexpr int kCommitAttempts = 5;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string Unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool IsUploadId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string PartName(int part_number) {
  char name[16];
  snprintf(name, sizeof name, "part-%05d", part_number);
  return name;
}

// Writes pieces, concatenated, to `path` and fsyncs it; removes the file on failure. Object
// bodies go around the page cache (WriteMode::kDirect): they are written once, and copying them
// into the cache cost the delivery lane half its CPU (bench/README.md "Profiles").
Status WriteWholeFile(Env* env, const std::string& path,
                      std::initializer_list<std::string_view> pieces, WriteMode mode = WriteMode::kDirect) {
  auto file = env->NewWritableFile(path, /*truncate=*/true, mode);
  if (!file.ok()) return file.status();
  Status s;
  for (std::string_view piece : pieces) {
    if (s.ok()) s = (*file)->Append(piece);
  }
  if (s.ok()) s = (*file)->Sync();
  Status c = (*file)->Close();
  if (s.ok()) s = c;
  if (!s.ok()) (void)env->RemoveFile(path);
  return s;
}

Result<ObjectInfo> ReadInfoAt(Env* env, const std::string& path) {
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  return ReadObjectInfo(**file);
}

// True if any object file lies below dir.
bool HasObject(Env* env, const std::string& dir) {
  auto children = env->GetChildren(dir);
  if (!children.ok()) return false;
  for (const std::string& name : *children) {
    ParsedEntry entry = ParseEntryName(name);
    if (entry.kind == EntryKind::kObject) return true;
    if (entry.kind != EntryKind::kForeign && HasObject(env, JoinPath(dir, name))) return true;
  }
  return false;
}

// One ListObjects walk: depth-first over the bucket's directories in key order, reading only
// directories whose keys can match the prefix, rolling keys up at the delimiter.
class Lister {
 public:
  Lister(Env* env, const ListRequest& request) : env_(env), request_(request) {}

  Status Walk(const std::string& dir, const std::string& logical, bool top) {
    std::vector<Entry> entries;
    HYDRANT_RETURN_IF_ERROR(ReadLevel(dir, logical, {}, "", top, &entries));
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.sort_key < b.sort_key; });
    const std::string& prefix = request_.prefix;
    const std::string& after = request_.after;
    const std::string& delimiter = request_.delimiter;
    for (const Entry& entry : entries) {
      if (done_) break;
      if (entry.is_object) {
        EmitKey(logical + entry.name, entry.path);
        continue;
      }
      std::string subtree = logical + entry.name + "/";
      if (subtree < after && !StartsWith(after, subtree)) continue;  // every key in it <= after
      if (!delimiter.empty() && subtree.size() > prefix.size()) {
        size_t pos = subtree.find(delimiter, prefix.size());
        if (pos != std::string::npos) {  // every key below rolls up into one common prefix
          std::string common = subtree.substr(0, pos + delimiter.size());
          if (common > after && common != last_prefix_ && HasObject(env_, entry.path)) {
            EmitPrefix(common);
          }
          continue;
        }
      }
      HYDRANT_RETURN_IF_ERROR(Walk(entry.path, subtree, false));
    }
    return Status::Ok();
  }

  std::vector<std::pair<std::string, std::string>> objects;  // key, file path
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_after;

 private:
  struct Entry {
    std::string name;  // the decoded component
    bool is_object;
    std::string path;
    std::string sort_key;  // name, or name + "/" for a directory: orders keys, not names
  };

  // Entries of one logical level: the children of dir, with continuation directories (the
  // chunks of long components) expanded in place.
  Status ReadLevel(const std::string& dir, const std::string& logical,
                   const std::vector<std::string>& chunks, const std::string& partial, bool top,
                   std::vector<Entry>* out) {
    auto children = env_->GetChildren(dir);
    if (!children.ok()) return top ? children.status() : Status::Ok();  // raced with a delete
    for (const std::string& name : *children) {
      ParsedEntry parsed = ParseEntryName(name);
      if (parsed.kind == EntryKind::kForeign) continue;
      std::vector<std::string> all = chunks;
      all.emplace_back(parsed.chunk);
      if (parsed.kind == EntryKind::kContinuation) {
        std::optional<std::string> bytes = DecodeChunk(parsed.chunk);
        if (!bytes || !Compatible(logical + partial + *bytes)) continue;
        HYDRANT_RETURN_IF_ERROR(
            ReadLevel(JoinPath(dir, name), logical, all, partial + *bytes, false, out));
        continue;
      }
      std::optional<std::string> component = DecodeComponent(all);
      if (!component) continue;
      bool is_object = parsed.kind == EntryKind::kObject;
      std::string sort_key = is_object ? *component : *component + "/";
      if (is_object ? !StartsWith(logical + sort_key, request_.prefix)
                    : !Compatible(logical + sort_key)) {
        continue;
      }
      out->push_back({std::move(*component), is_object, JoinPath(dir, name), std::move(sort_key)});
    }
    return Status::Ok();
  }

  // Some key starting with s can start with the prefix.
  bool Compatible(const std::string& s) const {
    return StartsWith(s, request_.prefix) || StartsWith(request_.prefix, s);
  }

  void EmitKey(const std::string& key, const std::string& path) {
    if (!request_.delimiter.empty()) {
      size_t pos = key.find(request_.delimiter, request_.prefix.size());
      if (pos != std::string::npos) {
        std::string common = key.substr(0, pos + request_.delimiter.size());
        if (common > request_.after && common != last_prefix_) EmitPrefix(common);
        return;
      }
    }
    if (key <= request_.after || Full()) return;
    objects.emplace_back(key, path);
    next_after = key;
  }

  void EmitPrefix(const std::string& common) {
    last_prefix_ = common;
    if (Full()) return;
    prefixes.push_back(common);
    next_after = common;
  }

  // Counts one more item; true (and the walk ends) if it is one past the page.
  bool Full() {
    if (count_ >= request_.max_keys) {
      truncated = true;
      done_ = true;
      return true;
    }
    ++count_;
    return false;
  }

  Env* env_;
  const ListRequest& request_;
  std::string last_prefix_;
  int count_ = 0;
  bool done_ = false;
};

}  // namespace

ObjectStore::ObjectStore(Env* env, std::string root, Clock* clock, ObjectStoreOptions options)
    : env_(env), root_(std::move(root)), clock_(clock), options_(options) {}

std::string ObjectStore::BucketDir(const std::string& bucket) const {
  return JoinPath(root_, bucket);
}

std::string ObjectStore::StagingDir(const std::string& bucket) const {
  return JoinPath(BucketDir(bucket), kStagingName);
}

std::string ObjectStore::UploadDir(const std::string& bucket, const std::string& upload_id) const {
  return StagingDir(bucket) + "/uploads/" + upload_id;
}

Status ObjectStore::Init() {
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(root_));
  HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(JoinPath(root_, kRootTempName)));
  auto children = env_->GetChildren(root_);
  if (!children.ok()) return children.status();
  for (const std::string& name : *children) {
    if (ValidateBucketName(name).ok()) {
      HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(StagingDir(name) + "/tmp"));
    }
  }
  return Status::Ok();
}

Status ObjectStore::CheckBucket(const std::string& bucket) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  if (!env_->FileExists(BucketDir(bucket))) {
    return MakeError(StoreError::kNoSuchBucket, "The specified bucket does not exist");
  }
  return Status::Ok();
}

// ---- Buckets -----------------------------------------------------------------------------

Status ObjectStore::CreateBucket(const std::string& bucket, const std::string& location) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  std::unique_lock lock(bucket_mu_);
  if (env_->FileExists(BucketDir(bucket))) {
    return MakeError(
        StoreError::kBucketAlreadyOwnedByYou,
        "Your previous request to create the named bucket succeeded and you already own it.");
  }
  // Built aside, then renamed into place: the bucket appears complete or not at all.
  std::string temp = JoinPath(root_, kRootTempName) + "/" + RandomHex(16);
  json::object meta;
  meta["created"] = clock_->NowMillis();
  meta["location"] = location;
  Status s = env_->CreateDirs(temp + "/" + kStagingName + "/tmp");
  if (s.ok())
    s = WriteWholeFile(env_, temp + "/" + kStagingName + "/bucket.json", {json::serialize(meta)}, WriteMode::kBuffered);
  if (s.ok()) s = env_->SyncDir(temp + "/" + kStagingName);
  if (s.ok()) s = env_->SyncDir(temp);
  if (s.ok()) s = env_->RenameFile(temp, BucketDir(bucket));
  if (s.ok()) return env_->SyncDir(root_);
  (void)env_->RemoveDirRecursively(temp);
  return s;
}

Status ObjectStore::DeleteBucket(const std::string& bucket) {
  std::unique_lock lock(bucket_mu_);
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  if (HasObject(env_, BucketDir(bucket))) {
    return MakeError(StoreError::kBucketNotEmpty, "The bucket you tried to delete is not empty");
  }
  // Renamed away first, so the bucket disappears at once even if removal is slow or fails.
  std::string temp_root = JoinPath(root_, kRootTempName);
  std::string temp = temp_root + "/" + RandomHex(16);
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(temp_root));
  HYDRANT_RETURN_IF_ERROR(env_->RenameFile(BucketDir(bucket), temp));
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(root_));
  return env_->RemoveDirRecursively(temp);
}

bool ObjectStore::BucketExists(const std::string& bucket) { return CheckBucket(bucket).ok(); }

Result<BucketInfo> ObjectStore::GetBucket(const std::string& bucket) {
  std::shared_lock lock(bucket_mu_);
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  BucketInfo info{bucket, 0, ""};
  std::string meta_path = StagingDir(bucket) + "/bucket.json";
  auto text = env_->ReadFile(meta_path);
  if (!text.ok()) {
    // A folder created by hand: it becomes a bucket created now.
    info.creation_millis = clock_->NowMillis();
    json::object meta;
    meta["created"] = info.creation_millis;
    meta["location"] = "";
    HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(StagingDir(bucket)));
    HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(meta_path, json::serialize(meta)));
    return info;
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(*text, ec);
  const json::object* meta = ec ? nullptr : parsed.if_object();
  if (meta == nullptr) return Status::Corruption("bad bucket metadata: " + meta_path);
  if (const json::value* created = meta->if_contains("created")) {
    info.creation_millis = created->to_number<int64_t>(ec);
  }
  if (const json::value* location = meta->if_contains("location");
      location && location->is_string()) {
    info.location = std::string(location->get_string());
  }
  if (ec) return Status::Corruption("bad bucket metadata: " + meta_path);
  return info;
}

Result<std::vector<BucketInfo>> ObjectStore::ListBuckets() {
  auto children = env_->GetChildren(root_);
  if (!children.ok()) {
    if (children.status().code() == StatusCode::kNotFound) return std::vector<BucketInfo>();
    return children.status();
  }
  std::sort(children->begin(), children->end());
  std::vector<BucketInfo> buckets;
  for (const std::string& name : *children) {
    if (!ValidateBucketName(name).ok()) continue;
    auto info = GetBucket(name);
    if (info.ok()) buckets.push_back(std::move(*info));  // else deleted meanwhile, or not a folder
  }
  return buckets;
}

// ---- Writing -------------------------------------------------------------------------------

Result<std::string> ObjectStore::TempPath(const std::string& bucket) {
  std::shared_lock lock(bucket_mu_);
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  std::string dir = StagingDir(bucket) + "/tmp";
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(dir));
  return dir + "/" + RandomHex(24);
}

Status ObjectStore::EnsureDirs(const std::string& base, const std::string& relative_dir) {
  std::string dir = base;
  size_t start = 0;
  while (start < relative_dir.size()) {
    size_t slash = relative_dir.find('/', start);
    if (slash == std::string::npos) slash = relative_dir.size();
    std::string next = dir + "/" + relative_dir.substr(start, slash - start);
    if (!env_->FileExists(next)) {
      HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(next));
      HYDRANT_RETURN_IF_ERROR(env_->SyncDir(dir));  // the new entry survives a crash
    }
    dir = std::move(next);
    start = slash + 1;
  }
  return Status::Ok();
}

Status ObjectStore::Commit(const std::string& bucket, const std::string& temp,
                           const std::string& key) {
  std::string relative = KeyToRelativePath(key);
  size_t slash = relative.rfind('/');
  std::string relative_dir = slash == std::string::npos ? "" : relative.substr(0, slash);
  std::string bucket_dir = BucketDir(bucket);
  std::string target = bucket_dir + "/" + relative;
  std::shared_lock lock(bucket_mu_);
  Status s;
  // A concurrent delete may prune a directory between EnsureDirs and the rename: try again.
  for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
    if (!env_->FileExists(bucket_dir)) {
      s = MakeError(StoreError::kNoSuchBucket, "The specified bucket does not exist");
      break;
    }
    s = EnsureDirs(bucket_dir, relative_dir);
    if (s.ok()) s = env_->RenameFile(temp, target);
    if (s.ok()) return env_->SyncDir(DirName(target));
  }
  (void)env_->RemoveFile(temp);
  return s;
}

Result<std::string> ObjectStore::MasterKey(const std::string& sse, const std::string& kms_key_id) const {
  if (sse != "AES256" && sse != "aws:kms") {
    return MakeError(StoreError::kInvalidArgument, "The encryption method specified is not supported");
  }
  if (!options_.keys) return MakeError(StoreError::kInvalidArgument, "Server-side encryption is not available.");
  if (sse == "aws:kms" && !kms_key_id.empty()) {
    const std::string* key = options_.keys->Find(kms_key_id);
    if (!key) return MakeError(StoreError::kKmsNotFound, "Invalid keyId '" + kms_key_id + "'");
    return *key;
  }
  return options_.keys->own_key();
}

Result<std::string> ObjectStore::NewDataKey(const PutOptions& options, ObjectInfo* info) const {
  auto master = MasterKey(options.sse, options.sse_kms_key_id);
  if (!master.ok()) return master.status();
  std::string data_key = RandomBytes(kCipherKeyBytes);
  info->sse = options.sse;
  info->sse_kms_key_id = options.sse == "aws:kms" ? options.sse_kms_key_id : "";
  info->sealed_data_key = Seal(*master, data_key, "hydrant object data key");
  return data_key;
}

Result<std::string> ObjectStore::Decrypt(const ObjectInfo& info, std::string_view stored,
                                         const std::string& bucket, const std::string& key) const {
  auto master = MasterKey(info.sse, info.sse_kms_key_id);
  if (!master.ok()) return master.status();
  auto data_key = Unseal(*master, info.sealed_data_key, "hydrant object data key");
  if (!data_key.ok()) return data_key.status();
  return Unseal(*data_key, stored, bucket + "/" + key);
}

Result<ObjectInfo> ObjectStore::PutObject(const std::string& bucket, const std::string& key,
                                          std::string_view data, const PutOptions& options) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  HYDRANT_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (data.size() > kMaxObjectBytes) {
    return MakeError(StoreError::kEntityTooLarge,
                     "Your proposed upload exceeds the maximum allowed object size.");
  }
  ObjectInfo info;
  info.key = key;
  info.size = data.size();
  info.etag = Quote(HexEncode(options.md5.empty() ? Md5(data) : options.md5));
  info.last_modified_millis = clock_->NowMillis();
  info.content_type = options.content_type.empty() ? kDefaultContentType : options.content_type;
  info.user_metadata = options.user_metadata;
  info.headers = options.headers;
  std::string sealed;
  if (!options.sse.empty()) {
    auto data_key = NewDataKey(options, &info);
    if (!data_key.ok()) return data_key.status();
    sealed = Seal(*data_key, data, bucket + "/" + key);  // bound to its name: not movable
    info.stored_size = sealed.size();
    data = sealed;
  }
  auto temp = TempPath(bucket);
  if (!temp.ok()) return temp.status();
  Status s = WriteWholeFile(env_, *temp, {data, EncodeObjectTrailer(info)});
  if (s.ok()) s = Commit(bucket, *temp, key);
  if (!s.ok()) {
    // A half-written temp file would hold disk space that a full disk needs back.
    (void)env_->RemoveFile(*temp);
    return s;
  }
  return info;
}

Status ObjectStore::PutObject(const std::string& bucket, const std::string& key,
                              std::string_view data, const std::string& content_type) {
  PutOptions options;
  options.content_type = content_type;
  return PutObject(bucket, key, data, options).status();
}

// ---- Reading -------------------------------------------------------------------------------

Status ObjectStore::MissingObject(const std::string& bucket) {
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  return MakeError(StoreError::kNoSuchKey, "The specified key does not exist.");
}

Result<ObjectInfo> ObjectStore::HeadObject(const std::string& bucket, const std::string& key) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  HYDRANT_RETURN_IF_ERROR(ValidateObjectKey(key));
  auto info = ReadInfoAt(env_, BucketDir(bucket) + "/" + KeyToRelativePath(key));
  if (!info.ok() && info.status().code() == StatusCode::kNotFound) return MissingObject(bucket);
  return info;
}

Result<GetResult> ObjectStore::GetObject(const std::string& bucket, const std::string& key,
                                         std::optional<ByteRange> range) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  HYDRANT_RETURN_IF_ERROR(ValidateObjectKey(key));
  auto file = env_->NewRandomAccessFile(BucketDir(bucket) + "/" + KeyToRelativePath(key));
  if (!file.ok()) {
    if (file.status().code() != StatusCode::kNotFound) return file.status();
    return MissingObject(bucket);
  }
  // Metadata and data come from one open file: a concurrent overwrite cannot mix them.
  auto info = ReadObjectInfo(**file);
  if (!info.ok()) return info.status();
  GetResult result;
  result.info = std::move(*info);
  uint64_t size = result.info.size;
  uint64_t first = 0, last = size == 0 ? 0 : size - 1;
  if (range) {
    bool empty_suffix = range->suffix && *range->suffix == 0;
    if (empty_suffix || size == 0 || (!range->suffix && range->first >= size)) {
      return MakeError(StoreError::kInvalidRange, "The requested range is not satisfiable");
    }
    if (range->suffix) {
      first = *range->suffix >= size ? 0 : size - *range->suffix;
    } else {
      first = range->first;
      if (range->last) last = std::min(*range->last, size - 1);
    }
    result.partial = true;
    result.first = first;
    result.last = last;
  }
  uint64_t length = size == 0 ? 0 : last - first + 1;
  if (!result.info.sse.empty()) {  // sealed whole: open it, then cut the range
    std::string stored;
    HYDRANT_RETURN_IF_ERROR((*file)->Read(0, result.info.stored_size, &stored));
    auto plain = Decrypt(result.info, stored, bucket, key);
    if (!plain.ok()) return plain.status();
    if (plain->size() != size) return Status::Corruption("encrypted object holds another size than recorded");
    result.data = plain->substr(first, length);
    return result;
  }
  HYDRANT_RETURN_IF_ERROR((*file)->Read(first, length, &result.data));
  if (result.data.size() != length) return Status::Corruption("object file shorter than its size");
  return result;
}

Result<ListResult> ObjectStore::ListObjects(const std::string& bucket, const ListRequest& request) {
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  Lister lister(env_, request);
  HYDRANT_RETURN_IF_ERROR(lister.Walk(BucketDir(bucket), "", /*top=*/true));
  ListResult result;
  result.common_prefixes = std::move(lister.prefixes);
  result.truncated = lister.truncated;
  result.next_after = std::move(lister.next_after);
  for (const auto& [key, path] : lister.objects) {
    auto info = ReadInfoAt(env_, path);
    if (info.ok()) result.objects.push_back(std::move(*info));  // else deleted meanwhile
  }
  return result;
}

// ---- Deleting ------------------------------------------------------------------------------

void ObjectStore::PruneEmptyDirs(const std::string& bucket_dir, std::string dir) {
  // rmdir(2) removes only an empty directory, atomically, so a concurrent PutObject either
  // finds its directory or recreates it (Commit retries). Env has no rmdir of its own.
  while (dir.size() > bucket_dir.size() && StartsWith(dir, bucket_dir + "/")) {
    if (::rmdir(dir.c_str()) != 0) return;
    dir = DirName(dir);
  }
}

Status ObjectStore::DeleteObject(const std::string& bucket, const std::string& key) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  HYDRANT_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::shared_lock lock(bucket_mu_);
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  std::string path = BucketDir(bucket) + "/" + KeyToRelativePath(key);
  if (!env_->FileExists(path)) return Status::Ok();
  HYDRANT_RETURN_IF_ERROR(env_->RemoveFile(path));
  std::string parent = DirName(path);
  Status s = env_->SyncDir(parent);
  if (!s.ok() && env_->FileExists(parent)) return s;  // else another delete pruned it
  PruneEmptyDirs(BucketDir(bucket), parent);
  return Status::Ok();
}

// ---- Multipart uploads -----------------------------------------------------------------------

Result<std::string> ObjectStore::CreateMultipartUpload(const std::string& bucket,
                                                       const std::string& key,
                                                       const PutOptions& options) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  HYDRANT_RETURN_IF_ERROR(ValidateObjectKey(key));
  ObjectInfo pending;
  pending.key = key;
  pending.last_modified_millis = clock_->NowMillis();
  pending.content_type = options.content_type.empty() ? kDefaultContentType : options.content_type;
  pending.user_metadata = options.user_metadata;
  pending.headers = options.headers;
  if (!options.sse.empty()) {  // checked now, applied when the parts are assembled
    HYDRANT_RETURN_IF_ERROR(MasterKey(options.sse, options.sse_kms_key_id).status());
    pending.sse = options.sse;
    pending.sse_kms_key_id = options.sse == "aws:kms" ? options.sse_kms_key_id : "";
  }
  std::string upload_id = RandomHex(32);
  std::string dir = UploadDir(bucket, upload_id);
  std::shared_lock lock(bucket_mu_);
  HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(dir));
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(DirName(dir)));
  HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(dir + "/upload", EncodeObjectTrailer(pending)));
  return upload_id;
}

Result<ObjectInfo> ObjectStore::ReadUpload(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id) {
  HYDRANT_RETURN_IF_ERROR(ValidateBucketName(bucket));
  HYDRANT_RETURN_IF_ERROR(ValidateObjectKey(key));
  Status no_upload = MakeError(StoreError::kNoSuchUpload,
                               "The specified multipart upload does not exist. The upload ID "
                               "may be invalid, or the upload may have been aborted or completed.");
  if (!IsUploadId(upload_id)) return no_upload;
  auto info = ReadInfoAt(env_, UploadDir(bucket, upload_id) + "/upload");
  if (!info.ok()) {
    if (info.status().code() != StatusCode::kNotFound) return info.status();
    HYDRANT_RETURN_IF_ERROR(CheckBucket(bucket));
    return no_upload;
  }
  if (info->key != key) return no_upload;
  return info;
}

Result<std::string> ObjectStore::UploadPart(const std::string& bucket, const std::string& key,
                                            const std::string& upload_id, int part_number,
                                            std::string_view data) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return MakeError(StoreError::kInvalidArgument,
                     "Part number must be an integer between 1 and 10000, inclusive");
  }
  if (data.size() > kMaxObjectBytes) {
    return MakeError(StoreError::kEntityTooLarge,
                     "Your proposed upload exceeds the maximum allowed size");
  }
  auto upload = ReadUpload(bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  ObjectInfo part;
  part.key = key;
  part.size = data.size();
  part.etag = Quote(HexEncode(Md5(data)));
  part.last_modified_millis = clock_->NowMillis();
  std::string dir = UploadDir(bucket, upload_id);
  std::string path = dir + "/" + PartName(part_number);
  std::string temp = path + ".tmp-" + RandomHex(16);
  // No directory is created here, so an upload aborted meanwhile cannot come back.
  Status s = WriteWholeFile(env_, temp, {data, EncodeObjectTrailer(part)});
  if (s.ok()) s = env_->RenameFile(temp, path);
  if (s.ok()) s = env_->SyncDir(dir);
  if (!s.ok()) {
    (void)env_->RemoveFile(temp);
    auto still = ReadUpload(bucket, key, upload_id);
    return still.ok() ? s : still.status();
  }
  return part.etag;
}

Result<ObjectInfo> ObjectStore::CompleteMultipartUpload(const std::string& bucket,
                                                        const std::string& key,
                                                        const std::string& upload_id,
                                                        const std::vector<CompletedPart>& parts) {
  auto upload = ReadUpload(bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  if (parts.empty()) {
    return MakeError(StoreError::kInvalidArgument, "You must specify at least one part");
  }
  std::string dir = UploadDir(bucket, upload_id);
  Status invalid_part = MakeError(StoreError::kInvalidPart,
                                  "One or more of the specified parts could not be found. The "
                                  "part may not have been uploaded, or the specified entity tag "
                                  "may not match the part's entity tag.");
  // A listed part, opened and checked against the ETag the client holds for it.
  auto open_part = [&](const CompletedPart& part,
                       ObjectInfo* info) -> Result<std::unique_ptr<RandomAccessFile>> {
    if (part.part_number < 1 || part.part_number > kMaxPartNumber) return invalid_part;
    auto file = env_->NewRandomAccessFile(dir + "/" + PartName(part.part_number));
    if (!file.ok()) {
      return file.status().code() == StatusCode::kNotFound ? invalid_part : file.status();
    }
    auto read = ReadObjectInfo(**file);
    if (!read.ok()) return read.status();
    if (Unquote(read->etag) != Unquote(part.etag)) return invalid_part;
    *info = std::move(*read);
    return file;
  };
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].part_number <= parts[i - 1].part_number) {
      return MakeError(StoreError::kInvalidPartOrder,
                       "The list of parts was not in ascending order. The parts list must be "
                       "specified in order by part number.");
    }
  }
  std::string digests;  // the parts' binary MD5s, concatenated
  uint64_t total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    ObjectInfo info;
    auto file = open_part(parts[i], &info);
    if (!file.ok()) return file.status();
    std::string digest;
    if (!HexDecode(Unquote(info.etag), &digest)) return invalid_part;
    if (i + 1 < parts.size() && info.size < options_.min_part_bytes) {
      return MakeError(StoreError::kEntityTooSmall,
                       "Your proposed upload is smaller than the minimum allowed object size.");
    }
    digests += digest;
    total += info.size;
  }
  ObjectInfo info = std::move(*upload);
  info.size = total;
  info.etag = Quote(HexEncode(Md5(digests)) + "-" + std::to_string(parts.size()));
  info.last_modified_millis = clock_->NowMillis();

  // Encrypted uploads are sealed as they are assembled (parts wait in plaintext until then).
  std::unique_ptr<SealStream> sealer;
  if (!info.sse.empty()) {
    auto data_key = NewDataKey({.content_type = "", .user_metadata = {}, .headers = {}, .sse = info.sse,
                                .sse_kms_key_id = info.sse_kms_key_id, .md5 = ""},
                               &info);
    if (!data_key.ok()) return data_key.status();
    sealer = std::make_unique<SealStream>(*data_key, bucket + "/" + key);
    info.stored_size = total + kCipherNonceBytes + kCipherTagBytes;
  }

  // Second pass, one part open at a time (an upload may have thousands).
  auto temp = TempPath(bucket);
  if (!temp.ok()) return temp.status();
  auto out = env_->NewWritableFile(*temp, /*truncate=*/true, WriteMode::kDirect);
  if (!out.ok()) return out.status();
  Status s;
  if (sealer) s = (*out)->Append(sealer->Begin());
  uint64_t written = 0;
  std::string buffer;
  for (size_t i = 0; i < parts.size() && s.ok(); ++i) {
    ObjectInfo part_info;
    auto file = open_part(parts[i], &part_info);  // re-checked: a part may be re-uploaded
    if (!file.ok()) {
      s = file.status();
      break;
    }
    for (uint64_t offset = 0; offset < part_info.size && s.ok(); offset += kCopyChunkBytes) {
      s = (*file)->Read(offset, std::min(kCopyChunkBytes, part_info.size - offset), &buffer);
      if (s.ok()) s = (*out)->Append(sealer ? sealer->Update(buffer) : buffer);
    }
    written += part_info.size;
  }
  if (s.ok() && written != total) s = invalid_part;
  if (s.ok() && sealer) s = (*out)->Append(sealer->Finish());
  if (s.ok()) s = (*out)->Append(EncodeObjectTrailer(info));
  if (s.ok()) s = (*out)->Sync();
  Status closed = (*out)->Close();
  if (s.ok()) s = closed;
  if (!s.ok()) {
    (void)env_->RemoveFile(*temp);
    return s;
  }
  HYDRANT_RETURN_IF_ERROR(Commit(bucket, *temp, key));
  HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(dir));
  return info;
}

Status ObjectStore::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                         const std::string& upload_id) {
  auto upload = ReadUpload(bucket, key, upload_id);
  if (!upload.ok()) return upload.status();
  return env_->RemoveDirRecursively(UploadDir(bucket, upload_id));
}

}  // namespace hydrant::store
