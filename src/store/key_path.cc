// KeyPath: name validation and the component <-> file name encoding.
#include "store/key_path.h"

#include "store/store_error.h"

namespace hydrant::store {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool LooksLikeIpv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view part = s.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;  // overlong
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;                                           // surrogate
  return n;
}

bool MustEscape(unsigned char c, bool first) {
  return c < 0x20 || c == 0x7F || c == '%' || c == '@' || (first && c == '.');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case hex is not canonical
}

}  // namespace

Status ValidateBucketName(std::string_view b) {
  auto invalid = [&](const char* why) {
    return MakeError(StoreError::kInvalidBucketName,
                     "The specified bucket is not valid: " + std::string(why));
  };
  if (b.size() < 3 || b.size() > 63) return invalid("length must be 3 to 63");
  for (char c : b) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') {
      return invalid("only lowercase letters, digits, '.' and '-' are allowed");
    }
  }
  if (!IsLowerAlnum(b.front()) || !IsLowerAlnum(b.back())) {
    return invalid("must begin and end with a letter or digit");
  }
  if (b.find("..") != std::string_view::npos) return invalid("must not contain '..'");
  if (LooksLikeIpv4(b)) return invalid("must not be formatted as an IP address");
  for (std::string_view prefix : {"xn--", "sthree-"}) {
    if (b.substr(0, prefix.size()) == prefix) return invalid("reserved prefix");
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", "--x-s3"}) {
    if (b.size() >= suffix.size() && b.substr(b.size() - suffix.size()) == suffix) {
      return invalid("reserved suffix");
    }
  }
  return Status::Ok();
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty())
    return MakeError(StoreError::kInvalidArgument, "The object key must not be empty");
  if (key.size() > kMaxKeyBytes) {
    return MakeError(StoreError::kKeyTooLongError, "Your key is too long");
  }
  for (size_t i = 0; i < key.size();) {
    if (key[i] == '\0') {
      return MakeError(StoreError::kInvalidArgument, "The object key must not contain NUL");
    }
    size_t n = Utf8SequenceLength(key, i);
    if (n == 0) return MakeError(StoreError::kInvalidArgument, "The object key is not valid UTF-8");
    i += n;
  }
  // Left to right, ".." must never climb above the start; "." stays in place.
  int depth = 0;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (segment == "..") {
      if (--depth < 0) {
        return MakeError(StoreError::kInvalidArgument,
                         "The object key climbs above the bucket with '..' segments");
      }
    } else if (segment != ".") {
      ++depth;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

std::vector<std::string> EncodeComponent(std::string_view component) {
  if (component.empty()) return {"%"};
  // Tokens never split: an escape "%XX" or a whole raw UTF-8 sequence. A chunk never starts
  // with a raw '.', so no chunk is ".", ".." or hidden.
  std::vector<std::string> chunks(1);
  auto token_at = [&](size_t i, bool chunk_start) -> std::string {
    unsigned char c = static_cast<unsigned char>(component[i]);
    if (MustEscape(c, chunk_start)) return {'%', kHex[c >> 4], kHex[c & 15]};
    size_t n = Utf8SequenceLength(component, i);
    return std::string(component.substr(i, n == 0 ? 1 : n));  // n == 0 only for invalid keys
  };
  for (size_t i = 0; i < component.size();) {
    std::string token = token_at(i, chunks.back().empty());
    if (chunks.back().size() + token.size() > kMaxChunkBytes) {
      chunks.emplace_back();
      token = token_at(i, true);
    }
    chunks.back() += token;
    i += token[0] == '%' ? 1 : token.size();  // an escape stands for one byte
  }
  return chunks;
}

std::string KeyToRelativePath(std::string_view key) {
  std::string path;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    bool last = slash == std::string_view::npos;
    std::vector<std::string> chunks =
        EncodeComponent(key.substr(start, last ? key.npos : slash - start));
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (!path.empty()) path += '/';
      path += chunks[i];
      if (i + 1 < chunks.size()) {
        path += "@@";
      } else if (last) {
        path += '@';
      }
    }
    if (last) return path;
    start = slash + 1;
  }
}

ParsedEntry ParseEntryName(std::string_view name) {
  if (name.empty() || name.front() == '.') return {};
  if (name.size() >= 3 && name.substr(name.size() - 2) == "@@") {
    return {EntryKind::kContinuation, name.substr(0, name.size() - 2)};
  }
  if (name.size() >= 2 && name.back() == '@')
    return {EntryKind::kObject, name.substr(0, name.size() - 1)};
  if (name.find('@') != std::string_view::npos) return {};
  return {EntryKind::kDirectory, name};
}

std::optional<std::string> DecodeChunk(std::string_view chunk) {
  std::string out;
  out.reserve(chunk.size());
  for (size_t i = 0; i < chunk.size(); ++i) {
    if (chunk[i] != '%') {
      out.push_back(chunk[i]);
      continue;
    }
    if (i + 2 >= chunk.size()) return std::nullopt;
    int hi = HexValue(chunk[i + 1]), lo = HexValue(chunk[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<std::string> DecodeComponent(const std::vector<std::string>& chunks) {
  if (chunks.size() == 1 && chunks[0] == "%") return std::string();
  std::string component;
  for (const std::string& chunk : chunks) {
    std::optional<std::string> bytes = DecodeChunk(chunk);
    if (!bytes) return std::nullopt;
    component += *bytes;
  }
  if (component.empty() || component.find('/') != std::string::npos ||
      component.find('\0') != std::string::npos || EncodeComponent(component) != chunks) {
    return std::nullopt;
  }
  return component;
}

}  // namespace hydrant::store
