// Table-driven cases from reference/german-domain.md (KVNR, IK, Kölner Phonetik) and
// issue #6 (phone numbers).

#include <gtest/gtest.h>

#include "core/phone.hpp"
#include "core/phonetic.hpp"
#include "core/validation.hpp"

namespace praxis::core {
namespace {

TEST(Kvnr, FormatAndCheckDigit) {
  for (auto valid : {"A123456780", "G995030569", "X234567891"}) {
    EXPECT_TRUE(kvnr_format_ok(valid)) << valid;
    EXPECT_TRUE(kvnr_check_digit_ok(valid)) << valid;
  }
  for (auto wrong_digit : {"G995030567", "X234567890"}) {
    EXPECT_TRUE(kvnr_format_ok(wrong_digit)) << wrong_digit;
    EXPECT_FALSE(kvnr_check_digit_ok(wrong_digit)) << wrong_digit;
  }
  for (auto malformed :
       {"a123456780", "A12345678", "A1234567801", "AB23456780", "Ä123456780", ""}) {
    EXPECT_FALSE(kvnr_format_ok(malformed)) << malformed;
    EXPECT_FALSE(kvnr_check_digit_ok(malformed)) << malformed;
  }
}

TEST(Lanr, CheckDigitPerTheReference) {
  for (const char* ok : {"123456601", "999999900", "333333301", "444444402", "555555123"}) {
    EXPECT_TRUE(lanr_check_digit_ok(ok)) << ok;
  }
  for (const char* bad : {"123456701", "345678975", "987654321"}) {
    EXPECT_TRUE(lanr_format_ok(bad)) << bad;
    EXPECT_FALSE(lanr_check_digit_ok(bad)) << bad;
  }
  for (const char* shape : {"12345660", "1234566011", "12345660A", ""}) {
    EXPECT_FALSE(lanr_format_ok(shape)) << shape;
  }
}

TEST(Ik, CheckDigit) {
  EXPECT_TRUE(valid_ik("260326822"));
  EXPECT_TRUE(valid_ik("109519005"));
  for (auto invalid : {"260326823", "123456789", "12345671", "26032682X", ""}) {
    EXPECT_FALSE(valid_ik(invalid)) << invalid;
  }
}

TEST(Postcode, FiveDigits) {
  EXPECT_TRUE(valid_german_postcode("10115"));
  EXPECT_TRUE(valid_german_postcode("01067"));
  for (auto invalid : {"1011", "101155", "00123", "1011A", ""}) {
    EXPECT_FALSE(valid_german_postcode(invalid)) << invalid;
  }
}

TEST(Email, AsTypedIntoAForm) {
  for (auto valid : {"anna@example.org", "a.b+c@mail.example.de", "x@müller.de"}) {
    EXPECT_TRUE(valid_email(valid)) << valid;
  }
  for (auto invalid :
       {"anna", "@example.org", "anna@", "anna@example", "anna@@example.org", "an na@example.org",
        "anna@exa mple.org", "anna@.example.org", "anna@example..org", "<anna>@example.org"}) {
    EXPECT_FALSE(valid_email(invalid)) << invalid;
  }
}

struct PhoneCase {
  const char* input;
  const char* e164;  // nullptr: refused
};

TEST(Phone, NormalisesToE164WithGermanyAsDefault) {
  const PhoneCase cases[] = {
      {"030 1234567", "+49301234567"},
      {"030/1234567", "+49301234567"},
      {"030-123 45 67", "+49301234567"},
      {"(030) 1234567", "+49301234567"},
      {"0049 30 1234567", "+49301234567"},
      {"+49 30 1234567", "+49301234567"},
      {"+49 (0)30 1234567", "+49301234567"},
      {"+49(0)301234567", "+49301234567"},
      {"0151 12345678", "+4915112345678"},
      {"0151/123 456 78", "+4915112345678"},
      {"+48 22 123 45 67", "+48221234567"},
      {"0048 22 1234567", "+48221234567"},
      {"+1 (415) 555-2671", "+14155552671"},
      {"1234567", nullptr},             // no area code
      {"030 12", nullptr},              // too short
      {"0151 1234567890123", nullptr},  // too long for Germany
      {"+48 123", nullptr},             // too short internationally
      {"+1234567890123456", nullptr},   // more than 15 digits
      {"0800 FLOWERS", nullptr},        // letters
      {"+49 030 1234567", nullptr},     // trunk zero after the country code
      {"", nullptr},
      {"+", nullptr},
  };
  for (const auto& c : cases) {
    const auto got = normalize_phone(c.input);
    if (c.e164) {
      EXPECT_EQ(got, std::optional<std::string>(c.e164)) << c.input;
    } else {
      EXPECT_EQ(got, std::nullopt) << c.input << " → " << got.value_or("");
    }
  }
}

TEST(KoelnerPhonetik, ReferenceVectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"Müller-Lüdenscheidt", "65752682"},
      {"Wikipedia", "3412"},
      {"Breschnew", "17863"},
      {"Aabjoe", "01"},
      {"Aaclan", "0856"},
      {"hoffmann", "0366"},
      {"Meier", "67"},
      {"Mayr", "67"},
      {"Major", "67"},
      {"Meyer", "67"},
      {"Maier", "67"},
      {"Mayer", "67"},
      {"Müller", "657"},
      {"Muller", "657"},
      {"Mueller", "657"},
      {"Lele", "55"},
      {"Chemnitz", "468"},
      {"Xaver", "4837"},
      {"Wachs", "348"},
      {"Schmidt", "862"},
      {"Schmitt", "862"},
      {"Philipp", "351"},
      {"", ""},
  };
  for (const auto& [word, code] : cases) EXPECT_EQ(koelner_phonetik(word), code) << word;
  EXPECT_NE(koelner_phonetik("Müller"), koelner_phonetik("Meyer"));
}

}  // namespace
}  // namespace praxis::core
