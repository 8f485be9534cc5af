// Whole-object compressors for the service's S3 CompressionFormat values.
#include "format/compression.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <snappy.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace hydrant::format {
namespace {

// Content-Encoding values as the service sets them on delivered objects (probes of the real
// service, see compression.h). "zip", "snappy-java" and "hadoop-snappy" are no registered HTTP
// content-codings, so HTTP clients leave those bodies alone.
constexpr std::array<CompressionFormatInfo, 5> kFormats = {{
    {"UNCOMPRESSED", "", ""},
    {"GZIP", ".gz", "gzip"},
    {"ZIP", ".zip", "zip"},
    {"Snappy", ".snappy", "snappy-java"},
    {"HADOOP_SNAPPY", ".snappy", "hadoop-snappy"},
}};

// snappy-java's SnappyOutputStream default block size.
constexpr size_t kXerialBlockSize = 32 * 1024;
// Hadoop's io.compression.codec.snappy.buffersize default.
constexpr size_t kHadoopBlockSize = 256 * 1024;

void AppendBigEndian32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

// Appends a BE int32 length then the raw snappy block of `in`.
void AppendSnappyBlock(std::string& out, std::string_view in) {
  const size_t len_pos = out.size();
  out.resize(len_pos + 4 + snappy::MaxCompressedLength(in.size()));
  size_t written = 0;
  snappy::RawCompress(in.data(), in.size(), out.data() + len_pos + 4, &written);
  out.resize(len_pos + 4 + written);
  const uint32_t n = static_cast<uint32_t>(written);
  out[len_pos] = static_cast<char>(n >> 24);
  out[len_pos + 1] = static_cast<char>(n >> 16);
  out[len_pos + 2] = static_cast<char>(n >> 8);
  out[len_pos + 3] = static_cast<char>(n);
}

std::string XerialSnappy(std::string_view data) {
  std::string out("\x82SNAPPY\0", 8);
  AppendBigEndian32(out, 1);  // Version.
  AppendBigEndian32(out, 1);  // Minimum compatible version.
  out.reserve(out.size() + data.size() / 2 + 64);
  for (size_t pos = 0; pos < data.size(); pos += kXerialBlockSize) {
    AppendSnappyBlock(out, data.substr(pos, kXerialBlockSize));
  }
  return out;
}

std::string HadoopSnappy(std::string_view data) {
  std::string out;
  // Hadoop writes one (empty) block header even for an empty stream.
  if (data.empty()) {
    AppendBigEndian32(out, 0);
    return out;
  }
  out.reserve(data.size() / 2 + 64);
  for (size_t pos = 0; pos < data.size(); pos += kHadoopBlockSize) {
    std::string_view block = data.substr(pos, kHadoopBlockSize);
    AppendBigEndian32(out, static_cast<uint32_t>(block.size()));
    AppendSnappyBlock(out, block);
  }
  return out;
}

// igzip level 1 of `data`: a whole gzip member (IGZIP_GZIP), or raw deflate (IGZIP_DEFLATE)
// that, unless `last`, ends on a byte boundary with its history reset (FULL_FLUSH), so that
// pieces compressed apart join into one stream.
Result<std::string> Deflate(std::string_view data, uint16_t wrapper, bool last) {
  isal_zstream stream{};  // Zeroed: isal_deflate_init does not set every field (crashed without).
  isal_deflate_init(&stream);
  std::vector<uint8_t> level_buf(ISAL_DEF_LVL1_DEFAULT);
  stream.level = 1;
  stream.level_buf = level_buf.data();
  stream.level_buf_size = static_cast<uint32_t>(level_buf.size());
  stream.gzip_flag = wrapper;
  stream.flush = last ? NO_FLUSH : FULL_FLUSH;

  std::string out;
  out.resize(data.size() / 2 + 1024);
  size_t produced = 0;
  size_t consumed = 0;
  // avail_in/avail_out are 32-bit, so feed and drain in pieces of at most 1 GiB.
  constexpr size_t kMaxPiece = size_t{1} << 30;
  for (;;) {
    if (stream.avail_in == 0 && consumed < data.size()) {
      const size_t piece = std::min(kMaxPiece, data.size() - consumed);
      stream.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data.data() + consumed));
      stream.avail_in = static_cast<uint32_t>(piece);
      consumed += piece;
    }
    stream.end_of_stream = last && consumed == data.size() ? 1 : 0;
    if (produced == out.size()) out.resize(out.size() * 2);
    const size_t room = std::min(kMaxPiece, out.size() - produced);
    stream.next_out = reinterpret_cast<uint8_t*>(out.data() + produced);
    stream.avail_out = static_cast<uint32_t>(room);
    const int rc = isal_deflate(&stream);
    if (rc != COMP_OK) {
      return Status::Internal("igzip deflate failed with code " + std::to_string(rc));
    }
    produced += room - stream.avail_out;
    if (last ? stream.internal_state.state == ZSTATE_END
             : consumed == data.size() && stream.avail_in == 0 && stream.avail_out > 0) {
      break;
    }
  }
  out.resize(produced);
  return out;
}

// Bodies this large are compressed in pieces on every core (as pigz does) and joined into one
// gzip member: on the delivery path one 5 MiB object took a core for 10 ms.
constexpr size_t kGzipPieceBytes = 1 << 20;

