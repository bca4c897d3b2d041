#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>

#include "http/problem.hpp"
#include "server_fixture.hpp"

namespace praxis::test {
namespace {

using namespace std::chrono_literals;
using http::Access;
using http::Method;
using http::Request;
using http::Response;

constexpr std::size_t kDefaultBodyLimit = 1024;
constexpr std::size_t kUploadLimit = 64 * 1024;

http::ServerOptions fast_options() {
  http::ServerOptions o;
  o.io_threads = 1;
  o.worker_threads = 2;
  o.max_body_bytes = kDefaultBodyLimit;
  o.read_timeout = 400ms;
  o.idle_timeout = 400ms;
  o.shutdown_grace = 5s;
  return o;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(options(), [this](http::Router& r) {
      r.add(Method::get, "/hello", Access::anyone(),
            [](const Request&) { return Response::text(200, "hello"); });
      r.add(Method::post, "/echo", Access::anyone(),
            [](const Request& q) { return Response::text(200, q.body); });
      http::RouteOptions upload;
      upload.max_body_bytes = kUploadLimit;
      r.add(
          Method::post, "/upload", Access::anyone(),
          [](const Request& q) { return Response::text(200, std::to_string(q.body.size())); },
          upload);
      r.add(Method::get, "/boom", Access::anyone(), [](const Request&) -> Response {
        throw std::runtime_error("internal detail: table patients is locked");
      });
      r.add(Method::get, "/slow", Access::anyone(), [this](const Request&) {
        gate_.wait();
        return Response::text(200, "finally");
      });
      r.add(Method::get, "/inject", Access::anyone(), [](const Request& q) {
        Response resp = Response::text(200, "x");
        resp.headers.push_back({"X-Note", std::string(q.query_param("v").value_or(""))});
        return resp;
      });
      r.add(Method::delete_, "/items/{id}", Access::anyone(), [](const Request&) {
        Response empty;
        empty.status = 204;
        return empty;
      });
      r.add(Method::get, "/items/{id}", Access::anyone(), [](const Request& q) {
        return Response::text(200,
                              std::string(q.param("id")) + "|" + q.query_param("q").value_or("-"));
      });
    });
    ASSERT_TRUE(server_->start());
  }
  void TearDown() override {
    gate_.open();
    server_->stop();
  }
  virtual http::ServerOptions options() { return fast_options(); }

  std::uint16_t port() { return server_->port(); }

