// PosixEnv: Env over POSIX file descriptors.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "common/env.h"
#include "common/log_sync_turns.h"

namespace hydrant {
namespace {

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno("fstat " + path, errno);
  return static_cast<uint64_t>(st.st_size);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd), offset_(::lseek(fd, 0, SEEK_END)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  // Write-behind: a large append (a delivered object, a big WAL group) goes out in pieces whose
  // writeback starts at once, with at most two pieces in flight. The final fdatasync then has
  // little left to flush, and the disk never queues a multi-MiB burst of one file in front of
  // another file's small fdatasync (the WAL's group commit, which acknowledgements wait for).
  Status Append(std::string_view data) override {
    if (data.size() < kWriteBehindBytes || offset_ < 0) return WriteAll(data);
    off_t previous = -1;
    while (!data.empty()) {
      std::string_view piece = data.substr(0, kWriteBehindBytes);
      HYDRANT_RETURN_IF_ERROR(WriteAll(piece));
      const off_t start = offset_ - static_cast<off_t>(piece.size());
      HYDRANT_RETURN_IF_ERROR(SyncRange(start, piece.size(), SYNC_FILE_RANGE_WRITE));
      if (previous >= 0) {
        HYDRANT_RETURN_IF_ERROR(SyncRange(previous, kWriteBehindBytes,
                                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                              SYNC_FILE_RANGE_WAIT_AFTER));
      }
      previous = start;
      data.remove_prefix(piece.size());
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Status::FromErrno("fdatasync " + path_, errno);
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return Status::FromErrno("close " + path_, errno);
    return Status::Ok();
  }

 private:
  static constexpr size_t kWriteBehindBytes = 1 << 20;

  Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("write " + path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      if (offset_ >= 0) offset_ += n;
    }
    return Status::Ok();
  }
  // A failure is returned, not ignored: waiting on writeback consumes the file's error
  // report, so the later fdatasync would not see it.
  Status SyncRange(off_t start, size_t length, unsigned flags) {
    if (::sync_file_range(fd_, start, static_cast<off_t>(length), flags) != 0) {
      return Status::FromErrno("sync_file_range " + path_, errno);
    }
    return Status::Ok();
  }

  std::string path_;
  int fd_;
  off_t offset_;  // end of file (O_APPEND); -1 if unknown, which disables write-behind
};

constexpr size_t kDirectBlock = kDirectBlockBytes;
// Bytes a direct file writes per call, copied into an aligned buffer first.
constexpr size_t kDirectStagingBytes = 1 << 20;
// Bytes of an object (WriteMode::kDirect) written per call past the credit LogSyncTurns gives:
// a log sync then waits behind at most one such piece (bench/README.md, "Segments written over").
constexpr size_t kObjectPieceBytes = 256 << 10;

struct FreeAligned {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeAligned>;

AlignedBuffer NewAlignedBuffer(size_t n) {
  void* p = nullptr;
  if (::posix_memalign(&p, kDirectBlock, n) != 0) std::abort();  // out of memory
  return AlignedBuffer(static_cast<char*>(p));
}

// Aligned buffers for direct reads and writes, taken for the length of one call: not one per
// file (a server keeps thousands of logs open) nor one per thread (32 threads may write). A few
// stay allocated for the next calls; the rest are freed when given back.
class StagingPool {
 public:
  static constexpr size_t kBufferBytes = kDirectStagingBytes + 2 * kDirectBlock + kDirectLogZeroBytes;

  class Lease {
   public:
    explicit Lease(StagingPool* pool) : pool_(pool), buffer_(pool->Take()) {}
    ~Lease() { pool_->Give(std::move(buffer_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    char* get() const { return buffer_.get(); }

   private:
    StagingPool* pool_;
    AlignedBuffer buffer_;
  };

  static StagingPool& Shared() {
    static StagingPool pool;
    return pool;
  }

 private:
  static constexpr size_t kKeptBuffers = 4;

  AlignedBuffer Take() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        AlignedBuffer buffer = std::move(free_.back());
        free_.pop_back();
        return buffer;
      }
    }
    return NewAlignedBuffer(kBufferBytes);
  }
  void Give(AlignedBuffer buffer) {
    std::lock_guard lock(mu_);
    if (free_.size() < kKeptBuffers) free_.push_back(std::move(buffer));
  }

