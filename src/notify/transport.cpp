#include "notify/transport.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "core/json_text.hpp"
#include "crypto/encoding.hpp"
#include "notify/templates.hpp"

namespace praxis::notify {

using core::ErrorCode;

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Easy {
  CURL* handle = nullptr;
  Easy() : handle((global_init(), curl_easy_init())) {}
  ~Easy() {
    if (handle) curl_easy_cleanup(handle);
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
};

struct List {
  curl_slist* head = nullptr;
  ~List() { curl_slist_free_all(head); }
  void add(const std::string& line) {
    if (auto* next = curl_slist_append(head, line.c_str())) head = next;
  }
};

struct Mime {
  curl_mime* mime = nullptr;
  explicit Mime(CURL* handle) : mime(curl_mime_init(handle)) {}
  ~Mime() {
    if (mime) curl_mime_free(mime);
  }
  Mime(const Mime&) = delete;
  Mime& operator=(const Mime&) = delete;
};

std::optional<std::string> host_of(std::string_view url) {
  global_init();
  CURLU* u = curl_url();
  if (!u) return std::nullopt;
  std::optional<std::string> out;
  if (curl_url_set(u, CURLUPART_URL, std::string(url).c_str(), CURLU_NON_SUPPORT_SCHEME) ==
      CURLUE_OK) {
    char* host = nullptr;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
      out = host;
      curl_free(host);
    }
  }
  curl_url_cleanup(u);
  return out;
}

// libcurl's progress callback: a non-zero answer ends the transfer.
int abort_check(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::atomic<bool>*>(flag);
  return abort && abort->load() ? 1 : 0;
}

void abortable(CURL* h, const std::atomic<bool>* abort) {
  if (!abort) return;
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_check);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(abort));
}

std::string single_line(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return out;
}

std::string rfc5322_date(std::int64_t t) {
  const std::time_t time = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&time, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                      tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
  return buf;
}

// A transfer's outcome: what the SMTP or HTTP peer answered last, or why there was no
// answer.
SendFailure failure(CURLcode code, long response, bool smtp) {
  SendFailure f;
  if (response >= 400) {
    f.code = (smtp ? "smtp_" : "http_") + std::to_string(response);
    // SMTP 5xx and HTTP 4xx say the message itself cannot go (unknown mailbox, rejected
    // request); except a gateway's "too many requests" and timeouts.
    f.permanent = smtp ? response >= 500
                       : (response >= 400 && response < 500 && response != 408 && response != 429);
    return f;
  }
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      f.code = "resolve";
      break;
    case CURLE_COULDNT_CONNECT:
      f.code = "connect";
      break;
    case CURLE_OPERATION_TIMEDOUT:
      f.code = "timeout";
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      f.code = "aborted";
      break;
    case CURLE_LOGIN_DENIED:
      f.code = "auth";
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CACERT_BADFILE:
      f.code = "tls";
      break;
    default:
      f.code = "curl_" + std::to_string(static_cast<int>(code));
  }
  return f;
}

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(MailSettings settings)
      : settings_(std::move(settings)), loopback_(loopback_url(settings_.url)) {}

  const MailSettings& settings() const override { return settings_; }

  SendResult send(const Mail& mail, const std::atomic<bool>* abort) override {
    // One handle for every message: libcurl keeps the connection to the relay open and
    // sends the next message on it (RSET, MAIL FROM, …) instead of reconnecting.
    std::lock_guard lock(mutex_);
    if (!easy_.handle) return tl::unexpected(SendFailure{false, "curl_init"});
    CURL* h = easy_.handle;
    curl_easy_reset(h);
    abortable(h, abort);
    curl_easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings_.timeout.count()));
    // STARTTLS or smtps is demanded from every relay but a loopback one.
    curl_easy_setopt(h, CURLOPT_USE_SSL, loopback_ ? CURLUSESSL_NONE : CURLUSESSL_ALL);
    if (!settings_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.username.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, settings_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    const std::string from = "<" + single_line(settings_.from_address) + ">";
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    List rcpt;
    rcpt.add("<" + single_line(mail.to) + ">");
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.head);

    List headers;
    headers.add("Date: " + rfc5322_date(mail.date));
    headers.add(
        "From: " +
        (settings_.from_name.empty() ? std::string() : header_text(settings_.from_name) + " ") +
        from);
    headers.add("To: <" + single_line(mail.to) + ">");
    headers.add("Subject: " + header_text(mail.subject));
    headers.add("Message-ID: <" + single_line(mail.message_id) + ">");
    headers.add("Auto-Submitted: auto-generated");
    if (!mail.language.empty()) headers.add("Content-Language: " + single_line(mail.language));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.head);

    // multipart/mixed { multipart/alternative { text/plain, text/html }, text/calendar }
    Mime top(h);
    Mime alternative(h);
    if (!top.mime || !alternative.mime) return tl::unexpected(SendFailure{false, "curl_init"});
    auto* text = curl_mime_addpart(alternative.mime);
    curl_mime_data(text, mail.text.data(), mail.text.size());
    curl_mime_type(text, "text/plain; charset=utf-8");
    curl_mime_encoder(text, "quoted-printable");
    auto* html = curl_mime_addpart(alternative.mime);
    curl_mime_data(html, mail.html.data(), mail.html.size());
    curl_mime_type(html, "text/html; charset=utf-8");
    curl_mime_encoder(html, "quoted-printable");
    auto* body = curl_mime_addpart(top.mime);
    curl_mime_subparts(body, alternative.mime);
    alternative.mime = nullptr;  // owned by `top` now
    curl_mime_type(body, "multipart/alternative");
    List inline_header;
    inline_header.add("Content-Disposition: inline");
    curl_mime_headers(body, inline_header.head, 0);
    if (mail.attachment) {
      auto* file = curl_mime_addpart(top.mime);
      curl_mime_data(file, mail.attachment->data.data(), mail.attachment->data.size());
      curl_mime_type(file, mail.attachment->content_type.c_str());
      curl_mime_filename(file, mail.attachment->filename.c_str());
      curl_mime_encoder(file, "base64");
    }
    curl_easy_setopt(h, CURLOPT_MIMEPOST, top.mime);

    const CURLcode rc = curl_easy_perform(h);
    long response = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
    if (rc == CURLE_OK) return {};
    return tl::unexpected(failure(rc, response, /*smtp=*/true));
  }

 private:
  MailSettings settings_;
  bool loopback_;
  std::mutex mutex_;
  Easy easy_;
};

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

