// SegmentedWal: the Wal over numbered segment files, group-committed by an Activity on the
// shared sync pool (a log costs a thread only while it writes).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/task_pool.h"
#include "wal/segment_reader.h"
#include "wal/wal.h"
#include "wal/wal_format.h"

namespace hydrant::wal {
namespace {

// Group buffers that grew past these are freed after their write instead of being kept for
// reuse. Small on purpose: with hundreds of streams ingesting at once every log keeps its
// buffers, and 200 streams kept 350 MiB with 16 MiB here (150 MiB with 256 KiB); one stream
// alone lost about 5 % of its peak MiB/s to the reallocation (bench/README.md).
constexpr size_t kMaxIdleBufferBytes = 256 << 10;
constexpr size_t kMaxIdleCallbacks = 64 << 10;
// A log without appends for this long frees its group buffers: a server with hundreds of
// streams would otherwise keep one or two buffers of each stream's largest burst.
constexpr auto kIdleRelease = std::chrono::milliseconds(200);
// Threads that write and sync logs, for every stream together. Each sync is mostly waiting for
// the disk, so more of them than cores keeps the device busy; a log waits its turn meanwhile and
// its next group grows.
constexpr int kSyncThreads = 16;
constexpr std::string_view kSpareFileName = "spare-segment";

class SegmentedWal final : public Wal {
 public:
  SegmentedWal(Env* env, std::string dir, const Options& options)
      : env_(env),
        dir_(std::move(dir)),
        max_segment_bytes_(options.max_segment_bytes),
        repair_retry_(options.repair_retry_millis),
        keys_(options.keys),
        recent_(options.recent),
        recent_id_(recent_ ? recent_->NewLogId() : 0),
        spares_(options.spares ? options.spares : &SpareBudget::Shared()),
        key_ref_(options.key_ref) {}
  ~SegmentedWal() override { (void)Close(); }

  // Scans, verifies and repairs the segments, then opens the last one for appending.
  Status Recover(RecoveryReport* report);
  void Start() {
    sync_ = std::make_unique<Activity>(SyncPool(), [this] { SyncStep(); });
  }

  LogPosition Append(std::span<const std::string_view> records, int64_t arrival_millis,
                     AppendCallback done) override;
  void Rekey(std::string key_ref, AppendCallback done) override;
  void SetDurableListener(DurableListener listener) override;
  LogPosition Begin() const override;
  LogPosition DurableEnd() const override;
  Status Read(LogPosition from, const std::function<bool(const RecordView&)>& visit) const override;
  Status ReadExpecting(LogPosition from, uint64_t expected_bytes,
                       const std::function<bool(const RecordView&)>& visit) const override;
  Status ReleaseBefore(LogPosition position) override;
  uint64_t RetainedBytes() const override;
  std::vector<LogPosition> SegmentStarts() const override {
    std::lock_guard lock(mu_);
    std::vector<LogPosition> starts;
    for (const Segment& segment : segments_) starts.push_back({segment.number, segment.header_size});
    return starts;
  }
  uint64_t BytesBetween(LogPosition from, LogPosition to) const override;
  Status Close() override;

 private:
  struct Segment {
    uint64_t number;
    uint64_t size;  // bytes written and synced; for all but the last, the end of its last frame
    uint64_t header_size = kSegmentHeaderSize;  // where its first frame starts
    std::shared_ptr<const std::string> data_key{};  // encrypted segments only
    uint32_t seed = 0;  // FrameSeed(number) in a version-3 segment
  };
  // Within a group's bytes, where a new segment starts (its header is at `at`).
  struct Roll {
    size_t at;
    Segment segment;  // size 0
  };
  // Appends framed since the last group was taken by the sync thread.
  struct Group {
    std::string bytes;
    std::vector<AppendCallback> callbacks;
    std::vector<Roll> rolls;
    uint64_t records = 0;
    uint64_t data_bytes = 0;
    int64_t oldest_arrival_millis = INT64_MAX;
    LogPosition end;  // next_ when the group was taken
    bool empty() const { return bytes.empty() && callbacks.empty(); }
  };

  std::string SegmentPath(uint64_t number) const { return JoinPath(dir_, SegmentFileName(number)); }
  std::string SparePath() const { return JoinPath(dir_, std::string(kSpareFileName)); }
  Status RecoverSegment(uint64_t number, RecoveryReport* report);
  // Opens the file of a new segment as file_: the spare's when the log has one and the segment
  // is plaintext, else a new file.
  Status CreateSegment(const Segment& segment);
  // Keeps a released segment's file as the spare, if the log has none and the process's spares
  // leave room. True when it did.
  bool KeepAsSpare(uint64_t number);
  // Append's encrypted path, called with `lock` held and the group's counters updated: reserves
  // the frames' bytes, seals them with the lock released, copies them in. Returns unlocked.
  void SealOutsideLock(std::unique_lock<std::mutex>& lock, std::span<const std::string_view> records,
                       int64_t arrival_millis, LogPosition first, uint64_t frame_bytes, AppendCallback done);
  // A new segment under key_ref_: its header, and (encrypted) its data key. Sets writer_key_.
  Result<std::string> NewSegmentHeader(Segment* segment);
  // Starts segment next_.segment + 1 in the pending group. Requires mu_.
  Status RollLocked();
  // One round of group commit: repair a failed log, write and sync the pending group, or free
  // the buffers of a log that went idle.
  void SyncStep();
  // Writes and syncs the pending group and answers its appends. Requires `lock` (on mu_);
  // releases it meanwhile. False when nothing was pending.
  bool CommitPending(std::unique_lock<std::mutex>& lock);
  Status WriteGroup(const Group& group);
  // `bytes` is a part of writing_.bytes.
  Status WriteAndSync(std::string_view bytes);
  // Hands the pieces of writing_ just written to recent_.
  void KeepWritten();
  Status Repair();
  Status RemoveGradually(const std::string& path);

