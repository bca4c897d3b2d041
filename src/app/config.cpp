#include "app/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/clock.hpp"

extern char** environ;

namespace praxis::app {
namespace {

using core::ErrorCode;

template <typename T>
std::function<std::optional<std::string>(Config&, const ConfigValue&)> set_int(T Config::*section,
                                                                               auto member) {
  return [section, member](Config& c, const ConfigValue& v) -> std::optional<std::string> {
    using Field = std::remove_reference_t<decltype((c.*section).*member)>;
    (c.*section).*member = static_cast<Field>(std::get<std::int64_t>(v));
    return std::nullopt;
  };
}

template <typename T>
std::function<std::optional<std::string>(Config&, const ConfigValue&)> set_string(
    T Config::*section, std::string T::*member) {
  return [section, member](Config& c, const ConfigValue& v) -> std::optional<std::string> {
    (c.*section).*member = std::get<std::string>(v);
    return std::nullopt;
  };
}

// Integer keys of one section, each bound to a member of that section's struct.
template <typename Section>
struct IntegerKey {
  std::string_view key;
  std::string_view default_text;
  std::string_view doc;
  std::int64_t min;
  std::int64_t max;
  std::int64_t Section::*member;
};

template <typename Section, std::size_t N>
void add_integer_keys(std::vector<KeySpec>& keys, std::string_view section,
                      Section Config::*in_config, const IntegerKey<Section> (&list)[N]) {
  for (const auto& k : list) {
    keys.push_back({section,
                    k.key,
                    ValueKind::integer,
                    k.default_text,
                    k.doc,
                    k.min,
                    k.max,
                    {},
                    [in_config, member = k.member](
                        Config& c, const ConfigValue& v) -> std::optional<std::string> {
                      (c.*in_config).*member = std::get<std::int64_t>(v);
                      return std::nullopt;
                    }});
  }
}

// String keys of one section; `check` (optional) returns why a value is refused.
template <typename Section>
struct StringKey {
  std::string_view key;
  std::string_view default_text;
  std::string_view doc;
  std::string Section::*member;
  std::optional<std::string> (*check)(const std::string&) = nullptr;
};

template <typename Section, std::size_t N>
void add_string_keys(std::vector<KeySpec>& keys, std::string_view section,
                     Section Config::*in_config, const StringKey<Section> (&list)[N]) {
  for (const auto& k : list) {
    keys.push_back({section,
                    k.key,
                    ValueKind::string,
                    k.default_text,
                    k.doc,
                    0,
                    0,
                    {},
                    [in_config, member = k.member, check = k.check](
                        Config& c, const ConfigValue& v) -> std::optional<std::string> {
                      const auto& text = std::get<std::string>(v);
                      if (check) {
                        if (auto why = check(text)) return why;
                      }
                      (c.*in_config).*member = text;
                      return std::nullopt;
                    }});
  }
}

std::optional<std::string> no_line_breaks(const std::string& text) {
  if (text.find_first_of("\r\n") != std::string::npos) return "must be one line";
  return std::nullopt;
}

std::vector<KeySpec> build_keys() {
  using K = ValueKind;
  std::vector<KeySpec> keys;
  keys.push_back(
      {"server",
       "listen",
       K::string,
       "\"127.0.0.1:8080\"",
       "Address and port to listen on (HOST:PORT or [IPv6]:PORT). A non-loopback "
       "address requires TLS.",
       0,
       0,
       {},
       [](Config& c, const ConfigValue& v) { return set_listen(c, std::get<std::string>(v)); }});
  keys.push_back({"server",
                  "tls_certificate",
                  K::string,
                  "\"\"",
                  "PEM certificate chain for HTTPS. Empty: plain HTTP (loopback only).",
                  0,
                  0,
                  {},
                  set_string(&Config::server, &ServerConfig::tls_certificate)});
  keys.push_back({"server",
                  "tls_private_key",
                  K::string,
                  "\"\"",
                  "PEM private key for tls_certificate (mode 0600).",
                  0,
                  0,
                  {},
                  set_string(&Config::server, &ServerConfig::tls_private_key)});
  keys.push_back({"server",
                  "io_threads",
                  K::integer,
                  "0",
                  "Network threads. 0: one per CPU core.",
                  0,
                  256,
                  {},
                  set_int(&Config::server, &ServerConfig::io_threads)});
  keys.push_back({"server",
                  "worker_threads",
                  K::integer,
                  "0",
                  "Threads that run request handlers. 0: one per CPU core (at least 2).",
                  0,
                  1024,
                  {},
                  set_int(&Config::server, &ServerConfig::worker_threads)});
  keys.push_back({"server",
                  "write_threads",
                  K::integer,
                  "0",
                  "Threads that run requests changing data (they mostly wait for the disk). 0: "
                  "32 per CPU core (at least 64).",
                  0,
                  4096,
                  {},
                  set_int(&Config::server, &ServerConfig::write_threads)});
  keys.push_back({"server",
                  "max_connections",
                  K::integer,
                  "1024",
                  "Concurrent client connections; further ones are closed at once.",
                  1,
                  1000000,
                  {},
                  set_int(&Config::server, &ServerConfig::max_connections)});
  keys.push_back({"server",
                  "max_header_bytes",
                  K::integer,
                  "16384",
                  "Largest request header block; larger gets 431.",
                  1024,
                  1048576,
                  {},
                  set_int(&Config::server, &ServerConfig::max_header_bytes)});
  keys.push_back({"server",
                  "max_body_bytes",
                  K::integer,
                  "1048576",
                  "Largest request body for routes without their own limit; larger gets 413.",
                  1024,
                  1073741824,
                  {},
                  set_int(&Config::server, &ServerConfig::max_body_bytes)});
  keys.push_back({"server",
                  "read_timeout_seconds",
                  K::integer,
                  "15",
                  "Time a client has to send a whole request (or read a response).",
                  1,
                  3600,
                  {},
                  set_int(&Config::server, &ServerConfig::read_timeout_seconds)});
  keys.push_back({"server",
                  "idle_timeout_seconds",
                  K::integer,
                  "30",
                  "Time a kept-alive connection may wait for its next request.",
                  1,
                  3600,
                  {},
                  set_int(&Config::server, &ServerConfig::idle_timeout_seconds)});
  keys.push_back({"server",
                  "shutdown_grace_seconds",
                  K::integer,
                  "10",
                  "On SIGTERM/SIGINT, how long in-flight requests may take to finish.",
                  0,
                  600,
                  {},
                  set_int(&Config::server, &ServerConfig::shutdown_grace_seconds)});
  keys.push_back({"server",
                  "trust_forwarded_for",
                  K::boolean,
                  "false",
                  "Take the client address from the last X-Forwarded-For entry. Only behind a "
                  "reverse proxy on this machine that sets it.",
                  0,
                  0,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    c.server.trust_forwarded_for = std::get<bool>(v);
                    return std::nullopt;
                  }});
  keys.push_back({"store",
                  "backend",
                  K::string,
                  "\"sqlite\"",
                  "Storage backend. sqlite: the embedded database in the data directory. "
                  "postgres: a PostgreSQL 15 server (hosted installations; see postgres_dsn).",
                  0,
                  0,
                  {"sqlite", "postgres"},
                  set_string(&Config::store, &StoreConfig::backend)});
  keys.push_back({"store",
                  "sqlite_synchronous",
                  K::string,
                  "\"full\"",
                  "SQLite durability. full: every commit is on disk before it is acknowledged. "
                  "normal: faster, but a power cut may lose the last commits (praxis doctor "
                  "warns).",
                  0,
                  0,
                  {"full", "normal"},
                  set_string(&Config::store, &StoreConfig::sqlite_synchronous)});
  keys.push_back({"store",
                  "postgres_dsn",
                  K::string,
                  "\"\"",
                  "libpq connection string for backend = \"postgres\". A host other than "
                  "loopback or a Unix socket requires sslmode=verify-full; keep the password "
                  "in a passfile (~/.pgpass or passfile=...), not here.",
                  0,
                  0,
                  {},
                  set_string(&Config::store, &StoreConfig::postgres_dsn)});
  keys.push_back({"store",
                  "postgres_owner_dsn",
                  K::string,
                  "\"\"",
                  "libpq connection string of the role that owns praxis' schema: it applies "
                  "the migrations and grants the postgres_dsn role what it needs. praxis works "
                  "as the postgres_dsn role, which must not own the tables, be a superuser or "
                  "have BYPASSRLS (row-level security binds it); otherwise serve refuses to "
                  "start. Same rules for hosts and passwords as postgres_dsn.",
                  0,
                  0,
                  {},
                  set_string(&Config::store, &StoreConfig::postgres_owner_dsn)});
  keys.push_back({"store",
                  "postgres_connections",
                  K::integer,
                  "8",
                  "Connections in the PostgreSQL pool.",
                  1,
                  256,
                  {},
                  set_int(&Config::store, &StoreConfig::postgres_connections)});
  keys.push_back({"log",
                  "level",
                  K::string,
                  "\"info\"",
                  "Least severe level logged.",
                  0,
                  0,
                  {"debug", "info", "warn", "error"},
                  set_string(&Config::log, &LogConfig::level)});
  keys.push_back({"log",
                  "file",
                  K::string,
                  "\"\"",
                  "Log file (JSON lines). Empty: standard error.",
                  0,
                  0,
                  {},
                  set_string(&Config::log, &LogConfig::file)});
  keys.push_back({"log",
                  "access_log",
                  K::boolean,
                  "true",
                  "One line per HTTP request: request id, method, route, status, duration.",
                  0,
                  0,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    c.log.access_log = std::get<bool>(v);
                    return std::nullopt;
                  }});
  const IntegerKey<AuthConfig> auth_keys[] = {
      {"session_idle_minutes", "15", "A staff session ends after this long without a request.", 1,
       1440, &AuthConfig::session_idle_minutes},
      {"session_absolute_hours", "12", "A staff session ends this long after sign-in.", 1, 168,
       &AuthConfig::session_absolute_hours},
      {"max_concurrent_password_checks", "0",
       "Argon2id password checks at once; more get 429. 0: half the CPU cores, at least 1.", 0, 64,
       &AuthConfig::max_concurrent_password_checks},
      {"login_free_failures", "5",
       "Failed sign-ins per account before exponential back-off starts.", 1, 100,
       &AuthConfig::login_free_failures},
      {"login_free_failures_per_address", "20",
       "Failed sign-ins per client address before exponential back-off starts.", 1, 100000,
       &AuthConfig::login_free_failures_per_address},
      {"login_max_backoff_seconds", "900", "Longest back-off after repeated failed sign-ins.", 1,
       86400, &AuthConfig::login_max_backoff_seconds},
      {"enrolment_validity_hours", "72", "How long an enrolment (invitation) link is valid.", 1,
       720, &AuthConfig::enrolment_validity_hours},
  };
  keys.push_back({"patients",
                  "restore_days",
                  K::integer,
                  "30",
                  "How long a deleted patient can be restored.",
                  1,
                  3650,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    c.patients.restore_days = std::get<std::int64_t>(v);
                    return std::nullopt;
                  }});
  keys.push_back({"patients",
                  "deletes_per_hour",
                  K::integer,
                  "60",
                  "Patients one staff member or API token may delete, and appointments they may "
                  "cancel, per hour; more are refused (429) and recorded in the audit trail for "
                  "the owner. 0: no limit.",
                  0,
                  100000,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    c.patients.deletes_per_hour = std::get<std::int64_t>(v);
                    return std::nullopt;
                  }});
  keys.push_back({"backup",
                  "scheduled",
                  K::boolean,
                  "true",
                  "The running server backs up every day at [backup] time. Backups are "
                  "encrypted to the recovery key shown once by praxis init.",
                  0,
                  0,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    c.backup.scheduled = std::get<bool>(v);
                    return std::nullopt;
                  }});
  keys.push_back({"backup",
                  "directory",
                  K::string,
                  "\"backups\"",
                  "Where backups are written; a relative path is inside the data directory. "
                  "Best another disk or a mounted share: praxis doctor warns when it shares the "
                  "database's file system.",
                  0,
                  0,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    const auto& dir = std::get<std::string>(v);
                    if (dir.empty()) return "must not be empty";
                    c.backup.directory = dir;
                    return std::nullopt;
                  }});
  keys.push_back({"backup",
                  "time",
                  K::string,
                  "\"02:30\"",
                  "Local time (Europe/Berlin, HH:MM) of the daily backup.",
                  0,
                  0,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    const auto& t = std::get<std::string>(v);
                    const auto at = core::parse_clock_time(t);
                    if (!at || *at >= std::chrono::hours(24)) {
                      return "\"" + t + "\" is not a time of day (HH:MM)";
                    }
                    c.backup.time = t;
                    return std::nullopt;
                  }});
  const IntegerKey<BackupConfig> backup_keys[] = {
      {"keep_daily", "7", "Keep the newest backup of each of this many days.", 1, 3650,
       &BackupConfig::keep_daily},
      {"keep_weekly", "4", "Also keep the newest backup of each of this many weeks.", 0, 520,
       &BackupConfig::keep_weekly},
      {"keep_monthly", "12", "Also keep the newest backup of each of this many months.", 0, 1200,
       &BackupConfig::keep_monthly},
  };
  add_integer_keys(keys, "backup", &Config::backup, backup_keys);
  const IntegerKey<AuditConfig> audit_keys[] = {
      {"checkpoint_every", "1000", "Sign an audit checkpoint after this many new entries.", 1,
       1000000, &AuditConfig::checkpoint_every},
      {"checkpoint_interval_seconds", "300",
       "Sign an audit checkpoint this long after the last one when there are new entries.", 10,
       86400, &AuditConfig::checkpoint_interval_seconds},
      {"break_glass_minutes", "30", "How long a break-glass (emergency) access lasts.", 1, 1440,
       &AuditConfig::break_glass_minutes},
      {"journal_delay_ms", "50",
       "How long the audit entry of a read waits in the journal for others to be moved into "
       "the trail with.",
       1, 60000, &AuditConfig::journal_delay_ms},
      {"journal_sync_ms", "10",
       "The longest an audit entry of a read waits in the journal before it is synced to the "
       "disk (what a power cut can take). 0: only the move into the trail syncs it.",
       0, 60000, &AuditConfig::journal_sync_ms},
  };
  keys.push_back({"booking",
                  "proof_of_work",
                  K::boolean,
                  "true",
                  "Every public booking carries a solved ALTCHA proof-of-work. Switch off only "
                  "for load tests: praxis doctor warns while it is off.",
                  0,
                  0,
                  {},
                  [](Config& c, const ConfigValue& v) -> std::optional<std::string> {
                    c.booking.proof_of_work = std::get<bool>(v);
                    return std::nullopt;
                  }});
  const IntegerKey<BookingConfig> booking_keys[] = {
      {"pow_cost", "5000",
       "PBKDF2 iterations per proof-of-work try (about 256 tries are needed on average).", 100,
       1000000, &BookingConfig::pow_cost},
      {"reads_per_minute", "300",
       "Public practice, availability and booking views per client address and minute. 0: "
       "unlimited (load tests only).",
       0, 1000000, &BookingConfig::reads_per_minute},
      {"challenges_per_minute", "30",
       "Proof-of-work challenges per client address and minute. 0: unlimited.", 0, 1000000,
       &BookingConfig::challenges_per_minute},
      {"writes_per_hour", "60",
       "Public bookings, cancellations and reschedules per client address and hour. 0: "
       "unlimited (load tests only).",
       0, 10000000, &BookingConfig::writes_per_hour},
  };
  add_integer_keys(keys, "booking", &Config::booking, booking_keys);
  const StringKey<MailConfig> mail_strings[] = {
      {"url", "\"\"",
       "The mail relay: smtp://host:587 (STARTTLS is required), smtps://host:465, or "
       "smtp://127.0.0.1:25 for a relay on this machine (the only one spoken to without TLS). "
       "Empty: no e-mail is sent.",
       &MailConfig::url, no_line_breaks},
      {"from", "\"\"", "The sender address, e.g. termine@praxis-example.de.", &MailConfig::from,
       no_line_breaks},
      {"from_name", "\"\"", "The sender's display name; empty: the address alone.",
       &MailConfig::from_name, no_line_breaks},
      {"username", "\"\"", "User name at the relay; empty: no authentication.",
       &MailConfig::username, no_line_breaks},
      {"password_file", "\"\"",
       "File (mode 0600) holding the relay password; relative: inside the data directory.",
       &MailConfig::password_file, no_line_breaks},
      {"ca_file", "\"\"", "Trust this CA file for the relay instead of the system's.",
       &MailConfig::ca_file, no_line_breaks},
  };
  add_string_keys(keys, "mail", &Config::mail, mail_strings);
  const IntegerKey<MailConfig> mail_integers[] = {
      {"timeout_seconds", "30", "Longest time one message may take to hand over.", 1, 600,
       &MailConfig::timeout_seconds},
  };
  add_integer_keys(keys, "mail", &Config::mail, mail_integers);
  const StringKey<SmsConfig> sms_strings[] = {
      {"url", "\"\"",
       "The SMS gateway's HTTPS endpoint (http:// only on 127.0.0.1). Empty: no SMS is sent.",
       &SmsConfig::url, no_line_breaks},
      {"body_template", R"("{\"to\":\"{{to}}\",\"text\":\"{{text}}\",\"sender\":\"{{sender}}\"}")",
       "Request body with {{to}} (E.164), {{text}}, {{id}} (stable per message) and {{sender}}.",
       &SmsConfig::body_template, no_line_breaks},
      {"content_type", "\"application/json\"",
       "Content-Type of the request; values are JSON-escaped for JSON, form-encoded otherwise.",
       &SmsConfig::content_type, no_line_breaks},
      {"authorization_file", "\"\"",
       "File (mode 0600) whose one line is the Authorization header, e.g. \"Bearer …\"; "
       "relative: inside the data directory.",
       &SmsConfig::authorization_file, no_line_breaks},
      {"sender", "\"\"", "Sender name or number the gateway shows.", &SmsConfig::sender,
       no_line_breaks},
      {"ca_file", "\"\"", "Trust this CA file for the gateway instead of the system's.",
       &SmsConfig::ca_file, no_line_breaks},
  };
  add_string_keys(keys, "sms", &Config::sms, sms_strings);
  const IntegerKey<SmsConfig> sms_integers[] = {
      {"timeout_seconds", "30", "Longest time one request to the gateway may take.", 1, 600,
       &SmsConfig::timeout_seconds},
  };
  add_integer_keys(keys, "sms", &Config::sms, sms_integers);
  const StringKey<NotificationsConfig> notification_strings[] = {
      {"public_url", "\"\"",
       "How patients reach this server, e.g. https://termine.praxis-example.de; the links in "
       "messages start with it. Empty: the server's own URL.",
       &NotificationsConfig::public_url, no_line_breaks},
  };
  add_string_keys(keys, "notifications", &Config::notifications, notification_strings);
  const IntegerKey<NotificationsConfig> notification_integers[] = {
      {"max_attempts", "8",
       "Tries per message; then it is a dead letter staff see (and may send again).", 1, 100,
       &NotificationsConfig::max_attempts},
      {"first_retry_seconds", "60", "Wait before the second try; doubled for each further one.", 1,
       86400, &NotificationsConfig::first_retry_seconds},
      {"max_retry_seconds", "21600", "Longest wait between two tries.", 1, 604800,
       &NotificationsConfig::max_retry_seconds},
      {"reminder_hours", "24",
       "Reminders go out this long before the appointment (patients who agreed only); a "
       "practice may choose its own. 0: none.",
       0, 336, &NotificationsConfig::reminder_hours},
      {"keep_days", "30", "Sent messages and dead letters are listed this long, then forgotten.", 1,
       3650, &NotificationsConfig::keep_days},
  };
  add_integer_keys(keys, "notifications", &Config::notifications, notification_integers);
  const StringKey<WebConfig> web_strings[] = {
      {"dir", "\"\"",
       "The built booking page, widget and staff app (make build writes them). Empty: the "
       "directory 'web' beside the one holding the praxis binary.",
       &WebConfig::dir, no_line_breaks},
  };
  add_string_keys(keys, "web", &Config::web, web_strings);
  add_integer_keys(keys, "audit", &Config::audit, audit_keys);
  add_integer_keys(keys, "auth", &Config::auth, auth_keys);
  return keys;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