  Gate gate_;
  std::unique_ptr<TestServer> server_;
};

// The server accounts for a request just after the client has its response.
bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

void expect_security_headers(const HttpResponse& r) {
  SCOPED_TRACE("status " + std::to_string(r.status));
  const std::string csp = r.header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
  EXPECT_EQ(r.header("x-frame-options"), "DENY");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(r.header("x-request-id").size(), 32u);
  EXPECT_FALSE(r.has_header("server")) << "no version banner";
  EXPECT_FALSE(r.has_header("strict-transport-security")) << "HSTS only over TLS";
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpConnection conn(port());
  for (int i = 0; i < 3; ++i) {
    auto r = conn.request("GET", "/hello");
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
  }
  // Pipelined requests arrive in one packet and are answered in order.
  conn.send("GET /items/a HTTP/1.1\r\nHost: x\r\n\r\nGET /items/b HTTP/1.1\r\nHost: x\r\n\r\n");
  auto a = conn.read_response();
  auto b = conn.read_response();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, "a|-");
  EXPECT_EQ(b->body, "b|-");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  HttpConnection conn(port());
  auto r = conn.request("GET", "/hello", {}, "Connection: close\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(conn.wait_closed(2s));
}

TEST_F(ServerTest, PathAndQueryParametersAreDecoded) {
  auto r = http_request(port(), "GET", "/items/M%C3%BCller?q=a%20b&x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "M\xC3\xBCller|a b");
}

TEST_F(ServerTest, UnknownPathIsProblem404) {
  auto r = http_request(port(), "GET", "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  auto body = boost::json::parse(r->body).as_object();
  EXPECT_EQ(body.at("type").as_string(), "urn:praxis:problem:not-found");
  EXPECT_EQ(body.at("status").as_int64(), 404);
  EXPECT_EQ(body.at("request_id").as_string(), r->header("x-request-id"));
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  auto r = http_request(port(), "DELETE", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET, HEAD");
  auto items = http_request(port(), "POST", "/items/1");
  ASSERT_TRUE(items);
  EXPECT_EQ(items->header("allow"), "GET, HEAD, DELETE");
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
}

TEST_F(ServerTest, UnknownMethodIs501) {
  auto r = http_request(port(), "BREW", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
}

TEST_F(ServerTest, HeadAnswersHeadersWithoutBody) {
  HttpConnection conn(port());
  auto r = conn.request("HEAD", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length"), "5");
  // The connection stays usable: no stray body bytes precede the next response.
  auto next = conn.request("GET", "/hello");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(ServerTest, BodyOverTheLimitIs413AndClosesTheConnection) {
  HttpConnection conn(port());
  const std::string big(kDefaultBodyLimit + 1, 'x');
  auto r = conn.request("POST", "/echo", big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  EXPECT_TRUE(conn.wait_closed(2s));

  auto ok = http_request(port(), "POST", "/echo", std::string(kDefaultBodyLimit, 'y'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body.size(), kDefaultBodyLimit);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413) {
  HttpConnection conn(port());
  std::string raw = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) raw += "200\r\n" + std::string(0x200, 'z') + "\r\n";
  raw += "0\r\n\r\n";
  conn.send(raw);
  auto r = conn.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, RoutesCanAcceptLargerBodies) {
  auto r = http_request(port(), "POST", "/upload", std::string(kUploadLimit, 'u'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::to_string(kUploadLimit));
  auto too_big = http_request(port(), "POST", "/upload", std::string(kUploadLimit + 1, 'u'));
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
}

TEST_F(ServerTest, ExpectContinueIsAnswered) {
  HttpConnection conn(port());
  conn.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto cont = conn.read_response(2s);
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  conn.send("ping");
  auto r = conn.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ping");
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  HttpConnection conn(port());
  auto r = conn.request("GET", "/hello", {}, "X-Fill: " + std::string(17 * 1024, 'h') + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(conn.wait_closed(2s));
}

TEST_F(ServerTest, GarbageIs400) {
  HttpConnection conn(port());
  conn.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = conn.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(conn.wait_closed(2s));
}

TEST_F(ServerTest, SlowClientIsDisconnected) {
  HttpConnection conn(port());
  conn.send("GET /hello HTTP/1.1\r\nHost: x\r\n");  // header never finishes
  EXPECT_TRUE(conn.wait_closed(3s));
}

TEST_F(ServerTest, SlowBodyIsDisconnected) {
  HttpConnection conn(port());
  conn.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part");
  EXPECT_TRUE(conn.wait_closed(3s));
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpConnection conn(port());
  ASSERT_TRUE(conn.request("GET", "/hello"));
  EXPECT_TRUE(conn.wait_closed(3s));
}

TEST_F(ServerTest, SecurityHeadersOnEveryStatus) {
  for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/hello"}, {"GET", "/nope"}, {"PUT", "/hello"}, {"GET", "/boom"}}) {
    auto r = http_request(port(), method, target);
    ASSERT_TRUE(r) << target;
    expect_security_headers(*r);
  }
  HttpConnection conn(port());
  auto too_large = conn.request("POST", "/echo", std::string(kDefaultBodyLimit + 10, 'x'));
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  expect_security_headers(*too_large);
  HttpConnection conn2(port());
  conn2.send("nonsense\r\n\r\n");
  auto bad = conn2.read_response();
  ASSERT_TRUE(bad);
  expect_security_headers(*bad);
}

TEST_F(ServerTest, HeaderInjectionFromHandlerDataIsRefused) {
  HttpConnection conn(port());
  auto ok = conn.request("GET", "/inject?v=plain");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->header("x-note"), "plain");
  auto r = conn.request("GET", "/inject?v=a%0D%0ASet-Cookie:%20evil=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->has_header("set-cookie"));
  auto after = conn.request("GET", "/items/z");  // the connection is still in sync
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "z|-");
}

TEST_F(ServerTest, NoContentHasNoBodyOrLength) {
  HttpConnection conn(port());
  auto r = conn.request("DELETE", "/items/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_FALSE(r->has_header("content-length"));
  auto after = conn.request("GET", "/items/2");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "2|-");
}

TEST_F(ServerTest, Http10ClientsGetKeepAliveOnlyWhenAsked) {
  HttpConnection conn(port());
  conn.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto r = conn.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "keep-alive");
  conn.send("GET /hello HTTP/1.0\r\n\r\n");
  auto last = conn.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "hello");
  EXPECT_TRUE(conn.wait_closed(2s));
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutInternalDetail) {
  auto r = http_request(port(), "GET", "/boom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("patients"), std::string::npos);
  const std::string id = r->header("x-request-id");
  const std::string log = server_->log_text();
  EXPECT_NE(log.find("\"event\":\"handler_exception\",\"request_id\":\"" + id + "\""),
            std::string::npos)
      << log;
}

TEST_F(ServerTest, AccessLogHasRequestIdAndRoutePatternButNoQuery) {
  auto r = http_request(port(), "GET", "/items/p123?q=Schmidt");
  ASSERT_TRUE(r);
  const std::string id = r->header("x-request-id");
  ASSERT_EQ(id.size(), 32u);
  std::string log;
  EXPECT_TRUE(eventually([&] {
    log = server_->log_text();
    return log.find("\"request_id\":\"" + id + "\"") != std::string::npos;
  }));
  const auto line_start = log.find("\"request_id\":\"" + id + "\"");
  ASSERT_NE(line_start, std::string::npos) << log;
  const std::string line = log.substr(line_start, log.find('\n', line_start) - line_start);
  EXPECT_NE(line.find("\"method\":\"GET\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"route\":\"/items/{id}\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"status\":200"), std::string::npos) << line;
  EXPECT_NE(line.find("\"duration_ms\":"), std::string::npos) << line;
  EXPECT_EQ(log.find("Schmidt"), std::string::npos) << "search terms must not be logged";
  EXPECT_EQ(log.find("p123"), std::string::npos) << "raw paths must not be logged";
}

TEST_F(ServerTest, RequestIdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i)
    ids.insert(http_request(port(), "GET", "/hello")->header("x-request-id"));
  EXPECT_EQ(ids.size(), 20u);
}

TEST_F(ServerTest, HandlersRunOffTheNetworkThread) {
  // One network thread: if the slow handler ran on it, nothing else would be answered.
  auto slow =
      std::async(std::launch::async, [this] { return http_request(port(), "GET", "/slow"); });
  ASSERT_TRUE(gate_.wait_entered(5s));
  auto quick = http_request(port(), "GET", "/hello");
  ASSERT_TRUE(quick);
  EXPECT_EQ(quick->status, 200);
  EXPECT_TRUE(eventually([this] { return server_->metrics().in_flight() == 1; }));
  gate_.open();
  auto r = slow.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "finally");
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequest) {
  auto slow = std::async(std::launch::async, [this] {
    HttpConnection conn(port());  // keep-alive: the server must end it after answering
    auto r = conn.request("GET", "/slow");
    return std::make_pair(r, conn.wait_closed(3s));
  });
  ASSERT_TRUE(gate_.wait_entered(5s));
  HttpConnection idle(port());  // an idle keep-alive connection must not hold up shutdown
  ASSERT_TRUE(idle.request("GET", "/hello"));

  auto stopped = std::async(std::launch::async, [this] { server_->stop(); });
  EXPECT_TRUE(idle.wait_closed(3s));
  // New connections are refused once shutdown began.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    try {
      HttpConnection probe(port());
      refused = !probe.request("GET", "/hello").has_value();
    } catch (const std::exception&) {
      refused = true;
    }
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(stopped.wait_for(200ms), std::future_status::timeout) << "must wait for the request";
  gate_.open();
  auto [r, closed] = slow.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finally");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(closed);
  stopped.get();
  EXPECT_FALSE(server_->running());
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  ASSERT_TRUE(http_request(port(), "GET", "/items/1"));
  ASSERT_TRUE(http_request(port(), "GET", "/items/2"));
  ASSERT_TRUE(http_request(port(), "GET", "/nothing"));
  EXPECT_TRUE(eventually([this] {
    const std::string text = server_->metrics().render();
    return text.find("route=\"/items/{id}\",status=\"200\"} 2") != std::string::npos &&
           text.find("route=\"unmatched\",status=\"404\"} 1") != std::string::npos;
  })) << server_->metrics().render();
}

// A stand-in for the account service: the caller's role comes from a test header.
class HeaderAuthorizer final : public http::Authorizer {
 public:
  core::Result<http::Principal> authorize(const Request& request,
                                          std::string_view permission) override {
    auto role = request.header("X-Test-Role");
    if (!role) return core::fail(core::ErrorCode::unauthenticated, "Bitte anmelden.");
    if (permission == "things.write" && *role != "owner") {
      return core::fail(core::ErrorCode::forbidden, "Keine Berechtigung.");
    }
    http::Principal p;
    p.user_id = "user-1";
    p.practice_id = "practice-1";
    p.role = std::string(*role);
    return p;
  }
};

void add_protected_routes(http::Router& r) {
  r.add(Method::get, "/things", Access::requires_permission("things.read"), [](const Request& q) {
    return Response::text(
        200, q.principal ? q.principal->role + "@" + q.principal->practice_id : "none");
  });
  r.add(Method::post, "/things", Access::requires_permission("things.write"),
        [](const Request&) { return Response::text(201, "created"); });
}

TEST(ChokePoint, WithoutAnAuthorizerProtectedRoutesAnswer401) {
  TestServer server(fast_options(), add_protected_routes);
  ASSERT_TRUE(server.start());
  auto r = http_request(server.port(), "GET", "/things", {}, "X-Test-Role: owner\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("content-type"), "application/problem+json");
  expect_security_headers(*r);
}

TEST(ChokePoint, TheAuthorizerDecidesAndTheHandlerSeesThePrincipal) {
  HeaderAuthorizer authorizer;
  TestServer server(fast_options(), add_protected_routes);
  server.set_authorizer(&authorizer);
  ASSERT_TRUE(server.start());
  auto anonymous = http_request(server.port(), "GET", "/things");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto reader = http_request(server.port(), "GET", "/things", {}, "X-Test-Role: reception\r\n");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->status, 200);
  EXPECT_EQ(reader->body, "reception@practice-1");
  auto denied = http_request(server.port(), "POST", "/things", "{}", "X-Test-Role: reception\r\n");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  auto owner = http_request(server.port(), "POST", "/things", "{}", "X-Test-Role: owner\r\n");
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->status, 201);
}

class LimitedServerTest : public ServerTest {
 protected:
  http::ServerOptions options() override {
    auto o = fast_options();
    o.max_connections = 2;
    o.idle_timeout = 10s;
    o.read_timeout = 10s;
    return o;
  }
};

TEST_F(LimitedServerTest, ConnectionsBeyondTheLimitAreClosed) {
  HttpConnection a(port());
  HttpConnection b(port());
  ASSERT_TRUE(a.request("GET", "/hello"));
  ASSERT_TRUE(b.request("GET", "/hello"));
  HttpConnection c(port());
  EXPECT_TRUE(c.wait_closed(2s));
  EXPECT_TRUE(eventually([this] {
    return server_->metrics().render().find("praxis_http_rejected_connections_total 1") !=
           std::string::npos;
  }));
  // Capacity returns when a connection ends.
  a.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(a.read_response());
  ASSERT_TRUE(a.wait_closed(2s));
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    HttpConnection d(port());
    served = d.request("GET", "/hello").has_value();
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST(ServerStart, RefusesNonLoopbackWithoutTls) {
  for (const char* host : {"0.0.0.0", "::", "192.0.2.10"}) {
    http::ServerOptions o = fast_options();
    o.host = host;
    TestServer server(o);
    auto r = server.start();
    ASSERT_FALSE(r) << host;
    EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("127.0.0.1"), std::string::npos) << "must say how to fix it";
  }
}

TEST(ServerStart, ReportsAPortInUse) {
  TestServer first(fast_options());
  ASSERT_TRUE(first.start());
  http::ServerOptions o = fast_options();
  core::Logger log({core::LogLevel::error, "", false});
  core::SystemRandom random;
  http::Router router;
  http::Metrics metrics;
  o.port = first.port();
  http::Server second(o, router, metrics, log, random);
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot listen"), std::string::npos);
}

TEST(ServerStart, StopBeforeRunReturns) {
  TestServer server(fast_options());
  ASSERT_TRUE(server.start());
  server.stop();
  EXPECT_FALSE(server.running());
}

}  // namespace
}  // namespace praxis::test
