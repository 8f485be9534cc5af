// ObjectFile: metadata trailer encoding (Boost.JSON) and MD5 (OpenSSL).
#include "store/object_file.h"

#include <openssl/evp.h>

#include <boost/json.hpp>

namespace hydrant::store {
namespace {

constexpr std::string_view kMagic = "HYDOBJ1\n";
namespace json = boost::json;

json::object MapToJson(const std::map<std::string, std::string>& map) {
  json::object out;
  for (const auto& [name, value] : map) out[name] = value;
  return out;
}

bool JsonToMap(const json::value* value, std::map<std::string, std::string>* out) {
  if (value == nullptr) return true;
  const json::object* object = value->if_object();
  if (object == nullptr) return false;
  for (const auto& [name, v] : *object) {
    const json::string* s = v.if_string();
    if (s == nullptr) return false;
    (*out)[std::string(name)] = std::string(*s);
  }
  return true;
}

}  // namespace

std::string EncodeObjectTrailer(const ObjectInfo& info) {
  json::object meta;
  meta["key"] = info.key;
  meta["size"] = info.size;
  meta["etag"] = info.etag;
  meta["last_modified"] = info.last_modified_millis;
  meta["content_type"] = info.content_type;
  if (!info.user_metadata.empty()) meta["user_metadata"] = MapToJson(info.user_metadata);
  if (!info.headers.empty()) meta["headers"] = MapToJson(info.headers);
  if (!info.sse.empty()) {
    meta["sse"] = info.sse;
    meta["sse_kms_key_id"] = info.sse_kms_key_id;
    meta["sealed_data_key"] = HexEncode(info.sealed_data_key);
    meta["stored_size"] = info.stored_size;
  }
  std::string out = json::serialize(meta);
  uint64_t length = out.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
  out += kMagic;
  return out;
}

Result<ObjectInfo> ReadObjectInfo(const RandomAccessFile& file) {
  Result<uint64_t> file_size = file.Size();
  if (!file_size.ok()) return file_size.status();
  if (*file_size < kObjectTrailerBytes) return Status::Corruption("object file too short");
  std::string trailer;
  HYDRANT_RETURN_IF_ERROR(
      file.Read(*file_size - kObjectTrailerBytes, kObjectTrailerBytes, &trailer));
  if (trailer.size() != kObjectTrailerBytes || trailer.substr(8) != kMagic) {
    return Status::Corruption("object file has no trailer");
  }
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(trailer[i]);
  if (length > *file_size - kObjectTrailerBytes) return Status::Corruption("bad metadata length");
  uint64_t data_size = *file_size - kObjectTrailerBytes - length;
  std::string text;
  HYDRANT_RETURN_IF_ERROR(file.Read(data_size, length, &text));

  json::parse_options options;
  options.allow_invalid_utf8 = true;
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec, json::storage_ptr(), options);
  const json::object* meta = ec ? nullptr : parsed.if_object();
  if (meta == nullptr) return Status::Corruption("object metadata is not a JSON object");
  ObjectInfo info;
  const json::value* key = meta->if_contains("key");
  const json::value* size = meta->if_contains("size");
  const json::value* etag = meta->if_contains("etag");
  const json::value* modified = meta->if_contains("last_modified");
  const json::value* type = meta->if_contains("content_type");
  if (!key || !key->is_string() || !size || !etag || !etag->is_string() || !modified || !type ||
      !type->is_string()) {
    return Status::Corruption("object metadata lacks a field");
  }
  info.key = std::string(key->get_string());
  info.etag = std::string(etag->get_string());
  info.content_type = std::string(type->get_string());
  info.size = size->to_number<uint64_t>(ec);
  if (!ec) info.last_modified_millis = modified->to_number<int64_t>(ec);
  if (ec || !JsonToMap(meta->if_contains("user_metadata"), &info.user_metadata) ||
      !JsonToMap(meta->if_contains("headers"), &info.headers)) {
    return Status::Corruption("object metadata has a malformed field");
  }
  if (const json::value* sse = meta->if_contains("sse")) {
    const json::value* kms = meta->if_contains("sse_kms_key_id");
    const json::value* sealed = meta->if_contains("sealed_data_key");
    const json::value* stored = meta->if_contains("stored_size");
    if (!sse->is_string() || !kms || !kms->is_string() || !sealed || !sealed->is_string() || !stored) {
      return Status::Corruption("object metadata has a malformed encryption field");
    }
    info.sse = std::string(sse->get_string());
    info.sse_kms_key_id = std::string(kms->get_string());
    if (!HexDecode(sealed->get_string(), &info.sealed_data_key)) {
      return Status::Corruption("object metadata has a malformed data key");
    }
    info.stored_size = stored->to_number<uint64_t>(ec);
    if (ec || info.stored_size != data_size) return Status::Corruption("encrypted object size disagrees with its file");
    return info;
  }
  if (info.size != data_size) return Status::Corruption("object size disagrees with its file");
  return info;
}

std::string Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

bool HexDecode(std::string_view hex, std::string* out) {
  auto value = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = value(hex[i]), lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace hydrant::store
