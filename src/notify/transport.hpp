#pragma once
// The two ways a message leaves the server: e-mail over SMTP and SMS through an HTTP
// gateway, both with libcurl. A failed send says whether trying again can help
// (a 4xx SMTP reply, a refused connection, a timeout) or not (a 5xx reply such as an
// unknown mailbox), with a short code for the outbox and the log, never the peer's
// text (it may quote the address).
//
// TLS is required for every peer but a relay on the loopback interface: smtps://, or
// smtp:// with STARTTLS demanded; https:// for the SMS gateway.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <tl/expected.hpp>

#include "core/error.hpp"

namespace praxis::notify {

struct SendFailure {
  bool permanent = false;
  std::string code;  // smtp_550, http_400, connect, timeout, tls, auth, …
};
using SendResult = tl::expected<void, SendFailure>;

struct Attachment {
  std::string content_type;  // e.g. "text/calendar; charset=utf-8; method=REQUEST"
  std::string filename;
  std::string data;
};

struct Mail {
  std::string to;
  std::string subject;
  std::string text;
  std::string html;
  std::string message_id;  // without the angle brackets; the same for every retry
  std::int64_t date = 0;   // seconds since the epoch
  std::string language;    // Content-Language
  std::optional<Attachment> attachment;
};

struct MailSettings {
  std::string url;  // smtp://host:587 (STARTTLS required), smtps://host:465, smtp://127.0.0.1:25
  std::string from_address;
  std::string from_name;
  std::string username;
  std::string password;  // from the password file, never from the command line
  std::string ca_file;   // optional: trust this CA instead of the system's
  std::chrono::seconds timeout{30};
};

struct SmsSettings {
  std::string url;  // https://…, or http:// on the loopback interface
  // The request body with {{to}} (E.164), {{text}}, {{id}} and {{sender}}; values are
  // JSON-escaped when content_type is JSON, form-encoded otherwise.
  std::string body_template = R"({"to":"{{to}}","text":"{{text}}","sender":"{{sender}}"})";
  std::string content_type = "application/json";
  std::string authorization;  // the Authorization header's value, from the credentials file
  std::string sender;
  std::string ca_file;
  std::chrono::seconds timeout{30};
};

// The host of a URL is a loopback address (127.0.0.0/8, ::1, localhost).
bool loopback_url(std::string_view url);
// Refuses settings that would send in the clear to another machine or cannot work.
[[nodiscard]] core::Result<void> check_mail_settings(const MailSettings& settings);
[[nodiscard]] core::Result<void> check_sms_settings(const SmsSettings& settings);

// RFC 5322 header text for a subject or display name: as is when ASCII, else RFC 2047
// encoded words; line breaks never survive.
std::string header_text(std::string_view text);

// A send in progress stops (code "aborted", not permanent) as soon as `*abort` is true:
// a server shutting down does not wait for a relay that hangs.
class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual SendResult send(const Mail& mail, const std::atomic<bool>* abort = nullptr) = 0;
  virtual const MailSettings& settings() const = 0;
};

class SmsGateway {
 public:
  virtual ~SmsGateway() = default;
  // `id` is stable per message (sent as Idempotency-Key for gateways that use it).
  virtual SendResult send(std::string_view to, std::string_view text, std::string_view id,
                          const std::atomic<bool>* abort = nullptr) = 0;
};

std::unique_ptr<Mailer> make_smtp_mailer(MailSettings settings);
std::unique_ptr<SmsGateway> make_http_sms_gateway(SmsSettings settings);

}  // namespace praxis::notify
