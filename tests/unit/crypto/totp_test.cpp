#include "crypto/totp.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"

namespace praxis::crypto {
namespace {

const std::string kRfcSecret = "12345678901234567890";
std::span<const std::uint8_t> rfc_secret() {
  return {reinterpret_cast<const std::uint8_t*>(kRfcSecret.data()), kRfcSecret.size()};
}

TEST(Totp, Rfc6238AppendixBSha1) {
  const TotpParams eight{8, 30, 1};
  const std::pair<std::int64_t, const char*> rows[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (auto [time, code] : rows) {
    EXPECT_EQ(totp_code(rfc_secret(), totp_step(time, eight), eight), code) << time;
    EXPECT_EQ(verify_totp(rfc_secret(), code, time, eight), totp_step(time, eight)) << time;
  }
}

TEST(Totp, SixDigitCodesAcceptOneStepOfDriftAndReportTheStep) {
  const std::int64_t now = 1'800'000'000;
  const std::int64_t step = totp_step(now);
  const std::string previous = totp_code(rfc_secret(), step - 1);
  const std::string next = totp_code(rfc_secret(), step + 1);
  const std::string too_old = totp_code(rfc_secret(), step - 2);
  EXPECT_EQ(previous.size(), 6u);
  EXPECT_EQ(verify_totp(rfc_secret(), previous, now), step - 1);
  EXPECT_EQ(verify_totp(rfc_secret(), next, now), step + 1);
  EXPECT_EQ(verify_totp(rfc_secret(), too_old, now), std::nullopt);
  EXPECT_EQ(verify_totp(rfc_secret(), "12345", now), std::nullopt);
  EXPECT_EQ(verify_totp(rfc_secret(), "12a456", now), std::nullopt);
}

TEST(Totp, SecretsAreRandomAndUriIsWellFormed) {
  const auto a = generate_totp_secret();
  const auto b = generate_totp_secret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  const std::string uri = otpauth_uri("Praxis Dr. Müller", "anna@example.org", rfc_secret());
  EXPECT_EQ(uri,
            "otpauth://totp/Praxis%20Dr.%20M%C3%BCller:anna%40example.org?secret="
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Praxis%20Dr.%20M%C3%BCller&algorithm=SHA1&"
            "digits=6&period=30");
}

}  // namespace
}  // namespace praxis::crypto
