// PutRequestParser with simdjson on-demand.
#include "api/put_request_parser.h"

#include <simdjson.h>

#include "common/base64.h"

namespace hydrant::api {
namespace {

namespace od = simdjson::ondemand;

// A JSON string without escapes, read where it lies in the body (base64 never needs escapes,
// so this is the usual case): saves copying every record's characters into the parser's string
// buffer. A null view when the value is not such a string; get_string() then reads it.
std::string_view UnescapedInPlace(od::value& value) {
  std::string_view raw = value.raw_json_token();
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return {};
  raw = raw.substr(1, raw.size() - 2);
  if (raw.find('\\') != std::string_view::npos) return {};
  return raw;
}

// Decodes one record object {"Data": "<base64>"} into out->data.
Status ReadRecord(od::value record_value, ParsedPut* out) {
  od::object record;
  if (record_value.get_object().get(record)) return Status::Malformed("a record must be a JSON object");
  bool has_data = false;
  const size_t start = out->data.size();
  for (auto field : record) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::Malformed("bad JSON in a record");
    if (key != "Data") continue;
    // A repeated "Data" replaces the earlier one (the last member wins, as in the model
    // validator's reading): one record object is one record.
    if (has_data) {
      out->data.resize(start);
      out->records.pop_back();
      has_data = false;
    }
    od::value value;
    if (field.value().get(value)) return Status::Malformed("bad JSON in a record");
    bool is_null = false;
    if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
    std::string_view encoded = UnescapedInPlace(value);
    if (encoded.data() == nullptr && value.get_string().get(encoded)) {
      return Status::Malformed("Data must be a base64 string");
    }
    if (!Base64Decode(encoded, &out->data)) {
      return Status::Malformed("Data is not valid base64");
    }
    out->records.emplace_back(out->data.data() + start, out->data.size() - start);
    has_data = true;
  }
  if (!has_data) return Status::Validation("record without Data");
  if (out->records.back().size() > kMaxRecordBytes) return Status::Validation("record too large");
  return Status::Ok();
}

}  // namespace

Status ParsePutRequest(std::string& body, bool batch, ParsedPut* out) {
  thread_local od::parser parser;
  out->stream_name.clear();
  out->data.clear();
  out->records.clear();
  // Decoded data is never longer than the body: reserving it keeps the views stable.
  out->data.reserve(body.size());
  if (body.capacity() - body.size() < simdjson::SIMDJSON_PADDING) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  }
  simdjson::padded_string_view view(body.data(), body.size(), body.capacity());
  od::document doc;
  if (parser.iterate(view).get(doc)) return Status::Malformed("request body is not JSON");
  od::object root;
  if (doc.get_object().get(root)) return Status::Malformed("request body must be a JSON object");
  bool has_name = false, has_records = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::Malformed("request body is not JSON");
    // A repeated member replaces the earlier one, as in the model validator's reading (the last
    // member wins): a second "Records" list must not add to the first.
    const bool is_records = batch ? key == "Records" : key == "Record";
    if (key == "DeliveryStreamName") {
      out->stream_name.clear();
      has_name = false;
    } else if (is_records) {
      out->data.clear();
      out->records.clear();
      has_records = false;
    }
    od::value value;
    if (field.value().get(value)) return Status::Malformed("request body is not JSON");
    bool is_null = false;
    if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) continue;
    if (key == "DeliveryStreamName") {
      std::string_view name;
      if (value.get_string().get(name)) return Status::Malformed("DeliveryStreamName must be a string");
      out->stream_name.assign(name);
      has_name = true;
    } else if (batch && is_records) {
      od::array records;
      if (value.get_array().get(records)) return Status::Malformed("Records must be a list");
      for (auto element : records) {
        od::value record;
        if (element.get(record)) return Status::Malformed("bad JSON in Records");
        HYDRANT_RETURN_IF_ERROR(ReadRecord(record, out));
      }
      has_records = true;
    } else if (!batch && is_records) {
      HYDRANT_RETURN_IF_ERROR(ReadRecord(value, out));
      has_records = true;
    }
    // Other members are ignored, as the service ignores members it does not model.
  }
  if (!has_name || !has_records) return Status::Validation("missing member");
  const std::string& name = out->stream_name;
  if (name.empty() || name.size() > 64) return Status::Validation("name length");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return Status::Validation("name pattern");
  }
  if (batch && (out->records.empty() || out->records.size() > kMaxBatchRecords)) {
    return Status::Validation("record count");
  }
  return Status::Ok();
}

}  // namespace hydrant::api