std::string form_escape(CURL* h, std::string_view v) {
  char* e = curl_easy_escape(h, v.data(), static_cast<int>(v.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

class HttpSmsGateway final : public SmsGateway {
 public:
  explicit HttpSmsGateway(SmsSettings settings) : settings_(std::move(settings)) {}

  SendResult send(std::string_view to, std::string_view text, std::string_view id,
                  const std::atomic<bool>* abort) override {
    Easy easy;
    if (!easy.handle) return tl::unexpected(SendFailure{false, "curl_init"});
    CURL* h = easy.handle;
    abortable(h, abort);
    const bool json = settings_.content_type.find("json") != std::string::npos;
    auto value = [&](std::string_view v) {
      if (!json) return form_escape(h, v);
      std::string quoted;
      core::append_json_string(quoted, v);
      return quoted.substr(1, quoted.size() - 2);
    };
    const std::string body = render(settings_.body_template, {{"to", value(to)},
                                                              {"text", value(text)},
                                                              {"id", value(id)},
                                                              {"sender", value(settings_.sender)}});
    curl_easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
    if (!settings_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    List headers;
    headers.add("Content-Type: " + single_line(settings_.content_type));
    headers.add("Idempotency-Key: " + single_line(id));
    if (!settings_.authorization.empty()) {
      headers.add("Authorization: " + single_line(settings_.authorization));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.head);
    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status >= 200 && status < 300) return {};
    return tl::unexpected(failure(rc, status, /*smtp=*/false));
  }

 private:
  SmsSettings settings_;
};

}  // namespace

bool loopback_url(std::string_view url) {
  auto host = host_of(url);
  if (!host) return false;
  if (*host == "localhost" || *host == "[::1]" || *host == "::1") return true;
  in_addr v4{};
  return ::inet_pton(AF_INET, host->c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

core::Result<void> check_mail_settings(const MailSettings& s) {
  auto host = host_of(s.url);
  if (!host || !(s.url.starts_with("smtp://") || s.url.starts_with("smtps://"))) {
    return core::fail(ErrorCode::invalid_input,
                      "mail.url: an smtp:// or smtps:// URL, e.g. smtp://mail.example.org:587");
  }
  if (s.from_address.empty() || s.from_address.find('@') == std::string::npos ||
      s.from_address.find_first_of("<>\r\n ") != std::string::npos) {
    return core::fail(ErrorCode::invalid_input, "mail.from: the sender's e-mail address");
  }
  if (!s.username.empty() && s.password.empty()) {
    return core::fail(ErrorCode::invalid_input,
                      "mail.password_file: the user name needs a password file");
  }
  return {};
}

core::Result<void> check_sms_settings(const SmsSettings& s) {
  if (!host_of(s.url) ||
      !(s.url.starts_with("https://") || (s.url.starts_with("http://") && loopback_url(s.url)))) {
    return core::fail(ErrorCode::invalid_input,
                      "sms.url: an https:// URL (http:// only on the loopback interface)");
  }
  if (s.body_template.find("{{to}}") == std::string::npos ||
      s.body_template.find("{{text}}") == std::string::npos) {
    return core::fail(ErrorCode::invalid_input,
                      "sms.body_template: must contain {{to}} and {{text}}");
  }
  return {};
}

std::string header_text(std::string_view text) {
  std::string line = single_line(text);
  const bool ascii =
      std::all_of(line.begin(), line.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7F; });
  if (ascii) return line;
  // Encoded words of at most 45 source bytes (60 base64 characters), never splitting a
  // UTF-8 sequence (RFC 2047 §5).
  std::string out;
  std::size_t at = 0;
  while (at < line.size()) {
    std::size_t n = std::min<std::size_t>(45, line.size() - at);
    while (at + n < line.size() && n > 0 &&
           (static_cast<unsigned char>(line[at + n]) & 0xC0) == 0x80) {
      --n;
    }
    const std::string b64 = crypto::base64_encode(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(line.data() + at), n));
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?" + b64 + "?=";
    at += n;
  }
  return out;
}

std::unique_ptr<Mailer> make_smtp_mailer(MailSettings settings) {
  return std::make_unique<SmtpMailer>(std::move(settings));
}

std::unique_ptr<SmsGateway> make_http_sms_gateway(SmsSettings settings) {
  return std::make_unique<HttpSmsGateway>(std::move(settings));
}

}  // namespace praxis::notify
