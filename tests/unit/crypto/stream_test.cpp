#include "crypto/stream.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace praxis::crypto {
namespace {

std::string random_bytes(std::size_t n) {
  std::string s(n, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

std::string encrypt(const std::string& plain, const SecretKey& key) {
  std::istringstream in(plain);
  std::ostringstream out;
  EXPECT_TRUE(encrypt_stream(in, out, key));
  return out.str();
}

core::Result<std::string> decrypt(const std::string& sealed, const SecretKey& key) {
  std::istringstream in(sealed);
  std::ostringstream out;
  auto r = decrypt_stream(in, out, key);
  if (!r) return tl::unexpected(r.error());
  return out.str();
}

// Offsets of each chunk's length prefix in the framing.
std::vector<std::size_t> chunk_offsets(const std::string& sealed) {
  std::vector<std::size_t> offsets;
  std::size_t pos = 8 + crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  while (pos + 4 <= sealed.size()) {
    offsets.push_back(pos);
    const auto* p = reinterpret_cast<const std::uint8_t*>(sealed.data() + pos);
    const std::uint32_t len =
        p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    pos += 4 + len;
  }
  return offsets;
}

TEST(Stream, RoundTripsAtChunkBoundaries) {
  const SecretKey key = SecretKey::random();
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, kStreamChunkBytes - 1, kStreamChunkBytes,
                        kStreamChunkBytes + 1, 3 * kStreamChunkBytes + 17}) {
    const std::string plain = random_bytes(n);
    const std::string sealed = encrypt(plain, key);
    auto back = decrypt(sealed, key);
    ASSERT_TRUE(back) << n << ": " << back.error().message;
    EXPECT_EQ(*back, plain) << n;
  }
}

TEST(Stream, TruncationIsDetected) {
  const SecretKey key = SecretKey::random();
  const std::string sealed = encrypt(random_bytes(3 * kStreamChunkBytes), key);
  const auto offsets = chunk_offsets(sealed);
  ASSERT_EQ(offsets.size(), 3u);
  auto cut_at_chunk = decrypt(sealed.substr(0, offsets[2]), key);  // final chunk dropped
  ASSERT_FALSE(cut_at_chunk);
  EXPECT_NE(cut_at_chunk.error().message.find("truncated"), std::string::npos);
  EXPECT_FALSE(decrypt(sealed.substr(0, sealed.size() - 1), key));
  EXPECT_FALSE(decrypt(sealed.substr(0, 10), key));
}

TEST(Stream, FlippedBitsReorderingAndTrailingDataAreDetected) {
  const SecretKey key = SecretKey::random();
  const std::string sealed = encrypt(random_bytes(3 * kStreamChunkBytes), key);
  for (std::size_t pos : {std::size_t{9}, std::size_t{40}, sealed.size() / 2, sealed.size() - 1}) {
    std::string bad = sealed;
    bad[pos] ^= 0x04;
    EXPECT_FALSE(decrypt(bad, key)) << pos;
  }
  const auto offsets = chunk_offsets(sealed);
  const std::string head = sealed.substr(0, offsets[0]);
  const std::string c0 = sealed.substr(offsets[0], offsets[1] - offsets[0]);
  const std::string c1 = sealed.substr(offsets[1], offsets[2] - offsets[1]);
  const std::string c2 = sealed.substr(offsets[2]);
  EXPECT_FALSE(decrypt(head + c1 + c0 + c2, key)) << "reordered";
  EXPECT_FALSE(decrypt(head + c0 + c0 + c2, key)) << "repeated";
  EXPECT_FALSE(decrypt(head + c0 + c2, key)) << "dropped";
  auto trailing = decrypt(sealed + "x", key);
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("trailing"), std::string::npos);
  EXPECT_FALSE(decrypt(sealed, SecretKey::random())) << "wrong key";
  EXPECT_FALSE(decrypt("not encrypted at all, just text", key));
}

}  // namespace
}  // namespace praxis::crypto