  Env* const env_;
  const std::string dir_;
  const uint64_t max_segment_bytes_;
  const std::chrono::milliseconds repair_retry_;
  const KeyRing* const keys_;
  RecentWrites* const recent_;  // may be null
  const uint64_t recent_id_;
  SpareBudget* const spares_;

  mutable std::mutex mu_;
  Group pending_;                 // guarded by mu_
  LogPosition next_;              // guarded by mu_: where the next frame will start
  LogPosition durable_end_;       // guarded by mu_
  std::deque<Segment> segments_;  // guarded by mu_: retained segments in order, never empty
  Status status_;                 // guarded by mu_: the last write/sync failure, until repaired
  bool closing_ = false;          // guarded by mu_
  bool released_ = true;          // guarded by mu_: the group buffers are freed
  std::chrono::steady_clock::time_point last_commit_;  // guarded by mu_
  std::shared_ptr<const DurableListener> listener_;  // guarded by mu_
  std::string key_ref_;                     // guarded by mu_: what new segments are sealed with
  // Segments that Reads in progress started in: their files are not reused while read.
  mutable std::multiset<uint64_t> reading_;  // guarded by mu_
  std::shared_ptr<const std::string> writer_key_;  // guarded by mu_: the current segment's data key
  // Encrypted appends reserve their frames' bytes under mu_ and seal them outside it (GCM is
  // the costly part); a group is written only once its appends have copied their frames in.
  // Generations tell the pending group from the one being written (swapped under mu_).
  uint64_t generation_ = 1;          // guarded by mu_: pending_'s
  uint64_t writing_generation_ = 0;  // guarded by mu_: writing_'s
  int pending_sealing_ = 0;          // guarded by mu_: appends sealing into pending_
  int writing_sealing_ = 0;          // guarded by mu_: appends sealing into writing_
  std::condition_variable sealed_;   // writing_sealing_ reached 0
  uint64_t current_header_size_ = kSegmentHeaderSize;  // guarded by mu_
  uint32_t current_seed_ = 0;                          // guarded by mu_
  bool roll_before_next_ = false;           // guarded by mu_: the current segment takes no more

  // Owned by the running SyncStep (by Recover/Close when none runs).
  Group writing_;
  struct Written {
    uint64_t segment, offset;  // where the piece landed
    size_t at, size;           // the piece in writing_.bytes
  };
  std::vector<Written> written_;  // writing_'s pieces written so far
  std::unique_ptr<WritableFile> file_;  // the last segment, open for appending
  uint64_t file_size_ = 0;
  std::chrono::steady_clock::time_point next_repair_;

  std::mutex spare_mu_;       // serializes renames to and from the spare
  uint64_t spare_bytes_ = 0;  // guarded by spare_mu_: the spare's size; 0 when there is none

  std::mutex close_mu_;  // serializes Close
  bool closed_ = false;  // guarded by close_mu_
  std::unique_ptr<Activity> sync_;
};

Status SegmentedWal::Recover(RecoveryReport* report) {
  auto children = env_->GetChildren(dir_);
  if (!children.ok()) return children.status();
  std::vector<uint64_t> numbers;
  for (const std::string& name : *children) {
    if (auto number = ParseSegmentFileName(name)) numbers.push_back(*number);
  }
  std::sort(numbers.begin(), numbers.end());
  for (uint64_t number : numbers) HYDRANT_RETURN_IF_ERROR(RecoverSegment(number, report));
  if (env_->FileExists(SparePath())) {
    auto size = env_->GetFileSize(SparePath());
    if (size.ok() && *size > 0 && spares_->TryReserve(*size)) {
      spare_bytes_ = *size;
    } else {
      HYDRANT_RETURN_IF_ERROR(RemoveGradually(SparePath()));
    }
  }

  // An encrypted segment is never appended to again (its nonces are offsets), nor is a
  // plaintext one when records are to be encrypted now: a new segment starts.
  if (segments_.empty() || segments_.back().data_key || !key_ref_.empty()) {
    Segment segment{.number = segments_.empty() ? 1 : segments_.back().number + 1, .size = 0};
    auto header = NewSegmentHeader(&segment);
    if (!header.ok()) return header.status();
    HYDRANT_RETURN_IF_ERROR(CreateSegment(segment));
    HYDRANT_RETURN_IF_ERROR(file_->Append(*header));
    HYDRANT_RETURN_IF_ERROR(file_->Sync());
    file_size_ = segment.size = header->size();
    current_header_size_ = segment.header_size;
    segments_.push_back(std::move(segment));
  } else {
    auto file = env_->NewWritableFile(SegmentPath(segments_.back().number), /*truncate=*/false,
                                      WriteMode::kDirectLog);
    if (!file.ok()) return file.status();
    file_ = std::move(*file);
    file_size_ = segments_.back().size;
  }
  current_seed_ = segments_.back().seed;
  next_ = durable_end_ = LogPosition{segments_.back().number, segments_.back().size};
  return Status::Ok();
}

namespace {

// A segment as Read sees it: the log's kept recent writes where they hold the bytes asked for,
// else the file, opened on first need and read around the page cache, as it was written (the
// cache would only add a copy into it).
class SegmentSource final : public RandomAccessFile {
 public:
  SegmentSource(Env* env, std::string path, RecentWrites* recent, uint64_t log, uint64_t segment)
      : env_(env), path_(std::move(path)), recent_(recent), log_(log), segment_(segment) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    if (recent_ != nullptr && recent_->Copy(log_, segment_, offset, n, out)) return Status::Ok();
    HYDRANT_RETURN_IF_ERROR(OpenFile());
    return file_->Read(offset, n, out);
  }
  Result<uint64_t> Size() const override {
    HYDRANT_RETURN_IF_ERROR(OpenFile());
    return file_->Size();
  }

