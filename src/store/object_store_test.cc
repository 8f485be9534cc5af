// Tests for ObjectStore on the real file system: atomicity, tricky keys, escapes, listings,
// ranges and multipart uploads.
#include "store/object_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "store/key_path.h"

namespace hydrant::store {
namespace {

namespace fs = std::filesystem;

std::optional<StoreError> Err(const Status& s) { return ErrorOf(s); }
std::string Unquoted(const std::string& s) { return s.substr(1, s.size() - 2); }
template <typename T>
std::optional<StoreError> Err(const Result<T>& r) {
  return r.ok() ? std::nullopt : ErrorOf(r.status());
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/object_store_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/buckets";
    Open();
    ASSERT_TRUE(store_->CreateBucket("bucket").ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Open(uint64_t min_part_bytes = 5) {
    store_ = std::make_unique<ObjectStore>(Env::Default(), root_, &clock_,
                                           ObjectStoreOptions{min_part_bytes});
    ASSERT_TRUE(store_->Init().ok());
  }

  void Put(const std::string& key, const std::string& data = "x") {
    Status s = store_->PutObject("bucket", key, data, "text/plain");
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
  }
  std::string Get(const std::string& key) {
    auto r = store_->GetObject("bucket", key);
    return r.ok() ? r->data : "<" + r.status().ToString() + ">";
  }

  // Every regular file below dir_, relative to it.
  std::vector<std::string> AllFiles() {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      if (!entry.is_directory()) files.push_back(fs::relative(entry.path(), dir_).string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  std::vector<std::string> StagedFiles() {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root_ + "/bucket/.hydrant")) {
      if (entry.is_regular_file() && entry.path().filename() != "bucket.json") {
        files.push_back(entry.path().string());
      }
    }
    return files;
  }

  // Pages through a listing and returns keys and common prefixes in order ("P:" marks prefixes).
  std::vector<std::string> ListAll(ListRequest request, int* pages = nullptr) {
    std::vector<std::string> items;
    for (int page = 0;; ++page) {
      auto r = store_->ListObjects("bucket", request);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return items;
      // A page holds keys and prefixes interleaved in order; merge them back.
      std::vector<std::string> page_items;
      for (const auto& o : r->objects) page_items.push_back(o.key);
      for (const auto& p : r->common_prefixes) page_items.push_back("P:" + p);
      std::sort(page_items.begin(), page_items.end(),
                [](const std::string& a, const std::string& b) {
                  auto strip = [](const std::string& s) {
                    return s.rfind("P:", 0) == 0 ? s.substr(2) : s;
                  };
                  return strip(a) < strip(b);
                });
      EXPECT_LE(static_cast<int>(page_items.size()), request.max_keys);
      items.insert(items.end(), page_items.begin(), page_items.end());
      if (!r->truncated) {
        if (pages) *pages = page + 1;
        return items;
      }
      EXPECT_FALSE(r->next_after.empty());
      request.after = r->next_after;
      if (page > 10000) {
        ADD_FAILURE() << "listing does not end";
        return items;
      }
    }
  }

  std::string dir_, root_;
  FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(ObjectStoreTest, ErrorsCarryS3CodesAndStatusCodes) {
  Status s = MakeError(StoreError::kNoSuchBucket, "gone");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrorOf(s), StoreError::kNoSuchBucket);
  EXPECT_EQ(ErrorMessage(s), "gone");
  EXPECT_STREQ(ErrorName(StoreError::kKeyTooLongError), "KeyTooLongError");
  EXPECT_EQ(ErrorOf(Status::NotFound("NoSuchBucket: but not from the store? same shape")),
            StoreError::kNoSuchBucket);
  EXPECT_EQ(ErrorOf(Status::IOError("disk")), std::nullopt);
  EXPECT_EQ(ErrorOf(Status::IOError("NoSuchKey: wrong status code")), std::nullopt);
}

TEST_F(ObjectStoreTest, BucketLifecycle) {
  EXPECT_TRUE(store_->BucketExists("bucket"));
  EXPECT_FALSE(store_->BucketExists("other"));
  EXPECT_FALSE(store_->BucketExists("../etc"));
  EXPECT_EQ(Err(store_->CreateBucket("bucket")), StoreError::kBucketAlreadyOwnedByYou);
  EXPECT_EQ(Err(store_->CreateBucket("Bad_Name")), StoreError::kInvalidBucketName);
  EXPECT_EQ(Err(store_->CreateBucket("..")), StoreError::kInvalidBucketName);
  clock_.Advance(5000);
  ASSERT_TRUE(store_->CreateBucket("another", "ap-northeast-2").ok());

  auto buckets = store_->ListBuckets();
  ASSERT_TRUE(buckets.ok());
  ASSERT_EQ(buckets->size(), 2u);
  EXPECT_EQ((*buckets)[0].name, "another");
  EXPECT_EQ((*buckets)[0].creation_millis, clock_.NowMillis());
  EXPECT_EQ((*buckets)[0].location, "ap-northeast-2");
  EXPECT_EQ((*buckets)[1].name, "bucket");
  EXPECT_EQ((*buckets)[1].creation_millis, clock_.NowMillis() - 5000);

  Put("dir/obj");
  EXPECT_EQ(Err(store_->DeleteBucket("bucket")), StoreError::kBucketNotEmpty);
  ASSERT_TRUE(store_->DeleteObject("bucket", "dir/obj").ok());
  ASSERT_TRUE(store_->DeleteBucket("bucket").ok());
  EXPECT_FALSE(store_->BucketExists("bucket"));
  EXPECT_FALSE(fs::exists(root_ + "/bucket"));
  EXPECT_EQ(Err(store_->DeleteBucket("bucket")), StoreError::kNoSuchBucket);
  EXPECT_EQ(Err(store_->PutObject("bucket", "k", "x", "")), StoreError::kNoSuchBucket);
  EXPECT_EQ(Err(store_->GetObject("bucket", "k")), StoreError::kNoSuchBucket);
  EXPECT_EQ(Err(store_->ListObjects("bucket", {})), StoreError::kNoSuchBucket);
  EXPECT_EQ(Err(store_->DeleteObject("bucket", "k")), StoreError::kNoSuchBucket);
  EXPECT_FALSE(fs::exists(root_ + "/bucket")) << "a failed put must not resurrect the bucket";
}

TEST_F(ObjectStoreTest, MissingRootIsAnEmptyStore) {
  ObjectStore fresh(Env::Default(), dir_ + "/not-yet", &clock_);
  auto buckets = fresh.ListBuckets();
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  EXPECT_TRUE(buckets->empty());
  EXPECT_FALSE(fresh.BucketExists("bucket"));
  ASSERT_TRUE(fresh.CreateBucket("bucket").ok());
  EXPECT_EQ(fresh.ListBuckets()->size(), 1u);
}

TEST_F(ObjectStoreTest, HandMadeBucketFolderIsABucket) {
  fs::create_directories(root_ + "/by-hand");
  EXPECT_TRUE(store_->BucketExists("by-hand"));
  auto info = store_->GetBucket("by-hand");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->creation_millis, clock_.NowMillis());
  ASSERT_TRUE(store_->PutObject("by-hand", "k", "v", "").ok());
}

TEST_F(ObjectStoreTest, PutGetHeadDelete) {
  PutOptions options;
  options.content_type = "application/json";
  options.user_metadata = {{"origin", "test"}};
  options.headers = {{"Content-Encoding", "gzip"}};
  auto put = store_->PutObject("bucket", "dir/hello.json", "hello", options);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, "\"5d41402abc4b2a76b9719d911017c592\"");

