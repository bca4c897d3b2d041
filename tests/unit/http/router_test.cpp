#include "http/router.hpp"

#include <gtest/gtest.h>

namespace praxis::http {
namespace {

Handler named(std::string name) {
  return [name](const Request&) { return Response::text(200, name); };
}

std::string call(const RouteMatch& m) { return m.route->handler(Request{}).body; }

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router r;
  r.add(Method::get, "/api/v1/patients", Access::anyone(), named("list"));
  r.add(Method::get, "/api/v1/patients/{id}", Access::anyone(), named("get"));
  r.add(Method::post, "/api/v1/patients/{id}/merge", Access::anyone(), named("merge"));

  auto m = r.match(Method::get, "/api/v1/patients/p_7Kx");
  ASSERT_EQ(m.status, MatchStatus::found);
  EXPECT_EQ(call(m), "get");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "p_7Kx");

  EXPECT_EQ(call(r.match(Method::get, "/api/v1/patients")), "list");
  EXPECT_EQ(call(r.match(Method::post, "/api/v1/patients/x/merge")), "merge");
}

TEST(Router, DecodesPercentEncodedSegments) {
  Router r;
  r.add(Method::get, "/book/{slug}", Access::anyone(), named("book"));
  auto m = r.match(Method::get, "/book/praxis%20M%C3%BCller");
  ASSERT_EQ(m.status, MatchStatus::found);
  EXPECT_EQ(m.params[0].second, "praxis M\xC3\xBCller");
  // An encoded slash stays inside its segment.
  m = r.match(Method::get, "/book/a%2Fb");
  ASSERT_EQ(m.status, MatchStatus::found);
  EXPECT_EQ(m.params[0].second, "a/b");
}

TEST(Router, RejectsMalformedPaths) {
  Router r;
  r.add(Method::get, "/a/{x}", Access::anyone(), named("a"));
  EXPECT_EQ(r.match(Method::get, "/a/%zz").status, MatchStatus::bad_path);
  EXPECT_EQ(r.match(Method::get, "/a/%4").status, MatchStatus::bad_path);
  EXPECT_EQ(r.match(Method::get, "/a/%00").status, MatchStatus::bad_path);
  EXPECT_EQ(r.match(Method::get, "a").status, MatchStatus::bad_path);
}

TEST(Router, LiteralBeatsParameterWhateverTheOrder) {
  Router r;
  r.add(Method::get, "/items/{id}", Access::anyone(), named("param"));
  r.add(Method::get, "/items/new", Access::anyone(), named("literal"));
  EXPECT_EQ(call(r.match(Method::get, "/items/new")), "literal");
  EXPECT_EQ(call(r.match(Method::get, "/items/other")), "param");
}

TEST(Router, NotFoundForUnknownPathsAndEmptyParameters) {
  Router r;
  r.add(Method::get, "/items/{id}", Access::anyone(), named("param"));
  EXPECT_EQ(r.match(Method::get, "/items").status, MatchStatus::not_found);
  EXPECT_EQ(r.match(Method::get, "/items/").status, MatchStatus::not_found);
  EXPECT_EQ(r.match(Method::get, "/items/a/b").status, MatchStatus::not_found);
  EXPECT_EQ(r.match(Method::get, "/").status, MatchStatus::not_found);
}

TEST(Router, MethodNotAllowedListsAllowedMethodsIncludingHead) {
  Router r;
  r.add(Method::get, "/items/{id}", Access::anyone(), named("get"));
  r.add(Method::delete_, "/items/{id}", Access::anyone(), named("delete"));
  auto m = r.match(Method::post, "/items/1");
  ASSERT_EQ(m.status, MatchStatus::method_not_allowed);
  EXPECT_EQ(allow_header(m.allowed), "GET, HEAD, DELETE");
}

TEST(Router, HeadFallsBackToGet) {
  Router r;
  r.add(Method::get, "/healthz", Access::anyone(), named("get"));
  auto m = r.match(Method::head, "/healthz");
  ASSERT_EQ(m.status, MatchStatus::found);
  EXPECT_EQ(call(m), "get");
}

TEST(Router, RejectsBadPatternsAndDuplicates) {
  Router r;
  r.add(Method::get, "/a/{id}", Access::anyone(), named("a"));
  EXPECT_THROW(r.add(Method::get, "/a/{id}", Access::anyone(), named("b")), std::invalid_argument);
  EXPECT_NO_THROW(r.add(Method::post, "/a/{id}", Access::anyone(), named("c")));
  EXPECT_THROW(r.add(Method::get, "no-slash", Access::anyone(), named("d")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a/{open", Access::anyone(), named("e")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a//b", Access::anyone(), named("f")), std::invalid_argument);
}

TEST(Router, EveryRouteDeclaresItsAccess) {
  Router r;
  EXPECT_THROW(r.add(Method::get, "/x", Access::requires_permission(""), named("x")),
               std::invalid_argument);
  RouteOptions inline_route;
  inline_route.run_inline = true;
  EXPECT_THROW(
      r.add(Method::get, "/y", Access::requires_permission("y.read"), named("y"), inline_route),
      std::invalid_argument);
  const Route& z = r.add(Method::get, "/z", Access::requires_permission("z.read"), named("z"));
  EXPECT_EQ(z.access.kind, Access::Kind::permission);
  EXPECT_EQ(z.access.permission, "z.read");
}

TEST(Router, LargestBodyLimitCoversPerRouteOverrides) {
  Router r;
  r.add(Method::post, "/small", Access::anyone(), named("s"));
  EXPECT_EQ(r.max_body_bytes(1024), 1024u);
  RouteOptions big;
  big.max_body_bytes = 8 * 1024 * 1024;
  r.add(Method::post, "/upload", Access::anyone(), named("u"), big);
  EXPECT_EQ(r.max_body_bytes(1024), 8u * 1024 * 1024);
}

}  // namespace
}  // namespace praxis::http
