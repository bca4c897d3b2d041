#include "app/app.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "app/keys.hpp"
#include "app/routes.hpp"
#include "app/store_factory.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/master_key.hpp"
#include "http/handlers/ops.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace praxis::app {

struct App::Parts {
  std::optional<DataDirLock> lock;
  core::SystemRandom random;
  std::unique_ptr<crypto::KeyRing> keys;
  std::unique_ptr<store::Store> store;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<http::Server> server;
};

namespace {

http::ServerOptions server_options(const Config& config, bool handle_signals) {
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const auto& s = config.server;
  http::ServerOptions o;
  o.host = s.host;
  o.port = s.port;
  if (!s.tls_certificate.empty()) o.tls = http::TlsOptions{s.tls_certificate, s.tls_private_key};
  o.io_threads = s.io_threads ? s.io_threads : cores;
  o.worker_threads = s.worker_threads ? s.worker_threads : std::max(2U, 2 * cores);
  o.max_connections = static_cast<std::size_t>(s.max_connections);
  o.max_header_bytes = static_cast<std::size_t>(s.max_header_bytes);
  o.max_body_bytes = static_cast<std::size_t>(s.max_body_bytes);
  o.read_timeout = std::chrono::seconds(s.read_timeout_seconds);
  o.idle_timeout = std::chrono::seconds(s.idle_timeout_seconds);
  o.shutdown_grace = std::chrono::seconds(s.shutdown_grace_seconds);
  o.handle_signals = handle_signals;
  o.access_log = config.log.access_log;
  return o;
}

}  // namespace

App::App(Config config, DataDir data_dir, core::Logger& log, PassphraseSource passphrase)
    : config_(std::move(config)),
      data_dir_(std::move(data_dir)),
      log_(log),
      passphrase_(std::move(passphrase)),
      parts_(std::make_unique<Parts>()) {}

App::~App() = default;

core::Result<void> App::start(bool handle_signals) {
  auto lock = DataDirLock::acquire(data_dir_);
  if (!lock) return tl::unexpected(lock.error());
  parts_->lock.emplace(std::move(*lock));
  auto masters = load_master_keys(data_dir_, passphrase_);
  if (!masters) return tl::unexpected(masters.error());
  if (masters->size() > 1) {
    log_.warn("master_key_rotation_unfinished",
              {{"keys", masters->size()}, {"hint", "run praxis keys rotate, then --finish"}});
  }
  parts_->keys = std::make_unique<crypto::KeyRing>(std::move(*masters));

  auto store = open_store(config_, data_dir_);
  if (!store) return tl::unexpected(store.error());
  parts_->store = std::move(*store);
  // A PostgreSQL database starts without the server signing seed that init puts into
  // the SQLite file; creating it here is idempotent for both.
  if (auto r = check_keys_open_store(*parts_->store, *parts_->keys); !r) return r;
  if (auto r = ensure_server_signing_key(*parts_->store, *parts_->keys); !r) return r;

  auto& p = *parts_;
  add_all_routes(p.router, {p.metrics, [&p] { return p.store->ping(); }});

  p.server = std::make_unique<http::Server>(server_options(config_, handle_signals), p.router,
                                            p.metrics, log_, p.random);
  if (auto r = p.server->start(); !r) return r;
  log_.info("server_started", {{"host", config_.server.host},
                               {"port", p.server->port()},
                               {"tls", !config_.server.tls_certificate.empty()}});
  return {};
}

void App::run() { parts_->server->run(); }
void App::stop() { parts_->server->stop(); }
std::uint16_t App::port() const { return parts_->server ? parts_->server->port() : 0; }

std::string App::base_url() const { return app::base_url(config_.server, port()); }

}  // namespace praxis::app
