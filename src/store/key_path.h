// KeyPath: S3 bucket-name and object-key rules, and the mapping of keys onto file names.
//
// A key is split at '/' into components: every component but the last names a directory,
// the last names the object's file. Each component becomes one file name:
//   - bytes 0x01-0x1F and 0x7F, '%' and '@' become %XX (upper-case hex), and so does a
//     leading '.', which keeps ".", ".." and hidden names (the bucket's ".hydrant" staging
//     area) out of reach of any key;
//   - the empty component (as in "a//b" or "folder/") becomes "%";
//   - every other byte, UTF-8 included, stays as it is, so ordinary keys read naturally:
//     "2026/08/07/10/stream-1-....gz" is the file 2026/08/07/10/stream-1-....gz@.
// An object's file ends in "@", so object "a" (a@) and the directory of "a/b" (a/) coexist.
// An encoded component longer than kMaxChunkBytes is cut (never inside an escape or a UTF-8
// sequence) into chunks; every chunk but the last is a directory "<chunk>@@", so no file
// name exceeds NAME_MAX however long the key is.
// The mapping is injective and its output never contains ".", ".." or an absolute path, so
// no key can address a file outside its bucket folder even without ValidateObjectKey.
// Decoding accepts only canonical encodings: any other name is a foreign file and is ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hydrant::store {

inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxChunkBytes = 200;

// S3's rules: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or digit, no
// "..", not shaped like an IPv4 address, none of the reserved prefixes/suffixes ("xn--",
// "sthree-", "-s3alias", "--ol-s3", "--x-s3"). Failure: StoreError::kInvalidBucketName.
Status ValidateBucketName(std::string_view bucket);

// Empty, NUL, invalid UTF-8, or ".." segments that climb above the key's start ("../x",
// "a/../../x": S3 rejects these too) -> kInvalidArgument; over 1024 bytes -> kKeyTooLongError.
Status ValidateObjectKey(std::string_view key);

// The object file's path relative to the bucket folder, '/'-separated (the key must be valid).
std::string KeyToRelativePath(std::string_view key);

// The encoded chunks of one component (no '/' inside); one chunk unless it is long.
std::vector<std::string> EncodeComponent(std::string_view component);

// What a directory entry inside a bucket folder is.
enum class EntryKind {
  kDirectory,     // "<chunk>": the last chunk of a directory component
  kObject,        // "<chunk>@": the last chunk of an object's component
  kContinuation,  // "<chunk>@@": a non-final chunk of a long component
  kForeign,       // hidden (".hydrant"), or not something this mapping produces
};
struct ParsedEntry {
  EntryKind kind = EntryKind::kForeign;
  std::string_view chunk;  // the name without its "@" / "@@" tag
};
ParsedEntry ParseEntryName(std::string_view name);

// The component whose canonical encoding is exactly `chunks` (as gathered from a chain of
// continuation directories ending in a directory or object entry); nullopt if none.
std::optional<std::string> DecodeComponent(const std::vector<std::string>& chunks);

// The bytes one chunk decodes to (for matching partial components against a prefix);
// nullopt if the chunk has a malformed escape.
std::optional<std::string> DecodeChunk(std::string_view chunk);

}  // namespace hydrant::store
