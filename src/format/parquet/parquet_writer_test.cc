// ParquetWriter: the file's frame, the Thrift compact encoding and a row refused whole. What the
// values read back as is checked by three independent readers (tests/e2e/test_parquet.py).
#include "format/parquet/parquet_writer.h"

#include <gtest/gtest.h>

#include "format/parquet/thrift_compact.h"

namespace hydrant::format::parquet {
namespace {

Value Int(int64_t v) { return Value{.kind = Value::Kind::kInt, .integer = v}; }
Value Bytes(std::string v) { return Value{.kind = Value::Kind::kBytes, .bytes = std::move(v)}; }
Value Row(std::vector<Value> items) { return Value{.kind = Value::Kind::kStruct, .items = std::move(items)}; }

TEST(ThriftCompactTest, FieldHeadersListsAndNesting) {
  ThriftCompactWriter t;
  t.I32(1, 1);       // delta 1, i32, zigzag 2
  t.I64(3, -1);      // delta 2, i64, zigzag 1
  t.Binary(20, "x");  // delta 17: long form, type byte then zigzag id 40
  t.BeginStruct(21);
  t.Bool(1, true);
  t.EndStruct();
  t.List(22, ThriftCompactWriter::kI32, 2);
  t.ListI32(0);
  t.ListI32(-2);
  EXPECT_EQ(t.Finish(), std::string("\x15\x02\x26\x01\x08\x28\x01x\x1c\x11\x00\x19\x25\x00\x03\x00", 16));
}

TEST(ParquetWriterTest, FileFrameAndRowCount) {
  std::vector<Node> columns = {
      {.name = "id", .repetition = Repetition::kRequired, .physical = Physical::kInt64},
      {.name = "name", .physical = Physical::kByteArray, .converted = Converted::kUtf8}};
  auto writer = ParquetWriter::Create(columns, {.codec = Codec::kUncompressed});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(Row({Int(1), Bytes("a")})).ok());
  ASSERT_TRUE((*writer)->Append(Row({Int(2), Value{}})).ok());
  // A required column without a value: the row is refused and leaves nothing behind.
  EXPECT_EQ((*writer)->Append(Row({Value{}, Bytes("b")})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*writer)->Append(Row({Bytes("x"), Bytes("b")})).message(), "column id takes an int64");
  EXPECT_EQ((*writer)->rows(), 2u);
  auto file = (*writer)->Finish();
  ASSERT_TRUE(file.ok());
  ASSERT_GT(file->size(), 12u);
  EXPECT_EQ(file->substr(0, 4), "PAR1");
  EXPECT_EQ(file->substr(file->size() - 4), "PAR1");
  const uint32_t footer = static_cast<uint8_t>((*file)[file->size() - 8]) |
                          static_cast<uint8_t>((*file)[file->size() - 7]) << 8 |
                          static_cast<uint8_t>((*file)[file->size() - 6]) << 16 |
                          static_cast<uint8_t>((*file)[file->size() - 5]) << 24;
  EXPECT_LT(footer, file->size() - 12);
  EXPECT_NE(file->find("hive_schema"), std::string::npos);
}

}  // namespace
}  // namespace hydrant::format::parquet
