// Record format conversion: arbitrary bytes as JSON records against a fixed table of every Hive
// type (nested included), under OpenX and Hive input options; then the file is finished. A
// record is converted or refused with a status, never a crash, and a refused record leaves the
// rows before it intact (rows() counts exactly the accepted ones).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conversion/parquet_converter.h"

using namespace hydrant;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::vector<conversion::Column> columns;
  for (const char* spec : {"id:bigint", "name:varchar(5)", "small:tinyint", "price:decimal(12,4)",
                           "big:decimal(38,10)", "ok:boolean", "at:timestamp", "day:date", "f:float", "raw:binary",
                           "tags:array<string>", "attrs:map<int,array<decimal(5,2)>>",
                           "nested:struct<a:int,b:array<struct<c:string,d:timestamp>>>"}) {
    const std::string_view s(spec);
    const size_t colon = s.find(':');
    auto type = schema::ParseHiveType(s.substr(colon + 1));
    if (!type.ok()) std::abort();
    columns.push_back({std::string(s.substr(0, colon)), std::move(*type)});
  }
  conversion::InputOptions input;
  input.hive = flags & 1;
  input.case_insensitive = flags & 2;
  input.dots_to_underscores = flags & 4;
  if (flags & 8) input.timestamp_formats = {"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "millis"};
  format::parquet::WriterOptions output;
  output.codec = static_cast<format::parquet::Codec>((flags >> 4) % 3);
  output.dictionary = flags & 64;
  output.page_v2 = flags & 128;
  output.page_bytes = 256;
  output.row_group_bytes = 4096;
  auto converter = conversion::ParquetConverter::Create(std::move(columns), input, output);
  if (!converter.ok()) std::abort();
  // Records are separated by 0x00 bytes.
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  uint64_t accepted_rows = 0;
  while (!rest.empty()) {
    const size_t end = rest.find('\0');
    const std::string_view record = rest.substr(0, end);
    const uint64_t before = (*converter)->rows();
    if ((*converter)->Add(record).ok()) {
      accepted_rows = (*converter)->rows();
      if (accepted_rows <= before) std::abort();
    } else if ((*converter)->rows() != before) {
      std::abort();  // a refused record wrote rows
    }
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  auto file = (*converter)->Finish();
  if (!file.ok() || file->size() < 12 || file->substr(0, 4) != "PAR1") std::abort();
  return 0;
}
