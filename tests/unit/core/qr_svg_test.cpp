#include "core/qr_svg.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace praxis::core {
namespace {

TEST(QrSvg, IsAStandaloneSvgWithModules) {
  auto svg = qr_svg("otpauth://totp/praxis:anna%40example.org?secret=ABCDEFGH&issuer=praxis");
  ASSERT_TRUE(svg);
  EXPECT_TRUE(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg->ends_with("</svg>"));
  EXPECT_EQ(svg->find("<script"), std::string::npos);
  EXPECT_EQ(svg->find("href"), std::string::npos) << "no external references";
  EXPECT_GT(svg->size(), 500u) << "a QR code has many dark modules";
  // The three finder patterns: a 7-module dark run at the top left (quiet zone 4).
  EXPECT_NE(svg->find("M4 4h7v1h-7z"), std::string::npos);
}

TEST(QrSvg, RefusesTextTooLongForAQrCode) { EXPECT_FALSE(qr_svg(std::string(8000, 'x'))); }

TEST(Iso8601, RoundTripsAndRejectsOtherShapes) {
  const Instant t{std::chrono::seconds(1798000000)};
  EXPECT_EQ(parse_iso8601(to_iso8601(t)), t);
  EXPECT_EQ(parse_iso8601("2026-02-29T10:00:00Z"), std::nullopt) << "not a leap year";
  EXPECT_EQ(parse_iso8601("2026-11-27 10:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2026-11-27T25:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601(""), std::nullopt);
}

}  // namespace
}  // namespace praxis::core
