#include "auth/password_policy.hpp"

#include <gtest/gtest.h>

namespace praxis::auth {
namespace {

std::vector<std::string> codes(std::string_view password,
                               std::string_view email = "anna@example.org",
                               std::string_view name = "Anna Berg") {
  auto r = check_password(password, email, name);
  EXPECT_TRUE(r) << "the cracklib dictionary must be installed (cracklib-runtime)";
  std::vector<std::string> out;
  if (r) {
    for (const auto& e : *r) {
      EXPECT_EQ(e.field, "password");
      out.push_back(e.code);
    }
  }
  return out;
}

TEST(PasswordPolicy, LengthCountsCharactersNotBytes) {
  EXPECT_EQ(codes("kurz"), std::vector<std::string>{"too_short"});
  // 11 characters but 22 bytes: still too short.
  EXPECT_EQ(codes("ääääääääääß"), std::vector<std::string>{"too_short"});
  EXPECT_EQ(codes(std::string(129, 'x') + "Qz"), std::vector<std::string>{"too_long"});
  EXPECT_TRUE(codes("Kaffee ist gut am Morgen").empty());
  EXPECT_TRUE(codes("Glühwein über Köln 7").empty()) << "umlauts are fine";
}

TEST(PasswordPolicy, NoCompositionRulesButDictionaryAndSimplePatternsAreRefused) {
  EXPECT_TRUE(codes("dreiblaueelefantenimschnee").empty()) << "lower-case only is fine";
  EXPECT_EQ(codes("aaaaaaaaaaaaaa"), std::vector<std::string>{"guessable"});
  EXPECT_EQ(codes("abcdefghijklm"), std::vector<std::string>{"guessable"});
  // cracklib alone accepts these; a dictionary word with digits around it is refused.
  EXPECT_EQ(codes("password1234"), std::vector<std::string>{"guessable"});
  EXPECT_EQ(codes("2024Schatz!!!"), std::vector<std::string>{"guessable"});
}

TEST(PasswordPolicy, NameAndEmailAreRefusedInAnyCase) {
  EXPECT_EQ(codes("anna@example.org"), std::vector<std::string>{"personal"});
  EXPECT_EQ(codes("Mein Name ist BERG, sehr geheim"), std::vector<std::string>{"personal"});
  EXPECT_EQ(codes("xx ANNA yy zz qq ww", "anna@example.org", ""),
            std::vector<std::string>{"personal"})
      << "the e-mail's local part";
  EXPECT_EQ(codes("Herr Müller kocht gern", "m@x.de", "Jörg Müller"),
            std::vector<std::string>{"personal"});
  EXPECT_EQ(codes("Herr Mueller kocht gern", "m@x.de", "Jörg Müller"),
            std::vector<std::string>{"personal"})
      << "umlauts folded";
  EXPECT_TRUE(codes("Kaffee ist gut am Morgen", "m@x.de", "Jo Li").empty())
      << "name parts shorter than 3 are ignored";
}

TEST(PasswordPolicy, InvalidUtf8IsRefused) {
  EXPECT_EQ(codes(std::string("abcdefghijkl\xff\xfe", 14)), std::vector<std::string>{"encoding"});
}

TEST(PasswordPolicy, DictionaryIsAvailable) { EXPECT_TRUE(password_dictionary_available()); }

}  // namespace
}  // namespace praxis::auth
