#include "common/outbound_http.h"

#include <gtest/gtest.h>

namespace hydrant {
namespace {

TEST(OutboundHttpTest, HashesMatchPublishedVectors) {
  EXPECT_EQ(HexSha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231, test case 2.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(OutboundHttpTest, CollectsHeadersLowerCasedAndTrimmed) {
  std::map<std::string, std::string> headers;
  std::string lines[] = {"HTTP/1.1 200 OK\r\n", "ETag:  \"abc\" \r\n", "X-Amz-Function-Error: Unhandled\r\n",
                         "\r\n"};
  for (std::string& line : lines) {
    EXPECT_EQ(CollectHeader(line.data(), 1, line.size(), &headers), line.size());
  }
  EXPECT_EQ(headers, (std::map<std::string, std::string>{{"etag", "\"abc\""},
                                                         {"x-amz-function-error", "Unhandled"}}));
  std::string body;
  std::string chunk = "part";
  EXPECT_EQ(AppendToString(chunk.data(), 1, chunk.size(), &body), 4u);
  EXPECT_EQ(AppendToString(chunk.data(), 2, 2, &body), 4u);
  EXPECT_EQ(body, "partpart");
}

}  // namespace
}  // namespace hydrant
