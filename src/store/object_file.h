// ObjectFile: the byte layout of one stored object (or multipart part) and its metadata.
//
//   [object data][metadata: JSON object][u64 metadata length, little-endian]["HYDOBJ1\n"]
//
// An object stored with server-side encryption holds, in place of its data, the data sealed
// with AES-256-GCM (common/cipher.h) under a fresh data key; the data key, sealed with the
// master key, is in the metadata.
//
// Data comes first, so a file starts with the object's own bytes (head/zcat work on it);
// the fixed 16-byte trailer finds the metadata from the file size alone. Files are always
// written whole under a temporary name and renamed into place, so data and metadata change
// together: a reader sees the old object or the new one, never a mix.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/env.h"
#include "common/status.h"

namespace hydrant::store {

inline constexpr size_t kObjectTrailerBytes = 16;

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  // As S3 sends it, quotes included: "\"<hex md5>\"" or, for multipart, "\"<hex>-<parts>\"".
  std::string etag;
  int64_t last_modified_millis = 0;
  std::string content_type;
  // x-amz-meta-<name>: value, names lower-case and without the prefix.
  std::map<std::string, std::string> user_metadata;
  // Other headers stored with the object and returned on GET/HEAD (Content-Encoding,
  // Cache-Control, Content-Disposition, Content-Language, Expires), by canonical name.
  std::map<std::string, std::string> headers;
  // Server-side encryption: "" (none), "AES256" (Hydrant's own key) or "aws:kms" (the key named
  // by sse_kms_key_id, or Hydrant's own when that is empty).
  std::string sse;
  std::string sse_kms_key_id;
  std::string sealed_data_key;  // the object's data key sealed with the master key
  uint64_t stored_size = 0;     // bytes of sealed data in the file (size is the plaintext's)
};

// The bytes to write right after the object's data.
std::string EncodeObjectTrailer(const ObjectInfo& info);

// Parses the metadata of a file written as data + EncodeObjectTrailer(info). Corruption if
// the trailer is missing or disagrees with the file's size (a file the store did not write).
Result<ObjectInfo> ReadObjectInfo(const RandomAccessFile& file);

// Raw 16-byte MD5 digest, and lower-case hex.
std::string Md5(std::string_view data);
std::string HexEncode(std::string_view bytes);
// Lower-case hex back to bytes; false for an odd length or another character.
bool HexDecode(std::string_view hex, std::string* out);

}  // namespace hydrant::store
