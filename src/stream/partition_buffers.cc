// PartitionBuffers: per-partition byte buffers with spill files.
#include "stream/partition_buffers.h"

#include "wal/wal_format.h"

namespace hydrant::stream {

Result<std::unique_ptr<PartitionBuffers>> PartitionBuffers::Open(Env* env, std::string dir,
                                                                 size_t spill_at_bytes) {
  if (env->FileExists(dir)) HYDRANT_RETURN_IF_ERROR(env->RemoveDirRecursively(dir));
  HYDRANT_RETURN_IF_ERROR(env->CreateDirs(dir));
  return std::unique_ptr<PartitionBuffers>(new PartitionBuffers(env, std::move(dir), spill_at_bytes));
}

PartitionBuffer* PartitionBuffers::Find(const std::string& identity) {
  auto it = buffers_.find(identity);
  return it == buffers_.end() ? nullptr : &it->second;
}

PartitionBuffer* PartitionBuffers::Create(const std::string& identity) {
  PartitionBuffer& buffer = buffers_[identity];
  buffer.identity = identity;
  if (IsData(identity)) ++data_partitions_;
  return &buffer;
}

Status PartitionBuffers::Append(PartitionBuffer* buffer, std::string_view bytes, int64_t arrival_millis,
                                wal::LogPosition position, wal::LogPosition next) {
  if (buffer->records == 0) {
    buffer->oldest_arrival_millis = arrival_millis;
    buffer->first_source = position;
  }
  buffer->oldest_arrival_millis = std::min(buffer->oldest_arrival_millis, arrival_millis);
  buffer->source_end = next;
  ++buffer->records;
  buffer->bytes += bytes.size();
  buffer->tail.append(bytes);
  memory_bytes_ += bytes.size();
  if (buffer->tail.size() >= spill_at_bytes_) return Spill(buffer);
  return Status::Ok();
}

Status PartitionBuffers::Spill(PartitionBuffer* buffer) {
  if (buffer->spool_path.empty()) {
    buffer->spool_path = JoinPath(dir_, std::to_string(next_spool_++) + ".spool");
  }
  auto file = env_->NewWritableFile(buffer->spool_path, /*truncate=*/buffer->spilled == 0);
  if (!file.ok()) return file.status();
  std::string chunk(4, '\0');
  chunk += Seal(key_, buffer->tail, buffer->spool_path);
  wal::EncodeFixed32(chunk.data(), static_cast<uint32_t>(chunk.size() - 4));
  HYDRANT_RETURN_IF_ERROR((*file)->Append(chunk));
  HYDRANT_RETURN_IF_ERROR((*file)->Close());
  buffer->spilled += buffer->tail.size();
  buffer->spool_bytes += chunk.size();
  memory_bytes_ -= buffer->tail.size();
  buffer->tail.clear();
  buffer->tail.shrink_to_fit();
  return Status::Ok();
}

Result<std::string> PartitionBuffers::ReadAll(const PartitionBuffer& buffer) {
  std::string body;
  if (buffer.spilled > 0) {
    auto spooled = env_->ReadFile(buffer.spool_path);
    if (!spooled.ok()) return spooled.status();
    if (spooled->size() != buffer.spool_bytes) {
      return Status::Internal("spool file " + buffer.spool_path + " has " +
                              std::to_string(spooled->size()) + " bytes, expected " +
                              std::to_string(buffer.spool_bytes));
    }
    body.reserve(buffer.spilled + buffer.tail.size());
    std::string_view rest = *spooled;
    while (rest.size() >= 4) {
      const size_t size = wal::DecodeFixed32(rest.data());
      if (size > rest.size() - 4) break;
      auto plain = Unseal(key_, rest.substr(4, size), buffer.spool_path);
      if (!plain.ok()) return Status::Internal("spool file " + buffer.spool_path + ": " + plain.status().message());
      body += *plain;
      rest.remove_prefix(4 + size);
    }
    if (!rest.empty() || body.size() != buffer.spilled) {
      return Status::Internal("spool file " + buffer.spool_path + " is not what was spilled");
    }
  }
  body.reserve(body.size() + buffer.tail.size());
  body += buffer.tail;
  return body;
}

Status PartitionBuffers::Remove(const std::string& identity) {
  auto it = buffers_.find(identity);
  if (it == buffers_.end()) return Status::Ok();
  memory_bytes_ -= it->second.tail.size();
  if (IsData(identity)) --data_partitions_;
  std::string spool = it->second.spool_path;
  buffers_.erase(it);
  if (!spool.empty()) return env_->RemoveFile(spool);
  return Status::Ok();
}

std::optional<wal::LogPosition> PartitionBuffers::OldestSource() const {
  std::optional<wal::LogPosition> oldest;
  for (const auto& [identity, buffer] : buffers_) {
    if (buffer.records > 0 && (!oldest || buffer.first_source < *oldest)) oldest = buffer.first_source;
  }
  return oldest;
}

}  // namespace hydrant::stream
