// Tests for AES-256-GCM sealing and the key ring.
#include "common/cipher.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace hydrant {
namespace {

TEST(CipherTest, SealsAndOpensOnlyWithTheSameKeyAndName) {
  const std::string key = RandomBytes(kCipherKeyBytes);
  const std::string plain = "marker-7f3a record payload";
  std::string sealed = Seal(key, plain, "bucket/key");
  EXPECT_EQ(sealed.size(), plain.size() + kCipherNonceBytes + kCipherTagBytes);
  EXPECT_EQ(sealed.find("marker-7f3a"), std::string::npos);
  EXPECT_EQ(*Unseal(key, sealed, "bucket/key"), plain);
  EXPECT_FALSE(Unseal(RandomBytes(kCipherKeyBytes), sealed, "bucket/key").ok());
  EXPECT_FALSE(Unseal(key, sealed, "bucket/other").ok());
  sealed[kCipherNonceBytes + 3] ^= 1;
  EXPECT_EQ(Unseal(key, sealed, "bucket/key").status().code(), StatusCode::kCorruption);
  EXPECT_NE(Seal(key, plain, ""), Seal(key, plain, ""));  // a fresh nonce each time
}

TEST(CipherTest, NonceCipherOpensOnlyWhatItSealedUnderTheSameNonceAndAad) {
  const std::string key = RandomBytes(kCipherKeyBytes);
  NonceCipher cipher(key);
  const std::string nonce(kCipherNonceBytes, '\1'), other(kCipherNonceBytes, '\2');
  const std::string plain = "marker-7f3a record";
  std::string sealed(plain.size() + kCipherTagBytes, '\0');
  cipher.Seal(nonce, "aad", plain, sealed.data());
  EXPECT_EQ(sealed.find("marker"), std::string::npos);
  std::string opened(plain.size(), '\0');
  ASSERT_TRUE(cipher.Open(nonce, "aad", sealed, opened.data()));
  EXPECT_EQ(opened, plain);
  EXPECT_FALSE(cipher.Open(other, "aad", sealed, opened.data()));
  EXPECT_FALSE(cipher.Open(nonce, "aaD", sealed, opened.data()));
  EXPECT_FALSE(NonceCipher(RandomBytes(kCipherKeyBytes)).Open(nonce, "aad", sealed, opened.data()));
  sealed[2] ^= 1;
  EXPECT_FALSE(cipher.Open(nonce, "aad", sealed, opened.data()));
  // The same as one Seal call with that nonce: a standard AES-256-GCM message.
  std::string again(plain.size() + kCipherTagBytes, '\0');
  cipher.Seal(other, "", plain, again.data());
  EXPECT_EQ(*Unseal(key, other + again, ""), plain);
}

TEST(CipherTest, StreamSealsLikeOneCall) {
  const std::string key = RandomBytes(kCipherKeyBytes);
  SealStream stream(key, "k");
  std::string sealed = stream.Begin();
  sealed += stream.Update("part one, ");
  sealed += stream.Update("part two");
  sealed += stream.Finish();
  EXPECT_EQ(*Unseal(key, sealed, "k"), "part one, part two");
  EXPECT_EQ(*Unseal(key, Seal(key, "", "k"), "k"), "");
}

TEST(KeyRingTest, CreatesItsOwnKeyOnceAndReadsConfiguredKeys) {
  auto dir = std::filesystem::temp_directory_path() / ("keyring-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Env* env = Env::Default();
  ASSERT_TRUE(env->WriteFileAtomic((dir / "customer.hex").string(), std::string(64, 'a') + "\n").ok());
  auto ring = KeyRing::Open(env, (dir / "keys").string(),
                            {{"arn:aws:kms:us-east-1:123456789012:key/k1", (dir / "customer.hex").string()}});
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->own_key().size(), kCipherKeyBytes);
  EXPECT_EQ(*(*ring)->Find("arn:aws:kms:us-east-1:123456789012:key/k1"), std::string(32, '\xaa'));
  EXPECT_EQ((*ring)->Find("arn:aws:kms:us-east-1:123456789012:key/other"), nullptr);
  auto again = KeyRing::Open(env, (dir / "keys").string(), {});
  EXPECT_EQ((*again)->own_key(), (*ring)->own_key());  // the same key after a restart
  ASSERT_TRUE(env->WriteFileAtomic((dir / "short.key").string(), "too short").ok());
  EXPECT_FALSE(KeyRing::Open(env, (dir / "keys").string(), {{"arn:x", (dir / "short.key").string()}}).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hydrant