  auto head = store_->HeadObject("bucket", "dir/hello.json");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(head->etag, "\"5d41402abc4b2a76b9719d911017c592\"");
  EXPECT_EQ(head->content_type, "application/json");
  EXPECT_EQ(head->last_modified_millis, clock_.NowMillis());
  EXPECT_EQ(head->user_metadata.at("origin"), "test");
  EXPECT_EQ(head->headers.at("Content-Encoding"), "gzip");
  EXPECT_EQ(Get("dir/hello.json"), "hello");

  // The file on disk starts with the object's bytes and is named after the key.
  std::ifstream file(root_ + "/bucket/dir/hello.json@");
  std::string first(5, '\0');
  file.read(first.data(), 5);
  EXPECT_EQ(first, "hello");

  ASSERT_TRUE(store_->PutObject("bucket", "untyped", "", PutOptions{}).ok());
  EXPECT_EQ(store_->HeadObject("bucket", "untyped")->content_type, "binary/octet-stream");
  EXPECT_EQ(store_->HeadObject("bucket", "untyped")->size, 0u);
  EXPECT_EQ(Get("untyped"), "");

  EXPECT_EQ(Err(store_->GetObject("bucket", "missing")), StoreError::kNoSuchKey);
  EXPECT_EQ(Err(store_->HeadObject("bucket", "missing")), StoreError::kNoSuchKey);
  EXPECT_EQ(Err(store_->HeadObject("bucket", "dir")), StoreError::kNoSuchKey);  // a directory
  ASSERT_TRUE(store_->DeleteObject("bucket", "dir/hello.json").ok());
  ASSERT_TRUE(store_->DeleteObject("bucket", "dir/hello.json").ok());  // idempotent
  EXPECT_EQ(Err(store_->GetObject("bucket", "dir/hello.json")), StoreError::kNoSuchKey);
  EXPECT_FALSE(fs::exists(root_ + "/bucket/dir")) << "empty directories are pruned";
}

TEST_F(ObjectStoreTest, OverwriteReplacesAndLeavesNoTempFiles) {
  Put("k", "first version");
  clock_.Advance(1000);
  Put("k", "second");
  EXPECT_EQ(Get("k"), "second");
  EXPECT_EQ(store_->HeadObject("bucket", "k")->last_modified_millis, clock_.NowMillis());
  EXPECT_TRUE(StagedFiles().empty());
  auto list = store_->ListObjects("bucket", {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->objects.size(), 1u);
  EXPECT_EQ(list->objects[0].key, "k");
  EXPECT_EQ(list->objects[0].size, 6u);
}

TEST_F(ObjectStoreTest, ConcurrentWritersAndReadersNeverSeeAMix) {
  std::vector<std::string> versions;
  for (char c : std::string("abcdefgh")) versions.push_back(std::string(256 * 1024, c));
  Put("hot", versions[0]);
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = store_->GetObject("bucket", "hot");
      ++reads;
      if (!r.ok() || std::find(versions.begin(), versions.end(), r->data) == versions.end() ||
          r->info.etag != "\"" + HexEncode(Md5(r->data)) + "\"") {
        ++bad_reads;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 20; ++i) {
        EXPECT_TRUE(
            store_->PutObject("bucket", "hot", versions[(w * 20 + i) % versions.size()], "").ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_NE(std::find(versions.begin(), versions.end(), Get("hot")), versions.end());
  EXPECT_TRUE(StagedFiles().empty());
}

TEST_F(ObjectStoreTest, ConcurrentPutsAndDeletesInOneDirectory) {
  // Deletes prune directories that puts are about to use; every put must still land.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string key = "d/e/f/" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(store_->PutObject("bucket", key, "v", "").ok());
        if (i % 2 == 0) {
          EXPECT_TRUE(store_->DeleteObject("bucket", key).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto keys = ListAll({});
  EXPECT_EQ(keys.size(), 100u);
}

TEST_F(ObjectStoreTest, TrickyKeysRoundTrip) {
  std::vector<std::string> keys = {"a",
                                   "a/b",
                                   "a/b/c",
                                   "a//b",
                                   "folder/",
                                   "/abs",
                                   "//",
                                   "a b+c=d?&#",
                                   "100%",
                                   "x@y",
                                   ".hidden",
                                   "dir/.keep",
                                   "%2e%2e/x",
                                   "a/../b",
                                   "./x",
                                   "a/.",
                                   "tab\there",
                                   "한글/키.json",
                                   std::string(1024, 'L'),
                                   std::string(300, 'm') + "/" + std::string(300, 'n'),
                                   std::string(1023, '/') + "z"};
  for (size_t i = 0; i < keys.size(); ++i) Put(keys[i], "value " + std::to_string(i));
  for (size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(Get(keys[i]), "value " + std::to_string(i)) << keys[i];
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ListAll({}), sorted);
  for (const std::string& key : keys) ASSERT_TRUE(store_->DeleteObject("bucket", key).ok()) << key;
  EXPECT_TRUE(ListAll({}).empty());
  // Every directory the keys created is gone again.
  EXPECT_EQ(std::distance(fs::directory_iterator(root_ + "/bucket"), fs::directory_iterator()), 1);
}

TEST_F(ObjectStoreTest, EscapeAttemptsStayInsideTheBucket) {
  for (std::string key : {"../x", "a/../../x", "..", "../../../../etc/passwd", "./../x"}) {
    EXPECT_EQ(Err(store_->PutObject("bucket", key, "evil", "")), StoreError::kInvalidArgument)
        << key;
    EXPECT_EQ(Err(store_->GetObject("bucket", key)), StoreError::kInvalidArgument) << key;
    EXPECT_EQ(Err(store_->DeleteObject("bucket", key)), StoreError::kInvalidArgument) << key;
  }
  EXPECT_EQ(Err(store_->PutObject("bucket", std::string("a\0/../x", 7), "evil", "")),
            StoreError::kInvalidArgument);
  EXPECT_EQ(Err(store_->PutObject("bucket", std::string(1025, 'k'), "evil", "")),
            StoreError::kKeyTooLongError);
  EXPECT_EQ(Err(store_->PutObject("..", "x", "evil", "")), StoreError::kInvalidBucketName);
  EXPECT_EQ(Err(store_->PutObject("bucket/..", "x", "evil", "")), StoreError::kInvalidBucketName);
  EXPECT_EQ(Err(store_->CreateMultipartUpload("bucket", "../x", {})), StoreError::kInvalidArgument);
  // Valid keys that look like escapes are stored literally, inside the bucket.
  for (std::string key : {"/abs", "/etc/passwd", "%2e%2e/x", "a/../b", "./x", "..%2F..%2Fx", "...",
                          ".hydrant/tmp/x"}) {
    Put(key, "literal");
    EXPECT_EQ(Get(key), "literal");
  }
  for (const std::string& file : AllFiles()) {
    EXPECT_EQ(file.rfind("buckets/bucket/", 0), 0u) << file << " is outside the bucket folder";
  }
  EXPECT_TRUE(StagedFiles().empty()) << "'.hydrant/tmp/x' must not land in the staging area";
  EXPECT_EQ(Get(".hydrant/tmp/x"), "literal");
}

TEST_F(ObjectStoreTest, ForeignFilesInTheBucketFolderAreIgnored) {
  Put("real");
  std::ofstream(root_ + "/bucket/readme.txt") << "not an object";
  std::ofstream(root_ + "/bucket/.DS_Store") << "junk";
  std::ofstream(root_ + "/bucket/bad%zz@") << "junk";
  std::ofstream(root_ + "/bucket/%41@") << "non-canonical";
  EXPECT_EQ(ListAll({}), std::vector<std::string>{"real"});
}

TEST_F(ObjectStoreTest, CorruptObjectFileIsAnErrorNotACrash) {
  Put("k", "data");
  std::ofstream(root_ + "/bucket/k@", std::ios::trunc) << "no trailer here";
  auto r = store_->GetObject("bucket", "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ErrorOf(r.status()), std::nullopt);
}

TEST_F(ObjectStoreTest, InitRemovesStaleTempFiles) {
  fs::create_directories(root_ + "/bucket/.hydrant/tmp");
  std::ofstream(root_ + "/bucket/.hydrant/tmp/leftover") << "half an object";
  fs::create_directories(root_ + "/.tmp/half-made-bucket");
  Open();
  EXPECT_TRUE(StagedFiles().empty());
  EXPECT_FALSE(fs::exists(root_ + "/.tmp/half-made-bucket"));
  auto buckets = store_->ListBuckets();
  ASSERT_TRUE(buckets.ok());
  EXPECT_EQ(buckets->size(), 1u);
}

TEST_F(ObjectStoreTest, ListingWithPrefixAndDelimiter) {
  for (std::string key :
       {"2026/08/07/10/a.gz", "2026/08/07/10/b.gz", "2026/08/07/11/c.gz", "2026/08/08/00/d.gz",
        "2026/09/01/00/e.gz", "2027/x", "root.txt", "a-b", "a/b", "a0", "a"}) {
    Put(key);
  }
  auto list = [&](std::string prefix, std::string delimiter, int max_keys = 1000) {
    ListRequest r;
    r.prefix = prefix;
    r.delimiter = delimiter;
    r.max_keys = max_keys;
    return ListAll(r);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(list("", "/"), (V{"P:2026/", "P:2027/", "a", "a-b", "P:a/", "a0", "root.txt"}));
  EXPECT_EQ(list("2026/", "/"), (V{"P:2026/08/", "P:2026/09/"}));
  EXPECT_EQ(list("2026/08/07/", ""),
            (V{"2026/08/07/10/a.gz", "2026/08/07/10/b.gz", "2026/08/07/11/c.gz"}));
  EXPECT_EQ(list("2026/08/0", "/"), (V{"P:2026/08/07/", "P:2026/08/08/"}));
  EXPECT_EQ(list("2026/08/07/10/a", ""), (V{"2026/08/07/10/a.gz"}));
  EXPECT_EQ(list("a", ""), (V{"a", "a-b", "a/b", "a0"}));
  EXPECT_EQ(list("a", "/"), (V{"a", "a-b", "P:a/", "a0"}));
  EXPECT_EQ(list("", "0"), (V{"P:20", "a", "a-b", "a/b", "P:a0", "root.txt"}));
  EXPECT_EQ(list("2026/", "0"), (V{"P:2026/0"}));
  EXPECT_EQ(list("2026/08/", "1"), (V{"P:2026/08/07/1", "2026/08/08/00/d.gz"}));
  EXPECT_EQ(list("", "/08/"),
            (V{"P:2026/08/", "2026/09/01/00/e.gz", "2027/x", "a", "a-b", "a/b", "a0", "root.txt"}));
  EXPECT_EQ(list("nothing", "/"), V{});
  // Pages of one item, whether it is a key or a common prefix.
  int pages = 0;
  ListRequest one;
  one.delimiter = "/";
  one.max_keys = 1;
  EXPECT_EQ(ListAll(one, &pages), (V{"P:2026/", "P:2027/", "a", "a-b", "P:a/", "a0", "root.txt"}));
  EXPECT_EQ(pages, 7);
  // start-after
  ListRequest after;
  after.after = "2026/08/07/11/c.gz";
  EXPECT_EQ(ListAll(after), (V{"2026/08/08/00/d.gz", "2026/09/01/00/e.gz", "2027/x", "a", "a-b",
                               "a/b", "a0", "root.txt"}));
  after.after = "2026/08/07/10/";
  after.delimiter = "/";
  after.prefix = "2026/08/07/";
  EXPECT_EQ(ListAll(after), (V{"P:2026/08/07/11/"}));
}

TEST_F(ObjectStoreTest, EmptyDirectoriesAreNotCommonPrefixes) {
  Put("keep/x");
  fs::create_directories(root_ + "/bucket/empty/deeper");  // e.g. left by a crash
  ListRequest r;
  r.delimiter = "/";
  EXPECT_EQ(ListAll(r), std::vector<std::string>{"P:keep/"});
}

TEST_F(ObjectStoreTest, TruncatedPageReportsWhereToContinue) {
  for (std::string key : {"k0", "k1", "k2", "k3", "k4"}) Put(key);
  ListRequest r;
  r.max_keys = 2;
  auto page = store_->ListObjects("bucket", r);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->truncated);
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->next_after, "k1");
  r.max_keys = 5;
  page = store_->ListObjects("bucket", r);
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->objects.size(), 5u);
  EXPECT_EQ(page->objects[4].etag, "\"9dd4e461268c8034f5c8564e155c67a6\"");  // md5("x")
}

// Reference semantics: every key > after, rolled up at the first delimiter after the prefix;
// an item (key or common prefix) is returned when it sorts after `after`.
std::vector<std::string> ReferenceList(const std::set<std::string>& keys, const std::string& prefix,
                                       const std::string& delimiter) {
  std::vector<std::string> out;
  std::string last_prefix;
  for (const std::string& key : keys) {
    if (key.rfind(prefix, 0) != 0) continue;
    size_t pos = delimiter.empty() ? std::string::npos : key.find(delimiter, prefix.size());
    if (pos == std::string::npos) {
      out.push_back(key);
    } else {
      std::string common = key.substr(0, pos + delimiter.size());
      if (common != last_prefix) out.push_back("P:" + common);
      last_prefix = common;
    }
  }
  return out;
}

TEST_F(ObjectStoreTest, RandomListingsMatchTheReference) {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab/-.~";
  std::set<std::string> keys;
  while (keys.size() < 300) {
    std::string key;
    int length = 1 + rng() % 7;
    for (int i = 0; i < length; ++i) key += alphabet[rng() % alphabet.size()];
    if (ValidateObjectKey(key).ok()) keys.insert(key);
  }
  keys.insert(std::string(230, 'a') + "/b");  // chunked components take part too
  keys.insert(std::string(230, 'a') + "b");
  keys.insert(std::string(230, 'a'));
  for (const std::string& key : keys) Put(key);
  for (std::string prefix : {"", "a", "a/", "b/a", "-", "a/b/"}) {
    for (std::string delimiter : {"", "/", "a", "-.", "b/"}) {
      std::vector<std::string> expected = ReferenceList(keys, prefix, delimiter);
      for (int max_keys : {1, 3, 1000}) {
        ListRequest r;
        r.prefix = prefix;
        r.delimiter = delimiter;
        r.max_keys = max_keys;
        ASSERT_EQ(ListAll(r), expected)
            << "prefix=" << prefix << " delimiter=" << delimiter << " max_keys=" << max_keys;
      }
    }
  }
}

TEST_F(ObjectStoreTest, Ranges) {
  Put("r", "0123456789");
  auto range = [&](ByteRange br) { return store_->GetObject("bucket", "r", br); };
  auto r = range({2, 4, std::nullopt});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, "234");
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->first, 2u);
  EXPECT_EQ(r->last, 4u);
  EXPECT_EQ(range({7, std::nullopt, std::nullopt})->data, "789");
  EXPECT_EQ(range({8, 100, std::nullopt})->data, "89");
  EXPECT_EQ(range({8, 100, std::nullopt})->last, 9u);
  EXPECT_EQ(range({0, 0, 3})->data, "789");
  EXPECT_EQ(range({0, 0, 3})->first, 7u);
  EXPECT_EQ(range({0, 0, 50})->data, "0123456789");
  EXPECT_EQ(range({0, 9, std::nullopt})->partial, true);
  EXPECT_EQ(Err(range({10, std::nullopt, std::nullopt})), StoreError::kInvalidRange);
  EXPECT_EQ(Err(range({0, 0, 0})), StoreError::kInvalidRange);
  Put("empty", "");
  EXPECT_EQ(Err(store_->GetObject("bucket", "empty", ByteRange{0, std::nullopt, std::nullopt})),
            StoreError::kInvalidRange);
  EXPECT_FALSE(store_->GetObject("bucket", "r")->partial);
}

TEST_F(ObjectStoreTest, MultipartUpload) {
  PutOptions options;
  options.content_type = "text/csv";
  auto id = store_->CreateMultipartUpload("bucket", "big/file.csv", options);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->size(), 32u);
  auto e1 = store_->UploadPart("bucket", "big/file.csv", *id, 1, "part one|");
  auto e2 = store_->UploadPart("bucket", "big/file.csv", *id, 2, "part two|");
  auto e3 = store_->UploadPart("bucket", "big/file.csv", *id, 3, "three");
  ASSERT_TRUE(e1.ok() && e2.ok() && e3.ok());
  EXPECT_EQ(*e1, "\"" + HexEncode(Md5("part one|")) + "\"");
  // Parts are invisible until completion.
  EXPECT_EQ(Err(store_->GetObject("bucket", "big/file.csv")), StoreError::kNoSuchKey);
  EXPECT_TRUE(ListAll({}).empty());
  // A part may be re-uploaded; the last one counts.
  e2 = store_->UploadPart("bucket", "big/file.csv", *id, 2, "PART TWO|");
  ASSERT_TRUE(e2.ok());

  EXPECT_EQ(
      Err(store_->CompleteMultipartUpload("bucket", "big/file.csv", *id, {{2, *e2}, {1, *e1}})),
      StoreError::kInvalidPartOrder);
  EXPECT_EQ(
      Err(store_->CompleteMultipartUpload("bucket", "big/file.csv", *id, {{1, *e1}, {2, *e1}})),
      StoreError::kInvalidPart);
  EXPECT_EQ(
      Err(store_->CompleteMultipartUpload("bucket", "big/file.csv", *id, {{1, *e1}, {4, *e1}})),
      StoreError::kInvalidPart);
  EXPECT_EQ(Err(store_->CompleteMultipartUpload("bucket", "other", *id, {{1, *e1}})),
            StoreError::kNoSuchUpload);
  auto done = store_->CompleteMultipartUpload("bucket", "big/file.csv", *id,
                                              {{1, *e1}, {2, Unquoted(*e2)}, {3, *e3}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  std::string md5s = Md5("part one|") + Md5("PART TWO|") + Md5("three");
  EXPECT_EQ(done->etag, "\"" + HexEncode(Md5(md5s)) + "-3\"");
  EXPECT_EQ(Get("big/file.csv"), "part one|PART TWO|three");
  auto head = store_->HeadObject("bucket", "big/file.csv");
  EXPECT_EQ(head->content_type, "text/csv");
  EXPECT_EQ(head->etag, done->etag);
  EXPECT_EQ(head->size, 23u);
  EXPECT_TRUE(StagedFiles().empty()) << "upload directory and temp files are removed";
  EXPECT_EQ(Err(store_->UploadPart("bucket", "big/file.csv", *id, 1, "late")),
            StoreError::kNoSuchUpload);
}

TEST_F(ObjectStoreTest, MultipartLimitsAndAbort) {
  Open(/*min_part_bytes=*/10);
  auto id = store_->CreateMultipartUpload("bucket", "k", {});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(Err(store_->UploadPart("bucket", "k", *id, 0, "x")), StoreError::kInvalidArgument);
  EXPECT_EQ(Err(store_->UploadPart("bucket", "k", *id, 10001, "x")), StoreError::kInvalidArgument);
  auto small = store_->UploadPart("bucket", "k", *id, 1, "small");
  auto last = store_->UploadPart("bucket", "k", *id, 2, "x");
  EXPECT_EQ(Err(store_->CompleteMultipartUpload("bucket", "k", *id, {{1, *small}, {2, *last}})),
            StoreError::kEntityTooSmall);
  EXPECT_EQ(Err(store_->CompleteMultipartUpload("bucket", "k", *id, {})),
            StoreError::kInvalidArgument);
  // The last (or only) part may be small.
  auto one = store_->CreateMultipartUpload("bucket", "one", {});
  auto only = store_->UploadPart("bucket", "one", *one, 1, "tiny");
  ASSERT_TRUE(store_->CompleteMultipartUpload("bucket", "one", *one, {{1, *only}}).ok());
  EXPECT_EQ(Get("one"), "tiny");

  ASSERT_TRUE(store_->AbortMultipartUpload("bucket", "k", *id).ok());
  EXPECT_EQ(Err(store_->AbortMultipartUpload("bucket", "k", *id)), StoreError::kNoSuchUpload);
  EXPECT_EQ(Err(store_->UploadPart("bucket", "k", *id, 1, "x")), StoreError::kNoSuchUpload);
  for (std::string bad : std::vector<std::string>{
           "../../../../etc", "", "ABCDEF0123456789ABCDEF0123456789", *id + "/.."}) {
    EXPECT_EQ(Err(store_->UploadPart("bucket", "k", bad, 1, "x")), StoreError::kNoSuchUpload)
        << bad;
    EXPECT_EQ(Err(store_->AbortMultipartUpload("bucket", "k", bad)), StoreError::kNoSuchUpload)
        << bad;
  }
  EXPECT_EQ(Err(store_->UploadPart("missing-bucket", "k", *id, 1, "x")), StoreError::kNoSuchBucket);
  EXPECT_TRUE(StagedFiles().empty());
}

TEST_F(ObjectStoreTest, DeleteBucketDiscardsPendingUploads) {
  auto id = store_->CreateMultipartUpload("bucket", "k", {});
  ASSERT_TRUE(store_->UploadPart("bucket", "k", *id, 1, "x").ok());
  ASSERT_TRUE(store_->DeleteBucket("bucket").ok());
  EXPECT_FALSE(fs::exists(root_ + "/bucket"));
  EXPECT_EQ(Err(store_->UploadPart("bucket", "k", *id, 1, "x")), StoreError::kNoSuchBucket);
}

}  // namespace
}  // namespace hydrant::store

namespace hydrant::store {
namespace {

// Server-side encryption: sealed on disk, bound to its name, opened on read (ranges too).
TEST(ObjectStoreEncryptionTest, SealedObjectsAreOpenedOnlyWhereTheyWereWritten) {
  char tmpl[] = "/tmp/object_store_sse.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto keys = KeyRing::Open(Env::Default(), dir + "/keys", {});
  ASSERT_TRUE(keys.ok());
  FakeClock clock;
  ObjectStore store(Env::Default(), dir + "/buckets", &clock, {.min_part_bytes = 5, .keys = keys->get()});
  ASSERT_TRUE(store.Init().ok());
  ASSERT_TRUE(store.CreateBucket("bucket").ok());
  PutOptions sse;
  sse.sse = "AES256";
  const std::string body = "secret-marker and more bytes";
  auto put = store.PutObject("bucket", "a/b", body, sse);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->sse, "AES256");
  EXPECT_EQ(put->size, body.size());
  std::string on_disk = *Env::Default()->ReadFile(dir + "/buckets/bucket/a/b@");
  EXPECT_EQ(on_disk.find("secret-marker"), std::string::npos);
  EXPECT_EQ(store.GetObject("bucket", "a/b")->data, body);
  EXPECT_EQ(store.GetObject("bucket", "a/b", ByteRange{.first = 7, .last = 12, .suffix = {}})->data, "marker");
  EXPECT_EQ(store.HeadObject("bucket", "a/b")->sse, "AES256");
  // Moved under another name, the sealed bytes do not open.
  ASSERT_TRUE(Env::Default()->RenameFile(dir + "/buckets/bucket/a/b@", dir + "/buckets/bucket/c@").ok());
  auto moved = store.GetObject("bucket", "c");
  EXPECT_FALSE(moved.ok());
  // Unknown methods and keys.
  sse.sse = "AES128";
  EXPECT_EQ(ErrorOf(store.PutObject("bucket", "x", body, sse).status()), StoreError::kInvalidArgument);
  sse.sse = "aws:kms";
  sse.sse_kms_key_id = "arn:aws:kms:us-east-1:123456789012:key/none";
  EXPECT_EQ(ErrorOf(store.PutObject("bucket", "x", body, sse).status()), StoreError::kKmsNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hydrant::store