std::string_view kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::string:
      return "a string";
    case ValueKind::integer:
      return "an integer";
    case ValueKind::boolean:
      return "true or false";
  }
  return "a value";
}

const KeySpec* find_key(std::string_view section, std::string_view key) {
  for (const auto& spec : config_keys()) {
    if (spec.section == section && spec.key == key) return &spec;
  }
  return nullptr;
}

bool known_section(std::string_view section) {
  for (const auto& spec : config_keys()) {
    if (spec.section == section) return true;
  }
  return false;
}

// Range/choice check and apply. `where` prefixes messages ("praxis.toml:3: [server] listen").
core::Result<void> check_and_apply(Config& config, const KeySpec& spec, const ConfigValue& value,
                                   const std::string& where) {
  if (spec.kind == ValueKind::integer) {
    const auto n = std::get<std::int64_t>(value);
    if (n < spec.min || n > spec.max) {
      return core::fail(ErrorCode::invalid_input,
                        where + ": " + std::to_string(n) + " is out of range (" +
                            std::to_string(spec.min) + " to " + std::to_string(spec.max) + ")");
    }
  }
  if (spec.kind == ValueKind::string && !spec.choices.empty()) {
    const auto& s = std::get<std::string>(value);
    bool ok = false;
    std::string list;
    for (auto choice : spec.choices) {
      ok = ok || choice == s;
      list += (list.empty() ? "" : ", ") + std::string(choice);
    }
    if (!ok) {
      return core::fail(ErrorCode::invalid_input, where + ": \"" + s + "\" is not one of: " + list);
    }
  }
  if (auto message = spec.apply(config, value)) {
    return core::fail(ErrorCode::invalid_input, where + ": " + *message);
  }
  return {};
}