 private:
  Status OpenFile() const {
    if (file_) return Status::Ok();
    auto file = env_->NewRandomAccessFile(path_, /*direct=*/true);
    if (!file.ok()) return file.status();
    file_ = std::move(*file);
    return Status::Ok();
  }

  Env* const env_;
  const std::string path_;
  RecentWrites* const recent_;
  const uint64_t log_, segment_;
  mutable std::unique_ptr<RandomAccessFile> file_;
};

// True if [end, size) is the zero padding of a direct log write (WriteMode::kDirectLog): all
// zeros, fewer than kDirectLogZeroBytes, up to a block boundary.
bool IsPadding(const RandomAccessFile& file, uint64_t end, uint64_t size) {
  if (size % kDirectBlockBytes != 0 || size <= end || size - end >= kDirectLogZeroBytes) return false;
  std::string rest;
  if (!file.Read(end, size - end, &rest).ok() || rest.size() != size - end) return false;
  return rest.find_first_not_of('\0') == std::string::npos;
}

}  // namespace

// Keeps the segment's intact prefix; cuts whatever follows the first bad frame. A segment
// whose header is missing or wrong is reset to an empty one.
Status SegmentedWal::RecoverSegment(uint64_t number, RecoveryReport* report) {
  const std::string path = SegmentPath(number);
  auto file = env_->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  std::string head;
  HYDRANT_RETURN_IF_ERROR((*file)->Read(0, kMaxSegmentHeaderSize, &head));
  const SegmentHeader header = DecodeSegmentHeader(head);
  Segment segment{.number = number, .size = 0};

  std::string problem;
  uint64_t end = 0;
  if (header.torn) {
    problem = head.size() >= kSegmentMagic.size() &&
                      std::string_view(head).substr(0, kSegmentMagic.size()) != kSegmentMagic
                  ? "bad segment magic"
                  : "torn segment header";
  } else if (header.version != kFormatVersion && header.version != kSealedFormatVersion &&
             header.version != kSeededFormatVersion) {
    return Status::FailedPrecondition(path + ": unsupported WAL format version " +
                                      std::to_string(header.version));
  } else {
    if (header.version == kSealedFormatVersion) {
      const std::string* master = keys_ ? keys_->Master(header.key_ref) : nullptr;
      if (master == nullptr) {
        return Status::FailedPrecondition(
            path + " is encrypted with the key " + header.key_ref +
            ", which this server does not have: give its key file under kms_keys in the config "
            "(records stay on disk until then)");
      }
      auto data_key = Unseal(*master, header.sealed_key, header.key_ref);
      if (!data_key.ok()) {
        return Status::FailedPrecondition(
            path + " does not open with the key " + header.key_ref +
            ": the key file is not the one the records were written with");
      }
      segment.header_size = header.size;
      segment.data_key = std::make_shared<const std::string>(std::move(*data_key));
    }
    if (header.version == kSeededFormatVersion) segment.seed = FrameSeed(number);
    SegmentReader reader(**file, segment.header_size, *size,
                         segment.data_key ? kSealedRecord : kFullRecord, segment.seed);
    Frame frame;
    while (reader.Next(&frame)) ++report->records;
    if (!reader.status().ok()) {
      if (reader.status().code() != StatusCode::kCorruption) return reader.status();
      problem = reader.status().message();
    }
    end = reader.offset();
    if (!problem.empty() && IsPadding(**file, end, *size)) {
      // The zeros a direct write pads the last block with (WriteMode::kDirectLog): not damage.
      problem.clear();
      HYDRANT_RETURN_IF_ERROR(env_->TruncateFile(path, end));
    }
  }

  if (!problem.empty()) {
    report->truncated_bytes += *size - end;
    if (!report->detail.empty()) report->detail += "; ";
    report->detail += SegmentFileName(number) + ": " + problem + ", cut " +
                      std::to_string(*size - end) + " bytes";
    if (end == 0) {
      // Nothing in it was acknowledged: it becomes an empty plaintext segment.
      auto out = env_->NewWritableFile(path, /*truncate=*/true);
      if (!out.ok()) return out.status();
      HYDRANT_RETURN_IF_ERROR((*out)->Append(EncodeSegmentHeader()));
      HYDRANT_RETURN_IF_ERROR((*out)->Sync());
      HYDRANT_RETURN_IF_ERROR((*out)->Close());
      end = kSegmentHeaderSize;
      segment = Segment{.number = number, .size = 0};
    } else {
      HYDRANT_RETURN_IF_ERROR(env_->TruncateFile(path, end));
      auto out = env_->NewWritableFile(path, /*truncate=*/false);
      if (!out.ok()) return out.status();
      HYDRANT_RETURN_IF_ERROR((*out)->Sync());  // makes the new size durable
      HYDRANT_RETURN_IF_ERROR((*out)->Close());
    }
  }
  segment.size = end;
  segments_.push_back(std::move(segment));
  return Status::Ok();
}

Result<std::string> SegmentedWal::NewSegmentHeader(Segment* segment) {
  if (key_ref_.empty()) {
    writer_key_.reset();
    segment->header_size = kSegmentHeaderSize;
    segment->data_key.reset();
    segment->seed = FrameSeed(segment->number);
    return EncodeSegmentHeader(kSeededFormatVersion);
  }
  const std::string* master = keys_ ? keys_->Master(key_ref_) : nullptr;
  if (master == nullptr) return Status::InvalidArgument("no master key " + key_ref_);
  auto data_key = std::make_shared<const std::string>(RandomBytes(kCipherKeyBytes));
  std::string header = EncodeSealedSegmentHeader(key_ref_, Seal(*master, *data_key, key_ref_));
  writer_key_ = data_key;
  segment->header_size = header.size();
  segment->data_key = std::move(data_key);
  return header;
}

Status SegmentedWal::RollLocked() {
  Segment segment{.number = next_.segment + 1, .size = 0};
  auto header = NewSegmentHeader(&segment);
  if (!header.ok()) return header.status();
  pending_.rolls.push_back({pending_.bytes.size(), segment});
  pending_.bytes += *header;
  next_ = LogPosition{segment.number, header->size()};
  current_header_size_ = header->size();
  current_seed_ = segment.seed;
  roll_before_next_ = false;
  return Status::Ok();
}

// Makes the new segment's directory entry durable before anything is written to it. A reused
// file's old frames fail the new segment's CRCs (wal_format.h); an encrypted segment always
// gets a new file, as its frames' CRCs are not seeded.
Status SegmentedWal::CreateSegment(const Segment& segment) {
  const std::string path = SegmentPath(segment.number);
  bool reuse = false;
  {
    std::lock_guard lock(spare_mu_);
    if (spare_bytes_ > 0 && !segment.data_key) {
      reuse = env_->RenameFile(SparePath(), path).ok();
      spares_->Release(std::exchange(spare_bytes_, 0));
    }
  }
  auto file = reuse ? env_->ReuseWritableFile(path)
                    : env_->NewWritableFile(path, /*truncate=*/true, WriteMode::kDirectLog);
  if (!file.ok()) return file.status();
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(dir_));
  file_ = std::move(*file);
  file_size_ = 0;
  return Status::Ok();
}

