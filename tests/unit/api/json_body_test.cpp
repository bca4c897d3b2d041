#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include "api/authorizer.hpp"

namespace praxis::api {
namespace {

std::vector<std::pair<std::string, std::string>> field_errors(const core::Error& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : e.fields) out.emplace_back(f.field, f.code);
  return out;
}

TEST(JsonBody, MalformedOrNotAnObject) {
  for (const char* text : {"", "{", "{\"a\":1,}", "[1,2]", "\"x\"", "null"}) {
    auto b = JsonBody::parse(text);
    ASSERT_FALSE(b) << text;
    EXPECT_EQ(b.error().code, core::ErrorCode::invalid_input);
    ASSERT_EQ(b.error().fields.size(), 1u);
    EXPECT_EQ(b.error().fields[0].field, "body");
  }
}

TEST(JsonBody, ReportsEveryProblemAtOnce) {
  auto b = JsonBody::parse(
      R"({"email": 5, "name": "xxxxxxxxxxx", "flag": "yes", "n": 1000, "list": ["a", 2], "extra": 1})");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->string("email", Need::required, 254));
  EXPECT_FALSE(b->string("name", Need::required, 5));
  EXPECT_FALSE(b->boolean("flag", Need::optional));
  EXPECT_FALSE(b->integer("n", Need::optional, 1, 365));
  EXPECT_FALSE(b->strings("list", Need::optional, 10, 10));
  EXPECT_FALSE(b->string("password", Need::required, 100));
  auto r = b->finish();
  ASSERT_FALSE(r);
  EXPECT_EQ(field_errors(r.error()),
            (std::vector<std::pair<std::string, std::string>>{{"email", "type"},
                                                              {"name", "too_long"},
                                                              {"flag", "type"},
                                                              {"n", "range"},
                                                              {"list[1]", "type"},
                                                              {"password", "required"},
                                                              {"extra", "unknown"}}));
}

TEST(JsonBody, ReadsWellFormedInput) {
  auto b = JsonBody::parse(R"({"a": "x", "b": true, "c": 7, "d": ["p", "q"], "e": null})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->string("a", Need::required, 10), "x");
  EXPECT_EQ(b->boolean("b", Need::required), true);
  EXPECT_EQ(b->integer("c", Need::required, 1, 10), 7);
  EXPECT_EQ(b->strings("d", Need::required, 5, 5), (std::vector<std::string>{"p", "q"}));
  auto e = b->nullable_string("e", 10);
  ASSERT_TRUE(e);
  EXPECT_FALSE(*e) << "null clears";
  EXPECT_FALSE(b->string("absent", Need::optional, 10));
  EXPECT_TRUE(b->finish());
}

TEST(Cookies, FindsTheSessionCookieAmongOthers) {
  http::Request r;
  r.headers.push_back({"cookie", "a=1; __Host-praxis=abc ;b=2"});
  EXPECT_EQ(cookie_value(r, kSessionCookie), "abc");
  EXPECT_EQ(cookie_value(r, "b"), "2");
  EXPECT_FALSE(cookie_value(r, "praxis"));
  auto c = credentials_of(r);
  EXPECT_EQ(c.session_token, "abc");
  EXPECT_FALSE(c.state_changing);
  r.method = http::Method::post;
  r.headers.push_back({"Authorization", "Basic xyz"});
  c = credentials_of(r);
  EXPECT_TRUE(c.state_changing);
  EXPECT_EQ(c.bearer_token, "") << "a non-Bearer Authorization header is not ignored";
}

TEST(Cookies, SessionCookieHasEveryAttribute) {
  const auto cookie = session_cookie("tok");
  for (const char* attribute :
       {"__Host-praxis=tok", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"}) {
    EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute;
  }
  EXPECT_NE(expired_session_cookie().find("Max-Age=0"), std::string::npos);
}

}  // namespace
}  // namespace praxis::api
