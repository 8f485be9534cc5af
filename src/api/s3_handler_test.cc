// Tests for S3Handler (over a real ObjectStore in a temp dir) and the S3 XML helpers.
#include "api/s3_handler.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "api/s3_xml.h"

namespace hydrant::api {
namespace {

namespace fs = std::filesystem;

// The text of the first <name> element of body ("" if none), entities decoded.
std::string Tag(const std::string& body, const std::string& name) {
  auto elements = XmlElements(body, name);
  if (!elements || elements->empty()) return "";
  return XmlText(elements->front()).value_or("<bad xml>");
}
std::vector<std::string> Tags(const std::string& body, const std::string& name) {
  std::vector<std::string> out;
  for (std::string_view raw : XmlElements(body, name).value_or(std::vector<std::string_view>{})) {
    out.push_back(XmlText(raw).value_or("<bad xml>"));
  }
  return out;
}
std::string Header(const http::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (http::CaseInsensitiveLess()(k, name) == http::CaseInsensitiveLess()(name, k)) return v;
  }
  return "";
}
int HeaderCount(const http::HttpResponse& r, std::string_view name) {
  int n = 0;
  for (const auto& [k, v] : r.headers)
    n += !http::CaseInsensitiveLess()(k, name) && !http::CaseInsensitiveLess()(name, k);
  return n;
}

class S3HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s3_handler_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<store::ObjectStore>(Env::Default(), dir_ + "/buckets", &clock_,
                                                  store::ObjectStoreOptions{5});
    ASSERT_TRUE(store_->Init().ok());
    handler_ = std::make_unique<S3Handler>(store_.get());
    ASSERT_EQ(Call("PUT", "/bucket").status, 200);
  }
  void TearDown() override { fs::remove_all(dir_); }

  http::HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::map<std::string, std::string> headers = {}) {
    http::HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    request.headers.insert(headers.begin(), headers.end());
    request.headers.emplace("Host", "127.0.0.1:4573");
    http::HttpResponse response = handler_->Handle(request);
    EXPECT_FALSE(Header(response, "x-amz-request-id").empty());
    return response;
  }
  http::HttpResponse Put(const std::string& key, const std::string& body,
                   std::map<std::string, std::string> headers = {}) {
    return Call("PUT", "/bucket/" + key, body, std::move(headers));
  }
  void ExpectError(const http::HttpResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(Tag(r.body, "Code"), code) << r.body;
    EXPECT_EQ(Header(r, "Content-Type"), "application/xml");
    EXPECT_FALSE(Tag(r.body, "RequestId").empty());
  }

  std::string dir_;
  FakeClock clock_{1754561700123};
  std::unique_ptr<store::ObjectStore> store_;
  std::unique_ptr<S3Handler> handler_;
};

TEST(S3XmlTest, EscapeAndRead) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlEscape("cr\rlf\n\x01"), "cr&#13;lf\n&#1;");
  EXPECT_EQ(XmlText("a&amp;b&lt;&#65;&#x42;&#xAC00;<![CDATA[<raw&>]]>"), "a&b<AB가<raw&>");
  EXPECT_EQ(XmlText("a&bogus;"), std::nullopt);
  EXPECT_EQ(XmlText("a<b"), std::nullopt);
  EXPECT_EQ(XmlText("&#xD800;"), std::nullopt);
  std::string xml =
      "<Delete xmlns=\"x\"><Object><Key>a</Key></Object><Object><Key/></Object>"
      "<Object>\n<Key >b&amp;c</Key><KeyMarker>no</KeyMarker></Object></Delete>";
  auto keys = XmlElements(xml, "Key");
  ASSERT_TRUE(keys.has_value());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0], "a");
  EXPECT_EQ((*keys)[1], "");
  EXPECT_EQ((*keys)[2], "b&amp;c");
  EXPECT_EQ(XmlElements("<Key>unterminated", "Key"), std::nullopt);
}