LogPosition SegmentedWal::Append(std::span<const std::string_view> records, int64_t arrival_millis,
                                 AppendCallback done) {
  uint64_t data_bytes = 0;
  bool too_large = false;
  for (std::string_view record : records) {
    too_large |= record.size() > kMaxRecordBytes;
    data_bytes += record.size();
  }
  std::unique_lock lock(mu_);
  const uint64_t frame_bytes =
      data_bytes + records.size() * (kFrameHeaderSize + (key_ref_.empty() ? 0 : kCipherTagBytes));
  LogPosition first = next_;
  if (closing_ || too_large) {
    lock.unlock();
    if (done) {
      done(too_large ? Status::InvalidArgument("WAL record larger than " +
                                               std::to_string(kMaxRecordBytes) + " bytes")
                     : Status::FailedPrecondition("WAL is closed"));
    }
    return first;
  }
  // While the log is failed (until the sync thread repairs it) appends fail at once.
  if (!status_.ok()) {
    Status failed = status_;
    lock.unlock();
    if (done) done(std::move(failed));
    return first;
  }
  if (!records.empty()) {
    if (roll_before_next_ ||
        (next_.offset > current_header_size_ && next_.offset + frame_bytes > max_segment_bytes_)) {
      if (Status rolled = RollLocked(); !rolled.ok()) {
        lock.unlock();
        if (done) done(std::move(rolled));
        return first;
      }
    }
    first = next_;
    next_.offset += frame_bytes;
    pending_.records += records.size();
    pending_.data_bytes += data_bytes;
    pending_.oldest_arrival_millis = std::min(pending_.oldest_arrival_millis, arrival_millis);
    if (writer_key_) {
      SealOutsideLock(lock, records, arrival_millis, first, frame_bytes, std::move(done));
      sync_->Wake();
      return first;
    }
    for (std::string_view record : records) AppendFrame(&pending_.bytes, arrival_millis, record, current_seed_);
  }
  if (done) pending_.callbacks.push_back(std::move(done));
  lock.unlock();
  sync_->Wake();
  return first;
}

