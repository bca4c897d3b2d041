#include "app/notifications.hpp"

#include <sys/stat.h>

#include <fstream>

namespace praxis::app {

using core::ErrorCode;

namespace {

std::filesystem::path in_data_dir(const DataDir& dir, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : dir.root / p;
}

}  // namespace

core::Result<std::string> read_secret_file(const std::filesystem::path& path,
                                           std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::fail(
        ErrorCode::invalid_input, "",
        std::string(what) + ": cannot read " + path.string() + ": " + core::errno_text(errno));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return core::fail(
        ErrorCode::invalid_input, "",
        std::string(what) + ": " + path.string() + " may be read by others; chmod 600 it");
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return core::fail(ErrorCode::invalid_input, "",
                      std::string(what) + ": " + path.string() + " is empty");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) {
    return core::fail(ErrorCode::invalid_input, "",
                      std::string(what) + ": " + path.string() + " is empty");
  }
  return line;
}

namespace {

// An error for the operator: the same text as message and internal detail.
core::Error operator_error(const std::string& text) {
  return core::Error::make(ErrorCode::invalid_input, text, text);
}

core::Result<std::string> secret(const DataDir& dir, const std::string& file,
                                 std::string_view what) {
  auto text = read_secret_file(in_data_dir(dir, file), what);
  if (!text) return tl::unexpected(operator_error(text.error().internal));
  return text;
}

}  // namespace

core::Result<std::optional<notify::MailSettings>> mail_settings(const Config& config,
                                                                const DataDir& dir) {
  if (config.mail.url.empty()) return std::nullopt;
  notify::MailSettings m;
  m.url = config.mail.url;
  m.from_address = config.mail.from;
  m.from_name = config.mail.from_name;
  m.username = config.mail.username;
  if (!config.mail.ca_file.empty()) m.ca_file = in_data_dir(dir, config.mail.ca_file).string();
  m.timeout = std::chrono::seconds(config.mail.timeout_seconds);
  // The settings first (a password stands in for the file while checking them), so a
  // relay in the clear is reported whether or not the file is readable.
  m.password = config.mail.password_file.empty() ? "" : "set";
  if (auto ok = notify::check_mail_settings(m); !ok) {
    return tl::unexpected(operator_error(ok.error().message));
  }
  m.password.clear();
  if (!config.mail.password_file.empty()) {
    auto password = secret(dir, config.mail.password_file, "mail.password_file");
    if (!password) return tl::unexpected(password.error());
    m.password = std::move(*password);
  }
  return m;
}

core::Result<std::optional<notify::SmsSettings>> sms_settings(const Config& config,
                                                              const DataDir& dir) {
  if (config.sms.url.empty()) return std::nullopt;
  notify::SmsSettings s;
  s.url = config.sms.url;
  s.body_template = config.sms.body_template;
  s.content_type = config.sms.content_type;
  s.sender = config.sms.sender;
  if (!config.sms.ca_file.empty()) s.ca_file = in_data_dir(dir, config.sms.ca_file).string();
  s.timeout = std::chrono::seconds(config.sms.timeout_seconds);
  if (auto ok = notify::check_sms_settings(s); !ok) {
    return tl::unexpected(operator_error(ok.error().message));
  }
  if (!config.sms.authorization_file.empty()) {
    auto auth = secret(dir, config.sms.authorization_file, "sms.authorization_file");
    if (!auth) return tl::unexpected(auth.error());
    s.authorization = std::move(*auth);
  }
  return s;
}

core::Result<std::unique_ptr<notify::Notifier>> make_notifier(
    const Config& config, const DataDir& dir, store::Store& store, audit::Trail& trail,
    core::Clock& clock, core::Random& random, core::Logger& log,
    std::function<std::string()> server_url) {
  auto mail = mail_settings(config, dir);
  if (!mail) return tl::unexpected(mail.error());
  auto sms_config = sms_settings(config, dir);
  if (!sms_config) return tl::unexpected(sms_config.error());
  std::unique_ptr<notify::Mailer> mailer;
  if (*mail) mailer = notify::make_smtp_mailer(std::move(**mail));
  std::unique_ptr<notify::SmsGateway> sms;
  if (*sms_config) sms = notify::make_http_sms_gateway(std::move(**sms_config));
  notify::NotifierOptions o;
  const auto& n = config.notifications;
  if (n.public_url.empty()) {
    o.base_url = std::move(server_url);
  } else {
    std::string url = n.public_url;
    while (url.ends_with('/')) url.pop_back();
    o.base_url = [url] { return url; };
  }
  o.max_attempts = n.max_attempts;
  o.first_retry = std::chrono::seconds(n.first_retry_seconds);
  o.max_retry = std::chrono::seconds(std::max(n.max_retry_seconds, n.first_retry_seconds));
  o.default_reminder_hours = n.reminder_hours;
  o.keep_days = n.keep_days;
  o.lease = std::chrono::seconds(
      2 * std::max(config.mail.timeout_seconds, config.sms.timeout_seconds) + 10);
  return std::make_unique<notify::Notifier>(store, trail, clock, random, log, std::move(mailer),
                                            std::move(sms), std::move(o));
}

}  // namespace praxis::app