std::optional<ConfigValue> from_toml(const toml::node& node, ValueKind kind) {
  switch (kind) {
    case ValueKind::string:
      if (auto v = node.value_exact<std::string>()) return ConfigValue(*v);
      break;
    case ValueKind::integer:
      if (auto v = node.value_exact<std::int64_t>()) return ConfigValue(*v);
      break;
    case ValueKind::boolean:
      if (auto v = node.value_exact<bool>()) return ConfigValue(*v);
      break;
  }
  return std::nullopt;
}

std::optional<ConfigValue> from_env(std::string_view text, ValueKind kind) {
  switch (kind) {
    case ValueKind::string:
      return ConfigValue(std::string(text));
    case ValueKind::integer: {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) break;
      return ConfigValue(n);
    }
    case ValueKind::boolean:
      if (text == "true" || text == "1") return ConfigValue(true);
      if (text == "false" || text == "0") return ConfigValue(false);
      break;
  }
  return std::nullopt;
}

core::Result<void> apply_toml(Config& config, const toml::table& root, std::string_view origin) {
  for (const auto& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const auto line = section_node.source().begin.line;
    const std::string at = std::string(origin) + ":" + std::to_string(line);
    if (!known_section(section)) {
      return core::fail(ErrorCode::invalid_input,
                        at + ": unknown section or key '" + section + "'");
    }
    const auto* table = section_node.as_table();
    if (!table) {
      return core::fail(ErrorCode::invalid_input,
                        at + ": '" + section + "' must be a section ([" + section + "])");
    }
    for (const auto& [key_name, node] : *table) {
      const std::string key(key_name.str());
      const std::string where = std::string(origin) + ":" +
                                std::to_string(node.source().begin.line) + ": [" + section + "] " +
                                key;
      const KeySpec* spec = find_key(section, key);
      if (!spec) return core::fail(ErrorCode::invalid_input, where + ": unknown key");
      auto value = from_toml(node, spec->kind);
      if (!value) {
        return core::fail(ErrorCode::invalid_input,
                          where + ": expected " + std::string(kind_name(spec->kind)));
      }
      if (auto r = check_and_apply(config, *spec, *value, where); !r) return r;
    }
  }
  return {};
}