namespace {

// The appending thread's cipher for a segment's data key (a key schedule per thread and segment).
NonceCipher& ThreadCipher(const std::shared_ptr<const std::string>& key) {
  thread_local std::shared_ptr<const std::string> cached_key;
  thread_local std::unique_ptr<NonceCipher> cipher;
  if (cached_key != key) {
    cipher = std::make_unique<NonceCipher>(*key);
    cached_key = key;
  }
  return *cipher;
}

}  // namespace

void SegmentedWal::SealOutsideLock(std::unique_lock<std::mutex>& lock,
                                   std::span<const std::string_view> records, int64_t arrival_millis,
                                   LogPosition first, uint64_t frame_bytes, AppendCallback done) {
  const size_t at = pending_.bytes.size();
  pending_.bytes.resize(at + frame_bytes);
  if (done) pending_.callbacks.push_back(std::move(done));
  const uint64_t generation = generation_;
  ++pending_sealing_;
  std::shared_ptr<const std::string> key = writer_key_;
  lock.unlock();

  thread_local std::string sealed;
  sealed.clear();
  NonceCipher& cipher = ThreadCipher(key);
  uint64_t offset = first.offset;
  for (std::string_view record : records) {
    AppendSealedFrame(&sealed, arrival_millis, record, &cipher, first.segment, offset);
    offset += kFrameHeaderSize + record.size() + kCipherTagBytes;
  }

  lock.lock();
  if (generation == generation_) {
    std::memcpy(pending_.bytes.data() + at, sealed.data(), sealed.size());
    --pending_sealing_;
  } else if (generation == writing_generation_) {
    std::memcpy(writing_.bytes.data() + at, sealed.data(), sealed.size());
    if (--writing_sealing_ == 0) sealed_.notify_all();
  }  // else its group failed before it was written, and its append failed with it
  if (sealed.capacity() > kMaxIdleBufferBytes) std::string().swap(sealed);
  lock.unlock();
}

void SegmentedWal::Rekey(std::string key_ref, AppendCallback done) {
  std::unique_lock lock(mu_);
  Status refused;
  if (closing_) {
    refused = Status::FailedPrecondition("WAL is closed");
  } else if (!status_.ok()) {
    refused = status_;
  } else if (!key_ref.empty() && (keys_ == nullptr || keys_->Master(key_ref) == nullptr)) {
    refused = Status::InvalidArgument("no master key " + key_ref);
  } else {
    std::string previous = std::exchange(key_ref_, std::move(key_ref));
    if (Status rolled = RollLocked(); !rolled.ok()) {
      key_ref_ = std::move(previous);
      refused = rolled;
    }
  }
  if (!refused.ok()) {
    lock.unlock();
    if (done) done(std::move(refused));
    return;
  }
  if (done) pending_.callbacks.push_back(std::move(done));
  lock.unlock();
  sync_->Wake();
}

void SegmentedWal::SyncStep() {
  using std::chrono::steady_clock;
  std::unique_lock lock(mu_);
  if (closing_) return;  // Close writes what is left
  if (!status_.ok()) {
    if (steady_clock::now() < next_repair_) {
      sync_->WakeAt(next_repair_);
      return;
    }
    lock.unlock();
    Status repaired = Repair();
    lock.lock();
    if (repaired.ok()) {
      status_ = Status::Ok();
      next_ = LogPosition{segments_.back().number, segments_.back().size};
    } else {
      next_repair_ = steady_clock::now() + repair_retry_;
      sync_->WakeAt(next_repair_);
    }
    return;
  }
  if (CommitPending(lock)) {
    last_commit_ = steady_clock::now();
    // Appends that arrived meanwhile woke this activity again; otherwise free the buffers
    // unless another append comes soon.
    sync_->WakeAt(last_commit_ + kIdleRelease);
    return;
  }
  if (released_) return;  // an idle log costs no wakeups, however many streams there are
  if (steady_clock::now() - last_commit_ < kIdleRelease) {
    sync_->WakeAt(last_commit_ + kIdleRelease);
    return;
  }
  std::string().swap(pending_.bytes);
  std::string().swap(writing_.bytes);
  std::vector<AppendCallback>().swap(pending_.callbacks);
  std::vector<AppendCallback>().swap(writing_.callbacks);
  released_ = true;
}

