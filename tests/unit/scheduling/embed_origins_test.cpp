// The web sites a practice lets embed its booking widget (booking rules,
// "embed_origins"; issue #10): only plain origins, https except on loopback.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "scheduling/config.hpp"

namespace praxis::scheduling {
namespace {

TEST(EmbedOrigins, NormalisesPlainOrigins) {
  EXPECT_EQ(normalize_web_origin("https://www.praxis-berg.de"), "https://www.praxis-berg.de");
  EXPECT_EQ(normalize_web_origin("HTTPS://Www.Praxis-Berg.DE/"), "https://www.praxis-berg.de");
  EXPECT_EQ(normalize_web_origin("https://praxis.example:8443"), "https://praxis.example:8443");
  EXPECT_EQ(normalize_web_origin("http://127.0.0.1:5173"), "http://127.0.0.1:5173");
  EXPECT_EQ(normalize_web_origin("http://localhost:8000"), "http://localhost:8000");
  EXPECT_EQ(normalize_web_origin("http://[::1]:8000"), "http://[::1]:8000");
  EXPECT_EQ(normalize_web_origin("https://[2001:db8::1]"), "https://[2001:db8::1]");
}

TEST(EmbedOrigins, RefusesAnythingElse) {
  for (const char* bad : {"http://www.praxis-berg.de",  // plain http on the internet
                          "https://www.praxis-berg.de/termine",
                          "https://www.praxis-berg.de?x=1",
                          "https://*.praxis-berg.de",
                          "https://user@praxis-berg.de",
                          "ftp://praxis-berg.de",
                          "javascript:alert(1)",
                          "https://",
                          "https://praxis-berg.de:0",
                          "https://praxis-berg.de:65536",
                          "https://praxis-berg.de:",
                          "https://.praxis.de",
                          "https://praxis..de",
                          "https://praxis.de; script-src *",
                          "https://a b.de",
                          "'self'",
                          "*",
                          "https://[::1",
                          "https://[zz::1]",
                          "https://host]"}) {
    EXPECT_FALSE(normalize_web_origin(bad)) << bad;
  }
}

TEST(EmbedOrigins, BookingRulesCheckEveryEntryAndDropDuplicates) {
  auto ok = parse_settings(
      boost::json::parse(
          R"({"embed_origins":["https://www.praxis-berg.de","https://WWW.praxis-berg.de/"]})")
          .as_object());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->embed_origins, std::vector<std::string>{"https://www.praxis-berg.de"});
  EXPECT_EQ(to_json(*ok).at("embed_origins").as_array().size(), 1U);

  auto bad = parse_settings(
      boost::json::parse(R"({"embed_origins":["https://ok.de","http://praxis.de",7]})")
          .as_object());
  ASSERT_FALSE(bad);
  std::vector<std::string> fields;
  for (const auto& f : bad.error().fields) fields.push_back(f.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"embed_origins[1]", "embed_origins[2]"}));

  auto too_many = parse_settings(
      boost::json::parse(R"({"embed_origins":["https://a.de","https://b.de","https://c.de",
        "https://d.de","https://e.de","https://f.de","https://g.de","https://h.de",
        "https://i.de","https://j.de","https://k.de"]})")
          .as_object());
  EXPECT_FALSE(too_many);
}

}  // namespace
}  // namespace praxis::scheduling
