// SHA-256 helpers against published test vectors.
#include "common/sha256.h"

#include <gtest/gtest.h>

namespace hydrant {
namespace {

TEST(Sha256Test, HashesMatchPublishedVectors) {
  EXPECT_EQ(HexSha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231, test case 2.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace hydrant
