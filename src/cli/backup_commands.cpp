// `praxis backup recovery-key|create|verify|restore` (issue #9; docs/operations.md).
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <iomanip>
#include <iostream>

#include "app/backup_admin.hpp"
#include "app/installation.hpp"
#include "backup/backup_file.hpp"
#include "cli/commands.hpp"
#include "cli/passphrase.hpp"

namespace praxis::cli {
namespace {

std::string megabytes(std::uint64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1024.0 * 1024.0)
      << " MiB";
  return out.str();
}

boost::json::object counts_json(const backup::DatabaseCounts& c) {
  return {{"practices", c.practices},
          {"patients", c.patients},
          {"appointments", c.appointments},
          {"audit_entries", c.audit_entries}};
}

void print_counts(const backup::DatabaseCounts& c) {
  std::cout << "  practices:     " << c.practices << "\n"
            << "  patients:      " << c.patients << "\n"
            << "  appointments:  " << c.appointments << "\n"
            << "  audit entries: " << c.audit_entries << "\n";
}

}  // namespace

std::filesystem::path default_recovery_sheet_path(const std::filesystem::path& data_dir) {
  auto absolute = std::filesystem::absolute(data_dir).lexically_normal();
  if (absolute.filename().empty()) absolute = absolute.parent_path();
  return absolute.parent_path() / (absolute.filename().string() + "-recovery-sheet.svg");
}

core::Result<void> write_recovery_sheet(const std::filesystem::path& file,
                                        const std::string& printed,
                                        const std::string& installation_id,
                                        const std::string& created_at) {
  auto svg = backup::recovery_sheet_svg(printed, installation_id, created_at);
  if (!svg) return tl::unexpected(svg.error());
  return backup::write_private_file(file, *svg);
}

void print_recovery_key(const std::string& printed, const std::filesystem::path& sheet) {
  std::cout << "\nBackup recovery key (Wiederherstellungsschlüssel). It is shown only now and "
               "stored nowhere:\n\n    "
            << printed << "\n\n"
            << "  Only this key reads the backups. Print the sheet " << sheet.string() << ",\n"
            << "  keep it offline and locked away, then delete the file.\n\n";
}

int run_backup_recovery_key(const BackupFlags& flags) {
  const app::DataDir dir{flags.data_dir};
  auto installation = app::Installation::open(dir);
  if (!installation) {
    print_error(installation.error());
    return kExitFailure;
  }
  auto& store = (*installation)->store();
  const auto sheet =
      flags.sheet.empty() ? default_recovery_sheet_path(flags.data_dir) : flags.sheet;
  std::error_code ec;
  if (std::filesystem::exists(sheet, ec)) {
    std::cerr << "praxis: " << sheet.string()
              << " exists; move it away or name another file with --sheet (nothing was "
                 "changed)\n";
    return kExitCannotCreate;
  }
  std::string installation_id;
  (void)store::with_transaction(store, store::TxMode::read_only,
                                [&](store::Transaction& tx) -> core::Result<void> {
                                  auto id = tx.meta().get("installation_id");
                                  if (id && *id) installation_id = **id;
                                  return {};
                                });
  auto printed = app::install_recovery_key(store);
  if (!printed) {
    print_error(printed.error());
    return kExitFailure;
  }
  if (auto r = write_recovery_sheet(sheet, *printed, installation_id,
                                    core::to_iso8601(core::SystemClock().now()));
      !r) {
    print_error(r.error());
    std::cout << "The new key is active; write it down now:\n    " << *printed << "\n";
    return kExitFailure;
  }
  print_recovery_key(*printed, sheet);
  std::cout << "New backups are sealed to this key. Keep the previous sheet as long as you keep "
               "backups made before today.\n";
  return kExitOk;
}

