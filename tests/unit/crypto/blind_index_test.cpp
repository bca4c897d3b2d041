#include "crypto/blind_index.hpp"

#include <gtest/gtest.h>

#include "core/text.hpp"
#include "crypto/key_ring.hpp"

namespace praxis::crypto {
namespace {

SecretKey fixed_key(std::uint8_t fill) {
  std::array<std::uint8_t, kKeyBytes> bytes{};
  bytes.fill(fill);
  return SecretKey::from_bytes(bytes);
}

TEST(BlindIndex, SameNameSpelledDifferentlyGivesTheSameIndex) {
  const BlindIndex index(fixed_key(1), "family_name");
  const auto h = index.hash_name("Müller");
  for (const char* variant : {"Mueller", "MÜLLER", "  müller ", "Mu\xCC\x88ller" /* combining */}) {
    EXPECT_EQ(index.hash_name(variant), h) << variant;
  }
  EXPECT_NE(index.hash_name("Muller"), h);
  EXPECT_LT(h, 1ULL << 32) << "narrow indexes are 4 bytes";
}

TEST(BlindIndex, KeysAndColumnsSeparateIndexes) {
  const BlindIndex a(fixed_key(1), "family_name");
  const BlindIndex b(fixed_key(2), "family_name");
  const BlindIndex c(fixed_key(1), "given_names");
  EXPECT_NE(a.hash("schmidt", IndexWidth::wide), b.hash("schmidt", IndexWidth::wide));
  EXPECT_NE(a.hash("schmidt", IndexWidth::wide), c.hash("schmidt", IndexWidth::wide));
  EXPECT_EQ(a.hash("schmidt", IndexWidth::wide), a.hash("schmidt", IndexWidth::wide));
}

TEST(BlindIndex, WidthsTruncate) {
  const BlindIndex index(fixed_key(3), "kvnr");
  std::uint64_t wide_bits = 0;
  for (int i = 0; i < 64; ++i) {
    const std::string token = "A" + std::to_string(100000000 + i);
    EXPECT_LT(index.hash(token, IndexWidth::narrow), 1ULL << 32);
    wide_bits |= index.hash(token, IndexWidth::wide);
  }
  EXPECT_GT(wide_bits, 1ULL << 32) << "wide indexes use 8 bytes";
}

TEST(NormalizeName, FoldsCaseAccentsUmlautsAndSeparators) {
  const std::pair<const char*, const char*> cases[] = {
      {"Müller", "mueller"},
      {"Weiß", "weiss"},
      {"GROẞ", "gross"},
      {"Øberg-Łukasz", "oberg lukasz"},
      {"  Anna   Lena ", "anna lena"},
      {"D'Angelo", "d angelo"},
      {"José", "jose"},
      {"Çelik Şahin", "celik sahin"},
      {"Ævar", "aevar"},
      {"ΣΩΚΡΑΤΗΣ", "σωκρατησ"},
      {"bad\xFFutf8", "badutf8"},
      {"", ""},
      {"--", ""},
  };
  for (auto [in, want] : cases) EXPECT_EQ(core::normalize_name(in), want) << in;
  EXPECT_EQ(core::normalize_email("  Anna.Lena@Example.ORG "), "anna.lena@example.org");
}

}  // namespace
}  // namespace praxis::crypto