TEST_F(S3HandlerTest, Buckets) {
  http::HttpResponse list = Call("GET", "/");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(Header(list, "Content-Type"), "application/xml");
  EXPECT_NE(
      list.body.find("<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"),
      std::string::npos);
  EXPECT_EQ(Tags(list.body, "Name"), std::vector<std::string>{"bucket"});
  EXPECT_EQ(Tag(list.body, "CreationDate"), "2025-08-07T10:15:00.123Z");

  ExpectError(Call("PUT", "/bucket"), 409, "BucketAlreadyOwnedByYou");
  ExpectError(Call("PUT", "/Bad_Bucket"), 400, "InvalidBucketName");
  std::string config =
      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<LocationConstraint>ap-northeast-2</LocationConstraint></CreateBucketConfiguration>";
  http::HttpResponse created = Call("PUT", "/seoul", config);
  EXPECT_EQ(created.status, 200);
  EXPECT_EQ(Header(created, "Location"), "/seoul");
  EXPECT_EQ(Tag(Call("GET", "/seoul?location").body, "LocationConstraint"), "ap-northeast-2");
  EXPECT_EQ(Tag(Call("GET", "/bucket?location").body, "LocationConstraint"), "");
  ExpectError(Call("PUT", "/broken", "<CreateBucketConfiguration><LocationConstraint>x"), 400,
              "MalformedXML");

  http::HttpResponse head = Call("HEAD", "/seoul");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(Header(head, "x-amz-bucket-region"), "ap-northeast-2");
  http::HttpResponse missing = Call("HEAD", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.body.empty());
  EXPECT_TRUE(missing.head_only);

  ExpectError(Call("GET", "/nope"), 404, "NoSuchBucket");
  EXPECT_EQ(Tag(Call("GET", "/nope").body, "BucketName"), "nope");
  ASSERT_EQ(Put("k", "v").status, 200);
  ExpectError(Call("DELETE", "/bucket"), 409, "BucketNotEmpty");
  EXPECT_EQ(Call("DELETE", "/bucket/k").status, 204);
  EXPECT_EQ(Call("DELETE", "/bucket").status, 204);
  EXPECT_EQ(Call("HEAD", "/bucket").status, 404);
  ExpectError(Call("DELETE", "/bucket"), 404, "NoSuchBucket");
}

