#include "common/base64.h"

#include <gtest/gtest.h>

namespace hydrant {
namespace {

std::string Decode(std::string_view in, bool* ok) {
  std::string out;
  *ok = Base64Decode(in, &out);
  return out;
}

TEST(Base64, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    std::string enc = Base64Encode(data);
    bool ok = false;
    EXPECT_EQ(Decode(enc, &ok), data);
    EXPECT_TRUE(ok) << enc;
    data.push_back(static_cast<char>(i * 37));
  }
}

TEST(Base64, KnownVectors) {
  EXPECT_EQ(Base64Encode("hello\n"), "aGVsbG8K");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  bool ok = false;
  EXPECT_EQ(Decode("Zm9vYmFy", &ok), "foobar");
  EXPECT_TRUE(ok);
}

TEST(Base64, RejectsMalformedInput) {
  bool ok = true;
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v YmFy", "Zm9v\nYmFy", "Zm9*", "Zh==",
                          "Zm9=", "=Zm9", "Zm=v"}) {
    Decode(bad, &ok);
    EXPECT_FALSE(ok) << bad;
  }
}

}  // namespace
}  // namespace hydrant
