#pragma once
// praxis.toml and its environment overrides.
//
// Every key is declared once in config_keys() with its type, default, range and
// documentation; parsing, the environment overrides (PRAXIS_<SECTION>_<KEY>), the
// commented praxis.toml that `praxis init` writes, and the docs test all read that
// table. An unknown key, a wrong type or an out-of-range value is an error that names
// the key and its line; the CLI exits with 78 (EX_CONFIG).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace praxis::app {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string tls_certificate;
  std::string tls_private_key;
  unsigned io_threads = 0;      // 0: one per CPU core
  unsigned worker_threads = 0;  // 0: one per CPU core, at least 2 (handler_threads)
  unsigned write_threads = 0;   // 0: 32 per CPU core, at least 64
  std::int64_t max_connections = 1024;
  std::int64_t max_header_bytes = std::int64_t{16} * 1024;
  std::int64_t max_body_bytes = std::int64_t{1024} * 1024;
  std::int64_t read_timeout_seconds = 15;
  std::int64_t idle_timeout_seconds = 30;
  std::int64_t shutdown_grace_seconds = 10;
  bool trust_forwarded_for = false;
};

struct AuthConfig {
  std::int64_t session_idle_minutes = 15;
  std::int64_t session_absolute_hours = 12;
  std::int64_t max_concurrent_password_checks = 0;  // 0: half the CPU cores, at least 1
  std::int64_t login_free_failures = 5;
  std::int64_t login_free_failures_per_address = 20;
  std::int64_t login_max_backoff_seconds = 900;
  std::int64_t enrolment_validity_hours = 72;
};

struct StoreConfig {
  std::string backend = "sqlite";
  std::string sqlite_synchronous = "full";
  std::string postgres_dsn;
  std::string postgres_owner_dsn;
  std::int64_t postgres_connections = 8;
};

struct LogConfig {
  std::string level = "info";
  std::string file;  // empty: standard error
  bool access_log = true;
};

struct PatientsConfig {
  std::int64_t restore_days = 30;
  std::int64_t deletes_per_hour = 60;  // per staff member or API token; 0: no limit
};

struct AuditConfig {
  std::int64_t checkpoint_every = 1000;            // entries
  std::int64_t checkpoint_interval_seconds = 300;  // after a change
  std::int64_t break_glass_minutes = 30;
  std::int64_t journal_delay_ms = 50;  // audit journal: see audit/journal.hpp
  std::int64_t journal_sync_ms = 10;
};

struct BookingConfig {
  bool proof_of_work = true;
  std::int64_t pow_cost = 5000;
  std::int64_t reads_per_minute = 300;  // per client address; 0: unlimited
  std::int64_t challenges_per_minute = 30;
  std::int64_t writes_per_hour = 60;
};

struct BackupConfig {
  bool scheduled = true;
  std::string directory = "backups";  // relative: inside the data directory
  std::string time = "02:30";         // local time (Europe/Berlin), HH:MM
  std::int64_t keep_daily = 7;
  std::int64_t keep_weekly = 4;
  std::int64_t keep_monthly = 12;
};

// Outgoing e-mail (issue #11): off while url is empty.
struct MailConfig {
  std::string url;  // smtp://host:587 (STARTTLS required), smtps://host:465, smtp://127.0.0.1:25
  std::string from;
  std::string from_name;
  std::string username;
  std::string password_file;  // 0600; never the password itself in the configuration
  std::string ca_file;
  std::int64_t timeout_seconds = 30;
};

// The SMS gateway (issue #11): off while url is empty.
struct SmsConfig {
  std::string url;
  std::string body_template = R"({"to":"{{to}}","text":"{{text}}","sender":"{{sender}}"})";
  std::string content_type = "application/json";
  std::string authorization_file;  // 0600; its one line is the Authorization header's value
  std::string sender;
  std::string ca_file;
  std::int64_t timeout_seconds = 30;
};

struct NotificationsConfig {
  std::string public_url;  // links in messages; empty: the server's own URL
  std::int64_t max_attempts = 8;
  std::int64_t first_retry_seconds = 60;
  std::int64_t max_retry_seconds = 21600;  // 6 hours
  std::int64_t reminder_hours = 24;
  std::int64_t keep_days = 30;
};

// The built front ends (issue #10).
struct WebConfig {
  std::string dir;  // empty: "web" next to the binary's directory (build/release/web)
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  LogConfig log;
  AuthConfig auth;
  PatientsConfig patients;
  AuditConfig audit;
  BookingConfig booking;
  BackupConfig backup;
  MailConfig mail;
  SmsConfig sms;
  NotificationsConfig notifications;
  WebConfig web;
};

using ConfigValue = std::variant<std::string, std::int64_t, bool>;
enum class ValueKind { string, integer, boolean };

struct KeySpec {
  std::string_view section;
  std::string_view key;
  ValueKind kind;
  std::string_view default_text;  // as written in praxis.toml
  std::string_view doc;
  std::int64_t min = 0;  // integers only
  std::int64_t max = 0;
  std::vector<std::string_view> choices;  // strings only; empty: any
  // Stores a type- and range-checked value; returns an error message for values that
  // are well-typed but still wrong (e.g. a malformed listen address).
  std::function<std::optional<std::string>(Config&, const ConfigValue&)> apply;
};

const std::vector<KeySpec>& config_keys();

// "PRAXIS_SERVER_LISTEN" for [server] listen.
std::string env_name(const KeySpec& spec);

// Parses TOML text (`origin` names it in messages), then applies overrides from
// `environment` (entries "NAME=value"; only PRAXIS_<known section>_* are considered).
[[nodiscard]] core::Result<Config> parse_config(std::string_view toml_text, std::string_view origin,
                                                const std::vector<std::string>& environment);

// Reads `path` (a missing file is an error) and the process environment.
[[nodiscard]] core::Result<Config> load_config(const std::filesystem::path& path);

// Parses "HOST:PORT" or "[IPv6]:PORT" into config.server.host/port.
std::optional<std::string> set_listen(Config& config, std::string_view listen);

// The threads that run read handlers: [server] worker_threads, or one per CPU core (at
// least 2).
unsigned handler_threads(const ServerConfig& server);

// The URL the server answers under, e.g. "http://127.0.0.1:8080" or "https://[::1]:443".
std::string base_url(const ServerConfig& server, std::uint16_t port);

// Where the built front ends are: [web] dir, or "web" beside the binary's directory.
std::filesystem::path web_directory(const WebConfig& web);

// The commented praxis.toml written by `praxis init`: every key at its default.
std::string default_config_text();

}  // namespace praxis::app
