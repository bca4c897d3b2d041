// praxis: practice management and online booking. See README.md.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/prompt.hpp"

int main(int argc, char** argv) {
  // Whatever praxis creates (keys, database, backups, logs) is private to its user.
  ::umask(077);

  using namespace praxis::cli;
  CLI::App app{"praxis: practice management and online booking for medical and dental practices"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");

  std::string data_dir;
  std::optional<std::string> listen;

  auto* init = app.add_subcommand("init", "Create a new data directory (keys, config, database)");
  init->add_option("--data", data_dir, "Data directory to create (must not exist or be empty)")
      ->required();
  bool passphrase = false;
  init->add_flag("--passphrase", passphrase,
                 "Derive the master key from a passphrase instead of storing a key file");
  bool json = false;
  PracticeFlags practice;
  auto practice_options = [&practice](CLI::App* cmd, bool required) {
    auto* name = cmd->add_option("--practice-name", practice.name, "Name of the practice");
    auto* slug = cmd->add_option("--practice-slug", practice.slug,
                                 "Public address: /book/SLUG (a-z, 0-9, -)");
    auto* state =
        cmd->add_option("--practice-state", practice.state,
                        "Bundesland code (BW BY BE BB HB HH HE MV NI NW RP SL SN ST SH TH)");
    cmd->add_option("--practice-kind", practice.kind,
                    "arztpraxis, zahnarztpraxis or psychotherapie");
    cmd->add_option("--practice-bsnr", practice.bsnr, "Betriebsstättennummer (9 digits)");
    cmd->add_option("--practice-street", practice.street, "Street and number");
    cmd->add_option("--practice-postcode", practice.postcode, "Postcode (5 digits)");
    cmd->add_option("--practice-city", practice.city, "City");
    cmd->add_option("--owner-email", practice.owner_email,
                    "Invite the practice owner: prints a one-time enrolment link (72 h)");
    if (required) {
      name->required();
      slug->required();
      state->required();
    } else {
      name->needs(slug, state);
      slug->needs(name, state);
    }
  };
  practice_options(init, false);
  init->add_flag("--json", json, "Print the result as JSON (for provisioning scripts)");
  std::filesystem::path recovery_sheet;
  init->add_option("--recovery-sheet", recovery_sheet,
                   "Where to write the printable backup recovery sheet (SVG; default: beside "
                   "the data directory, DIR-recovery-sheet.svg)");
  bool demo = false;
  init->add_flag("--demo", demo,
                 "Create the demo practice 'demo' (Berlin) with two practitioners, three "
                 "appointment types, working plans and 300 synthetic patients (for trying "
                 "praxis out; make run uses it)");

  auto* practice_cmd = app.add_subcommand("practice", "Manage practices (hosting operators)");
  practice_cmd->require_subcommand(1);
  auto* practice_create = practice_cmd->add_subcommand("create", "Create a practice");
  practice_create->add_option("--data", data_dir, "Data directory")->required();
  practice_options(practice_create, true);
  practice_create->add_flag("--json", json, "Print the result as JSON");

  std::string invite_slug, invite_email, invite_role;
  auto* user_cmd = app.add_subcommand("user", "Manage staff accounts");
  user_cmd->require_subcommand(1);
  auto* user_invite =
      user_cmd->add_subcommand("invite", "Invite a user: prints a one-time enrolment link (72 h)");
  user_invite->add_option("--data", data_dir, "Data directory")->required();
  user_invite->add_option("--practice", invite_slug, "The practice's slug")->required();
  user_invite->add_option("--email", invite_email, "The user's e-mail address (login name)")
      ->required();
  user_invite
      ->add_option("--role", invite_role, "owner, physician, assistant, reception or auditor")
      ->required();
  user_invite->add_flag("--json", json, "Print the result as JSON");
  std::string import_slug, import_encoding = "auto";
  std::filesystem::path import_file, import_report;
  auto* patients_cmd = app.add_subcommand("patients", "Manage patients");
  patients_cmd->require_subcommand(1);
  auto* patients_import = patients_cmd->add_subcommand(
      "import", "Import patients from a CSV file (columns: see docs/operations.md)");
  patients_import->add_option("--data", data_dir, "Data directory")->required();
  patients_import->add_option("--practice", import_slug, "The practice's slug")->required();
  patients_import->add_option("FILE", import_file, "CSV file (UTF-8 or ISO-8859-1)")->required();
  patients_import->add_option("--encoding", import_encoding, "auto, utf-8 or iso-8859-1")
      ->check(CLI::IsMember({"auto", "utf-8", "iso-8859-1"}));
  patients_import->add_option("--report", import_report,
                              "Where to write the rejected rows (default FILE.report.csv)");
  std::string reset_email;
  auto* user_reset = user_cmd->add_subcommand(
      "reset",
      "New enrolment link for an account (lost phone and recovery codes): clears password "
      "and second factor, ends its sessions");
  user_reset->add_option("--data", data_dir, "Data directory")->required();
  user_reset->add_option("--email", reset_email, "The account's e-mail address")->required();
  user_reset->add_flag("--json", json, "Print the result as JSON");

  auto* serve = app.add_subcommand("serve", "Run the server");
  serve->add_option("--data", data_dir, "Data directory made by praxis init")->required();
  serve->add_option("--listen", listen, "HOST:PORT to listen on (default from praxis.toml)");

  auto* doctor =
      app.add_subcommand("doctor", "Check an installation for insecure or broken settings");
  doctor->add_option("--data", data_dir, "Data directory to check")->required();
  doctor->add_flag("--json", json, "Print the findings as JSON (check, severity, message)");

  auto* audit_cmd = app.add_subcommand("audit", "Check the audit trail");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand(
      "verify",
      "Recompute every practice's audit tree and check every checkpoint; exit 1 on any "
      "change");
  audit_verify->add_option("--data", data_dir, "Data directory")->required();
  audit_verify->add_flag("--json", json, "Print the result as JSON");

  std::string to_dsn;
  std::string to_owner_dsn;
  auto* store_cmd = app.add_subcommand("store", "Move an installation's database");
  store_cmd->require_subcommand(1);
  auto* store_migrate = store_cmd->add_subcommand(
      "migrate",
      "Copy the data directory's SQLite database to PostgreSQL (ciphertext as is), then "
      "compare every table's rows and verify every audit trail there; run again to resume");
  store_migrate->add_option("--data", data_dir, "Data directory (the server stopped)")->required();
  store_migrate
      ->add_option("--to", to_dsn,
                   "libpq connection string of the role praxis will work as (postgres_dsn)")
      ->required();
  store_migrate
      ->add_option("--to-owner", to_owner_dsn,
                   "libpq connection string of the role owning the schema (postgres_owner_dsn)")
      ->required();
  store_migrate->add_flag("--json", json, "Print the result as JSON");

  auto* version = app.add_subcommand("version", "Print the version");

  BackupFlags backup_flags;
  auto* backup_cmd = app.add_subcommand("backup", "Encrypted backups: create, verify, restore");
  backup_cmd->require_subcommand(1);
  auto* backup_create = backup_cmd->add_subcommand(
      "create", "Back up now (the server may keep running): one encrypted, signed file");
  backup_create->add_option("--data", backup_flags.data_dir, "Data directory")->required();
  backup_create->add_option("--to", backup_flags.to,
                            "Directory for the file (default: [backup] directory)");
  backup_create->add_flag("--json", backup_flags.json, "Print the result as JSON");
  auto* backup_verify = backup_cmd->add_subcommand(
      "verify", "Check a backup's structure and signature; --deep also decrypts and checks it");
  backup_verify->add_option("FILE", backup_flags.file, "Backup file")->required();
  backup_verify->add_flag("--deep", backup_flags.deep,
                          "Decrypt, run the integrity check and count the records");
  backup_verify->add_option("--recovery-key", backup_flags.recovery_key,
                            "File holding the recovery key (the 14 groups of the sheet)");
  backup_verify->add_flag("--json", backup_flags.json, "Print the result as JSON");
  auto* backup_restore = backup_cmd->add_subcommand(
      "restore", "Restore a backup into a new data directory, with a new master key");
  backup_restore->add_option("FILE", backup_flags.file, "Backup file")->required();
  backup_restore
      ->add_option("--recovery-key", backup_flags.recovery_key,
                   "File holding the recovery key (the 14 groups of the sheet)")
      ->required();
  backup_restore
      ->add_option("--data", backup_flags.data_dir,
                   "New data directory (must not exist or be empty)")
      ->required();
  backup_restore->add_flag("--passphrase", backup_flags.passphrase,
                           "Derive the new master key from a passphrase instead of a key file");
  backup_restore->add_flag("--json", backup_flags.json, "Print the result as JSON");
  auto* backup_recovery = backup_cmd->add_subcommand(
      "recovery-key", "Create a new recovery key (new backups are sealed to it); prints it once");
  backup_recovery->add_option("--data", backup_flags.data_dir, "Data directory")->required();
  backup_recovery->add_option("--sheet", backup_flags.sheet,
                              "Where to write the recovery sheet (SVG)");

  bool finish = false;
  auto* keys = app.add_subcommand("keys", "Manage the master key");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate", "Move to a new master key (re-wraps practice keys; data unchanged)");
  rotate->add_option("--data", data_dir, "Data directory")->required();
  rotate->add_flag("--finish", finish, "Remove the old master key after a completed rotation");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "praxis: " << e.what() << " (see praxis --help)\n";
    return kExitUsage;
  }

  try {
    if (*init) {
      // On a terminal, ask for what the flags left out; scripts get no questions.
      if (demo && practice.name.empty()) {
        practice.name = "Praxis Dr. Demo";
        practice.slug = "demo";
        practice.state = "BE";
        practice.street = "Musterstraße 1";
        practice.postcode = "10115";
        practice.city = "Berlin";
        if (!practice.owner_email) practice.owner_email = "inhaber@demo.example";
      }
      bool with_practice = !practice.name.empty();
      if (!demo && !json && on_terminal() && (!with_practice || !practice.owner_email)) {
        with_practice = ask_practice(practice);
      }
      return run_init(data_dir, passphrase,
                      with_practice ? std::optional<PracticeFlags>(practice) : std::nullopt, json,
                      demo, recovery_sheet);
    }
    if (*practice_create) return run_practice_create(data_dir, practice, json);
    if (*user_invite)
      return run_user_invite(data_dir, invite_slug, invite_email, invite_role, json);
    if (*user_reset) return run_user_reset(data_dir, reset_email, json);
    if (*patients_import) {
      return run_patients_import(data_dir, import_slug, import_file, import_encoding,
                                 import_report);
    }
    if (*serve) return run_serve(data_dir, listen);
    if (*doctor) return run_doctor(data_dir, json);
    if (*audit_verify) return run_audit_verify(data_dir, json);
    if (*store_migrate) return run_store_migrate(data_dir, to_dsn, to_owner_dsn, json);
    if (*version) return run_version();
    if (*rotate) return run_keys_rotate(data_dir, finish);
    if (*backup_create) return run_backup_create(backup_flags);
    if (*backup_verify) return run_backup_verify(backup_flags);
    if (*backup_restore) return run_backup_restore(backup_flags);
    if (*backup_recovery) return run_backup_recovery_key(backup_flags);
  } catch (const std::exception& e) {
    std::cerr << "praxis: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitUsage;
}
