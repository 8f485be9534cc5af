// Fuzzes the PutRecord/PutRecordBatch hot path: ParsePutRequest (simdjson on-demand plus base64)
// against an independent reading of the same body with Boost.JSON, and the base64 codec itself.
// The first byte picks PutRecordBatch (odd) or PutRecord (even).
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/put_request_parser.h"
#include "common/base64.h"

namespace {

namespace json = boost::json;

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "check failed: %s\n", what);
    abort();
  }
}

// Base64: canonical inputs decode and re-encode to themselves; every byte string round-trips.
void FuzzBase64(std::string_view in) {
  std::string decoded = "prefix";
  if (hydrant::Base64Decode(in, &decoded)) {
    Check(decoded.compare(0, 6, "prefix") == 0, "decode keeps what *out held");
    Check(decoded.size() - 6 <= hydrant::Base64DecodedSizeUpperBound(in.size()), "decoded size bound");
    Check(hydrant::Base64Encode(std::string_view(decoded).substr(6)) == in, "canonical re-encode");
  }
  std::string encoded = hydrant::Base64Encode(in);
  Check(encoded.size() == hydrant::Base64EncodedSize(in.size()), "encoded size");
  std::string back;
  Check(hydrant::Base64Decode(encoded, &back) && back == in, "round trip");
}

// The records Boost.JSON reads from the same body, or false if it does not read them the same way
// (not a JSON object, or members of other types: the fast parser has rejected those already).
bool ReadWithBoost(const json::value& body, bool batch, std::vector<std::string>* records) {
  if (!body.is_object()) return false;
  const json::object& root = body.as_object();
  std::vector<const json::value*> entries;
  if (batch) {
    const json::value* list = root.if_contains("Records");
    if (!list || !list->is_array()) return false;
    for (const json::value& v : list->as_array()) entries.push_back(&v);
  } else {
    const json::value* record = root.if_contains("Record");
    if (!record) return false;
    entries.push_back(record);
  }
  for (const json::value* entry : entries) {
    if (!entry->is_object()) return false;
    const json::value* data = entry->as_object().if_contains("Data");
    if (!data || !data->is_string()) return false;
    std::string decoded;
    if (!hydrant::Base64Decode(data->as_string(), &decoded)) return false;
    records->push_back(std::move(decoded));
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool batch = data[0] & 1;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  FuzzBase64(input);

  std::string body(input);
  hydrant::api::ParsedPut put;
  hydrant::Status status = hydrant::api::ParsePutRequest(body, batch, &put);
  Check(body == input, "the body's bytes are unchanged");
  if (!status.ok()) return 0;
  Check(!put.stream_name.empty() && put.stream_name.size() <= 64, "stream name length");
  Check(batch ? (!put.records.empty() && put.records.size() <= hydrant::api::kMaxBatchRecords)
              : put.records.size() == 1,
        "record count");
  size_t total = 0;
  for (std::string_view r : put.records) {
    Check(r.data() >= put.data.data() && r.data() + r.size() <= put.data.data() + put.data.size(),
          "record views point into data");
    total += r.size();
  }
  Check(total == put.data.size(), "records cover data");

  json::error_code ec;
  json::value parsed = json::parse(input, ec);
  std::vector<std::string> expected;
  if (ec || !ReadWithBoost(parsed, batch, &expected)) return 0;
  Check(expected.size() == put.records.size(), "same record count as Boost.JSON");
  for (size_t i = 0; i < expected.size(); ++i) {
    Check(expected[i] == put.records[i], "same record bytes as Boost.JSON");
  }
  return 0;
}