bool SegmentedWal::CommitPending(std::unique_lock<std::mutex>& lock) {
  using std::chrono::steady_clock;
  if (pending_.empty()) return false;
  released_ = false;
  // Appends arriving from here on go into the next group.
  pending_.end = next_;
  std::swap(pending_, writing_);
  writing_generation_ = generation_++;
  writing_sealing_ = std::exchange(pending_sealing_, 0);
  sealed_.wait(lock, [this] { return writing_sealing_ == 0; });
  std::shared_ptr<const DurableListener> listener = listener_;
  lock.unlock();

  Status status = writing_.bytes.empty() ? Status::Ok() : WriteGroup(writing_);
  // Repaired before the failed appends hear of it, so that their retries can succeed.
  Status repaired = status.ok() ? Status::Ok() : Repair();

  lock.lock();
  if (!status.ok()) {
    // Frames queued behind the failed group assumed it would land: they are dropped and
    // their appends fail with it.
    for (AppendCallback& done : pending_.callbacks) writing_.callbacks.push_back(std::move(done));
    pending_ = Group{};
    ++generation_;  // appends still sealing into the dropped group leave it alone
    pending_sealing_ = 0;
    // A roll queued in the dropped group (after Repair ran) never happened, but it changed the
    // writer's header size and data key: the next frame would be sealed with the key of a segment
    // that does not exist. An encrypted log rolls again before its next frame, as after Repair.
    current_header_size_ = segments_.back().header_size;
    current_seed_ = segments_.back().seed;
    if (segments_.back().data_key || !key_ref_.empty()) roll_before_next_ = true;
    if (repaired.ok()) {
      next_ = LogPosition{segments_.back().number, segments_.back().size};
    } else {
      status_ = status;
      next_repair_ = steady_clock::now() + repair_retry_;
      sync_->WakeAt(next_repair_);
    }
  } else if (!writing_.bytes.empty()) {
    durable_end_ = writing_.end;
  }
  lock.unlock();
  if (status.ok()) KeepWritten();
  written_.clear();

  if (status.ok() && writing_.records > 0 && listener && *listener) {
    (*listener)(DurableGroup{.end = writing_.end,
                             .records = writing_.records,
                             .data_bytes = writing_.data_bytes,
                             .oldest_arrival_millis = writing_.oldest_arrival_millis});
  }
  for (AppendCallback& done : writing_.callbacks) done(status);

  if (writing_.bytes.capacity() > kMaxIdleBufferBytes) {
    std::string().swap(writing_.bytes);
  } else {
    writing_.bytes.clear();
  }
  if (writing_.callbacks.capacity() > kMaxIdleCallbacks) {
    std::vector<AppendCallback>().swap(writing_.callbacks);
  } else {
    writing_.callbacks.clear();
  }
  writing_.rolls.clear();
  writing_.records = 0;
  writing_.data_bytes = 0;
  writing_.oldest_arrival_millis = INT64_MAX;
  lock.lock();
  return true;
}

Status SegmentedWal::WriteGroup(const Group& group) {
  std::string_view bytes = group.bytes;
  size_t start = 0;
  for (const Roll& roll : group.rolls) {
    // The old segment is complete and synced before the new one receives anything.
    HYDRANT_RETURN_IF_ERROR(WriteAndSync(bytes.substr(start, roll.at - start)));
    HYDRANT_RETURN_IF_ERROR(file_->Close());
    HYDRANT_RETURN_IF_ERROR(CreateSegment(roll.segment));
    {
      std::lock_guard lock(mu_);
      segments_.push_back(roll.segment);
    }
    start = roll.at;
  }
  return WriteAndSync(bytes.substr(start));
}

Status SegmentedWal::WriteAndSync(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  HYDRANT_RETURN_IF_ERROR(file_->AppendAndSync(bytes));
  std::lock_guard lock(mu_);
  written_.push_back({segments_.back().number, file_size_,
                      static_cast<size_t>(bytes.data() - writing_.bytes.data()), bytes.size()});
  file_size_ += bytes.size();
  segments_.back().size = file_size_;
  return Status::Ok();
}

// Before the listener wakes the lanes: a lane woken by this group finds its bytes kept.
void SegmentedWal::KeepWritten() {
  if (recent_ == nullptr || written_.empty()) return;
  std::shared_ptr<const std::string> buffer;
  if (writing_.bytes.size() <= kMaxIdleBufferBytes) {
    // A copy (exactly its size) of a small group; its buffer is reused for the next one.
    buffer = std::make_shared<const std::string>(writing_.bytes);
  } else {
    // A large group's buffer would be freed now: the readers take it over instead.
    buffer = std::make_shared<const std::string>(std::move(writing_.bytes));
    writing_.bytes = std::string();
  }
  for (const Written& piece : written_) {
    recent_->Keep(recent_id_, piece.segment, piece.offset, buffer,
                  std::string_view(*buffer).substr(piece.at, piece.size));
  }
}

// After a failed write or sync the log may hold any part of the failed group, even synced
// parts of it when the group rolled to a new segment. None of it was acknowledged, so the log
// is cut back to its durable end: segments the group created are deleted, the durable end's
// segment is truncated and its size synced. Bytes synced before the group are not touched, so
// this is safe even after a failed fdatasync (the pages it left in an unknown state are cut).
Status SegmentedWal::Repair() {
  LogPosition durable;
  std::vector<uint64_t> created;
  {
    std::lock_guard lock(mu_);
    durable = durable_end_;
    while (segments_.back().number > durable.segment) {
      created.push_back(segments_.back().number);
      segments_.pop_back();
    }
  }
  if (file_) (void)file_->Close();
  file_.reset();
  for (uint64_t number : created) HYDRANT_RETURN_IF_ERROR(env_->RemoveFile(SegmentPath(number)));
  if (!created.empty()) HYDRANT_RETURN_IF_ERROR(env_->SyncDir(dir_));
  const std::string path = SegmentPath(durable.segment);
  HYDRANT_RETURN_IF_ERROR(env_->TruncateFile(path, durable.offset));
  auto file = env_->NewWritableFile(path, /*truncate=*/false, WriteMode::kDirectLog);
  if (!file.ok()) return file.status();
  HYDRANT_RETURN_IF_ERROR((*file)->Sync());
  file_ = std::move(*file);
  file_size_ = durable.offset;
  std::lock_guard lock(mu_);
  segments_.back().size = file_size_;
  current_header_size_ = segments_.back().header_size;
  current_seed_ = segments_.back().seed;
  // The failed group's frames may have reached the disk: their offsets (nonces) are not used
  // again under the same data key. A plaintext segment is appended to as before.
  if (segments_.back().data_key || !key_ref_.empty()) roll_before_next_ = true;
  return Status::Ok();
}

