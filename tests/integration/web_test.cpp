// The web front ends as the server delivers them (issue #10): the booking page per
// practice, framable only by the sites the practice allows; the widget loader, which
// other sites may load; hashed assets cached for a year; the security headers intact.

#include <gtest/gtest.h>

#include "integration/staff_fixture.hpp"

namespace praxis::test {
namespace {

class WebPages : public testing::Test {
 protected:
  StaffApi api;
  std::string practice = api.add_practice("online");
  Session owner =
      api.mint_session(practice, api.add_active_user(practice, "o@online.example", "owner"));
};

TEST_F(WebPages, BookingPageIsNotFramableByDefault) {
  for (const char* path : {"/book/online", "/book/online/manage"}) {
    auto r = api.call("GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("Online-Terminbuchung"), std::string::npos);
    EXPECT_NE(r.header("content-security-policy").find("frame-ancestors 'none'"),
              std::string::npos);
    EXPECT_EQ(r.header("x-frame-options"), "DENY");
    EXPECT_EQ(r.header("cross-origin-resource-policy"), "same-origin");
    EXPECT_EQ(r.header("cache-control"), "no-cache");
    EXPECT_FALSE(r.header("etag").empty());
  }
}

TEST_F(WebPages, BookingPageIsFramableByThePracticesOwnSites) {
  auto put = api.call(
      "PUT", "/api/v1/booking-rules",
      R"({"embed_origins":["https://www.praxis-online.de","http://localhost:8000"]})", &owner);
  ASSERT_EQ(put.status, 200) << put.body;
  auto r = api.call("GET", "/book/online");
  ASSERT_EQ(r.status, 200);
  const auto csp = r.header("content-security-policy");
  EXPECT_NE(csp.find("frame-ancestors https://www.praxis-online.de http://localhost:8000"),
            std::string::npos)
      << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_FALSE(r.has_header("x-frame-options"));
  // Only the booking page: the staff app and the API stay unframable.
  for (const char* path : {"/app", "/api/v1/public/practices/online"}) {
    auto other = api.call("GET", path);
    EXPECT_NE(other.header("content-security-policy").find("frame-ancestors 'none'"),
              std::string::npos)
        << path;
  }
  // Another practice keeps its own (empty) list.
  api.add_practice("andere");
  auto andere = api.call("GET", "/book/andere");
  EXPECT_NE(andere.header("content-security-policy").find("frame-ancestors 'none'"),
            std::string::npos);
}

TEST_F(WebPages, EmbedOriginsMustBePlainHttpsOrigins) {
  auto r = api.call("PUT", "/api/v1/booking-rules",
                    R"({"embed_origins":["http://www.praxis-online.de","https://x.de/pfad",)"
                    R"("https://x.de; script-src *","*"]})",
                    &owner);
  ASSERT_EQ(r.status, 400) << r.body;
  auto body = json_of(r);
  EXPECT_EQ(body.at("errors").as_array().size(), 4U);
  auto page = api.call("GET", "/book/online");
  EXPECT_NE(page.header("content-security-policy").find("frame-ancestors 'none'"),
            std::string::npos);
}

TEST_F(WebPages, UnknownPracticeGetsThePageWith404) {
  auto r = api.call("GET", "/book/keine-praxis");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(r.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
}

TEST_F(WebPages, WidgetScriptMayBeLoadedByOtherSites) {
  auto r = api.call("GET", "/widget.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r.header("cross-origin-resource-policy"), "cross-origin");
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("cache-control"), "no-cache");
}

TEST_F(WebPages, HashedAssetsAreImmutableAndCompressed) {
  auto r = api.call("GET", "/assets/book-1a2b3c4d.js", {}, nullptr, "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(r.header("cross-origin-resource-policy"), "same-origin");
  auto again = api.call("GET", "/assets/book-1a2b3c4d.js", {}, nullptr,
                        "Accept-Encoding: gzip\r\nIf-None-Match: " + r.header("etag") + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  auto head = api.call("HEAD", "/assets/book-1a2b3c4d.js");
  EXPECT_EQ(head.status, 200);
  for (const char* path : {"/assets/missing.js", "/assets/..%2Fbook.html",
                           "/assets/%2e%2e%2fapp.html", "/assets/../staff.db"}) {
    auto missing = api.call("GET", path);
    EXPECT_EQ(missing.status, 404) << path;
  }
}

TEST_F(WebPages, StaffAppPagesServeTheApp) {
  for (const char* path : {"/app", "/app/enrol"}) {
    auto r = api.call("GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  }
}

TEST_F(WebPages, TrailingSlashLeadsToThePage) {
  auto r = api.call("GET", "/app/");
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(r.header("location"), "/app");
  auto with_query = api.call("GET", "/book/online/?lang=en");
  EXPECT_EQ(with_query.status, 308);
  EXPECT_EQ(with_query.header("location"), "/book/online?lang=en");
  // Never for the API, never for what needs a session, never to another site.
  EXPECT_EQ(api.call("GET", "/api/v1/public/practices/online/").status, 404);
  EXPECT_EQ(api.call("GET", "/api/v1/patients/").status, 404);
  EXPECT_EQ(api.call("GET", "//evil.example/").status, 404);
}

}  // namespace
}  // namespace praxis::test
