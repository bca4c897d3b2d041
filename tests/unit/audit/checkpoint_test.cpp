#include "audit/checkpoint.hpp"

#include <gtest/gtest.h>

namespace praxis::audit {
namespace {

crypto::SigningKey key_from(std::uint8_t fill) {
  std::array<std::uint8_t, crypto::kKeyBytes> bytes{};
  bytes.fill(fill);
  return crypto::SigningKey(crypto::SecretKey::from_bytes(bytes));
}

Checkpoint sample() {
  Checkpoint c;
  c.origin = "praxis.example/audit/p-1";
  c.size = 8;
  const std::uint8_t entry[] = {1, 2, 3};
  c.root = leaf_hash(entry);
  return c;
}

TEST(Checkpoint, SignedNoteHasTheC2spShapeAndOpens) {
  const auto key = key_from(7);
  const std::string note = sign_checkpoint(sample(), "praxis.example/audit/p-1", key);
  // Body, blank line, one signature line: em dash, space, name, space, base64(4 + 64 bytes).
  EXPECT_TRUE(note.starts_with("praxis.example/audit/p-1\n8\n"));
  EXPECT_NE(note.find("\n\n\xE2\x80\x94 praxis.example/audit/p-1 "), std::string::npos);
  const auto sig_line = note.substr(note.rfind("\xE2\x80\x94"));
  EXPECT_EQ(sig_line.size(), 3 + 1 + 24 + 1 + 92 + 1) << "92 base64 characters for 68 bytes";
  auto opened = open_checkpoint(note, "praxis.example/audit/p-1", key.public_key());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, sample());
}

TEST(Checkpoint, KeyIdFollowsTheSignedNoteRule) {
  // key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian; different names
  // or keys give different ids.
  const auto a = key_from(1), b = key_from(2);
  EXPECT_NE(note_key_id("n", a.public_key()), note_key_id("n", b.public_key()));
  EXPECT_NE(note_key_id("n", a.public_key()), note_key_id("m", a.public_key()));
}

TEST(Checkpoint, TamperingOrTheWrongKeyIsRefused) {
  const auto key = key_from(7);
  const auto other = key_from(8);
  const std::string note = sign_checkpoint(sample(), "audit", key);
  EXPECT_FALSE(open_checkpoint(note, "audit", other.public_key())) << "another key";
  EXPECT_FALSE(open_checkpoint(note, "someone-else", key.public_key())) << "not signed by them";
  std::string bigger = note;
  bigger.replace(bigger.find("\n8\n"), 3, "\n9\n");
  EXPECT_FALSE(open_checkpoint(bigger, "audit", key.public_key())) << "size changed";
  std::string origin = note;
  origin[0] = 'q';
  EXPECT_FALSE(open_checkpoint(origin, "audit", key.public_key())) << "origin changed";
  std::string root = note;
  const auto third = root.find('\n', root.find('\n') + 1) + 1;
  root[third] = root[third] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(open_checkpoint(root, "audit", key.public_key())) << "root changed";
  EXPECT_FALSE(open_checkpoint("garbage", "audit", key.public_key()));
  EXPECT_FALSE(open_checkpoint(note.substr(0, note.size() - 5) + "\n", "audit", key.public_key()));
}

TEST(Checkpoint, OtherSignersAreIgnoredButABadOwnSignatureIsNot) {
  const auto key = key_from(7);
  const auto witness = key_from(9);
  std::string note = sign_checkpoint(sample(), "audit", key);
  const std::string witnessed = sign_checkpoint(sample(), "witness", witness);
  note += witnessed.substr(witnessed.rfind("\xE2\x80\x94"));  // a second signature line
  EXPECT_TRUE(open_checkpoint(note, "audit", key.public_key()));
  EXPECT_TRUE(open_checkpoint(note, "witness", witness.public_key()));
  EXPECT_THROW(sign_checkpoint(sample(), "bad name", key), std::invalid_argument);
}

}  // namespace
}  // namespace praxis::audit
