// Env: the file-system operations Hydrant's durable stages use, behind an interface so
// crash behaviour (lost unsynced bytes, failed syncs) can be tested deterministically.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant {

// An open file written sequentially. Not thread-safe: one writer at a time.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync). Bytes not synced may be lost on a crash.
  virtual Status Sync() = 0;
  // Append then Sync. A direct file writes the bytes and its padded last block in one call.
  virtual Status AppendAndSync(std::string_view data) {
    if (Status appended = Append(data); !appended.ok()) return appended;
    return Sync();
  }
  virtual Status Close() = 0;
};

// An open file read at arbitrary offsets. Thread-safe (pread).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; *out points at what was read (may be short at EOF).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

// How a WritableFile's bytes reach the disk.
enum class WriteMode {
  // Through the page cache: small files, and files read back soon after.
  kBuffered,
  // Around the page cache (O_DIRECT, whole 4 KiB blocks from an aligned buffer; the partial last
  // block is kept in memory and written again with the next bytes): for large data written once,
  // where copying every byte into the page cache costs more CPU than the rest of the write. The
  // file's size is exact after every Sync. Falls back to kBuffered where the file system refuses
  // O_DIRECT (tmpfs). Written in pieces paced by the kDirectLog syncs (common/log_sync_turns.h):
  // as many bytes as the logs wrote go at once, and past that a piece of 256 KiB waits for a
  // sync in flight to end, so a log's fdatasync waits behind about as many bytes as it writes.
  kDirect,
  // kDirect for a log whose readers know where it ends: Sync may leave zero bytes after the data,
  // fewer than kDirectLogZeroBytes (a truncate per sync would cost a metadata update per group
  // commit); the next Append overwrites them and Close cuts them. A crash can leave them:
  // recovery must stop at them. A small write that extends the file writes zeros up to the next
  // kDirectLogZeroBytes boundary, so the syncs of the small writes that follow change no file
  // size and need no journal commit: about a third less time per small group commit.
  kDirectLog,
};
// Direct writes are whole blocks of this size at aligned offsets.
inline constexpr uint64_t kDirectBlockBytes = 4096;
// The longest zero run a kDirectLog file holds after its data (a multiple of kDirectBlockBytes).
inline constexpr uint64_t kDirectLogZeroBytes = 64 << 10;

// Thread-safe.
class Env {
 public:
  virtual ~Env() = default;
  // Opens for appending; creates the file if missing. truncate=true empties it first.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate,
                                                                WriteMode mode = WriteMode::kBuffered) = 0;
  // Opens an existing file to be written again from its start as a kDirectLog file, keeping its
  // blocks: writes over blocks a file already has change no size and allocate nothing, so their
  // fdatasync needs no journal commit (bench/README.md). Bytes past those written stay until
  // Close cuts them. This default, and a file system that refuses O_DIRECT, truncate it instead.
  virtual Result<std::unique_ptr<WritableFile>> ReuseWritableFile(const std::string& path) {
    return NewWritableFile(path, /*truncate=*/true, WriteMode::kDirectLog);
  }
  // direct=true reads around the page cache (O_DIRECT; whole aligned blocks through a pooled
  // buffer, then copied out): for data written with a direct WriteMode and read once, which the
  // page cache would only slow down. Falls back to cached reads where O_DIRECT is refused.
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path,
                                                                        bool direct = false) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries in dir, unsorted.
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RemoveDirRecursively(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual Status CreateDirs(const std::string& path) = 0;
  // fsyncs a directory so entries created, renamed or removed in it survive a crash.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Bytes an unprivileged writer can still write on the file system holding `path`.
  virtual Result<uint64_t> FreeBytes(const std::string& path) = 0;

  // Writes data to path so that a crash leaves either the old or the new content:
  // temp file in the same directory, sync, rename, sync directory.
  Status WriteFileAtomic(const std::string& path, std::string_view data);

  static Env* Default();  // the POSIX file system
};

std::string DirName(const std::string& path);
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace hydrant
