// HiveType: every type Glue stores, nested to any depth, and the errors.
#include "schema/hive_type.h"

#include <gtest/gtest.h>

namespace hydrant::schema {
namespace {

std::string Canonical(std::string_view text) {
  auto t = ParseHiveType(text);
  return t.ok() ? t->ToString() : "error: " + t.status().message();
}

TEST(HiveTypeTest, PrimitivesAsGlueStoresThem) {
  for (const char* type : {"string", "tinyint", "smallint", "int", "bigint", "float", "double", "boolean", "date",
                           "timestamp", "binary", "char(3)", "varchar(64)", "decimal(38,10)"}) {
    EXPECT_EQ(Canonical(type), type);
  }
  EXPECT_EQ(Canonical("INTEGER"), "int");
  EXPECT_EQ(Canonical("decimal"), "decimal(10,0)");
  EXPECT_EQ(Canonical("decimal(5)"), "decimal(5,0)");
  auto d = ParseHiveType("decimal(12, 4)");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->precision, 12);
  EXPECT_EQ(d->scale, 4);
}

TEST(HiveTypeTest, NestedToAnyDepth) {
  EXPECT_EQ(Canonical("array < struct< id : bigint, Tags:array<string> > >"),
            "array<struct<id:bigint,Tags:array<string>>>");
  EXPECT_EQ(Canonical("map<string,map<int,array<decimal(10,2)>>>"), "map<string,map<int,array<decimal(10,2)>>>");
  auto t = ParseHiveType("struct<a:map<string,struct<v:timestamp>>>");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->fields.size(), 1u);
  EXPECT_EQ(t->fields[0].name, "a");
  EXPECT_EQ(t->fields[0].type.kind, HiveType::Kind::kMap);
  EXPECT_EQ(t->fields[0].type.fields[1].type.fields[0].type.kind, HiveType::Kind::kTimestamp);
  std::string deep = "int";
  for (int i = 0; i < 50; ++i) deep = "array<" + deep + ">";
  EXPECT_TRUE(ParseHiveType(deep).ok());
}

TEST(HiveTypeTest, ErrorsSayWhatAndWhere) {
  EXPECT_EQ(Canonical("number"), "error: column type 'number': unknown type 'number' at position 6");
  EXPECT_NE(Canonical("array<int").find("'>' expected"), std::string::npos);
  EXPECT_NE(Canonical("varchar").find("varchar needs a length"), std::string::npos);
  EXPECT_NE(Canonical("decimal(40,2)").find("precision must be 1 to 38"), std::string::npos);
  EXPECT_NE(Canonical("map<array<int>,int>").find("map keys must be primitive"), std::string::npos);
  EXPECT_NE(Canonical("struct<a>").find("name:type"), std::string::npos);
  EXPECT_NE(Canonical("int int").find("unexpected"), std::string::npos);
  std::string too_deep = "int";
  for (int i = 0; i < 200; ++i) too_deep = "array<" + too_deep + ">";
  EXPECT_NE(Canonical(too_deep).find("nest too deep"), std::string::npos);
}

}  // namespace
}  // namespace hydrant::schema