void SegmentedWal::SetDurableListener(DurableListener listener) {
  auto shared = std::make_shared<const DurableListener>(std::move(listener));
  std::lock_guard lock(mu_);
  listener_ = std::move(shared);
}

LogPosition SegmentedWal::Begin() const {
  std::lock_guard lock(mu_);
  return LogPosition{segments_.front().number, segments_.front().header_size};
}

LogPosition SegmentedWal::DurableEnd() const {
  std::lock_guard lock(mu_);
  return durable_end_;
}

Status SegmentedWal::Read(LogPosition from,
                          const std::function<bool(const RecordView&)>& visit) const {
  return ReadExpecting(from, UINT64_MAX, visit);
}

Status SegmentedWal::ReadExpecting(LogPosition from, uint64_t expected_bytes,
                                   const std::function<bool(const RecordView&)>& visit) const {
  struct Span {
    uint64_t segment;
    uint64_t limit;  // durable end within the segment
    uint64_t header_size;
    std::shared_ptr<const std::string> data_key;
    uint32_t seed;
  };
  std::vector<Span> spans;
  std::multiset<uint64_t>::iterator registered;
  {
    std::lock_guard lock(mu_);
    if (from > durable_end_)
      return Status::InvalidArgument("read position is past the durable end");
    if (from.segment < segments_.front().number) {
      return Status::NotFound("WAL segment " + std::to_string(from.segment) + " was released");
    }
    for (const Segment& segment : segments_) {
      if (segment.number < from.segment) continue;
      if (segment.number > durable_end_.segment) break;
      spans.push_back({segment.number,
                       segment.number == durable_end_.segment ? durable_end_.offset : segment.size,
                       segment.header_size, segment.data_key, segment.seed});
    }
    registered = reading_.insert(from.segment);
  }
  struct Unregister {
    const SegmentedWal* log;
    std::multiset<uint64_t>::iterator at;
    ~Unregister() {
      std::lock_guard lock(log->mu_);
      log->reading_.erase(at);
    }
  } unregister{this, registered};
  if (spans.empty() || spans.front().segment != from.segment) {
    return Status::NotFound("no WAL segment " + std::to_string(from.segment));
  }
  if (from.offset > spans.front().limit) {
    return Status::InvalidArgument("read position is past the end of its segment");
  }

  std::string plain;  // an encrypted frame's record
  for (size_t i = 0; i < spans.size(); ++i) {
    uint64_t offset = i == 0 ? std::max<uint64_t>(from.offset, spans[i].header_size) : spans[i].header_size;
    if (offset >= spans[i].limit) continue;
    const std::string name = SegmentFileName(spans[i].segment);
    SegmentSource source(env_, JoinPath(dir_, name), recent_, recent_id_, spans[i].segment);
    std::optional<NonceCipher> cipher;
    if (spans[i].data_key) cipher.emplace(*spans[i].data_key);
    const uint64_t expected_end = expected_bytes == UINT64_MAX ? UINT64_MAX : offset + expected_bytes;
    SegmentReader reader(source, offset, spans[i].limit, cipher ? kSealedRecord : kFullRecord, spans[i].seed,
                         expected_end);
    Frame frame;
    while (reader.Next(&frame)) {
      RecordView view{.position = {spans[i].segment, frame.offset},
                      .next = {spans[i].segment, frame.next},
                      .arrival_millis = frame.arrival_millis,
                      .data = frame.data};
      if (cipher) {
        plain.resize(frame.data.size() - kCipherTagBytes);
        if (!cipher->Open(SealedFrameNonce(spans[i].segment, frame.offset),
                          SealedFrameAad(frame.arrival_millis), frame.data, plain.data())) {
          return Status::Corruption(name + ": the frame at offset " + std::to_string(frame.offset) +
                                    " does not decrypt");
        }
        view.data = plain;
      }
      if (!visit(view)) return Status::Ok();
    }
    if (!reader.status().ok()) {
      return Status(reader.status().code(), name + ": " + reader.status().message());
    }
    if (expected_bytes != UINT64_MAX) expected_bytes -= std::min(expected_bytes, reader.offset() - offset);
  }
  return Status::Ok();
}

Status SegmentedWal::ReleaseBefore(LogPosition position) {
  std::vector<uint64_t> doomed;
  // Whether the newest doomed segment's file may be reused: it is version 3 (a crash between
  // its rename and its new header leaves frames that fail the new number's CRC; a version-1 or
  // encrypted segment's would not), and no Read in progress may be in it.
  bool reusable = false;
  {
    std::lock_guard lock(mu_);
    // position's own segment stays even when position is its end, so that Read(position)
    // keeps working; segments at or after the durable end's are still being written.
    uint64_t keep_from = std::min(position.segment, durable_end_.segment);
    while (segments_.front().number < keep_from) {
      doomed.push_back(segments_.front().number);
      reusable = segments_.front().seed != 0;
      segments_.pop_front();
    }
    if (!reading_.empty() && !doomed.empty() && *reading_.begin() <= doomed.back()) reusable = false;
  }
  if (recent_ != nullptr && !doomed.empty()) recent_->ForgetBefore(recent_id_, doomed.back() + 1);
  if (doomed.empty()) return Status::Ok();
  if (reusable && KeepAsSpare(doomed.back())) doomed.pop_back();
  for (uint64_t number : doomed) HYDRANT_RETURN_IF_ERROR(RemoveGradually(SegmentPath(number)));
  return env_->SyncDir(dir_);
}

