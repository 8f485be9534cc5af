// GlueCatalog: names, versions, persistence across reopening.
#include "schema/glue_catalog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace hydrant::schema {
namespace {

namespace json = boost::json;

class GlueCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/hydrant-glue-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<GlueCatalog> Open() {
    auto catalog = GlueCatalog::Open(Env::Default(), dir_ + "/catalog", "123456789012", &clock_);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    return catalog.ok() ? std::move(*catalog) : nullptr;
  }
  static json::object TableInput(std::string_view name, std::string_view type) {
    return json::object{
        {"Name", name},
        {"StorageDescriptor", {{"Columns", json::array{json::object{{"Name", "n"}, {"Type", type}}}}}}};
  }

  std::string dir_;
  FakeClock clock_;
};

TEST_F(GlueCatalogTest, NamesAreLowerCaseAndFoundInAnyCase) {
  auto catalog = Open();
  ASSERT_TRUE(catalog->CreateDatabase(json::object{{"Name", "Analytics"}, {"Description", "d"}}).ok());
  EXPECT_EQ(catalog->CreateDatabase(json::object{{"Name", "analytics"}}).code(), StatusCode::kAlreadyExists);
  auto database = catalog->GetDatabase("ANALYTICS");
  ASSERT_TRUE(database.ok());
  EXPECT_EQ(database->at("Name"), "analytics");
  EXPECT_EQ(database->at("CatalogId"), "123456789012");
  ASSERT_TRUE(catalog->CreateTable("analytics", TableInput("Events", "int")).ok());
  EXPECT_EQ(catalog->CreateTable("analytics", TableInput("events", "int")).code(), StatusCode::kAlreadyExists);
  auto table = catalog->GetTable("Analytics", "EVENTS");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->at("Name"), "events");
  EXPECT_EQ(table->at("DatabaseName"), "analytics");
  EXPECT_EQ(table->at("VersionId"), "1");
  EXPECT_EQ(catalog->GetTable("analytics", "nope").status().message(), "Table nope not found.");
  EXPECT_EQ(catalog->GetTable("nope", "events").status().message(), "Database nope not found.");
  EXPECT_EQ(catalog->CreateTable("nope", TableInput("t", "int")).code(), StatusCode::kNotFound);
}

TEST_F(GlueCatalogTest, EveryUpdateIsAVersionAndAllSurviveReopening) {
  {
    auto catalog = Open();
    ASSERT_TRUE(catalog->CreateDatabase(json::object{{"Name", "db"}}).ok());
    ASSERT_TRUE(catalog->CreateTable("db", TableInput("t", "int")).ok());
    clock_.Advance(1000);
    ASSERT_TRUE(catalog->UpdateTable("db", TableInput("t", "bigint"), std::nullopt, false).ok());
    EXPECT_EQ(catalog->UpdateTable("db", TableInput("t", "string"), std::string("1"), false).code(),
              StatusCode::kFailedPrecondition);
    ASSERT_TRUE(catalog->UpdateTable("db", TableInput("t", "double"), std::string("2"), false).ok());
  }
  auto catalog = Open();
  auto versions = catalog->TableVersions("db", "t");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].at("VersionId"), "3");
  EXPECT_EQ((*versions)[2].at("VersionId"), "1");
  auto first = catalog->GetTableVersion("db", "t", std::string("1"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->at("Table").at("StorageDescriptor").at("Columns").at(0).at("Type"), "int");
  auto latest = catalog->GetTableVersion("db", "t", std::nullopt);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->at("Table").at("StorageDescriptor").at("Columns").at(0).at("Type"), "double");
  // The create time stays the first version's; the update time moves.
  EXPECT_EQ(latest->at("Table").at("CreateTime"), first->at("Table").at("CreateTime"));
  EXPECT_NE(latest->at("Table").at("UpdateTime"), first->at("Table").at("UpdateTime"));
  EXPECT_EQ(catalog->GetTableVersion("db", "t", std::string("9")).status().code(), StatusCode::kNotFound);
  // SkipArchive replaces the latest version instead of adding one.
  ASSERT_TRUE(catalog->UpdateTable("db", TableInput("t", "string"), std::nullopt, true).ok());
  versions = catalog->TableVersions("db", "t");
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].at("VersionId"), "4");
  EXPECT_EQ((*versions)[1].at("VersionId"), "2");
}

TEST_F(GlueCatalogTest, ExpressionsAndDeletion) {
  auto catalog = Open();
  ASSERT_TRUE(catalog->CreateDatabase(json::object{{"Name", "db"}}).ok());
  for (const char* name : {"web_logs", "web_clicks", "orders"}) {
    ASSERT_TRUE(catalog->CreateTable("db", TableInput(name, "int")).ok());
  }
  auto names = [&](std::string_view expression) {
    std::vector<std::string> out;
    auto tables = catalog->Tables("db", expression);
    for (const json::object& t : *tables) out.emplace_back(t.at("Name").as_string());
    return out;
  };
  EXPECT_EQ(names(""), (std::vector<std::string>{"orders", "web_clicks", "web_logs"}));
  EXPECT_EQ(names("web*"), (std::vector<std::string>{"web_clicks", "web_logs"}));
  EXPECT_EQ(names("*LOGS|orders"), (std::vector<std::string>{"orders", "web_logs"}));
  ASSERT_TRUE(catalog->DeleteTable("db", "orders").ok());
  EXPECT_EQ(catalog->DeleteTable("db", "orders").code(), StatusCode::kNotFound);
  ASSERT_TRUE(catalog->DeleteDatabase("db").ok());
  EXPECT_EQ(catalog->GetTable("db", "web_logs").status().code(), StatusCode::kNotFound);
  auto reopened = Open();
  EXPECT_TRUE(reopened->Databases().empty());
}

}  // namespace
}  // namespace hydrant::schema
