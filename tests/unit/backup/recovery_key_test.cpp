#include "backup/recovery_key.hpp"

#include <gtest/gtest.h>

namespace praxis::backup {
namespace {

TEST(RecoveryKey, PrintsAsFourteenGroupsAndParsesBackToTheSameKeyPair) {
  const auto key = generate_recovery_key();
  const auto printed = format_recovery_key(key.secret);
  ASSERT_EQ(printed.size(), 14U * 5U - 1U) << printed;
  for (std::size_t i = 0; i < printed.size(); ++i) {
    const char c = printed[i];
    if (i % 5 == 4) {
      EXPECT_EQ(c, '-') << printed;
    } else {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) << printed;
    }
  }
  auto parsed = parse_recovery_key(printed);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->public_key, key.public_key);
  EXPECT_TRUE(std::equal(parsed->secret.bytes().begin(), parsed->secret.bytes().end(),
                         key.secret.bytes().begin()));
  EXPECT_NE(format_recovery_key(generate_recovery_key().secret), printed);
}

TEST(RecoveryKey, AcceptsWhatPeopleTypeFromTheSheet) {
  const auto key = generate_recovery_key();
  std::string typed;
  for (char c : format_recovery_key(key.secret)) {
    typed += c == '-' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  typed.insert(typed.size() / 2, "\n");
  auto parsed = parse_recovery_key(typed);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->public_key, key.public_key);
}

TEST(RecoveryKey, AMistypedGroupIsCaughtByTheChecksum) {
  const auto printed = format_recovery_key(generate_recovery_key().secret);
  int caught = 0;
  for (std::size_t i = 0; i < printed.size(); i += 5) {
    std::string typo = printed;
    typo[i] = typo[i] == 'A' ? 'B' : 'A';
    auto parsed = parse_recovery_key(typo);
    if (!parsed) {
      ++caught;
      EXPECT_NE(parsed.error().message.find("checksum"), std::string::npos);
    }
  }
  // 24 checksum bits: a single substitution slips through with probability 2^-24.
  EXPECT_EQ(caught, 14);
}

TEST(RecoveryKey, WrongLengthAndForeignCharactersAreNamed) {
  const auto printed = format_recovery_key(generate_recovery_key().secret);
  auto short_key = parse_recovery_key(printed.substr(0, printed.size() - 5));
  ASSERT_FALSE(short_key);
  EXPECT_NE(short_key.error().message.find("56 characters"), std::string::npos);
  std::string foreign = printed;
  foreign[0] = '1';  // base32 has no 1
  auto bad = parse_recovery_key(foreign);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("A-Z and 2-7"), std::string::npos);
  EXPECT_FALSE(parse_recovery_key(""));
}

TEST(RecoveryKey, TheSheetCarriesTheGroupsAndAQrCodeOfThem) {
  const auto printed = format_recovery_key(generate_recovery_key().secret);
  auto svg = recovery_sheet_svg(printed, "inst-1", "2026-11-27T10:00:00Z");
  ASSERT_TRUE(svg);
  EXPECT_NE(svg->find(printed.substr(0, 4) + "  " + printed.substr(5, 4)), std::string::npos);
  EXPECT_NE(svg->find("Wiederherstellungsschlüssel"), std::string::npos);
  EXPECT_NE(svg->find("offline"), std::string::npos);
  EXPECT_NE(svg->find("<svg x=\"140\""), std::string::npos);  // the embedded QR code
  EXPECT_EQ(svg->find("<script"), std::string::npos);
}

TEST(RecoveryKey, ThePublicHalfRoundTripsAsText) {
  const auto key = generate_recovery_key();
  auto back = recipient_from_text(recipient_to_text(key.public_key));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, key.public_key);
  EXPECT_FALSE(recipient_from_text("not base64!"));
  EXPECT_FALSE(recipient_from_text("AAAA"));
}

}  // namespace
}  // namespace praxis::backup
