#include "crypto/field_cipher.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace praxis::crypto {
namespace {

Key make_key(std::uint64_t id = 0x1122334455667788ULL) { return Key{SecretKey::random(), id, 1}; }

const FieldContext kWhere{"prac-1", "patients", "family_name", "pat-1"};

TEST(FieldCipher, RoundTripsAndHasTheDocumentedLayout) {
  const Key key = make_key();
  const auto ct = encrypt_field(key, kWhere, std::string_view("Müller"));
  ASSERT_EQ(ct.size(), kFieldOverhead + std::string_view("Müller").size());
  EXPECT_EQ(ct[0], kFieldFormatVersion);
  EXPECT_EQ(field_key_id(ct), key.id);
  auto pt = decrypt_field_text(key, kWhere, ct);
  ASSERT_TRUE(pt);
  EXPECT_EQ(*pt, "Müller");
  EXPECT_EQ(std::string(ct.begin(), ct.end()).find("Müller"), std::string::npos);
}

TEST(FieldCipher, MovedCiphertextFailsToDecrypt) {
  const Key key = make_key();
  const auto ct = encrypt_field(key, kWhere, std::string_view("1980-03-12"));
  const FieldContext elsewhere[] = {
      {"prac-2", "patients", "family_name", "pat-1"},  // another practice
      {"prac-1", "contacts", "family_name", "pat-1"},  // another table
      {"prac-1", "patients", "given_names", "pat-1"},  // another column
      {"prac-1", "patients", "family_name", "pat-2"},  // another row
      {"prac-1", "patients", "family_namep", "at-1"},  // boundaries shifted
  };
  for (const auto& where : elsewhere) {
    EXPECT_EQ(decrypt_field(key, where, ct).error(), CryptoError::authentication_failed)
        << where.practice_id << "/" << where.table << "/" << where.column << "/" << where.row_id;
  }
}

TEST(FieldCipher, EveryFlippedBitIsDetected) {
  const Key key = make_key();
  const auto ct = encrypt_field(key, kWhere, std::string_view("Anna Lena"));
  for (std::size_t byte = 0; byte < ct.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = ct;
      bad[byte] ^= static_cast<std::uint8_t>(1 << bit);
      auto r = decrypt_field(key, kWhere, bad);
      ASSERT_FALSE(r) << "byte " << byte << " bit " << bit;
      if (byte == 0) {
        EXPECT_EQ(r.error(), CryptoError::malformed);  // version byte
      } else if (byte < 9) {
        EXPECT_EQ(r.error(), CryptoError::unknown_key);  // key id
      } else {
        EXPECT_EQ(r.error(), CryptoError::authentication_failed);  // nonce, ciphertext, tag
      }
    }
  }
}

TEST(FieldCipher, WrongKeyAndShortInputAreDistinctErrors) {
  const Key key = make_key(1);
  const Key other = make_key(2);
  const Key same_id_other_bytes = make_key(1);
  const auto ct = encrypt_field(key, kWhere, std::string_view("x"));
  EXPECT_EQ(decrypt_field(other, kWhere, ct).error(), CryptoError::unknown_key);
  EXPECT_EQ(decrypt_field(same_id_other_bytes, kWhere, ct).error(),
            CryptoError::authentication_failed);
  const std::vector<std::uint8_t> tiny(kFieldOverhead - 1, 1);
  EXPECT_EQ(decrypt_field(key, kWhere, tiny).error(), CryptoError::malformed);
  EXPECT_FALSE(field_key_id(tiny));
}

RC_GTEST_PROP(FieldCipherProperty, RoundTripsArbitraryBytes, ()) {
  static const Key key = make_key();
  const auto size = *rc::gen::inRange<std::size_t>(0, 64 * 1024 + 1);
  const auto plaintext =
      *rc::gen::container<std::vector<std::uint8_t>>(size, rc::gen::arbitrary<std::uint8_t>());
  const auto row = *rc::gen::arbitrary<std::string>();
  const FieldContext where{"p", "t", "c", row};
  const auto ct = encrypt_field(key, where, plaintext);
  RC_ASSERT(ct.size() == plaintext.size() + kFieldOverhead);
  const auto back = decrypt_field(key, where, ct);
  RC_ASSERT(back.has_value());
  RC_ASSERT(*back == plaintext);
}

RC_GTEST_PROP(FieldCipherProperty, RepeatedEncryptionsUseDistinctNonces, ()) {
  static const Key key = make_key();
  const auto value = *rc::gen::arbitrary<std::string>();
  std::set<std::vector<std::uint8_t>> nonces;
  for (int i = 0; i < 16; ++i) {
    const auto ct = encrypt_field(key, kWhere, value);
    nonces.emplace(ct.begin() + 9, ct.begin() + 33);
  }
  RC_ASSERT(nonces.size() == 16u);
}

}  // namespace
}  // namespace praxis::crypto
