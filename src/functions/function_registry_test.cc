// FunctionRegistry tests: zip unpacking, persistence across reopen, validation, declared functions.
#include "functions/function_registry.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"

namespace hydrant::functions {
namespace {

namespace fs = std::filesystem;

// Builds a zip archive in memory from (name, contents) entries.
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string path = (fs::temp_directory_path() / ("fn-" + RandomHex(8) + ".zip")).string();
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, data] : entries) {
    auto* copy = new std::string(data);  // libzip reads it at zip_close
    zip_source_t* src = zip_source_buffer(z, copy->data(), copy->size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE), 0) << name;
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(path);
  return bytes;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

FunctionDefinition Def(const std::string& name) {
  FunctionDefinition d;
  d.name = name;
  d.runtime = "python3.11";
  d.handler = "lambda_function.lambda_handler";
  d.role = "arn:aws:iam::123456789012:role/x";
  d.environment = {{"A", "1"}};
  return d;
}

class FunctionRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("registry-" + RandomHex(8));
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::unique_ptr<FunctionRegistry> Open() {
    auto r = FunctionRegistry::Open(Env::Default(), (root_ / "functions").string(), &clock_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(*r);
  }
  fs::path root_;
  FakeClock clock_;
};

TEST_F(FunctionRegistryTest, CreateFromZipUnpacksAndSurvivesReopen) {
  std::string zip = MakeZip({{"lambda_function.py", "def lambda_handler(e, c): return e\n"},
                             {"pkg/util.py", "X = 1\n"}});
  {
    auto registry = Open();
    auto created = registry->CreateFromZip(Def("fn1"), zip);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ(created->code_sha256, CodeSha256(zip));
    EXPECT_EQ(created->code_size, static_cast<int64_t>(zip.size()));
    EXPECT_EQ(ReadAll(fs::path(created->code_dir) / "pkg" / "util.py"), "X = 1\n");
  }
  auto registry = Open();
  auto got = registry->Get("fn1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->handler, "lambda_function.lambda_handler");
  EXPECT_EQ(got->environment.at("A"), "1");
  EXPECT_EQ(got->code_sha256, CodeSha256(zip));
  EXPECT_TRUE(fs::exists(fs::path(got->code_dir) / "lambda_function.py"));
  ASSERT_EQ(registry->List().size(), 1u);
}

// Workers chdir into the code directory, so a stored path relative to the server's working
// directory (a relative --data-dir) would not resolve there.
TEST_F(FunctionRegistryTest, RelativeDirectoryStoresAbsoluteCodePaths) {
  fs::path cwd = fs::current_path();
  fs::current_path(root_);
  auto r = FunctionRegistry::Open(Env::Default(), "./data/functions", &clock_);
  fs::current_path(cwd);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto created = (*r)->CreateFromZip(Def("fn1"), MakeZip({{"lambda_function.py", "x = 1\n"}}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->code_dir, (root_ / "data" / "functions" / "fn1" / "code").string());
  EXPECT_NE(ReadAll(root_ / "data" / "functions" / "fn1" / "function.json").find(created->code_dir),
            std::string::npos);
}

// A function.json written with a relative code path (or before the data directory moved) is
// repaired at open, and the repair is persisted.
TEST_F(FunctionRegistryTest, RepairsStoredCodePathsOfOwnedCode) {
  fs::path function_dir = root_ / "functions" / "fn1";
  {
    auto registry = Open();
    ASSERT_TRUE(registry->CreateFromZip(Def("fn1"), MakeZip({{"lambda_function.py", "x = 1\n"}})).ok());
  }
  auto stored = DefinitionFromJson(ReadAll(function_dir / "function.json"));
  ASSERT_TRUE(stored.ok());
  stored->code_dir = "./hydrant-data/functions/fn1/code";
  std::ofstream(function_dir / "function.json", std::ios::trunc) << DefinitionToJson(*stored);

  std::string expected = (function_dir / "code").string();
  EXPECT_EQ(Open()->Get("fn1")->code_dir, expected);
  EXPECT_EQ(DefinitionFromJson(ReadAll(function_dir / "function.json"))->code_dir, expected);
}

TEST_F(FunctionRegistryTest, RejectsDuplicatesBadZipsAndEscapingEntries) {
  auto registry = Open();
  std::string zip = MakeZip({{"lambda_function.py", "x"}});
  ASSERT_TRUE(registry->CreateFromZip(Def("fn"), zip).ok());
  EXPECT_EQ(registry->CreateFromZip(Def("fn"), zip).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry->CreateFromZip(Def("garbage"), "not a zip at all").status().code(),
            StatusCode::kInvalidArgument);
  std::string evil = MakeZip({{"ok.py", "x"}, {"../../escaped.py", "boom"}});
  EXPECT_EQ(registry->CreateFromZip(Def("evil"), evil).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root_ / "escaped.py"));
  EXPECT_FALSE(fs::exists(root_ / "functions" / "escaped.py"));
  EXPECT_FALSE(registry->Get("evil").ok());
  EXPECT_FALSE(registry->Get("garbage").ok());
  auto bad_name = Def("bad name");
  EXPECT_EQ(registry->CreateFromZip(bad_name, zip).status().code(), StatusCode::kValidation);
  auto bad_runtime = Def("rb");
  bad_runtime.runtime = "ruby3.2";
  EXPECT_EQ(registry->CreateFromZip(bad_runtime, zip).status().code(), StatusCode::kInvalidArgument);
  // Nothing but the one function is left on disk, not even staging directories.
  std::vector<std::string> entries;
  for (auto& e : fs::directory_iterator(root_ / "functions")) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"fn"});
}