int run_backup_create(const BackupFlags& flags) {
  const app::DataDir dir{flags.data_dir};
  const app::PassphraseSource passphrase = [] { return read_passphrase(/*confirm=*/false); };
  auto installation = app::Installation::open(dir, &passphrase);
  if (!installation) {
    print_error(installation.error());
    return kExitFailure;
  }
  auto& in = **installation;
  if (in.config().store.backend != "sqlite") {
    std::cerr << "praxis: praxis backup works on the embedded SQLite store; back up a "
                 "PostgreSQL installation with PostgreSQL's tools (docs/operations.md)\n";
    return kExitUsage;
  }
  const auto to = flags.to.empty() ? app::backup_directory(dir, in.config()) : flags.to;
  const auto started = std::chrono::steady_clock::now();
  auto created = app::create_backup(dir, in.store(), in.keys(), in.trail(), to, in.clock().now());
  if (!created) {
    print_error(created.error());
    return kExitFailure;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (flags.json) {
    std::cout << boost::json::serialize(
                     boost::json::object{{"file", created->file.string()},
                                         {"database_bytes", created->report.database_bytes},
                                         {"file_bytes", created->report.file_bytes},
                                         {"seconds", seconds}})
              << "\n";
    return kExitOk;
  }
  std::cout << "Backup written: " << created->file.string() << "\n"
            << "  database " << megabytes(created->report.database_bytes) << " → file "
            << megabytes(created->report.file_bytes) << " in " << std::fixed << std::setprecision(1)
            << seconds << " s\n";
  return kExitOk;
}

int run_backup_verify(const BackupFlags& flags) {
  if (flags.deep != !flags.recovery_key.empty()) {
    std::cerr << "praxis: --deep needs --recovery-key FILE (and the other way round)\n";
    return kExitUsage;
  }
  auto shallow = backup::verify_backup(flags.file);
  if (!shallow) {
    print_error(shallow.error());
    return kExitFailure;
  }
  std::optional<app::DeepVerifyReport> deep;
  if (flags.deep) {
    auto key = backup::read_recovery_key_file(flags.recovery_key);
    if (!key) {
      print_error(key.error());
      return kExitUsage;
    }
    auto report = app::deep_verify_backup(flags.file, *key);
    if (!report) {
      print_error(report.error());
      return kExitFailure;
    }
    deep = std::move(*report);
  }
  const auto& h = shallow->header;
  if (flags.json) {
    boost::json::object out{
        {"file", flags.file.string()},        {"ok", true},
        {"created_at", h.created_at},         {"installation_id", h.installation_id},
        {"praxis_version", h.praxis_version}, {"schema_version", h.schema_version},
        {"file_bytes", shallow->file_bytes},  {"chunks", shallow->chunks}};
    if (deep) out["counts"] = counts_json(deep->counts);
    std::cout << boost::json::serialize(out) << "\n";
    return kExitOk;
  }
  std::cout << "OK  " << flags.file.string() << "\n"
            << "  made " << h.created_at << " by praxis " << h.praxis_version << " (schema "
            << h.schema_version << "), installation " << h.installation_id << "\n"
            << "  " << megabytes(shallow->file_bytes) << " in " << shallow->chunks
            << " encrypted chunks; signature valid\n";
  if (deep) {
    std::cout << "  decrypted with the recovery key; database integrity check passed;\n"
                 "  signed by the server key it contains\n";
    print_counts(deep->counts);
  } else {
    std::cout << "  (contents not checked: add --deep --recovery-key FILE)\n";
  }
  return kExitOk;
}

int run_backup_restore(const BackupFlags& flags) {
  auto key = backup::read_recovery_key_file(flags.recovery_key);
  if (!key) {
    print_error(key.error());
    return kExitUsage;
  }
  std::optional<std::string> passphrase;
  if (flags.passphrase) {
    auto text = read_passphrase(/*confirm=*/true);
    if (!text) {
      print_error(text.error());
      return kExitUsage;
    }
    passphrase = std::move(*text);
  }
  const app::DataDir target{flags.data_dir};
  auto report = app::restore_backup(flags.file, *key, target, passphrase);
  if (!report) {
    print_error(report.error());
    return kExitFailure;
  }
  if (flags.json) {
    std::cout << boost::json::serialize(boost::json::object{
                     {"data_dir", target.root.string()},
                     {"counts", counts_json(report->counts)},
                     {"audit_practices_verified", report->practices_verified},
                     {"audit_entries_verified", report->audit_entries_verified}})
              << "\n";
    return kExitOk;
  }
  std::cout << "Restored " << flags.file.string() << " into " << target.root.string() << "\n";
  print_counts(report->counts);
  std::cout << "  audit trail verified: " << report->practices_verified << " practice(s), "
            << report->audit_entries_verified << " entries\n";
  if (report->passphrase) {
    std::cout << "  new master key: derived from the passphrase you gave\n";
  } else {
    std::cout << "  new master key: " << target.master_key().string()
              << " (keep a copy offline; the old master key no longer opens this data)\n";
  }
  std::cout << "Check it with: praxis doctor --data " << target.root.string()
            << "\nthen start it with: praxis serve --data " << target.root.string() << "\n";
  return kExitOk;
}

}  // namespace praxis::cli