Result<std::string> Gzip(std::string_view data) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t pieces = std::min({cores, size_t{8}, data.size() / kGzipPieceBytes});
  if (pieces < 2) return Deflate(data, IGZIP_GZIP, /*last=*/true);
  std::vector<std::string_view> parts;
  const size_t step = data.size() / pieces;
  for (size_t i = 0; i < pieces; ++i) {
    parts.push_back(data.substr(i * step, i + 1 == pieces ? std::string_view::npos : step));
  }
  std::vector<std::future<Result<std::string>>> others;
  for (size_t i = 1; i < pieces; ++i) {
    others.push_back(std::async(std::launch::async, Deflate, parts[i], IGZIP_DEFLATE, i + 1 == pieces));
  }
  // The header igzip writes for IGZIP_GZIP: no name, no time, OS unknown.
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  Result<std::string> first = Deflate(parts[0], IGZIP_DEFLATE, /*last=*/false);
  Status failed = first.ok() ? Status::Ok() : first.status();
  if (first.ok()) out += *first;
  for (auto& other : others) {
    Result<std::string> piece = other.get();
    if (!piece.ok() && failed.ok()) failed = piece.status();
    if (piece.ok()) out += *piece;
  }
  if (!failed.ok()) return failed;
  const uint32_t crc = crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  const uint32_t size = static_cast<uint32_t>(data.size());  // ISIZE: the size modulo 2^32
  for (uint32_t v : {crc, size}) {
    const char bytes[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                           static_cast<char>(v >> 24)};
    out.append(bytes, 4);
  }
  return out;
}

Result<std::string> Zip(std::string_view data, std::string_view entry_name) {
  if (entry_name.empty()) return Status::InvalidArgument("ZIP entry name must not be empty");
  zip_error_t error;
  zip_error_init(&error);
  // The archive is written into this in-memory source; kept alive past zip_close to read it back.
  zip_source_t* sink = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (sink == nullptr) {
    return Status::Internal(std::string("libzip: ") + zip_error_strerror(&error));
  }
  std::unique_ptr<zip_source_t, decltype(&zip_source_free)> sink_owner(sink, &zip_source_free);
  zip_t* archive = zip_open_from_source(sink, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    std::string msg = std::string("libzip: ") + zip_error_strerror(&error);
    zip_error_fini(&error);
    return Status::Internal(std::move(msg));
  }
  zip_source_keep(sink);
  auto fail = [&](zip_error_t* e) {
    std::string msg = std::string("libzip: ") + zip_error_strerror(e);
    zip_discard(archive);
    return Status::Internal(std::move(msg));
  };
  zip_source_t* entry = zip_source_buffer(archive, data.data(), data.size(), 0);
  if (entry == nullptr) return fail(zip_get_error(archive));
  const std::string name(entry_name);
  const zip_int64_t index = zip_file_add(archive, name.c_str(), entry, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(entry);
    return fail(zip_get_error(archive));
  }
  if (zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 1) != 0) {
    return fail(zip_get_error(archive));
  }
  if (zip_close(archive) != 0) return fail(zip_get_error(archive));

  zip_stat_t st;
  if (zip_source_stat(sink, &st) != 0 || zip_source_open(sink) != 0) {
    return Status::Internal(std::string("libzip: ") + zip_error_strerror(zip_source_error(sink)));
  }
  std::string out(st.size, '\0');
  const zip_int64_t n = zip_source_read(sink, out.data(), out.size());
  zip_source_close(sink);
  if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) {
    return Status::Internal("libzip: short read of the built archive");
  }
  return out;
}

}  // namespace

Result<CompressionFormatInfo> LookupCompressionFormat(std::string_view format) {
  for (const CompressionFormatInfo& info : kFormats) {
    if (info.name == format) return info;
  }
  return Status::InvalidArgument("unknown CompressionFormat '" + std::string(format) + "'");
}

Result<std::string> Compress(std::string_view format, std::string_view data,
                             std::string_view entry_name) {
  Result<CompressionFormatInfo> info = LookupCompressionFormat(format);
  if (!info.ok()) return info.status();
  const std::string_view name = info->name;
  if (name == "UNCOMPRESSED") return std::string(data);
  if (name == "GZIP") return Gzip(data);
  if (name == "ZIP") return Zip(data, entry_name);
  if (name == "Snappy") return XerialSnappy(data);
  return HadoopSnappy(data);
}

Status CompressObject(std::string_view format, std::string_view entry_name, Object* object) {
  Result<CompressionFormatInfo> info = LookupCompressionFormat(format);
  if (!info.ok()) return info.status();
  if (info->name == "UNCOMPRESSED") return Status::Ok();
  Result<std::string> compressed = Compress(format, object->body, entry_name);
  if (!compressed.ok()) return compressed.status();
  object->body = std::move(compressed).value();
  object->content_encoding = std::string(info->content_encoding);
  return Status::Ok();
}

}  // namespace hydrant::format

namespace hydrant::format {

Status CompressObjectForKey(std::string_view format, Object* object) {
  // A ZIP archive's one entry is named after the object, without its extension.
  std::string entry = object->key.substr(object->key.rfind('/') + 1);
  if (auto dot = entry.rfind('.'); dot != std::string::npos && dot > 0) entry.resize(dot);
  return CompressObject(format, entry, object);
}

}  // namespace hydrant::format