TEST_F(FunctionRegistryTest, UpdatesCodeAndConfigurationDurably) {
  auto registry = Open();
  ASSERT_TRUE(registry->CreateFromZip(Def("fn"), MakeZip({{"lambda_function.py", "v1"}})).ok());
  clock_.Advance(1000);
  std::string v2 = MakeZip({{"lambda_function.py", "v2"}});
  auto updated = registry->UpdateCodeFromZip("fn", v2);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(ReadAll(fs::path(updated->code_dir) / "lambda_function.py"), "v2");
  EXPECT_EQ(updated->code_sha256, CodeSha256(v2));
  auto configured = registry->UpdateConfiguration("fn", [](FunctionDefinition* d) {
    d->timeout_seconds = 30;
    d->environment = {{"B", "2"}};
    return Status::Ok();
  });
  ASSERT_TRUE(configured.ok());
  EXPECT_GT(configured->last_modified_millis, updated->last_modified_millis);
  auto invalid = registry->UpdateConfiguration("fn", [](FunctionDefinition* d) {
    d->timeout_seconds = 901;
    return Status::Ok();
  });
  EXPECT_EQ(invalid.status().code(), StatusCode::kValidation);
  EXPECT_EQ(registry->UpdateCodeFromZip("missing", v2).status().code(), StatusCode::kNotFound);

  registry = Open();
  auto got = registry->Get("fn");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->timeout_seconds, 30);
  EXPECT_EQ(got->environment, (std::map<std::string, std::string>{{"B", "2"}}));
  EXPECT_EQ(ReadAll(fs::path(got->code_dir) / "lambda_function.py"), "v2");

  ASSERT_TRUE(registry->Delete("fn").ok());
  EXPECT_EQ(registry->Delete("fn").code(), StatusCode::kNotFound);
  registry = Open();
  EXPECT_TRUE(registry->List().empty());
}

TEST_F(FunctionRegistryTest, LocalDirectoryAndDeclaredFunctions) {
  fs::path code = root_ / "src";
  fs::create_directories(code);
  std::ofstream(code / "lambda_function.py") << "def lambda_handler(e, c): return 1\n";
  auto registry = Open();
  auto created = registry->CreateFromDirectory(Def("dirfn"), code.string());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->code_dir, code.string());
  EXPECT_FALSE(created->code_sha256.empty());
  EXPECT_EQ(registry->CreateFromDirectory(Def("nodir"), (root_ / "missing").string()).status().code(),
            StatusCode::kInvalidArgument);

  auto declared = Def("declared");
  declared.code_dir = code.string();
  declared.concurrency = 4;
  ASSERT_TRUE(registry->RegisterDeclared(declared).ok());
  EXPECT_EQ(registry->Get("declared")->concurrency, 4);
  EXPECT_EQ(registry->Delete("declared").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry->CreateFromZip(Def("declared"), MakeZip({{"a.py", "x"}})).status().code(),
            StatusCode::kAlreadyExists);
  auto remote = Def("remote");
  remote.runtime = "";
  remote.remote_endpoint = "http://127.0.0.1:1";
  ASSERT_TRUE(registry->RegisterDeclared(remote).ok());
  EXPECT_EQ(registry->List().size(), 3u);
  // Declared functions are not persisted: the config file declares them again at each start.
  registry = Open();
  EXPECT_EQ(registry->List().size(), 1u);
}

}  // namespace
}  // namespace hydrant::functions

namespace hydrant::functions {
namespace {

TEST(ParseDeclaredFunctionTest, LocalAndRemoteEntries) {
  auto local = ParseDeclaredFunction(R"({"name":"TransformETLFunction","code_dir":"/srv/fn","runtime":"python3.11",
      "handler":"lambda_function.lambda_handler","timeout":60,"concurrency":4,"environment":{"K":"V","N":3}})");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->code_dir, "/srv/fn");
  EXPECT_EQ(local->timeout_seconds, 60);
  EXPECT_EQ(local->concurrency, 4);
  EXPECT_EQ(local->environment.at("N"), "3");
  auto remote = ParseDeclaredFunction(R"({"name":"r","endpoint":"http://127.0.0.1:9","region":"eu-west-1",
      "access_key_id":"AK","secret_access_key":"SK","function":"arn:aws:lambda:eu-west-1:1:function:x"})");
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(remote->remote_region, "eu-west-1");
  EXPECT_EQ(ParseDeclaredFunction(R"({"name":"x","code_dir":"/a","colour":"red"})").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseDeclaredFunction(R"({"name":"x"})").ok());
  EXPECT_FALSE(ParseDeclaredFunction(R"({"name":"x","code_dir":"/a","timeout":"soon"})").ok());
}

}  // namespace
}  // namespace hydrant::functions
