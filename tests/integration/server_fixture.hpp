#pragma once
// A real http::Server on 127.0.0.1:0 with test routes, run on its own thread.

#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/log.hpp"
#include "core/random.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace praxis::test {

// Lets a test hold a handler inside its work until released.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    entered_ = true;
    entered_cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  bool wait_entered(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return entered_cv_.wait_for(lock, timeout, [this] { return entered_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable entered_cv_;
  bool open_ = false;
  bool entered_ = false;
};

class TestServer {
 public:
  explicit TestServer(http::ServerOptions options,
                      std::function<void(http::Router&)> add_routes = {})
      : log_({core::LogLevel::info, (dir_.path() / "server.log").string(), /*buffered=*/false}) {
    options.port = 0;
    if (add_routes) add_routes(router_);
    server_ = std::make_unique<http::Server>(options, router_, metrics_, log_, random_);
  }

  ~TestServer() { stop(); }

  void set_authorizer(http::Authorizer* authorizer) { server_->set_authorizer(authorizer); }

  core::Result<void> start() {
    auto r = server_->start();
    if (r) thread_ = std::thread([this] { server_->run(); });
    return r;
  }

  void stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  bool running() const { return thread_.joinable(); }

  std::uint16_t port() const { return server_->port(); }
  http::Metrics& metrics() { return metrics_; }
  const TempDir& dir() const { return dir_; }

  std::string log_text() {
    log_.flush();
    std::ifstream in(dir_.path() / "server.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  TempDir dir_;
  http::Router router_;
  http::Metrics metrics_;
  core::Logger log_;
  core::SystemRandom random_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

}  // namespace praxis::test