core::Result<void> apply_environment(Config& config, const std::vector<std::string>& environment) {
  for (const auto& entry : environment) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || entry.rfind("PRAXIS_", 0) != 0) continue;
    const std::string name = entry.substr(0, eq);
    const std::string_view text = std::string_view(entry).substr(eq + 1);
    const KeySpec* match = nullptr;
    bool section_known = false;
    for (const auto& spec : config_keys()) {
      const std::string prefix = "PRAXIS_" + upper(spec.section) + "_";
      if (name.rfind(prefix, 0) == 0) section_known = true;
      if (name == env_name(spec)) match = &spec;
    }
    if (!section_known) continue;  // e.g. PRAXIS_TEST_PG_DSN belongs to the test harness
    const std::string where = "environment variable " + name;
    if (!match) return core::fail(ErrorCode::invalid_input, where + ": unknown key");
    auto value = from_env(text, match->kind);
    if (!value) {
      return core::fail(ErrorCode::invalid_input,
                        where + ": expected " + std::string(kind_name(match->kind)));
    }
    if (auto r = check_and_apply(config, *match, *value, where); !r) return r;
  }
  return {};
}

core::Result<void> validate(const Config& config, std::string_view origin) {
  if (config.store.backend == "postgres" &&
      (config.store.postgres_dsn.empty() || config.store.postgres_owner_dsn.empty())) {
    return core::fail(ErrorCode::invalid_input,
                      std::string(origin) +
                          ": [store] backend = \"postgres\" needs postgres_dsn (the role praxis "
                          "works as) and postgres_owner_dsn (the role owning the schema)");
  }
  if (config.server.tls_certificate.empty() != config.server.tls_private_key.empty()) {
    return core::fail(ErrorCode::invalid_input,
                      std::string(origin) +
                          ": [server] tls_certificate and tls_private_key must be set together");
  }
  return {};
}

}  // namespace

