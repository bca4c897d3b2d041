#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace praxis::app {
namespace {

core::Result<Config> parse(std::string_view text, std::vector<std::string> env = {}) {
  return parse_config(text, "praxis.toml", env);
}

std::string error_of(std::string_view text, std::vector<std::string> env = {}) {
  auto r = parse(text, std::move(env));
  EXPECT_FALSE(r.has_value()) << text;
  return r ? std::string() : r.error().message;
}

TEST(Config, EmptyFileGivesSafeDefaults) {
  auto c = parse("");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->server.max_header_bytes, 16 * 1024);
  EXPECT_EQ(c->server.max_body_bytes, 1024 * 1024);
  EXPECT_EQ(c->store.sqlite_synchronous, "full");
  EXPECT_TRUE(c->log.access_log);
}

// Read handlers: one per core unless configured; two
// per core made the threads preempt each other mid-request (docs/benchmarks.md).
TEST(Config, HandlerThreadsAreOnePerCoreUnlessSet) {
  ServerConfig server;
  const unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(handler_threads(server), std::max(2U, cores));
  server.worker_threads = 7;
  EXPECT_EQ(handler_threads(server), 7U);
  auto parsed = parse_config("[server]\nworker_threads = 3\n", "test", {});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(handler_threads(parsed->server), 3U);
}

TEST(Config, ReadsValues) {
  auto c = parse(R"(
[server]
listen = "[::1]:9443"
max_connections = 10
[log]
access_log = false
level = "warn"
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.host, "::1");
  EXPECT_EQ(c->server.port, 9443);
  EXPECT_EQ(c->server.max_connections, 10);
  EXPECT_FALSE(c->log.access_log);
  EXPECT_EQ(c->log.level, "warn");
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  const auto msg = error_of("[server]\nlisten = \"127.0.0.1:1\"\nlisten_port = 3\n");
  EXPECT_NE(msg.find("praxis.toml:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[server] listen_port"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
}

TEST(Config, UnknownSectionIsAnError) {
  const auto msg = error_of("\n[sever]\nlisten = \"x\"\n");
  EXPECT_NE(msg.find("praxis.toml:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sever"), std::string::npos) << msg;
}

TEST(Config, WrongTypeNamesKeyLineAndExpectedType) {
  const auto msg = error_of("[server]\n\nmax_connections = \"many\"\n");
  EXPECT_NE(msg.find("praxis.toml:3: [server] max_connections"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected an integer"), std::string::npos) << msg;
  EXPECT_NE(error_of("[log]\naccess_log = \"yes\"\n").find("true or false"), std::string::npos);
}

TEST(Config, OutOfRangeAndBadChoices) {
  auto msg = error_of("[server]\nmax_header_bytes = 10\n");
  EXPECT_NE(msg.find("praxis.toml:2: [server] max_header_bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  msg = error_of("[store]\nsqlite_synchronous = \"off\"\n");
  EXPECT_NE(msg.find("sqlite_synchronous"), std::string::npos) << msg;
  EXPECT_NE(msg.find("full, normal"), std::string::npos) << msg;
}

TEST(Config, MalformedListenAddresses) {
  for (const char* bad :
       {"8080", "localhost", "127.0.0.1:http", "127.0.0.1:70000", "::1:80", "[::1:80"}) {
    const auto msg = error_of(std::string("[server]\nlisten = \"") + bad + "\"\n");
    EXPECT_NE(msg.find("[server] listen"), std::string::npos) << bad << ": " << msg;
  }
}

TEST(Config, SyntaxErrorsNameTheLine) {
  const auto msg = error_of("[server]\nlisten = \n");
  EXPECT_NE(msg.find("praxis.toml:2"), std::string::npos) << msg;
}

TEST(Config, TlsCertificateAndKeyComeTogether) {
  const auto msg = error_of("[server]\ntls_certificate = \"/etc/c.pem\"\n");
  EXPECT_NE(msg.find("tls_private_key"), std::string::npos) << msg;
}

TEST(Config, PostgresNeedsTheWorkingAndTheOwningRole) {
  for (const char* text :
       {"[store]\nbackend = \"postgres\"\n",
        "[store]\nbackend = \"postgres\"\npostgres_dsn = \"host=/run/pg user=app\"\n",
        "[store]\nbackend = \"postgres\"\npostgres_owner_dsn = \"host=/run/pg user=own\"\n"}) {
    auto c = parse(text);
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find("postgres_owner_dsn"), std::string::npos);
  }
  auto both = parse(
      "[store]\nbackend = \"postgres\"\npostgres_dsn = \"host=/run/pg user=app\"\n"
      "postgres_owner_dsn = \"host=/run/pg user=own\"\n");
  ASSERT_TRUE(both) << both.error().message;
  EXPECT_EQ(both->store.postgres_owner_dsn, "host=/run/pg user=own");
}

TEST(Config, EnvironmentOverridesTheFile) {
  auto c = parse("[server]\nlisten = \"127.0.0.1:1\"\n",
                 {"PRAXIS_SERVER_LISTEN=127.0.0.1:9999", "PRAXIS_LOG_ACCESS_LOG=false",
                  "PRAXIS_SERVER_IO_THREADS=3", "HOME=/root"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.port, 9999);
  EXPECT_FALSE(c->log.access_log);
  EXPECT_EQ(c->server.io_threads, 3u);
}

TEST(Config, EnvironmentErrorsNameTheVariable) {
  auto msg = error_of("", {"PRAXIS_SERVER_IO_THREADS=two"});
  EXPECT_NE(msg.find("PRAXIS_SERVER_IO_THREADS"), std::string::npos) << msg;
  msg = error_of("", {"PRAXIS_SERVER_LISTN=127.0.0.1:1"});
  EXPECT_NE(msg.find("PRAXIS_SERVER_LISTN: unknown key"), std::string::npos) << msg;
  msg = error_of("", {"PRAXIS_SERVER_MAX_CONNECTIONS=0"});
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
}

TEST(Config, VariablesOutsideConfigSectionsAreIgnored) {
  EXPECT_TRUE(parse("", {"PRAXIS_TEST_PG_DSN=host=/tmp", "PRAXIS_BIN=/x"}));
}

TEST(Config, DefaultFileParsesToTheDefaults) {
  const std::string text = default_config_text();
  auto c = parse(text);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.port, Config{}.server.port);
  for (const auto& spec : config_keys()) {
    EXPECT_NE(text.find("#" + std::string(spec.key) + " = " + std::string(spec.default_text)),
              std::string::npos)
        << spec.key;
    // Uncommenting a default must be accepted and mean the same.
    auto one = parse("[" + std::string(spec.section) + "]\n" + std::string(spec.key) + " = " +
                     std::string(spec.default_text) + "\n");
    EXPECT_TRUE(one) << spec.key << ": " << (one ? "" : one.error().message);
  }
}

TEST(Config, EveryKeyIsDocumentedInOperationsGuide) {
  std::ifstream in(std::string(PRAXIS_SOURCE_DIR) + "/docs/operations.md");
  ASSERT_TRUE(in) << "docs/operations.md is missing";
  std::stringstream s;
  s << in.rdbuf();
  const std::string doc = s.str();
  for (const auto& spec : config_keys()) {
    EXPECT_NE(doc.find("`" + std::string(spec.key) + "`"), std::string::npos)
        << "[" << spec.section << "] " << spec.key << " is not documented";
    EXPECT_NE(doc.find(env_name(spec)), std::string::npos) << env_name(spec);
  }
}

}  // namespace
}  // namespace praxis::app