bool SegmentedWal::KeepAsSpare(uint64_t number) {
  std::lock_guard lock(spare_mu_);
  if (spare_bytes_ > 0) return false;
  auto size = env_->GetFileSize(SegmentPath(number));
  if (!size.ok() || *size == 0 || !spares_->TryReserve(*size)) return false;
  if (!env_->RenameFile(SegmentPath(number), SparePath()).ok()) {
    spares_->Release(*size);
    return false;
  }
  spare_bytes_ = *size;
  return true;
}

// Freeing a large file's blocks is one long file-system journal operation (about 1 ms per
// MiB on a disk mounted with online discard), and a group commit whose fdatasync needs the
// journal (its segment grew) waits behind it. The segment is shrunk 1 MiB at a time, each step
// synced here: this thread pays each step's journal commit, and a group commit waits behind at
// most one small step (a 64 MiB segment takes about 0.1 s on an idle disk).
Status SegmentedWal::RemoveGradually(const std::string& path) {
  constexpr uint64_t kStepBytes = 1ull << 20;
  auto size = env_->GetFileSize(path);
  if (size.ok() && *size > kStepBytes) {
    auto file = env_->NewWritableFile(path, /*truncate=*/false, WriteMode::kBuffered);
    if (!file.ok()) return file.status();
    for (uint64_t remaining = *size; remaining > kStepBytes;) {
      remaining -= kStepBytes;
      HYDRANT_RETURN_IF_ERROR(env_->TruncateFile(path, remaining));
      HYDRANT_RETURN_IF_ERROR((*file)->Sync());
    }
    HYDRANT_RETURN_IF_ERROR((*file)->Close());
  }
  return env_->RemoveFile(path);
}

uint64_t SegmentedWal::RetainedBytes() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const Segment& segment : segments_) total += segment.size;
  return total;
}

uint64_t SegmentedWal::BytesBetween(LogPosition from, LogPosition to) const {
  if (to <= from) return 0;
  if (from.segment == to.segment) return to.offset - from.offset;
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (const Segment& segment : segments_) {
    if (segment.number == from.segment) {
      total += segment.size > from.offset ? segment.size - from.offset : 0;
    } else if (segment.number == to.segment) {
      total += to.offset;
    } else if (segment.number > from.segment && segment.number < to.segment) {
      total += segment.size;
    }
  }
  return total;
}

Status SegmentedWal::Close() {
  std::lock_guard close_lock(close_mu_);
  if (sync_ && !closed_) {
    closed_ = true;
    {
      std::lock_guard lock(mu_);
      closing_ = true;  // appends fail from now on
    }
    sync_->Stop();  // an Append racing with this finds it stopped: its group is written below
    // What was appended before is written (unless the log is failed: then nothing was accepted).
    std::unique_lock lock(mu_);
    if (status_.ok()) {
      while (CommitPending(lock)) {
      }
    }
    lock.unlock();
    Status closed = file_ ? file_->Close() : Status::Ok();
    lock.lock();
    if (status_.ok() && !closed.ok()) status_ = closed;
    if (recent_ != nullptr) recent_->Forget(recent_id_);
    // The spare stays on disk for the next Open; the process no longer counts it.
    std::lock_guard spare_lock(spare_mu_);
    spares_->Release(std::exchange(spare_bytes_, 0));
  }
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace

SpareBudget& SpareBudget::Shared() {
  static SpareBudget* budget = new SpareBudget(512ull << 20);  // never destroyed, as SyncPool
  return *budget;
}

TaskPool* SyncPool() {
  // Never destroyed: logs may be closed by static destructors of their owners.
  static TaskPool* pool = new TaskPool(kSyncThreads, "wal-sync");
  return pool;
}

Result<std::unique_ptr<Wal>> Wal::Open(const Options& options, RecoveryReport* report) {
  if (options.dir.empty()) return Status::InvalidArgument("WAL directory is empty");
  if (options.max_segment_bytes == 0) return Status::InvalidArgument("max_segment_bytes is 0");
  Env* env = options.env != nullptr ? options.env : Env::Default();
  RecoveryReport local_report;
  if (report == nullptr) report = &local_report;
  *report = RecoveryReport{};

  bool existed = env->FileExists(options.dir);
  HYDRANT_RETURN_IF_ERROR(env->CreateDirs(options.dir));
  if (!existed) HYDRANT_RETURN_IF_ERROR(env->SyncDir(DirName(options.dir)));

  auto wal = std::make_unique<SegmentedWal>(env, options.dir, options);
  HYDRANT_RETURN_IF_ERROR(wal->Recover(report));
  wal->Start();
  return std::unique_ptr<Wal>(std::move(wal));
}

}  // namespace hydrant::wal