TEST_F(S3HandlerTest, PutGetHead) {
  http::HttpResponse put = Put("dir/a%20b%2Bc.json", "hello world",
                         {{"Content-Type", "application/json"},
                          {"x-amz-meta-Origin", "unit"},
                          {"Cache-Control", "no-cache"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Header(put, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");

  http::HttpResponse get = Call("GET", "/bucket/dir/a%20b%2Bc.json?x-id=GetObject");
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(get.body, "hello world");
  EXPECT_EQ(Header(get, "Content-Type"), "application/json");
  EXPECT_EQ(Header(get, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  EXPECT_EQ(Header(get, "Last-Modified"), "Thu, 07 Aug 2025 10:15:00 GMT");
  EXPECT_EQ(Header(get, "x-amz-meta-origin"), "unit");
  EXPECT_EQ(Header(get, "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(get, "Accept-Ranges"), "bytes");
  EXPECT_EQ(HeaderCount(get, "Content-Length"), 0) << "the server sets Content-Length";
  // The key is the decoded path: a literal "a b+c.json" inside the "dir" folder.
  EXPECT_TRUE(fs::exists(dir_ + "/buckets/bucket/dir/a b+c.json@"));

  http::HttpResponse overridden =
      Call("GET", "/bucket/dir/a%20b%2Bc.json?response-content-type=text%2Fplain");
  EXPECT_EQ(Header(overridden, "Content-Type"), "text/plain");
  EXPECT_EQ(HeaderCount(overridden, "Content-Type"), 1);

  http::HttpResponse head = Call("HEAD", "/bucket/dir/a%20b%2Bc.json");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.head_only);
  EXPECT_EQ(head.head_content_length, 11u);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(Header(head, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");

  ASSERT_EQ(Put("untyped", "x").status, 200);
  EXPECT_EQ(Header(Call("GET", "/bucket/untyped"), "Content-Type"), "binary/octet-stream");

  http::HttpResponse missing = Call("GET", "/bucket/nope");
  ExpectError(missing, 404, "NoSuchKey");
  EXPECT_EQ(Tag(missing.body, "Key"), "nope");
  EXPECT_EQ(Tag(missing.body, "Resource"), "/bucket/nope");
  http::HttpResponse head_missing = Call("HEAD", "/bucket/nope");
  EXPECT_EQ(head_missing.status, 404);
  EXPECT_TRUE(head_missing.body.empty());
  ExpectError(Call("PUT", "/nobucket/k", "v"), 404, "NoSuchBucket");
  ExpectError(Call("GET", "/bucket/" + std::string(1025, 'k')), 400, "KeyTooLongError");
}

TEST_F(S3HandlerTest, Ranges) {
  ASSERT_EQ(Put("r", "0123456789").status, 200);
  http::HttpResponse part = Call("GET", "/bucket/r", "", {{"Range", "bytes=2-4"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "234");
  EXPECT_EQ(Header(part, "Content-Range"), "bytes 2-4/10");
  EXPECT_EQ(Call("GET", "/bucket/r", "", {{"Range", "bytes=-3"}}).body, "789");
  EXPECT_EQ(Call("GET", "/bucket/r", "", {{"Range", "bytes=8-"}}).body, "89");
  EXPECT_EQ(Header(Call("GET", "/bucket/r", "", {{"Range", "bytes=8-99"}}), "Content-Range"),
            "bytes 8-9/10");
  http::HttpResponse bad = Call("GET", "/bucket/r", "", {{"Range", "bytes=10-"}});
  ExpectError(bad, 416, "InvalidRange");
  EXPECT_EQ(Header(bad, "Content-Range"), "bytes */10");
  // Unparseable or multiple ranges are ignored: the whole object.
  EXPECT_EQ(Call("GET", "/bucket/r", "", {{"Range", "bytes=1-2,4-5"}}).status, 200);
  EXPECT_EQ(Call("GET", "/bucket/r", "", {{"Range", "lines=1-2"}}).body, "0123456789");
  http::HttpResponse head = Call("HEAD", "/bucket/r", "", {{"Range", "bytes=0-3"}});
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.head_content_length, 4u);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(S3HandlerTest, Preconditions) {
  ASSERT_EQ(Put("c", "hello world").status, 200);
  std::string etag = "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"";
  EXPECT_EQ(Call("GET", "/bucket/c", "", {{"If-Match", etag}}).status, 200);
  ExpectError(Call("GET", "/bucket/c", "", {{"If-Match", "\"other\""}, {"Range", "bytes=0-1"}}),
              412, "PreconditionFailed");
  http::HttpResponse not_modified = Call("GET", "/bucket/c", "", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
  EXPECT_EQ(
      Call("GET", "/bucket/c", "", {{"If-Modified-Since", "Thu, 07 Aug 2025 10:15:00 GMT"}}).status,
      304);
  EXPECT_EQ(
      Call("GET", "/bucket/c", "", {{"If-Modified-Since", "Thu, 07 Aug 2025 10:14:59 GMT"}}).status,
      200);
  EXPECT_EQ(Call("GET", "/bucket/c", "", {{"If-Unmodified-Since", "Thu, 07 Aug 2025 10:14:59 GMT"}})
                .status,
            412);
  EXPECT_EQ(Call("HEAD", "/bucket/c", "", {{"If-Match", "\"other\""}}).status, 412);
}

TEST_F(S3HandlerTest, ChecksumsAreVerifiedAndEchoed) {
  const std::map<std::string, std::string> good = {
      {"x-amz-checksum-crc32", "DUoRhQ=="},
      {"x-amz-checksum-crc32c", "yZRlqg=="},
      {"x-amz-checksum-crc64nvme", "jSnVw/bqjr4="},
      {"x-amz-checksum-sha1", "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
      {"x-amz-checksum-sha256", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
      {"Content-MD5", "XrY7u+Ae7tCTyyK7j1rNww=="},
      {"x-amz-content-sha256", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"}};
  for (const auto& [name, value] : good) {
    http::HttpResponse r = Put("sum", "hello world", {{name, value}});
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    if (name.rfind("x-amz-checksum-", 0) == 0) {
      EXPECT_EQ(Header(r, name), value);
    }
    http::HttpResponse bad = Put("sum", "hello worlD", {{name, value}});
    ExpectError(bad, 400,
                name == "x-amz-content-sha256" ? "XAmzContentSHA256Mismatch" : "BadDigest");
  }
  ExpectError(Put("sum", "hello world", {{"Content-MD5", "not base64!"}}), 400, "InvalidDigest");
  EXPECT_EQ(Put("sum", "x", {{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}}).status, 200);
  EXPECT_EQ(Call("GET", "/bucket/sum").body, "x");  // failed PUTs stored nothing
}

TEST_F(S3HandlerTest, AwsChunkedBodies) {
  std::string signed_body =
      "5;chunk-signature=aaaa\r\nhello\r\n6;chunk-signature=bbbb\r\n "
      "world\r\n0;chunk-signature=cccc\r\n\r\n";
  http::HttpResponse r = Put("chunked", signed_body,
                       {{"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
                        {"Content-Encoding", "aws-chunked"},
                        {"x-amz-decoded-content-length", "11"},
                        {"Content-Type", "text/plain"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
  http::HttpResponse get = Call("GET", "/bucket/chunked");
  EXPECT_EQ(get.body, "hello world");
  EXPECT_EQ(HeaderCount(get, "Content-Encoding"), 0) << "aws-chunked is not stored";

  std::string trailer_body = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
  std::map<std::string, std::string> trailer_headers = {
      {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
      {"Content-Encoding", "aws-chunked,gzip"},
      {"x-amz-trailer", "x-amz-checksum-crc32"},
      {"x-amz-decoded-content-length", "11"}};
  r = Put("trailer", trailer_body, trailer_headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "x-amz-checksum-crc32"), "DUoRhQ==");
  EXPECT_EQ(Header(Call("GET", "/bucket/trailer"), "Content-Encoding"), "gzip");

  std::string bad_trailer = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  ExpectError(Put("trailer", bad_trailer, trailer_headers), 400, "BadDigest");
  trailer_headers["x-amz-decoded-content-length"] = "12";
  ExpectError(Put("trailer", trailer_body, trailer_headers), 400, "IncompleteBody");
  ExpectError(Put("trailer", "zz\r\nhello", {{"Content-Encoding", "aws-chunked"}}), 400,
              "IncompleteBody");
  ExpectError(Put("trailer", "5\r\nhel", {{"Content-Encoding", "aws-chunked"}}), 400,
              "IncompleteBody");
  EXPECT_EQ(Call("GET", "/bucket/trailer").body, "hello world");
}

TEST_F(S3HandlerTest, ListObjectsV2) {
  for (std::string key : {"a/1", "a/2", "b/1", "c", "d%20e%2Bf"})
    ASSERT_EQ(Put(key, "x").status, 200);
  http::HttpResponse all = Call("GET", "/bucket?list-type=2");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Tags(all.body, "Key"), (std::vector<std::string>{"a/1", "a/2", "b/1", "c", "d e+f"}));
  EXPECT_EQ(Tag(all.body, "KeyCount"), "5");
  EXPECT_EQ(Tag(all.body, "IsTruncated"), "false");
  EXPECT_EQ(Tag(all.body, "ETag"), "\"9dd4e461268c8034f5c8564e155c67a6\"");
  EXPECT_EQ(Tag(all.body, "Size"), "1");
  EXPECT_EQ(Tag(all.body, "StorageClass"), "STANDARD");
  EXPECT_EQ(Tag(all.body, "LastModified"), "2025-08-07T10:15:00.123Z");
  EXPECT_EQ(Tag(all.body, "Owner"), "") << "no Owner unless fetch-owner=true";
  EXPECT_NE(Tag(Call("GET", "/bucket?list-type=2&fetch-owner=true").body, "ID"), "");

  http::HttpResponse grouped = Call("GET", "/bucket?list-type=2&delimiter=%2F&encoding-type=url");
  EXPECT_EQ(Tags(grouped.body, "Key"), (std::vector<std::string>{"c", "d%20e%2Bf"}));
  EXPECT_EQ(Tags(grouped.body, "Prefix"), (std::vector<std::string>{"", "a/", "b/"}));
  EXPECT_EQ(Tag(grouped.body, "Delimiter"), "/");
  EXPECT_EQ(Tag(grouped.body, "EncodingType"), "url");
  EXPECT_EQ(Tag(grouped.body, "KeyCount"), "4");

  // Pages of two, following NextContinuationToken.
  std::vector<std::string> seen;
  std::string target = "/bucket?list-type=2&max-keys=2&prefix=";
  std::string token;
  for (int page = 0; page < 5; ++page) {
    http::HttpResponse r =
        Call("GET", target + (token.empty() ? "" : "&continuation-token=" + http::PercentEncode(token)));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Tag(r.body, "MaxKeys"), "2");
    for (const std::string& key : Tags(r.body, "Key")) seen.push_back(key);
    if (Tag(r.body, "IsTruncated") == "false") break;
    token = Tag(r.body, "NextContinuationToken");
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(Tag(r.body, "KeyCount"), "2");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a/1", "a/2", "b/1", "c", "d e+f"}));

  EXPECT_EQ(Tags(Call("GET", "/bucket?list-type=2&start-after=b%2F1").body, "Key"),
            (std::vector<std::string>{"c", "d e+f"}));
  EXPECT_EQ(Tags(Call("GET", "/bucket?list-type=2&prefix=a%2F").body, "Key"),
            (std::vector<std::string>{"a/1", "a/2"}));
  EXPECT_EQ(Tag(Call("GET", "/bucket?list-type=2&max-keys=5000").body, "MaxKeys"), "1000");
  ExpectError(Call("GET", "/bucket?list-type=2&max-keys=-1"), 400, "InvalidArgument");
  ExpectError(Call("GET", "/bucket?list-type=2&max-keys=ten"), 400, "InvalidArgument");
  ExpectError(Call("GET", "/bucket?list-type=2&continuation-token=%21%21"), 400, "InvalidArgument");
  ExpectError(Call("GET", "/bucket?list-type=2&encoding-type=base64"), 400, "InvalidArgument");
}

TEST_F(S3HandlerTest, ListObjectsV1) {
  for (std::string key : {"a/1", "a/2", "b", "c"}) ASSERT_EQ(Put(key, "x").status, 200);
  http::HttpResponse page = Call("GET", "/bucket?delimiter=%2F&max-keys=2");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(Tag(page.body, "IsTruncated"), "true");
  EXPECT_EQ(Tag(page.body, "NextMarker"), "b");
  EXPECT_EQ(Tags(page.body, "Prefix"), (std::vector<std::string>{"", "a/"}));
  EXPECT_EQ(Tags(page.body, "Key"), std::vector<std::string>{"b"});
  EXPECT_NE(Tag(page.body, "Owner"), "") << "v1 lists owners";
  http::HttpResponse next = Call("GET", "/bucket?delimiter=%2F&max-keys=2&marker=b");
  EXPECT_EQ(Tags(next.body, "Key"), std::vector<std::string>{"c"});
  EXPECT_EQ(Tag(next.body, "Marker"), "b");
  EXPECT_EQ(Tag(next.body, "IsTruncated"), "false");
  // Resuming after a common prefix does not return it again.
  EXPECT_EQ(Tags(Call("GET", "/bucket?delimiter=%2F&marker=a%2F").body, "Key"),
            (std::vector<std::string>{"b", "c"}));
}

TEST_F(S3HandlerTest, XmlEscapingOfKeys) {
  ASSERT_EQ(Put("%3Ca%26b%3E%22", "x").status, 200);
  http::HttpResponse r = Call("GET", "/bucket?list-type=2");
  EXPECT_NE(r.body.find("<Key>&lt;a&amp;b&gt;&quot;</Key>"), std::string::npos) << r.body;
  EXPECT_EQ(Tag(r.body, "Key"), "<a&b>\"");
}

TEST_F(S3HandlerTest, DeleteObjects) {
  for (std::string key : {"x", "y%26z", "keep"}) ASSERT_EQ(Put(key, "v").status, 200);
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Object><Key>x</Key></Object><Object><Key>y&amp;z</Key></Object><Object><Key>never-existed</"
      "Key></Object>"
      "<Object><Key>../escape</Key></Object></Delete>";
  http::HttpResponse r = Call("POST", "/bucket?delete", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Tags(r.body, "Key"),
            (std::vector<std::string>{"x", "y&z", "never-existed", "../escape"}));
  auto deleted = XmlElements(r.body, "Deleted");
  EXPECT_EQ(deleted->size(), 3u);
  auto errors = XmlElements(r.body, "Error");
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ(Tag(std::string(errors->front()), "Code"), "InvalidArgument");
  EXPECT_EQ(Tags(Call("GET", "/bucket?list-type=2").body, "Key"), std::vector<std::string>{"keep"});

  http::HttpResponse quiet = Call("POST", "/bucket?delete",
                            "<Delete><Quiet>true</Quiet><Object><Key>keep</Key></Object></Delete>");
  EXPECT_EQ(quiet.status, 200);
  EXPECT_EQ(Tags(quiet.body, "Key"), std::vector<std::string>{});
  EXPECT_EQ(Call("GET", "/bucket/keep").status, 404);
  ExpectError(Call("POST", "/bucket?delete", "<Delete></Delete>"), 400, "MalformedXML");
  ExpectError(Call("POST", "/bucket?delete", "garbage"), 400, "MalformedXML");
  ExpectError(Call("POST", "/nobucket?delete", "<Delete><Object><Key>a</Key></Object></Delete>"),
              404, "NoSuchBucket");
}

TEST_F(S3HandlerTest, EscapeAttemptsGetS3Errors) {
  ExpectError(Call("GET", "/bucket/..%2F..%2Fetc%2Fpasswd"), 400, "InvalidArgument");
  ExpectError(Call("PUT", "/bucket/..%2F..%2F..%2Fescaped", "evil"), 400, "InvalidArgument");
  ExpectError(Call("PUT", "/bucket/a/../../escaped", "evil"), 400, "InvalidArgument");
  ExpectError(Call("PUT", "/..%2F..%2Fescaped/x", "evil"), 400, "InvalidBucketName");
  ExpectError(Call("PUT", "/../x", "evil"), 400, "InvalidBucketName");
  ExpectError(Call("PUT", "/bucket/a%00b", "evil"), 400, "InvalidArgument");
  ExpectError(Call("GET", "/bucket/bad%zzescape"), 400, "InvalidURI");
  ASSERT_EQ(Call("POST", "/bucket/x?uploads").status, 200);
  ExpectError(Call("PUT", "/bucket/x?partNumber=1&uploadId=..%2F..%2F..%2Fetc", "evil"), 404,
              "NoSuchUpload");
  // A key that merely looks like an escape is a literal key, stored inside the bucket.
  EXPECT_EQ(Call("PUT", "/bucket/%252e%252e%252Fx", "literal").status, 200);
  EXPECT_EQ(Call("GET", "/bucket/%252e%252e%252Fx").body, "literal");
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file()) {
      EXPECT_EQ(entry.path().string().rfind(dir_ + "/buckets/bucket/", 0), 0u) << entry.path();
    }
  }
}

TEST_F(S3HandlerTest, MultipartUpload) {
  http::HttpResponse created =
      Call("POST", "/bucket/big/file.bin?uploads", "",
           {{"Content-Type", "application/x-test"}, {"x-amz-checksum-algorithm", "CRC32"}});
  ASSERT_EQ(created.status, 200) << created.body;
  std::string upload_id = Tag(created.body, "UploadId");
  ASSERT_EQ(upload_id.size(), 32u);
  EXPECT_EQ(Tag(created.body, "Key"), "big/file.bin");
  EXPECT_EQ(Tag(created.body, "Bucket"), "bucket");

  std::string part_url = "/bucket/big/file.bin?uploadId=" + upload_id + "&partNumber=";
  http::HttpResponse p1 =
      Call("PUT", part_url + "1", "first-part|", {{"x-amz-checksum-crc32", "nlYQrw=="}});
  ASSERT_EQ(p1.status, 200) << p1.body;
  EXPECT_EQ(Header(p1, "x-amz-checksum-crc32"), "nlYQrw==");
  http::HttpResponse p2 = Call("PUT", part_url + "2", "second");
  ASSERT_EQ(p2.status, 200);
  ExpectError(Call("PUT", part_url + "0", "x"), 400, "InvalidArgument");
  ExpectError(Call("PUT", part_url + "abc", "x"), 400, "InvalidArgument");

  std::string complete =
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>" +
      XmlEscape(Header(p1, "ETag")) +
      "</ETag><PartNumber>1</PartNumber>"
      "<ChecksumCRC32>ignored</ChecksumCRC32></Part>"
      "<Part><PartNumber>2</PartNumber><ETag>" +
      XmlEscape(Header(p2, "ETag")) + "</ETag></Part></CompleteMultipartUpload>";
  ExpectError(
      Call("POST", "/bucket/big/file.bin?uploadId=" + upload_id, "<CompleteMultipartUpload/>"), 400,
      "MalformedXML");
  http::HttpResponse done = Call("POST", "/bucket/big/file.bin?uploadId=" + upload_id, complete);
  ASSERT_EQ(done.status, 200) << done.body;
  std::string etag = Tag(done.body, "ETag");
  EXPECT_EQ(etag.size(), 36u);
  EXPECT_EQ(etag.substr(33), "-2\"");
  EXPECT_EQ(Tag(done.body, "Location"), "http://127.0.0.1:4573/bucket/big/file.bin");
  http::HttpResponse get = Call("GET", "/bucket/big/file.bin");
  EXPECT_EQ(get.body, "first-part|second");
  EXPECT_EQ(Header(get, "ETag"), etag);
  EXPECT_EQ(Header(get, "Content-Type"), "application/x-test");
  ExpectError(Call("POST", "/bucket/big/file.bin?uploadId=" + upload_id, complete), 404,
              "NoSuchUpload");

  http::HttpResponse again = Call("POST", "/bucket/other?uploads");
  std::string other_id = Tag(again.body, "UploadId");
  EXPECT_EQ(Call("DELETE", "/bucket/other?uploadId=" + other_id).status, 204);
  http::HttpResponse gone = Call("DELETE", "/bucket/other?uploadId=" + other_id);
  ExpectError(gone, 404, "NoSuchUpload");
  EXPECT_EQ(Tag(gone.body, "UploadId"), other_id);
}

TEST_F(S3HandlerTest, CopyObject) {
  ASSERT_EQ(Put("src", "payload", {{"Content-Type", "text/plain"}, {"x-amz-meta-a", "1"}}).status,
            200);
  http::HttpResponse copy = Call("PUT", "/bucket/dst", "", {{"x-amz-copy-source", "/bucket/src"}});
  ASSERT_EQ(copy.status, 200) << copy.body;
  EXPECT_EQ(Tag(copy.body, "ETag"), "\"321c3cf486ed509164edec1e1981fec8\"");
  http::HttpResponse get = Call("GET", "/bucket/dst");
  EXPECT_EQ(get.body, "payload");
  EXPECT_EQ(Header(get, "Content-Type"), "text/plain");
  EXPECT_EQ(Header(get, "x-amz-meta-a"), "1");

  http::HttpResponse replaced = Call("PUT", "/bucket/dst", "",
                               {{"x-amz-copy-source", "bucket/src"},
                                {"x-amz-metadata-directive", "REPLACE"},
                                {"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(replaced.status, 200);
  EXPECT_EQ(Header(Call("GET", "/bucket/dst"), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(Header(Call("GET", "/bucket/dst"), "x-amz-meta-a"), "");
  ExpectError(Call("PUT", "/bucket/src", "", {{"x-amz-copy-source", "/bucket/src"}}), 400,
              "InvalidRequest");
  ExpectError(Call("PUT", "/bucket/dst", "", {{"x-amz-copy-source", "/bucket/missing"}}), 404,
              "NoSuchKey");
  ExpectError(Call("PUT", "/bucket/dst", "", {{"x-amz-copy-source", "nokey"}}), 400,
              "InvalidArgument");
  ExpectError(
      Call("PUT", "/bucket/dst", "",
           {{"x-amz-copy-source", "/bucket/src"}, {"x-amz-copy-source-if-match", "\"nope\""}}),
      412, "PreconditionFailed");

  // UploadPartCopy with a range.
  std::string id = Tag(Call("POST", "/bucket/assembled?uploads").body, "UploadId");
  http::HttpResponse part =
      Call("PUT", "/bucket/assembled?partNumber=1&uploadId=" + id, "",
           {{"x-amz-copy-source", "/bucket/src"}, {"x-amz-copy-source-range", "bytes=0-2"}});
  ASSERT_EQ(part.status, 200) << part.body;
  std::string complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                         Tag(part.body, "ETag") + "</ETag></Part></CompleteMultipartUpload>";
  ASSERT_EQ(Call("POST", "/bucket/assembled?uploadId=" + id, complete).status, 200);
  EXPECT_EQ(Call("GET", "/bucket/assembled").body, "pay");
}

TEST_F(S3HandlerTest, UnsupportedOperations) {
  ASSERT_EQ(Put("k", "v").status, 200);
  ExpectError(Call("GET", "/bucket?acl"), 501, "NotImplemented");
  ExpectError(Call("GET", "/bucket?uploads"), 501, "NotImplemented");
  ExpectError(Call("PUT", "/bucket?policy", "{}"), 501, "NotImplemented");
  ExpectError(Call("PUT", "/bucket/k?tagging", "<Tagging/>"), 501, "NotImplemented");
  ExpectError(Call("GET", "/bucket/k?uploadId=abc"), 501, "NotImplemented");
  ExpectError(Call("POST", "/bucket/k?restore"), 501, "NotImplemented");
  ExpectError(Call("PATCH", "/bucket/k"), 405, "MethodNotAllowed");
  ExpectError(Call("DELETE", "/"), 405, "MethodNotAllowed");
  EXPECT_EQ(Call("GET", "/bucket/k").body, "v") << "the object is untouched";
  http::HttpResponse versioning = Call("GET", "/bucket?versioning");
  EXPECT_EQ(versioning.status, 200);
  EXPECT_NE(versioning.body.find("<VersioningConfiguration"), std::string::npos);
}

}  // namespace
}  // namespace hydrant::api
