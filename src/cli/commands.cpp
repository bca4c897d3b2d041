#include "cli/commands.hpp"

#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/app.hpp"
#include "app/audit_admin.hpp"
#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/doctor.hpp"
#include "app/keys.hpp"
#include "app/patient_admin.hpp"
#include "app/practice_admin.hpp"
#include "app/store_migrate.hpp"
#include "cli/passphrase.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"
#include "core/version.hpp"

namespace praxis::cli {

void print_error(const core::Error& e) {
  std::cerr << "praxis: " << e.message;
  if (!e.internal.empty()) std::cerr << " (" << e.internal << ")";
  std::cerr << "\n";
  for (const auto& f : e.fields) std::cerr << "  " << f.field << ": " << f.message << "\n";
}

namespace {

practices::NewPractice to_new_practice(const PracticeFlags& f) {
  practices::NewPractice p;
  p.name = f.name;
  p.slug = f.slug;
  p.kind = f.kind;
  p.state = f.state;
  if (!f.bsnr.empty()) p.bsnr = f.bsnr;
  p.street = f.street;
  p.postcode = f.postcode;
  p.city = f.city;
  return p;
}

std::string practice_json(const std::string& base, const app::CreatedPractice& c) {
  const auto& p = c.practice;
  std::string out = "{\"id\":";
  core::append_json_string(out, p.id);
  out += ",\"slug\":";
  core::append_json_string(out, p.slug);
  out += ",\"name\":";
  core::append_json_string(out, p.name);
  out += ",\"booking_url\":";
  core::append_json_string(out, app::booking_url(base, p));
  if (c.owner) {
    out += ",\"owner\":{\"email\":";
    core::append_json_string(out, c.owner->user.email);
    out += ",\"enrolment_token\":";
    core::append_json_string(out, c.owner->token);
    out += ",\"enrolment_url\":";
    core::append_json_string(out, auth::enrolment_url(base, c.owner->token));
    out += ",\"expires_at\":";
    core::append_json_string(out, c.owner->expires_at);
    out += "}";
  }
  out += "}";
  return out;
}

void print_practice(const std::string& base, const app::CreatedPractice& c) {
  std::cout << "Practice \"" << c.practice.name << "\" (" << c.practice.slug
            << "), booking page: " << app::booking_url(base, c.practice) << "\n";
  if (c.owner) {
    std::cout << "One-time enrolment link for the owner " << c.owner->user.email << " (valid until "
              << c.owner->expires_at << "):\n  " << auth::enrolment_url(base, c.owner->token)
              << "\n";
  }
}

}  // namespace

int run_init(const std::filesystem::path& data_dir, bool passphrase,
             const std::optional<PracticeFlags>& practice, bool json, bool demo,
             const std::filesystem::path& recovery_sheet) {
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
  if (practice) {
    // Refuse bad practice data before anything is created.
    auto errors = practices::validate(to_new_practice(*practice));
    if (practice->owner_email && !auth::normalize_staff_email(*practice->owner_email)) {
      errors.push_back(
          {"owner_email", "invalid",
           "Bitte eine gültige E-Mail-Adresse angeben. / Please give a valid e-mail address."});
    }
    if (!errors.empty()) {
      auto e = core::Error::make(core::ErrorCode::invalid_input, "invalid practice data");
      e.fields = std::move(errors);
      print_error(e);
      return kExitUsage;
    }
  }
  const auto sheet =
      recovery_sheet.empty() ? default_recovery_sheet_path(data_dir) : recovery_sheet;
  std::error_code ec;
  const bool fresh =
      !std::filesystem::exists(data_dir, ec) || std::filesystem::is_empty(data_dir, ec);
  if (fresh && std::filesystem::exists(sheet, ec)) {
    if (!demo || !recovery_sheet.empty()) {
      std::cerr << "praxis: " << sheet.string()
                << " exists; move it away or name another file with --recovery-sheet (nothing "
                   "was created)\n";
      return kExitCannotCreate;
    }
    std::filesystem::remove(sheet, ec);  // the sheet of an earlier demo directory
  }
  auto initialised = app::init_data_dir(dir, secret);
  if (!initialised) {
    print_error(initialised.error());
    return kExitCannotCreate;
  }
  if (auto r = write_recovery_sheet(sheet, initialised->recovery_key, initialised->installation_id,
                                    initialised->created_at);
      !r) {
    print_error(r.error());
    return kExitCannotCreate;
  }
  std::optional<app::CreatedPractice> created;
  if (practice) {
    auto row = app::create_practice(dir, to_new_practice(*practice), practice->owner_email,
                                    [&secret]() -> core::Result<std::string> { return *secret; });
    if (!row) {
      print_error(row.error());
      return kExitFailure;
    }
    created = std::move(*row);
    if (demo) {
      auto seeded = app::seed_demo(dir, created->practice.id,
                                   [&secret]() -> core::Result<std::string> { return *secret; });
      if (!seeded) {
        print_error(seeded.error());
        return kExitFailure;
      }
      if (!json) {
        std::cout << "Demo data: " << seeded->practitioners << " practitioners, "
                  << seeded->appointment_types << " appointment types, " << seeded->patients
                  << " synthetic patients, " << seeded->appointments << " appointments\n";
      }
    }
  }
  if (json) {
    std::string out = "{\"data_dir\":";
    core::append_json_string(out, dir.root.string());
    out += ",\"practice\":" +
           (created ? practice_json(app::base_url(dir), *created) : std::string("null"));
    out += ",\"recovery_key\":";
    core::append_json_string(out, initialised->recovery_key);
    out += ",\"recovery_sheet\":";
    core::append_json_string(out, sheet.string());
    out += "}";
    std::cout << out << "\n";
    return kExitOk;
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
  std::cout << "  " << dir.database().string() << "   database (encrypted fields)\n";
  print_recovery_key(initialised->recovery_key, sheet);
  if (created) print_practice(app::base_url(dir), *created);
  std::cout << "Start the server with: praxis serve --data " << data_dir.string() << "\n";
  return kExitOk;
}

namespace {

int print_invitation(const app::DataDir& dir, const auth::Invitation& invitation, bool json,
                     std::string_view verb) {
  const std::string url = auth::enrolment_url(app::base_url(dir), invitation.token);
  if (json) {
    std::string out = "{\"email\":";
    core::append_json_string(out, invitation.user.email);
    out += ",\"role\":";
    core::append_json_string(out, invitation.user.role);
    out += ",\"enrolment_token\":";
    core::append_json_string(out, invitation.token);
    out += ",\"enrolment_url\":";
    core::append_json_string(out, url);
    out += ",\"expires_at\":";
    core::append_json_string(out, invitation.expires_at);
    std::cout << out << "}\n";
  } else {
    std::cout << verb << " " << invitation.user.email << " (" << invitation.user.role
              << "). One-time enrolment link (valid until " << invitation.expires_at << "):\n  "
              << url << "\n";
  }
  return kExitOk;
}

}  // namespace

int run_patients_import(const std::filesystem::path& data_dir, const std::string& practice_slug,
                        const std::filesystem::path& file, const std::string& encoding,
                        const std::filesystem::path& report) {
  const app::DataDir dir{data_dir};
  patients::ImportOptions options;
  options.encoding = encoding == "utf-8"        ? patients::CsvEncoding::utf8
                     : encoding == "iso-8859-1" ? patients::CsvEncoding::latin1
                                                : patients::CsvEncoding::automatic;
  options.report = report;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  auto progress = [&](std::size_t done, std::size_t total) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const std::size_t width = 30;
    const std::size_t filled = total ? done * width / total : width;
    std::string bar(filled, '=');
    bar.resize(width, ' ');
    (void)std::fprintf(stderr, "%s[%s] %3zu%% %zu/%zu  %.0f/s  ETA %.0f s%s", tty ? "\r" : "",
                       bar.c_str(), total ? done * 100 / total : 100, done, total, rate, eta,
                       tty ? "" : "\n");
    (void)std::fflush(stderr);
  };
  auto summary = app::import_patients(
      dir, practice_slug, file, options, [] { return read_passphrase(/*confirm=*/false); },
      progress);
  if (tty) (void)std::fprintf(stderr, "\n");
  if (!summary) {
    print_error(summary.error());
    return summary.error().code == core::ErrorCode::invalid_input ? kExitUsage : kExitFailure;
  }
  std::cout << "Imported " << summary->created << " of " << summary->rows << " rows ("
            << summary->encoding << "): " << summary->already_present << " already present, "
            << summary->rejected << " rejected";
  if (summary->rejected > 0) std::cout << " (reasons in " << summary->report.string() << ")";
  std::cout << "\n";
  return kExitOk;
}

int run_user_reset(const std::filesystem::path& data_dir, const std::string& email, bool json) {
  const app::DataDir dir{data_dir};
  auto invitation = app::reset_user(dir, email);
  if (!invitation) {
    print_error(invitation.error());
    return kExitFailure;
  }
  return print_invitation(dir, *invitation, json, "Reset");
}

int run_user_invite(const std::filesystem::path& data_dir, const std::string& practice_slug,
                    const std::string& email, const std::string& role, bool json) {
  const app::DataDir dir{data_dir};
  auto invitation = app::invite_user(dir, practice_slug, email, role);
  if (!invitation) {
    print_error(invitation.error());
    return invitation.error().code == core::ErrorCode::invalid_input ? kExitUsage : kExitFailure;
  }
  return print_invitation(dir, *invitation, json, "Invited");
}

int run_practice_create(const std::filesystem::path& data_dir, const PracticeFlags& practice,
                        bool json) {
  const app::DataDir dir{data_dir};
  auto row = app::create_practice(dir, to_new_practice(practice), practice.owner_email,
                                  [] { return read_passphrase(/*confirm=*/false); });
  if (!row) {
    print_error(row.error());
    return row.error().code == core::ErrorCode::invalid_input ? kExitUsage : kExitFailure;
  }
  if (json) {
    std::cout << practice_json(app::base_url(dir), *row) << "\n";
  } else {
    std::cout << "Created practice id " << row->practice.id << "\n";
    print_practice(app::base_url(dir), *row);
  }
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
  // The doctor's start checks (DESIGN.md T10): an unsafe set-up does not serve.
  app::DoctorOptions doctor;
  doctor.start = true;
  doctor.config = *config;
  const auto blockers = app::start_blockers(app::run_doctor(dir, doctor));
  if (!blockers.empty()) {
    for (const auto& f : blockers) {
      std::cerr << "praxis: refusing to start: " << f.check << ": " << f.message << "\n";
    }
    std::cerr << "praxis doctor --data " << data_dir.string() << " shows every check\n";
    return kExitConfig;
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
  std::cout << "praxis " << core::kVersion << " serves " << application.base_url() << "/\n"
            << "  health:  " << application.base_url() << "/healthz\n"
            << "  stop with Ctrl+C (SIGINT) or SIGTERM" << std::endl;
  application.run();
  std::cout << "praxis stopped" << std::endl;
  return kExitOk;
}

int run_doctor(const std::filesystem::path& data_dir, bool json) {
  const auto findings = app::run_doctor(app::DataDir{data_dir});
  if (json) {
    boost::json::array out;
    bool failed = false;
    for (const auto& f : findings) {
      const char* severity = f.severity == app::Severity::ok     ? "ok"
                             : f.severity == app::Severity::warn ? "warn"
                                                                 : "fail";
      failed = failed || f.severity == app::Severity::fail;
      out.push_back(boost::json::object{{"check", f.check},
                                        {"severity", severity},
                                        {"message", f.message},
                                        {"blocks_start", f.blocks_start}});
    }
    std::cout << boost::json::serialize(out) << "\n";
    return failed ? kExitFailure : kExitOk;
  }
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

int run_audit_verify(const std::filesystem::path& data_dir, bool json) {
  auto results =
      app::verify_audit(app::DataDir{data_dir}, [] { return read_passphrase(/*confirm=*/false); });
  if (!results) {
    print_error(results.error());
    return kExitFailure;
  }
  bool all_ok = true;
  boost::json::array out;
  for (const auto& [slug, r] : *results) {
    all_ok = all_ok && r.ok;
    if (json) {
      out.push_back(boost::json::object{
          {"practice", slug},
          {"ok", r.ok},
          {"entries", r.entries},
          {"checkpoints", r.checkpoints},
          {"first_bad_entry", r.first_bad ? boost::json::value(*r.first_bad) : nullptr},
          {"problem", r.problem}});
      continue;
    }
    if (r.ok) {
      std::cout << "OK    " << slug << ": " << r.entries << " entries, " << r.checkpoints
                << " checkpoints verified\n";
    } else {
      std::cout << "FAIL  " << slug << ": first bad entry " << r.first_bad.value_or(0) << ": "
                << r.problem << "\n";
    }
  }
  if (json) std::cout << boost::json::serialize(out) << "\n";
  return all_ok ? kExitOk : kExitFailure;
}

int run_store_migrate(const std::filesystem::path& data_dir, const std::string& dsn,
                      const std::string& owner_dsn, bool json) {
  // Progress on stderr, one line per table (and every 50,000 rows of a large one).
  auto progress = [](const std::string& table, std::int64_t done, std::int64_t total) {
    if (done == total || done % 50000 < 500) {
      std::cerr << "  " << table << ": " << done << " / " << total << "\n";
    }
  };
  auto result = app::migrate_store_to_postgres(
      app::DataDir{data_dir}, dsn, owner_dsn, [] { return read_passphrase(false); }, progress);
  if (!result) {
    print_error(result.error());
    return kExitFailure;
  }
  if (json) {
    boost::json::array tables;
    for (const auto& c : result->counts) {
      std::int64_t copied = 0;
      for (const auto& t : result->tables) {
        if (t.table == c.table) copied = t.copied;
      }
      tables.push_back(boost::json::object{
          {"table", c.table}, {"source", c.source}, {"target", c.target}, {"copied", copied}});
    }
    boost::json::array audits;
    for (const auto& [slug, r] : result->audits) {
      audits.push_back(boost::json::object{
          {"practice", slug}, {"ok", r.ok}, {"entries", r.entries}, {"problem", r.problem}});
    }
    std::cout << boost::json::serialize(
                     boost::json::object{{"ok", result->ok}, {"tables", tables}, {"audit", audits}})
              << "\n";
    return result->ok ? kExitOk : kExitFailure;
  }
  std::int64_t rows = 0;
  std::int64_t copied = 0;
  for (const auto& t : result->tables) {
    rows += t.rows;
    copied += t.copied;
  }
  for (const auto& c : result->counts) {
    if (c.source != c.target) {
      std::cout << "FAIL  " << c.table << ": " << c.source << " rows in SQLite, " << c.target
                << " in PostgreSQL\n";
    }
  }
  for (const auto& [slug, r] : result->audits) {
    if (!r.ok) std::cout << "FAIL  audit trail of " << slug << ": " << r.problem << "\n";
  }
  std::cout << (result->ok ? "OK    " : "FAIL  ") << result->counts.size() << " tables, " << rows
            << " rows (" << copied << " copied by this run), " << result->audits.size()
            << " audit trails verified on PostgreSQL\n";
  if (result->ok) {
    std::cout << "Now set in " << (data_dir / "praxis.toml").string() << ":\n"
              << "  [store]\n  backend = \"postgres\"\n  postgres_dsn = \"" << dsn
              << "\"\n  postgres_owner_dsn = \"" << owner_dsn << "\"\n"
              << "and start praxis again. The SQLite database stays as it was.\n";
  }
  return result->ok ? kExitOk : kExitFailure;
}

int run_keys_rotate(const std::filesystem::path& data_dir, bool finish) {
  const app::DataDir dir{data_dir};
  if (finish) {
    if (auto r = app::finish_rotation(dir, [] { return read_passphrase(false); }); !r) {
      print_error(r.error());
      return kExitFailure;
    }
    std::cout
        << "The old master key was removed. Only the current master.key opens the data now.\n";
    return kExitOk;
  }
  app::RotationSecrets secrets{
      [] { return read_passphrase(false, "Current passphrase: ", false); },
      [] { return read_passphrase(true, "New passphrase (at least 12 characters): ", false); }};
  auto report = app::rotate_master_key(dir, std::nullopt, secrets);
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
  std::cout << "praxis " << core::kVersion << " (" << core::kCommit << ")\n";
  return kExitOk;
}

}  // namespace praxis::cli