  std::mutex mu_;
  std::vector<AlignedBuffer> free_;  // guarded by mu_
};

// A kDirect piece past its credit waits at most this long for a log sync in flight to end.
constexpr auto kLogSyncWait = std::chrono::milliseconds(10);

// Marks a log's write and sync of `bytes` as in flight (LogSyncTurns) for its scope.
class LogSyncTurn {
 public:
  LogSyncTurn(bool log, uint64_t bytes) : log_(log), bytes_(bytes) {
    if (log_) LogSyncTurns::Shared().Begin();
  }
  ~LogSyncTurn() {
    if (log_) LogSyncTurns::Shared().End(bytes_);
  }
  LogSyncTurn(const LogSyncTurn&) = delete;
  LogSyncTurn& operator=(const LogSyncTurn&) = delete;

 private:
  const bool log_;
  const uint64_t bytes_;
};

// WriteMode::kDirect / kDirectLog (env.h). Writes whole blocks at aligned offsets; the partial
// last block lives in tail_ and is written again, zero-padded, by each Sync until it fills up.
// Rewriting a synced block leaves its synced bytes as they were, so a crash during the rewrite
// leaves each sector old or new and either way holds them (the PostgreSQL WAL relies on the same).
class DirectWritableFile final : public WritableFile {
 public:
  DirectWritableFile(std::string path, int fd, uint64_t size, AlignedBuffer tail, bool exact_syncs,
                     uint64_t written_end)
      : path_(std::move(path)),
        fd_(fd),
        size_(size),
        written_end_(written_end),
        tail_(std::move(tail)),
        exact_syncs_(exact_syncs) {}
  ~DirectWritableFile() override { (void)Close(); }

  Status Append(std::string_view data) override { return Write(data, /*pad_last_block=*/false); }
  Status Sync() override {
    HYDRANT_RETURN_IF_ERROR(WriteTail());
    return SyncWritten();
  }
  Status AppendAndSync(std::string_view data) override {
    if (data.empty()) return Sync();
    LogSyncTurn turn(!exact_syncs_, data.size());
    HYDRANT_RETURN_IF_ERROR(Write(data, /*pad_last_block=*/true));
    return SyncWritten();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    Status s = WriteTail();
    if (s.ok()) s = CutPadding();
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0 && s.ok()) s = Status::FromErrno("close " + path_, errno);
    return s;
  }

