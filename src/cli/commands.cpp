#include "cli/commands.hpp"

#include <cstdio>
#include <iostream>

#include "app/app.hpp"
#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/doctor.hpp"
#include "app/keys.hpp"
#include "cli/passphrase.hpp"
#include "cli/version.hpp"
#include "core/log.hpp"

namespace praxis::cli {
namespace {

// Start-up errors go to the operator's terminal, so the internal detail is shown too.
void print_error(const core::Error& e) {
  std::cerr << "praxis: " << e.message;
  if (!e.internal.empty()) std::cerr << " (" << e.internal << ")";
  std::cerr << "\n";
}

}  // namespace

int run_init(const std::filesystem::path& data_dir, bool passphrase) {
  const app::DataDir dir{data_dir};
  std::optional<std::string> secret;
  if (passphrase) {
    auto text = read_passphrase(/*confirm=*/true);
    if (!text) {
      print_error(text.error());
      return kExitCannotCreate;
    }
    secret = std::move(*text);
  }
  if (auto r = app::init_data_dir(dir, secret); !r) {
    print_error(r.error());
    return kExitCannotCreate;
  }
  std::cout << "Created data directory " << data_dir.string() << "\n"
            << "  " << dir.config().string() << "   configuration (every key documented)\n";
  if (passphrase) {
    std::cout << "  " << dir.master_salt().string()
              << "   salt for the passphrase: the key exists only while praxis runs;\n"
              << "       without the passphrase the data cannot be read\n";
  } else {
    std::cout << "  " << dir.master_key().string()
              << "   master key: keep a copy offline; without it the data cannot be read\n";
  }
  std::cout << "  " << dir.database().string() << "   database (encrypted fields)\n"
            << "Start the server with: praxis serve --data " << data_dir.string() << "\n";
  return kExitOk;
}

int run_serve(const std::filesystem::path& data_dir, const std::optional<std::string>& listen) {
  const app::DataDir dir{data_dir};
  auto config = app::load_config(dir.config());
  if (!config) {
    print_error(config.error());
    return kExitConfig;
  }
  if (listen) {
    if (auto message = app::set_listen(*config, *listen)) {
      std::cerr << "praxis: --listen " << *listen << ": " << *message << "\n";
      return kExitConfig;
    }
  }
  core::LogOptions log_options;
  core::parse_log_level(config->log.level, log_options.level);
  log_options.file = config->log.file;
  core::Logger log(log_options);

  app::App application(*config, dir, log, [] { return read_passphrase(/*confirm=*/false); });
  if (auto r = application.start(/*handle_signals=*/true); !r) {
    print_error(r.error());
    log.error("start_failed", {{"error", r.error().message}});
    return r.error().code == core::ErrorCode::invalid_input ? kExitConfig : kExitFailure;
  }
  std::cout << "praxis " << kVersion << " serves " << application.base_url() << "/\n"
            << "  health:  " << application.base_url() << "/healthz\n"
            << "  stop with Ctrl+C (SIGINT) or SIGTERM" << std::endl;
  application.run();
  std::cout << "praxis stopped" << std::endl;
  return kExitOk;
}

int run_doctor(const std::filesystem::path& data_dir) {
  const auto findings = app::run_doctor(app::DataDir{data_dir});
  int failures = 0;
  int warnings = 0;
  for (const auto& f : findings) {
    const char* tag = "OK  ";
    if (f.severity == app::Severity::warn) {
      tag = "WARN";
      ++warnings;
    } else if (f.severity == app::Severity::fail) {
      tag = "FAIL";
      ++failures;
    }
    std::cout << tag << "  " << f.check << ": " << f.message << "\n";
  }
  std::cout << failures << " failed, " << warnings << " warnings\n";
  return failures ? kExitFailure : kExitOk;
}

int run_keys_rotate(const std::filesystem::path& data_dir, bool finish) {
  const app::DataDir dir{data_dir};
  if (finish) {
    if (auto r = app::finish_rotation(dir); !r) {
      print_error(r.error());
      return kExitFailure;
    }
    std::cout
        << "The old master key was removed. Only the current master.key opens the data now.\n";
    return kExitOk;
  }
  auto report = app::rotate_master_key(dir);
  if (!report) {
    print_error(report.error());
    return kExitFailure;
  }
  std::cout << "Rotated the master key: " << report->rewrapped
            << " keys re-wrapped, data unchanged.\n"
            << "  new key: " << dir.master_key().string() << "\n"
            << "  old key: " << (dir.root / "master.key.old").string() << " (kept)\n"
            << "Store a copy of the new master.key offline, then run:\n"
            << "  praxis keys rotate --finish --data " << data_dir.string() << "\n";
  return kExitOk;
}

int run_version() {
  std::cout << "praxis " << kVersion << " (" << kCommit << ")\n";
  return kExitOk;
}

}  // namespace praxis::cli
