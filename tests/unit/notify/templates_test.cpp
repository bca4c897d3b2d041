// Message templates: checked placeholders, rendering, HTML, German and English dates.
#include "notify/templates.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <set>

#include "notify/transport.hpp"

namespace praxis::notify {
namespace {

namespace json = boost::json;

std::set<std::string> codes(const core::Error& e) {
  std::set<std::string> out;
  for (const auto& f : e.fields) out.insert(f.field + ":" + f.code);
  return out;
}

TEST(Templates, EveryKindHasGermanAndEnglishTextThatPassesItsOwnChecks) {
  for (auto kind : kinds()) {
    for (auto lang : {"de", "en"}) {
      SCOPED_TRACE(std::string(kind) + "." + lang);
      const auto t = default_template(kind, lang);
      EXPECT_FALSE(t.subject.empty());
      EXPECT_FALSE(t.text.empty());
      auto parsed = parse_template(kind, to_json(t));
      ASSERT_TRUE(parsed) << parsed.error().message;
      EXPECT_EQ(*parsed, t);
    }
  }
  EXPECT_NE(default_template("confirmation", "de").subject,
            default_template("confirmation", "en").subject);
  EXPECT_EQ(default_template("confirmation", "fr"), default_template("confirmation", "de"))
      << "unknown languages fall back to German";
}

TEST(Templates, PatientDataCannotBePutIntoAMessage) {
  auto r =
      parse_template("confirmation", json::parse(R"({"subject":"Hallo {{family_name}}",)"
                                                 R"("text":"{{diagnosis}} {{date}}","sms":"x"})")
                                         .as_object());
  ASSERT_FALSE(r);
  EXPECT_EQ(codes(r.error()), (std::set<std::string>{"subject:placeholder", "text:placeholder"}));
  // The practice's notice offers no manage link either.
  r = parse_template("practice_notice",
                     json::parse(R"({"subject":"Neu","text":"{{manage_link}}"})").as_object());
  ASSERT_FALSE(r);
  EXPECT_EQ(codes(r.error()), (std::set<std::string>{"text:placeholder"}));
}

TEST(Templates, EveryFieldErrorIsReportedAtOnce) {
  auto r = parse_template("reminder", json::parse(R"({"subject":"a\nb","text":"{{date",)"
                                                  R"("sms":5,"extra":"x"})")
                                          .as_object());
  ASSERT_FALSE(r);
  EXPECT_EQ(codes(r.error()),
            (std::set<std::string>{"subject:line", "text:braces", "sms:type", "extra:unknown"}));
  r = parse_template("reminder", json::parse(R"({"sms":"ok"})").as_object());
  ASSERT_FALSE(r);
  EXPECT_EQ(codes(r.error()), (std::set<std::string>{"subject:required", "text:required"}));
  r = parse_template(
      "reminder",
      json::parse(R"({"subject":"x","text":")" + std::string(5001, 'a') + "\"}").as_object());
  ASSERT_FALSE(r);
  EXPECT_EQ(codes(r.error()), (std::set<std::string>{"text:length"}));
  r = parse_template("reminder", json::parse(R"({"subject":"x","text":"a }} b"})").as_object());
  ASSERT_FALSE(r);
  EXPECT_EQ(codes(r.error()), (std::set<std::string>{"text:braces"}));
}

TEST(Templates, RenderingFillsValuesAndTidiesEmptyOnes) {
  EXPECT_EQ(render("Am {{date}} um {{time}}.", {{"date", "Montag"}, {"time", "9 Uhr"}}),
            "Am Montag um 9 Uhr.");
  EXPECT_EQ(render("a\n\n{{instructions}}\n\nb", {}), "a\n\nb") << "no run of blank lines";
  EXPECT_EQ(render("{{x}}{{", {{"x", "1"}}), "1{{");
}

TEST(Templates, HtmlIsEscapedWithParagraphsAndLinks) {
  const auto html = html_body("Hallo <b>&\n\nLink: https://x.example/a?b=1&c=2 ok\nZeile", "en");
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("<p>Hallo &lt;b&gt;&amp;</p>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"https://x.example/a?b=1&amp;c=2\">https://x.example/a?b=1&amp;c=2"
                      "</a> ok<br>\nZeile</p>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos);
}

TEST(Templates, DatesAndTimesAreLocalAndInTheRightLanguage) {
  const std::int64_t winter = 1798794000;  // 2027-01-01T09:00:00Z
  EXPECT_EQ(local_date(winter, "de"), "Freitag, 1. Januar 2027");
  EXPECT_EQ(local_date(winter, "en"), "Friday, 1 January 2027");
  EXPECT_EQ(local_time(winter, "de"), "10:00 Uhr");
  EXPECT_EQ(local_time(winter, "en"), "10:00");
  const std::int64_t summer = 1806822000;  // 2027-04-04T07:00:00Z
  EXPECT_EQ(local_date(summer, "de"), "Sonntag, 4. April 2027");
  EXPECT_EQ(local_time(summer, "de"), "09:00 Uhr");
  // 23:30 UTC on 2027-03-27 is already Sunday in Berlin.
  EXPECT_EQ(local_date(1806190200, "de"), "Sonntag, 28. März 2027");
}

TEST(MailHeaders, NonAsciiTextIsEncodedAndLineBreaksNeverSurvive) {
  EXPECT_EQ(header_text("Termin am Montag"), "Termin am Montag");
  EXPECT_EQ(header_text("Termin\r\nBcc: x@y"), "Termin  Bcc: x@y");
  const auto encoded = header_text("Terminbestätigung für Frau Müller – sehr lange Betreffzeile ü");
  EXPECT_TRUE(encoded.starts_with("=?UTF-8?B?"));
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
  // Each encoded word decodes to whole characters.
  std::size_t words = 0;
  for (std::size_t at = 0; (at = encoded.find("=?UTF-8?B?", at)) != std::string::npos; ++at) {
    ++words;
  }
  EXPECT_GE(words, 2u);
}

TEST(Transport, ClearTextOnlyToTheLoopbackInterface) {
  EXPECT_TRUE(loopback_url("smtp://127.0.0.1:25"));
  EXPECT_TRUE(loopback_url("smtp://localhost:2525"));
  EXPECT_TRUE(loopback_url("http://[::1]:8080/send"));
  EXPECT_FALSE(loopback_url("smtp://mail.example.org:587"));
  EXPECT_FALSE(loopback_url("smtp://127.0.0.1.example.org:25"));

  MailSettings m;
  m.url = "smtp://mail.example.org:587";
  m.from_address = "termine@praxis.example";
  EXPECT_TRUE(check_mail_settings(m));
  m.url = "http://mail.example.org";
  EXPECT_FALSE(check_mail_settings(m));
  m.url = "smtps://mail.example.org";
  m.from_address = "no address";
  EXPECT_FALSE(check_mail_settings(m));
  m.from_address = "a@b.example";
  m.username = "user";
  EXPECT_FALSE(check_mail_settings(m)) << "a user name needs a password";

  SmsSettings s;
  s.url = "http://gateway.example/send";
  EXPECT_FALSE(check_sms_settings(s)) << "clear text to another machine";
  s.url = "http://127.0.0.1:9000/send";
  EXPECT_TRUE(check_sms_settings(s));
  s.url = "https://gateway.example/send";
  s.body_template = R"({"text":"{{text}}"})";
  EXPECT_FALSE(check_sms_settings(s)) << "no recipient in the body";
}

}  // namespace
}  // namespace praxis::notify