const std::vector<KeySpec>& config_keys() {
  static const std::vector<KeySpec> kKeys = build_keys();
  return kKeys;
}

std::string env_name(const KeySpec& spec) {
  return "PRAXIS_" + upper(spec.section) + "_" + upper(spec.key);
}

std::optional<std::string> set_listen(Config& config, std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return "expected HOST:PORT, e.g. 127.0.0.1:8080";
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3)
      return "an IPv6 address must be written as [addr]:port";
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return "an IPv6 address must be written as [addr]:port";
  }
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return "port must be a number from 0 to 65535";
  }
  config.server.host = std::string(host);
  config.server.port = static_cast<std::uint16_t>(port);
  return std::nullopt;
}

core::Result<Config> parse_config(std::string_view toml_text, std::string_view origin,
                                  const std::vector<std::string>& environment) {
  Config config;
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    return core::fail(ErrorCode::invalid_input, std::string(origin) + ":" +
                                                    std::to_string(e.source().begin.line) + ": " +
                                                    std::string(e.description()));
  }
  if (auto r = apply_toml(config, root, origin); !r) return tl::unexpected(r.error());
  if (auto r = apply_environment(config, environment); !r) return tl::unexpected(r.error());
  if (auto r = validate(config, origin); !r) return tl::unexpected(r.error());
  return config;
}