 private:
  // Writes the whole blocks of tail_ + data; the partial last block stays in tail_, and with
  // pad_last_block is written too, zero-padded (and, in a log, zeros ahead: env.h kDirectLog).
  Status Write(std::string_view data, bool pad_last_block) {
    if (data.empty()) return Status::Ok();
    const bool zeros_ahead = pad_last_block && !exact_syncs_ && data.size() < kDirectLogZeroBytes;
    StagingPool::Lease lease(&StagingPool::Shared());
    char* staging = lease.get();
    while (!data.empty()) {
      const size_t held = size_ % kDirectBlock;
      const uint64_t start = size_ - held;
      std::memcpy(staging, tail_.get(), held);
      size_t piece = kDirectStagingBytes;
      if (exact_syncs_ && (pad_last_block || held + data.size() >= kDirectBlock)) {
        const size_t most = std::min(kDirectStagingBytes, held + data.size());
        piece = LogSyncTurns::Shared().BeforeBulkWrite(kObjectPieceBytes, most, kLogSyncWait);
      }
      const size_t n = std::min(data.size(), piece - held);
      std::memcpy(staging + held, data.data(), n);
      data.remove_prefix(n);
      const size_t end = held + n;
      const size_t full = end / kDirectBlock * kDirectBlock;
      size_t length = full;
      if (pad_last_block && data.empty()) {
        length = (end + kDirectBlock - 1) / kDirectBlock * kDirectBlock;
        if (zeros_ahead && start + length > written_end_) {
          length = (start + end + kDirectLogZeroBytes - 1) / kDirectLogZeroBytes * kDirectLogZeroBytes - start;
        }
        std::memset(staging + end, 0, length - end);
      }
      if (length > 0) HYDRANT_RETURN_IF_ERROR(WriteBlocks(staging, length, start));
      std::memcpy(tail_.get(), staging + full, end - full);
      size_ += n;
      tail_dirty_ = !pad_last_block && size_ % kDirectBlock != 0;
    }
    return Status::Ok();
  }
  Status SyncWritten() {
    if (exact_syncs_) HYDRANT_RETURN_IF_ERROR(CutPadding());
    if (::fdatasync(fd_) != 0) return Status::FromErrno("fdatasync " + path_, errno);
    return Status::Ok();
  }
  Status WriteTail() {
    if (!tail_dirty_) return Status::Ok();
    const size_t held = size_ % kDirectBlock;
    if (exact_syncs_ && written_end_ <= size_ - held) return WriteTailBuffered(held);
    std::memset(tail_.get() + held, 0, kDirectBlock - held);
    HYDRANT_RETURN_IF_ERROR(WriteBlocks(tail_.get(), kDirectBlock, size_ - held));
    tail_dirty_ = false;
    return Status::Ok();
  }
  // The partial last block of a file that ends there, through the page cache: a padded block
  // would have to be cut off again, and ftruncate costs a journal transaction of its own.
  Status WriteTailBuffered(size_t held) {
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) return Status::FromErrno("fcntl " + path_, errno);
    Status s = WriteBlocks(tail_.get(), held, size_ - held);
    if (::fcntl(fd_, F_SETFL, flags) != 0 && s.ok()) s = Status::FromErrno("fcntl " + path_, errno);
    if (s.ok()) tail_dirty_ = false;
    return s;
  }
  Status CutPadding() {
    if (written_end_ <= size_) return Status::Ok();
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) return Status::FromErrno("ftruncate " + path_, errno);
    written_end_ = size_;
    return Status::Ok();
  }
  Status WriteBlocks(const char* data, size_t n, uint64_t offset) {
    while (n > 0) {
      ssize_t w = ::pwrite(fd_, data, n, static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("write " + path_, errno);
      }
      data += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
      written_end_ = std::max(written_end_, offset);
    }
    return Status::Ok();
  }

  std::string path_;
  int fd_;
  uint64_t size_;         // bytes appended: the file's size once the padding is cut
  uint64_t written_end_;  // the file's size on disk (size_ plus any zero padding)
  AlignedBuffer tail_;    // one block: the first size_ % kDirectBlock bytes are the last block's
  bool tail_dirty_ = false;  // tail_ holds bytes not yet written
  const bool exact_syncs_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("pread " + path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out->resize(done);
    return Status::Ok();
  }
  Result<uint64_t> Size() const override { return FileSize(fd_, path_); }

 private:
  std::string path_;
  int fd_;
};

