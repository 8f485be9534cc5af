// hydrant-parquet-sample SPEC.json OUT.parquet: converts the spec's records with ParquetConverter.
// SPEC: {"columns": [{"name", "type"}], "records": ["<json>", ...], "hive": false,
//        "case_insensitive": true, "dots_to_underscores": false, "mappings": {column: key},
//        "timestamp_formats": [...], "compression": "SNAPPY"|"GZIP"|"UNCOMPRESSED",
//        "dictionary": true, "v2": false, "page_bytes": N, "block_bytes": N}
// Prints {"rows": N, "refused": [[index, message], ...]}, and on stderr the time the conversion
// took. For the reader checks of the tests and bench/parquet_conversion.py.
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "conversion/parquet_converter.h"

namespace json = boost::json;
using namespace hydrant;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: hydrant-parquet-sample SPEC.json OUT.parquet\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  const json::object spec = json::parse(text.str()).as_object();
  std::vector<conversion::Column> columns;
  for (const json::value& c : spec.at("columns").as_array()) {
    auto type = schema::ParseHiveType(c.at("type").as_string());
    if (!type.ok()) {
      std::cerr << type.status().ToString() << "\n";
      return 1;
    }
    columns.push_back({std::string(c.at("name").as_string()), std::move(*type)});
  }
  auto flag = [&](const char* key, bool fallback) {
    const json::value* v = spec.if_contains(key);
    return v ? v->as_bool() : fallback;
  };
  conversion::InputOptions input;
  input.hive = flag("hive", false);
  input.case_insensitive = flag("case_insensitive", true);
  input.dots_to_underscores = flag("dots_to_underscores", false);
  if (const json::value* m = spec.if_contains("mappings")) {
    for (const auto& [k, v] : m->as_object()) input.column_to_json_key[std::string(k)] = std::string(v.as_string());
  }
  if (const json::value* f = spec.if_contains("timestamp_formats")) {
    for (const json::value& v : f->as_array()) input.timestamp_formats.emplace_back(v.as_string());
  }
  format::parquet::WriterOptions output;
  const std::string compression = spec.if_contains("compression") ? std::string(spec.at("compression").as_string()) : "SNAPPY";
  output.codec = compression == "GZIP"           ? format::parquet::Codec::kGzip
                 : compression == "UNCOMPRESSED" ? format::parquet::Codec::kUncompressed
                                                 : format::parquet::Codec::kSnappy;
  output.dictionary = flag("dictionary", true);
  output.page_v2 = flag("v2", false);
  if (const json::value* v = spec.if_contains("page_bytes")) output.page_bytes = v->to_number<uint64_t>();
  if (const json::value* v = spec.if_contains("block_bytes")) output.row_group_bytes = v->to_number<uint64_t>();
  auto converter = conversion::ParquetConverter::Create(std::move(columns), std::move(input), output);
  if (!converter.ok()) {
    std::cerr << converter.status().ToString() << "\n";
    return 1;
  }
  json::array refused;
  int64_t index = 0;
  uint64_t input_bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const json::value& record : spec.at("records").as_array()) {
    input_bytes += record.as_string().size();
    if (Status s = (*converter)->Add(record.as_string()); !s.ok()) refused.push_back(json::array{index, s.message()});
    ++index;
  }
  const uint64_t rows = (*converter)->rows();
  auto file = (*converter)->Finish();
  if (!file.ok()) {
    std::cerr << file.status().ToString() << "\n";
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ofstream(argv[2], std::ios::binary) << *file;
  std::cout << json::serialize(json::object{{"rows", rows}, {"refused", refused}}) << "\n";
  // Conversion alone (reading the spec excluded), on stderr for the benchmark.
  std::cerr << json::serialize(json::object{{"input_bytes", input_bytes}, {"parquet_bytes", file->size()},
                                            {"convert_seconds", seconds}})
            << "\n";
  return 0;
}
