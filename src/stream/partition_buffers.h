// PartitionBuffers: dynamic partitioning's one buffer per evaluated prefix ("active partition").
//
// Each buffer holds the processed bytes of its future object: the newest bytes in memory, older
// ones spilled to a spool file under `dir`, so hundreds of partitions keep memory bounded. Spool
// files are a cache, not a log: after a restart the stream rebuilds every buffer from its WAL
// (which keeps each record until the object holding it is delivered), so spools are never
// synced and are deleted when the buffers are opened. Spilled bytes are sealed (AES-256-GCM)
// with a key made at Open and never written anywhere: a spool cannot be read after the process
// ends, and no record lies in plaintext on disk. Not thread-safe: one delivery loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/cipher.h"
#include "common/env.h"
#include "common/status.h"
#include "wal/wal.h"

namespace hydrant::stream {

struct PartitionBuffer {
  std::string identity;  // DataIdentity(...) or ErrorIdentity(type)
  std::map<std::string, std::string> keys;  // evaluated into the Prefix (data partitions)
  std::string error_output_type;            // non-empty for an error-output buffer
  uint64_t records = 0;
  uint64_t bytes = 0;
  int64_t oldest_arrival_millis = 0;
  wal::LogPosition first_source;  // the earliest stored record with bytes here
  wal::LogPosition source_end;    // just after the latest stored record with bytes here

  // Private to PartitionBuffers.
  std::string tail;  // bytes not spilled yet
  std::string spool_path;
  uint64_t spilled = 0;        // plaintext bytes in the spool
  uint64_t spool_bytes = 0;    // its size: sealed chunks, each after its 4-byte length
};

class PartitionBuffers {
 public:
  // Removes spool files left by an earlier run.
  static Result<std::unique_ptr<PartitionBuffers>> Open(Env* env, std::string dir,
                                                        size_t spill_at_bytes = 256 * 1024);

  // Identities of a data buffer (from PrefixExpression::PartitionIdentity) and of the error-output
  // buffer of one error output type; never equal to each other.
  static std::string DataIdentity(std::string_view partition_identity) {
    return "d:" + std::string(partition_identity);
  }
  static std::string ErrorIdentity(std::string_view error_output_type) {
    return "e:" + std::string(error_output_type);
  }
  static bool IsData(std::string_view identity) { return identity.starts_with("d:"); }

  PartitionBuffer* Find(const std::string& identity);
  // A new empty buffer (the identity must not be active).
  PartitionBuffer* Create(const std::string& identity);
  // Appends one record's bytes, stored at [position, next).
  Status Append(PartitionBuffer* buffer, std::string_view bytes, int64_t arrival_millis,
                wal::LogPosition position, wal::LogPosition next);
  // The buffer's bytes in order; the buffer stays until Remove.
  Result<std::string> ReadAll(const PartitionBuffer& buffer);
  Status Remove(const std::string& identity);

  // Data buffers only: the service's active-partition count (error outputs do not count).
  size_t active_data_partitions() const { return data_partitions_; }
  size_t size() const { return buffers_.size(); }
  const std::map<std::string, PartitionBuffer>& buffers() const { return buffers_; }
  // The earliest stored record any buffer holds; nullopt when all are empty.
  std::optional<wal::LogPosition> OldestSource() const;
  uint64_t memory_bytes() const { return memory_bytes_; }

 private:
  PartitionBuffers(Env* env, std::string dir, size_t spill_at_bytes)
      : env_(env), dir_(std::move(dir)), spill_at_bytes_(spill_at_bytes), key_(RandomBytes(kCipherKeyBytes)) {}
  Status Spill(PartitionBuffer* buffer);

  Env* env_;
  const std::string dir_;
  const size_t spill_at_bytes_;
  const std::string key_;  // seals the spools; in memory only
  std::map<std::string, PartitionBuffer> buffers_;
  size_t data_partitions_ = 0;
  uint64_t memory_bytes_ = 0;
  uint64_t next_spool_ = 1;
};

}  // namespace hydrant::stream
