#include "notify/transport.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include "core/json_text.hpp"
#include "core/shared_library.hpp"
#include "crypto/encoding.hpp"
#include "notify/templates.hpp"

namespace praxis::notify {

using core::ErrorCode;

namespace {

// libcurl, opened when the first message is sent or mail settings are checked rather than
// linked (core/shared_library.hpp): a server without mail or SMS never loads it and the
// TLS, SSH and LDAP libraries it pulls in. Called through this table, curl_easy_setopt
// loses curl.h's compile-time check of each option's value type (macros around the linked
// function): values go as curl_easy_setopt(3) documents them (long, pointers, callbacks).
struct LibCurl {
  core::SharedLibrary lib;
  decltype(&::curl_global_init) global_init =
      lib.function<decltype(global_init)>("curl_global_init");
  decltype(&::curl_easy_cleanup) easy_cleanup =
      lib.function<decltype(easy_cleanup)>("curl_easy_cleanup");
  decltype(&::curl_easy_escape) easy_escape =
      lib.function<decltype(easy_escape)>("curl_easy_escape");
  decltype(&::curl_easy_getinfo) easy_getinfo =
      lib.function<decltype(easy_getinfo)>("curl_easy_getinfo");
  decltype(&::curl_easy_init) easy_init = lib.function<decltype(easy_init)>("curl_easy_init");
  decltype(&::curl_easy_perform) easy_perform =
      lib.function<decltype(easy_perform)>("curl_easy_perform");
  decltype(&::curl_easy_reset) easy_reset = lib.function<decltype(easy_reset)>("curl_easy_reset");
  decltype(&::curl_easy_setopt) easy_setopt =
      lib.function<decltype(easy_setopt)>("curl_easy_setopt");
  decltype(&::curl_free) free = lib.function<decltype(free)>("curl_free");
  decltype(&::curl_mime_addpart) mime_addpart =
      lib.function<decltype(mime_addpart)>("curl_mime_addpart");
  decltype(&::curl_mime_data) mime_data = lib.function<decltype(mime_data)>("curl_mime_data");
  decltype(&::curl_mime_encoder) mime_encoder =
      lib.function<decltype(mime_encoder)>("curl_mime_encoder");
  decltype(&::curl_mime_filename) mime_filename =
      lib.function<decltype(mime_filename)>("curl_mime_filename");
  decltype(&::curl_mime_free) mime_free = lib.function<decltype(mime_free)>("curl_mime_free");
  decltype(&::curl_mime_headers) mime_headers =
      lib.function<decltype(mime_headers)>("curl_mime_headers");
  decltype(&::curl_mime_init) mime_init = lib.function<decltype(mime_init)>("curl_mime_init");
  decltype(&::curl_mime_subparts) mime_subparts =
      lib.function<decltype(mime_subparts)>("curl_mime_subparts");
  decltype(&::curl_mime_type) mime_type = lib.function<decltype(mime_type)>("curl_mime_type");
  decltype(&::curl_slist_append) slist_append =
      lib.function<decltype(slist_append)>("curl_slist_append");
  decltype(&::curl_slist_free_all) slist_free_all =
      lib.function<decltype(slist_free_all)>("curl_slist_free_all");
  decltype(&::curl_url) url = lib.function<decltype(url)>("curl_url");
  decltype(&::curl_url_cleanup) url_cleanup =
      lib.function<decltype(url_cleanup)>("curl_url_cleanup");
  decltype(&::curl_url_get) url_get = lib.function<decltype(url_get)>("curl_url_get");
  decltype(&::curl_url_set) url_set = lib.function<decltype(url_set)>("curl_url_set");
};

const core::Result<LibCurl>& libcurl() {
  static const core::Result<LibCurl> loaded = [] {
    auto lib = core::SharedLibrary::load<LibCurl>("libcurl.so.4", "libcurl4");
    if (lib) lib->global_init(CURL_GLOBAL_DEFAULT);  // once, before any other use
    return lib;
  }();
  return loaded;
}

// For what runs on a handle: the library was loaded to make it.
const LibCurl& curl() { return *libcurl(); }

struct Easy {
  CURL* handle = nullptr;
  Easy() : handle(libcurl() ? curl().easy_init() : nullptr) {}
  ~Easy() {
    if (handle) curl().easy_cleanup(handle);
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
};

struct List {
  curl_slist* head = nullptr;
  ~List() {
    if (head) curl().slist_free_all(head);
  }
  void add(const std::string& line) {
    if (auto* next = curl().slist_append(head, line.c_str())) head = next;
  }
};

struct Mime {
  curl_mime* mime = nullptr;
  explicit Mime(CURL* handle) : mime(curl().mime_init(handle)) {}
  ~Mime() {
    if (mime) curl().mime_free(mime);
  }
  Mime(const Mime&) = delete;
  Mime& operator=(const Mime&) = delete;
};

std::optional<std::string> host_of(std::string_view url) {
  if (!libcurl()) return std::nullopt;
  CURLU* u = curl().url();
  if (!u) return std::nullopt;
  std::optional<std::string> out;
  if (curl().url_set(u, CURLUPART_URL, std::string(url).c_str(), CURLU_NON_SUPPORT_SCHEME) ==
      CURLUE_OK) {
    char* host = nullptr;
    if (curl().url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
      out = host;
      curl().free(host);
    }
  }
  curl().url_cleanup(u);
  return out;
}

// libcurl's progress callback: a non-zero answer ends the transfer.
int abort_check(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::atomic<bool>*>(flag);
  return abort && abort->load() ? 1 : 0;
}

void abortable(CURL* h, const std::atomic<bool>* abort) {
  if (!abort) return;
  curl().easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl().easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_check);
  curl().easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(abort));
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
    curl().easy_reset(h);
    abortable(h, abort);
    curl().easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
    curl().easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings_.timeout.count()));
    // STARTTLS or smtps is demanded from every relay but a loopback one.
    curl().easy_setopt(h, CURLOPT_USE_SSL, loopback_ ? CURLUSESSL_NONE : CURLUSESSL_ALL);
    if (!settings_.ca_file.empty())
      curl().easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (!settings_.username.empty()) {
      curl().easy_setopt(h, CURLOPT_USERNAME, settings_.username.c_str());
      curl().easy_setopt(h, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    const std::string from = "<" + single_line(settings_.from_address) + ">";
    curl().easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    List rcpt;
    rcpt.add("<" + single_line(mail.to) + ">");
    curl().easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.head);

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
    curl().easy_setopt(h, CURLOPT_HTTPHEADER, headers.head);

    // multipart/mixed { multipart/alternative { text/plain, text/html }, text/calendar }
    Mime top(h);
    Mime alternative(h);
    if (!top.mime || !alternative.mime) return tl::unexpected(SendFailure{false, "curl_init"});
    auto* text = curl().mime_addpart(alternative.mime);
    curl().mime_data(text, mail.text.data(), mail.text.size());
    curl().mime_type(text, "text/plain; charset=utf-8");
    curl().mime_encoder(text, "quoted-printable");
    auto* html = curl().mime_addpart(alternative.mime);
    curl().mime_data(html, mail.html.data(), mail.html.size());
    curl().mime_type(html, "text/html; charset=utf-8");
    curl().mime_encoder(html, "quoted-printable");
    auto* body = curl().mime_addpart(top.mime);
    curl().mime_subparts(body, alternative.mime);
    alternative.mime = nullptr;  // owned by `top` now
    curl().mime_type(body, "multipart/alternative");
    List inline_header;
    inline_header.add("Content-Disposition: inline");
    curl().mime_headers(body, inline_header.head, 0);
    if (mail.attachment) {
      auto* file = curl().mime_addpart(top.mime);
      curl().mime_data(file, mail.attachment->data.data(), mail.attachment->data.size());
      curl().mime_type(file, mail.attachment->content_type.c_str());
      curl().mime_filename(file, mail.attachment->filename.c_str());
      curl().mime_encoder(file, "base64");
    }
    curl().easy_setopt(h, CURLOPT_MIMEPOST, top.mime);

    const CURLcode rc = curl().easy_perform(h);
    long response = 0;
    curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
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
  char* e = curl().easy_escape(h, v.data(), static_cast<int>(v.size()));
  std::string out = e ? e : "";
  curl().free(e);
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
    curl().easy_setopt(h, CURLOPT_URL, settings_.url.c_str());
    curl().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
    if (!settings_.ca_file.empty())
      curl().easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
    curl().easy_setopt(h, CURLOPT_POST, 1L);
    curl().easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl().easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    List headers;
    headers.add("Content-Type: " + single_line(settings_.content_type));
    headers.add("Idempotency-Key: " + single_line(id));
    if (!settings_.authorization.empty()) {
      headers.add("Authorization: " + single_line(settings_.authorization));
    }
    curl().easy_setopt(h, CURLOPT_HTTPHEADER, headers.head);
    const CURLcode rc = curl().easy_perform(h);
    long status = 0;
    curl().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
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
  if (const auto& lib = libcurl(); !lib) return tl::unexpected(lib.error());
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
  if (const auto& lib = libcurl(); !lib) return tl::unexpected(lib.error());
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
