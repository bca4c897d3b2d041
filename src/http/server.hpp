#pragma once
// The HTTP/1.1 server. Beast and Asio live only in server.cpp (behind this PImpl).
//
// Contract:
// - Listens on one address; a non-loopback address is refused unless TLS is configured
//   (DESIGN.md T10). TLS: 1.2 minimum, 1.3 preferred, certificate and key from PEM files.
// - Network I/O runs on `io_threads` Asio threads; handlers of reads run on a pool of
//   `worker_threads`, of writes on a pool of `write_threads` (routes marked run_inline
//   on the network thread).
// - Bounds: header bytes (→ 431), body bytes per route (→ 413), read/idle timeouts
//   (→ connection closed), concurrent connections (→ new ones closed at once).
// - Every response carries X-Request-Id and the security headers; there is no Server
//   banner. Each request produces one access-log line: time, request id, method, route
//   pattern (never the raw path or query), status, duration.
// - stop() (or SIGTERM/SIGINT when handle_signals) stops accepting, closes idle
//   connections, lets in-flight requests finish for up to shutdown_grace, then run()
//   returns.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace praxis::http {

struct TlsOptions {
  std::filesystem::path certificate;  // PEM, may include the chain
  std::filesystem::path private_key;  // PEM
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: pick a free port (tests)
  std::optional<TlsOptions> tls;
  unsigned io_threads = 1;
  unsigned worker_threads = 2;
  // Requests that change something (every method but GET and HEAD) wait for a durable
  // commit, mostly off the CPU: they run on a larger pool of their own, so the group
  // commit can gather many of them and reads keep the CPU-sized pool.
  unsigned write_threads = 16;
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::chrono::milliseconds read_timeout{15'000};  // a whole request, once it has begun
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive wait for the next request
  std::chrono::milliseconds shutdown_grace{10'000};
  bool handle_signals = false;  // SIGTERM/SIGINT trigger stop()
  bool access_log = true;
  // Take the client address from the last X-Forwarded-For entry (only behind a reverse
  // proxy that sets it; otherwise clients could pick their own address).
  bool trust_forwarded_for = false;
  // Value of CSP frame-ancestors; "'none'" everywhere unless configured for the widget.
  std::string frame_ancestors = "'none'";
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

class Server {
 public:
  // The router, metrics, logger and random source must outlive the server.
  Server(ServerOptions options, const Router& router, Metrics& metrics, core::Logger& log,
         core::Random& random);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Checks the options, loads TLS material and binds. Errors say how to fix them.
  [[nodiscard]] core::Result<void> start();
  // The bound port (after start).
  std::uint16_t port() const;
  // Serves until stop() or a signal; returns after the graceful shutdown.
  void run();
  // Thread-safe; may be called before run() or from a handler.
  void stop();
  // The choke point for routes that require a permission; must outlive the server.
  // Without one, every such route answers 401. Set before start().
  void set_authorizer(Authorizer* authorizer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace praxis::http
