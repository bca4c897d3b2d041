// Passwords, tokens and signatures.
#include <gtest/gtest.h>

#include <set>

#include "crypto/password.hpp"
#include "crypto/signature.hpp"
#include "crypto/token.hpp"

namespace praxis::crypto {
namespace {

const PasswordCost kCheap{kMinPasswordOps, kMinPasswordMemory};  // the floor; fast enough for tests

TEST(Password, HashesWithArgon2idAndVerifies) {
  auto h = hash_password("korrekt Pferd Batterie", kCheap);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password(*h, "korrekt Pferd Batterie"));
  EXPECT_FALSE(verify_password(*h, "korrekt Pferd Batteri"));
  EXPECT_FALSE(verify_password("not a hash", "x"));
  auto again = hash_password("korrekt Pferd Batterie", kCheap);
  EXPECT_NE(*h, *again) << "random salt";
}

TEST(Password, LongPasswordsAreNotTruncated) {
  const std::string long_pw(200, 'a');
  auto h = hash_password(long_pw, kCheap);
  ASSERT_TRUE(h);
  EXPECT_FALSE(verify_password(*h, long_pw.substr(0, 199) + "b"));
  EXPECT_TRUE(verify_password(*h, long_pw));
}

TEST(Password, NeedsRehashWhenCostRises) {
  auto h = hash_password("passwort-1234", kCheap);
  ASSERT_TRUE(h);
  EXPECT_FALSE(password_needs_rehash(*h, kCheap));
  EXPECT_TRUE(password_needs_rehash(*h, PasswordCost{3, kMinPasswordMemory}));
  EXPECT_TRUE(password_needs_rehash(*h, PasswordCost{2, 64ULL * 1024 * 1024}));
}

TEST(Password, RefusesCostBelowTheFloor) {
  EXPECT_THROW((void)hash_password("x", PasswordCost{1, kMinPasswordMemory}),
               std::invalid_argument);
  EXPECT_THROW((void)hash_password("x", PasswordCost{2, 8 * 1024 * 1024}), std::invalid_argument);
}

TEST(Token, Has256BitsUrlSafeAndIsStoredAsHash) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = generate_token();
    EXPECT_EQ(t.size(), kTokenChars);
    EXPECT_TRUE(looks_like_token(t)) << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
  const std::string t = generate_token();
  EXPECT_TRUE(token_hashes_equal(hash_token(t), hash_token(t)));
  EXPECT_FALSE(token_hashes_equal(hash_token(t), hash_token(t.substr(1) + "A")));
  EXPECT_FALSE(looks_like_token("short"));
  EXPECT_FALSE(looks_like_token(std::string(43, '+')));
}

TEST(Signature, SignsAndVerifiesDeterministicallyFromSeed) {
  const SecretKey seed = SecretKey::random();
  const SigningKey key(seed);
  const SigningKey same(seed);
  EXPECT_EQ(key.public_key(), same.public_key());
  const std::string msg = "praxis audit checkpoint\n42\nroot";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(msg.data()),
                                            msg.size());
  const Signature sig = key.sign(bytes);
  EXPECT_TRUE(verify_signature(key.public_key(), bytes, sig));
  std::string tampered = msg;
  tampered[0] ^= 1;
  EXPECT_FALSE(verify_signature(
      key.public_key(), {reinterpret_cast<const std::uint8_t*>(tampered.data()), tampered.size()},
      sig));
  const SigningKey other(SecretKey::random());
  EXPECT_FALSE(verify_signature(other.public_key(), bytes, sig));
  Signature bad = sig;
  bad[10] ^= 0x80;
  EXPECT_FALSE(verify_signature(key.public_key(), bytes, bad));
}

}  // namespace
}  // namespace praxis::crypto
