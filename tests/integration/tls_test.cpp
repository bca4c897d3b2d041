#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <cstdlib>

#include "server_fixture.hpp"

namespace praxis::test {
namespace {

using namespace std::chrono_literals;

// A self-signed certificate made by the openssl command line for each test.
struct Certificate {
  std::filesystem::path cert;
  std::filesystem::path key;
};

Certificate make_certificate(const std::filesystem::path& dir) {
  Certificate c{dir / "cert.pem", dir / "key.pem"};
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout " +
      c.key.string() + " -out " + c.cert.string() + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return c;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Certificate c = make_certificate(certs_.path());
    http::ServerOptions o;
    o.io_threads = 1;
    o.worker_threads = 1;
    o.host = "0.0.0.0";  // allowed: TLS is configured
    o.tls = http::TlsOptions{c.cert, c.key};
    server_ = std::make_unique<TestServer>(o, [](http::Router& r) {
      r.add(http::Method::get, "/hello", http::Access::anyone(), [](const http::Request& q) {
        return http::Response::text(200, q.tls ? "tls" : "plain");
      });
    });
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
  }

  TempDir certs_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(TlsTest, ServesHttpsWithHsts) {
  HttpConnection conn(server_->port(), TlsClientOptions{});
  ASSERT_TRUE(conn.ok());
  for (int i = 0; i < 2; ++i) {  // keep-alive over TLS
    auto r = conn.request("GET", "/hello");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "tls");
    EXPECT_EQ(r->header("strict-transport-security"), "max-age=63072000; includeSubDomains");
  }
}

TEST_F(TlsTest, RefusesTlsOlderThan12) {
  HttpConnection old(server_->port(), TlsClientOptions{TLS1_1_VERSION});
  EXPECT_FALSE(old.ok());
  HttpConnection tls12(server_->port(), TlsClientOptions{TLS1_2_VERSION});  // control
  ASSERT_TRUE(tls12.ok());
  auto r = tls12.request("GET", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortGetsNoAnswer) {
  HttpConnection conn(server_->port());
  conn.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_FALSE(conn.read_response(2s).has_value());
}

TEST(TlsStart, BadCertificateOrKeyIsAClearError) {
  TempDir dir;
  const Certificate c = make_certificate(dir.path());
  http::ServerOptions o;
  o.tls = http::TlsOptions{dir.path() / "missing.pem", c.key};
  TestServer missing(o);
  auto r = missing.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;

  // A key that does not belong to the certificate.
  std::filesystem::create_directory(dir.path() / "other");
  const Certificate unrelated = make_certificate(dir.path() / "other");
  o.tls = http::TlsOptions{c.cert, unrelated.key};
  TestServer mismatched(o);
  r = mismatched.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("private key"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace praxis::test