// NewRandomAccessFile(path, direct=true): reads whole aligned blocks into a pooled buffer and
// copies out the bytes asked for.
class DirectRandomAccessFile final : public RandomAccessFile {
 public:
  DirectRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~DirectRandomAccessFile() override { ::close(fd_); }
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    const uint64_t start = offset / kDirectBlock * kDirectBlock;
    const size_t span = (offset + n - start + kDirectBlock - 1) / kDirectBlock * kDirectBlock;
    std::optional<StagingPool::Lease> lease;
    AlignedBuffer large;  // a rare read longer than the pool's buffers
    if (span <= StagingPool::kBufferBytes) {
      lease.emplace(&StagingPool::Shared());
    } else {
      large = NewAlignedBuffer(span);
    }
    char* buffer = lease ? lease->get() : large.get();
    size_t done = 0;
    while (done < span) {
      ssize_t r = ::pread(fd_, buffer + done, span - done, static_cast<off_t>(start + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno("pread " + path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
      if (done % kDirectBlock != 0) break;  // the end of the file
    }
    const size_t skip = static_cast<size_t>(offset - start);
    out->assign(buffer + std::min(skip, done), done > skip ? std::min(done - skip, n) : 0);
    return Status::Ok();
  }
  Result<uint64_t> Size() const override { return FileSize(fd_, path_); }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate,
                                                        WriteMode mode = WriteMode::kBuffered) override {
    if (mode != WriteMode::kBuffered) {
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
      if (fd >= 0) return OpenDirect(path, fd, mode);
      if (errno != EINVAL) return Status::FromErrno("open " + path, errno);
      // The file system does not do O_DIRECT: through the page cache instead.
    }
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return Status::FromErrno("open " + path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
  // Reads an existing partial last block, which the next write rewrites (so the file is opened
  // for reading too).
  static Result<std::unique_ptr<WritableFile>> OpenDirect(const std::string& path, int fd, WriteMode mode) {
    auto file_size = FileSize(fd, path);
    if (!file_size.ok()) {
      ::close(fd);
      return file_size.status();
    }
    const uint64_t size = *file_size;
    AlignedBuffer tail = NewAlignedBuffer(kDirectBlock);
    const size_t held = size % kDirectBlock;
    if (held > 0) {
      ssize_t r = ::pread(fd, tail.get(), kDirectBlock, static_cast<off_t>(size - held));
      if (r < static_cast<ssize_t>(held)) {
        Status failed = r < 0 ? Status::FromErrno("pread " + path, errno)
                              : Status::IOError("pread " + path + ": short read of its last block");
        ::close(fd);
        return failed;
      }
    }
    return std::unique_ptr<WritableFile>(
        new DirectWritableFile(path, fd, size, std::move(tail), mode == WriteMode::kDirect, size));
  }
  Result<std::unique_ptr<WritableFile>> ReuseWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
    if (fd < 0) {
      if (errno == EINVAL) return NewWritableFile(path, /*truncate=*/true, WriteMode::kDirectLog);
      return Status::FromErrno("open " + path, errno);
    }
    auto file_size = FileSize(fd, path);
    if (!file_size.ok()) {
      ::close(fd);
      return file_size.status();
    }
    return std::unique_ptr<WritableFile>(new DirectWritableFile(path, fd, 0, NewAlignedBuffer(kDirectBlock),
                                                                /*exact_syncs=*/false, *file_size));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path,
                                                                bool direct = false) override {
    if (direct) {
      int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
      if (fd >= 0) return std::unique_ptr<RandomAccessFile>(new DirectRandomAccessFile(path, fd));
      if (errno == ENOENT) return Status::NotFound("no such file: " + path);
      if (errno != EINVAL) return Status::FromErrno("open " + path, errno);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::NotFound("no such file: " + path);
      return Status::FromErrno("open " + path, errno);
    }
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }
  Result<std::string> ReadFile(const std::string& path) override {
    auto file = NewRandomAccessFile(path);
    if (!file.ok()) return file.status();
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    std::string data;
    HYDRANT_RETURN_IF_ERROR((*file)->Read(0, *size, &data));
    return data;
  }
  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return Status::NotFound("no such directory: " + dir);
      return Status::FromErrno("opendir " + dir, errno);
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno("stat " + path, errno);
    return static_cast<uint64_t>(st.st_size);
  }
  Result<uint64_t> FreeBytes(const std::string& path) override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0) return Status::FromErrno("statvfs " + path, errno);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::FromErrno("unlink " + path, errno);
    return Status::Ok();
  }
  Status RemoveDirRecursively(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return Status::IOError("remove " + path + ": " + ec.message());
    return Status::Ok();
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Status::FromErrno("rename " + from, errno);
    return Status::Ok();
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0)
      return Status::FromErrno("truncate " + path, errno);
    return Status::Ok();
  }
  Status CreateDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IOError("mkdir " + path + ": " + ec.message());
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno("open " + dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno("fsync " + dir, err);
    return Status::Ok();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv env;
  return &env;
}

std::string DirName(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

Status Env::WriteFileAtomic(const std::string& path, std::string_view data) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  {
    auto file = NewWritableFile(tmp, /*truncate=*/true);
    if (!file.ok()) return file.status();
    Status s = (*file)->Append(data);
    if (s.ok()) s = (*file)->Sync();
    Status c = (*file)->Close();
    if (s.ok()) s = c;
    if (!s.ok()) {
      (void)RemoveFile(tmp);
      return s;
    }
  }
  HYDRANT_RETURN_IF_ERROR(RenameFile(tmp, path));
  return SyncDir(DirName(path));
}

}  // namespace hydrant
