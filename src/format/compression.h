// Whole-object compressors for the service's S3 CompressionFormat values.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "format/object.h"

namespace hydrant::format {

// How an object compressed with one CompressionFormat is named and labelled.
struct CompressionFormatInfo {
  std::string_view name;              // The API enum spelling, e.g. "GZIP", "Snappy".
  std::string_view extension;         // Default key suffix; "" for UNCOMPRESSED.
  std::string_view content_encoding;  // Content-Encoding stored with the object; "" for none.
};

// Looks up a CompressionFormat by its exact API spelling (case-sensitive, as the service is):
// UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY. kInvalidArgument for anything else.
// Extensions: .gz, .zip, .snappy, and .snappy for HADOOP_SNAPPY too (probes of the real service
// in peers.md show that, docs say .hsnappy); the two Snappy kinds differ by Content-Encoding.
// Content-Encoding as the same probes saw it on delivered objects: gzip, zip, snappy-java,
// hadoop-snappy; none for UNCOMPRESSED. Content-Type is application/octet-stream for all.
Result<CompressionFormatInfo> LookupCompressionFormat(std::string_view format);

// Compresses a whole object body (records already concatenated) into `format`:
//   UNCOMPRESSED   the bytes unchanged.
//   GZIP           one RFC 1952 member (ISA-L igzip, level 1).
//   ZIP            a ZIP archive, one entry `entry_name` deflated at level 1 (ZIP64 when needed).
//   Snappy         xerial snappy-java stream (SnappyOutputStream): 16-byte header
//                  82 'SNAPPY' 00, BE int32 version 1, BE int32 compatible version 1; then
//                  per 32 KiB input block a BE int32 compressed length and a raw snappy block.
//   HADOOP_SNAPPY  Hadoop BlockCompressorStream: per 256 KiB input block a BE int32 uncompressed
//                  length, then a BE int32 compressed length and one raw snappy block; an empty
//                  input gives one zero length (4 zero bytes), as Hadoop writes.
// `entry_name` is used only for ZIP and must be non-empty there. Failures: kInvalidArgument for an
// unknown format or an empty ZIP entry name; kInternal if a library fails. Thread-safe: no
// shared state. The output is built in memory (about the input size again at worst).
Result<std::string> Compress(std::string_view format, std::string_view data,
                             std::string_view entry_name);

// Compresses object->body in place with Compress() and sets object->content_encoding to the
// format's Content-Encoding. UNCOMPRESSED leaves the object as it is. Failures as Compress();
// *object is unchanged on failure.
Status CompressObject(std::string_view format, std::string_view entry_name, Object* object);

// CompressObject with a ZIP entry named after the object's key: its last segment without the
// extension.
Status CompressObjectForKey(std::string_view format, Object* object);

}  // namespace hydrant::format
