#pragma once
// The composition root: builds every component of a running server from the
// configuration and wires them together by reference. Nothing else constructs services.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace praxis::app {

class App {
 public:
  // `passphrase` is asked only if the master key is derived from a passphrase.
  App(Config config, DataDir data_dir, core::Logger& log, PassphraseSource passphrase = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Refuses insecure set-ups (key file permissions, a non-loopback listener without
  // TLS), opens the store and binds the listener. ErrorCode::invalid_input means the
  // configuration must change (the CLI exits 78).
  [[nodiscard]] core::Result<void> start(bool handle_signals);
  void run();
  void stop();

  std::uint16_t port() const;
  std::string base_url() const;

 private:
  void checkpoint_audit(bool force);
  struct Parts;
  Config config_;
  DataDir data_dir_;
  core::Logger& log_;
  PassphraseSource passphrase_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace praxis::app