core::Result<Config> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::fail(ErrorCode::invalid_input,
                      "cannot read " + path.string() +
                          "; is this a praxis data directory? Create one with: praxis init "
                          "--data " +
                          path.parent_path().string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
  return parse_config(text.str(), path.string(), environment);
}

std::string base_url(const ServerConfig& server, std::uint16_t port) {
  const bool v6 = server.host.find(':') != std::string::npos;
  return std::string(server.tls_certificate.empty() ? "http" : "https") + "://" +
         (v6 ? "[" + server.host + "]" : server.host) + ":" + std::to_string(port);
}

std::filesystem::path web_directory(const WebConfig& web) {
  if (!web.dir.empty()) return web.dir;
  std::error_code ec;
  const auto binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "web";
  return binary.parent_path().parent_path() / "web";
}

std::string default_config_text() {
  std::string out =
      "# praxis configuration. Every key is shown with its default.\n"
      "# Each key can be overridden by an environment variable PRAXIS_<SECTION>_<KEY>,\n"
      "# e.g. PRAXIS_SERVER_LISTEN=127.0.0.1:9090. See docs/operations.md.\n";
  std::string_view section;
  for (const auto& spec : config_keys()) {
    if (spec.section != section) {
      section = spec.section;
      out += "\n[" + std::string(section) + "]\n";
    }
    out += "# " + std::string(spec.doc) + "\n";
    out += "#" + std::string(spec.key) + " = " + std::string(spec.default_text) + "\n";
  }
  return out;
}

unsigned handler_threads(const ServerConfig& server) {
  // One per core: the reads are CPU-bound, and more threads than cores only preempt each
  // other mid-request (docs/benchmarks.md, 2026-12-05).
  return server.worker_threads ? server.worker_threads
                               : std::max(2U, std::thread::hardware_concurrency());
}

}  // namespace praxis::app
