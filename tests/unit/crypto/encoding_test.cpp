#include "crypto/encoding.hpp"

#include <gtest/gtest.h>

namespace praxis::crypto {
namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Base32, Rfc4648TestVectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(bytes(plain)), encoded) << plain;
    auto decoded = base32_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
  EXPECT_EQ(base32_encode(bytes("foobar"), false), "MZXW6YTBOI");
}

TEST(Base32, DecodesWhatPeopleTypeAndRejectsGarbage) {
  auto d = base32_decode("mzxw 6ytb-oi");
  ASSERT_TRUE(d);
  EXPECT_EQ(std::string(d->begin(), d->end()), "foobar");
  EXPECT_FALSE(base32_decode("MZXW1"));  // '1' is not in the alphabet
  EXPECT_FALSE(base32_decode("MY=A"));   // data after padding
  EXPECT_FALSE(base32_decode("MZ"));     // non-zero leftover bits
  EXPECT_FALSE(base32_decode("M"));      // a lone character cannot be a byte
}

TEST(Base64Url, RoundTripsWithoutPadding) {
  const std::string data = "\xfb\xff\x00praxis";
  const std::string enc = base64url_encode(bytes(data));
  EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
  auto dec = base64url_decode(enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(std::string(dec->begin(), dec->end()), data);
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_EQ(hex_encode(bytes("\x01\xab")), "01ab");
}

}  // namespace
}  // namespace praxis::crypto
