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

// The vectorised path takes 32 characters at a time: every byte value at every place of a
// block, and lengths around the block and tail boundaries, agree with the definition.
TEST(Base64, RefusesEveryByteOutsideTheAlphabetAtEveryPlace) {
  const std::string valid = Base64Encode(std::string(300, 'q'));  // 400 characters
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t place : {size_t{0}, size_t{5}, size_t{31}, size_t{32}, size_t{63}, size_t{200}, size_t{355},
                       size_t{390}, size_t{395}}) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string input = valid;
      input[place] = static_cast<char>(byte);
      bool ok = false;
      std::string out = Decode(input, &ok);
      if (alphabet.find(static_cast<char>(byte)) == std::string::npos) {
        EXPECT_FALSE(ok) << "byte " << byte << " at " << place;
      } else {
        ASSERT_TRUE(ok) << "byte " << byte << " at " << place;
        EXPECT_EQ(Base64Encode(out), input);
      }
    }
  }
}

TEST(Base64, DecodesLongInputsOfEveryLengthAndValue) {
  std::string data;
  uint32_t x = 12345;
  for (int n = 0; n < 2000; ++n) {
    x = x * 1103515245 + 12345;
    data.push_back(static_cast<char>(x >> 16));
    const std::string encoded = Base64Encode(data);
    std::string out = "prefix";
    ASSERT_TRUE(Base64Decode(encoded, &out)) << n;
    ASSERT_EQ(out, "prefix" + data) << n;
  }
}

}  // namespace
}  // namespace hydrant
