#include "auth/auth_service.hpp"

#include <algorithm>

#include "auth/account_service.hpp"
#include "auth/password_policy.hpp"
#include "auth/permissions.hpp"
#include "core/qr_svg.hpp"
#include "crypto/encoding.hpp"
#include "crypto/field_cipher.hpp"
#include "crypto/token.hpp"
#include "crypto/totp.hpp"

namespace praxis::auth {

using core::ErrorCode;
using store::Transaction;
using store::TxMode;

namespace {

constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kRecoveryCodeBytes = 10;  // 80 bits, 16 base32 characters
constexpr std::size_t kMaxClientLabel = 120;
constexpr std::string_view kApiTokenPrefix = "prx_";

std::vector<std::uint8_t> hash_bytes(std::string_view token) {
  const auto h = crypto::hash_token(token);
  return {h.begin(), h.end()};
}

core::Error unauthenticated(std::string message = "Bitte anmelden. / Please sign in.") {
  return core::Error::make(ErrorCode::unauthenticated, std::move(message));
}

core::Error forbidden(std::string message) {
  return core::Error::make(ErrorCode::forbidden, std::move(message));
}

core::Error rate_limited(std::chrono::seconds wait) {
  auto e = core::Error::make(ErrorCode::rate_limited,
                             "Zu viele Versuche. Bitte etwas später erneut versuchen. / Too many "
                             "attempts; please try again later.");
  e.retry_after_seconds = static_cast<long>(wait.count());
  return e;
}

core::Error link_problem(ErrorCode code, std::string_view field_code, std::string message) {
  auto e = core::Error::make(code, message);
  e.fields.push_back({"token", std::string(field_code), std::move(message)});
  return e;
}

// The states an enrolment link can be in, checked for both steps.
core::Result<void> check_link(const std::optional<store::EnrolmentTokenRow>& row,
                              const std::string& now) {
  if (!row) {
    return tl::unexpected(
        link_problem(ErrorCode::not_found, "unknown",
                     "Dieser Einladungslink ist ungültig. / This invitation link is not valid."));
  }
  if (row->used_at) {
    return tl::unexpected(link_problem(
        ErrorCode::conflict, "used",
        "Dieser Einladungslink wurde bereits verwendet. Bitte lassen Sie sich neu einladen. / "
        "This invitation link was used already; please ask for a new one."));
  }
  if (row->expires_at <= now) {
    return tl::unexpected(link_problem(
        ErrorCode::conflict, "expired",
        "Dieser Einladungslink ist abgelaufen. Bitte lassen Sie sich neu einladen. / This "
        "invitation link has expired; please ask for a new one."));
  }
  return {};
}

std::string client_label(std::string_view agent) {
  std::string out;
  for (char c : agent.substr(0, kMaxClientLabel)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F ? c : ' ');
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string normalize_recovery_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c);
  }
  return out;
}

AuthService::AuthService(store::Store& store, crypto::KeyRing& keys, audit::Trail& trail,
                         core::Clock& clock, core::Random& random, AuthOptions options)
    : store_(store),
      keys_(keys),
      trail_(trail),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      accounts_(options_.account_throttle),
      addresses_(options_.address_throttle),
      gate_(options_.max_password_checks) {
  auto dummy = crypto::hash_password(crypto::generate_token(), options_.password_cost);
  if (!dummy) throw std::runtime_error("cannot compute the reference password hash");
  dummy_hash_ = std::move(*dummy);
}

core::Result<crypto::KeyPtr> AuthService::practice_key(Transaction& tx,
                                                       std::string_view practice_id) {
  auto row = tx.master_wrapped_keys().find("practice:" + std::string(practice_id));
  if (!row) return tl::unexpected(row.error());
  if (!*row) return core::fail(ErrorCode::internal, "", "practice key missing");
  auto key = keys_.practice_key(
      practice_id, {(*row)->key_id, (*row)->version, (*row)->wrapping_key_id, (*row)->sealed});
  if (!key) {
    return core::fail(ErrorCode::internal, "",
                      "practice key: " + std::string(crypto::crypto_error_name(key.error())));
  }
  return *key;
}

// ---- enrolment ----

core::Result<EnrolmentSecrets> AuthService::enrol(std::string_view token,
                                                  std::string_view password) {
  const auto token_hash = hash_bytes(token);
  const std::string now = core::to_iso8601(clock_.now());
  store::UserRow user;
  store::PracticeRow practice;
  crypto::KeyPtr key;
  auto read = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto row = tx.enrolment_tokens().find(token_hash);
        if (!row) return tl::unexpected(row.error());
        if (auto ok = check_link(*row, now); !ok) return ok;
        if ((*row)->enrolled_at) {
          return tl::unexpected(link_problem(
              ErrorCode::conflict, "used",
              "Mit diesem Link wurde das Passwort schon gesetzt. Bitte bestätigen Sie den Code aus "
              "Ihrer App oder lassen Sie sich neu einladen. / A password was already set with "
              "this link; confirm the code from your app or ask for a new link."));
        }
        auto u = tx.users().find((*row)->practice_id, (*row)->user_id);
        if (!u) return tl::unexpected(u.error());
        auto p = tx.practices().find((*row)->practice_id);
        if (!p) return tl::unexpected(p.error());
        if (!*u || !*p || (*u)->status != "invited") {
          return tl::unexpected(link_problem(
              ErrorCode::conflict, "used",
              "Dieser Einladungslink gilt nicht mehr. / This invitation link is no longer valid."));
        }
        user = **u;
        practice = **p;
        auto k = practice_key(tx, practice.id);
        if (!k) return tl::unexpected(k.error());
        key = *k;
        return {};
      });
  if (!read) return tl::unexpected(read.error());

  auto refused = check_password(password, user.email, user.display_name);
  if (!refused) return tl::unexpected(refused.error());
  if (!refused->empty()) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Das Passwort erfüllt die Regeln nicht. / The password does not "
                               "meet the rules.");
    e.fields = std::move(*refused);
    return tl::unexpected(e);
  }
  std::string password_hash;
  {
    auto ticket = gate_.try_enter();
    if (!ticket) return tl::unexpected(rate_limited(std::chrono::seconds(1)));
    auto h = crypto::hash_password(password, options_.password_cost);
    if (!h) return tl::unexpected(h.error());
    password_hash = std::move(*h);
  }

  const auto secret = crypto::generate_totp_secret();
  EnrolmentSecrets out;
  out.email = user.email;
  std::vector<std::vector<std::uint8_t>> code_hashes;
  for (int i = 0; i < kRecoveryCodeCount; ++i) {
    std::vector<std::uint8_t> raw(kRecoveryCodeBytes);
    random_.fill(raw);
    const std::string plain = crypto::base32_encode(raw, false);
    code_hashes.push_back(hash_bytes(plain));
    out.recovery_codes.push_back(plain.substr(0, 4) + "-" + plain.substr(4, 4) + "-" +
                                 plain.substr(8, 4) + "-" + plain.substr(12, 4));
  }
  user.password_hash = password_hash;
  user.totp_secret =
      crypto::encrypt_field(*key, {user.practice_id, "users", "totp_secret", user.id},
                            std::span<const std::uint8_t>(secret));
  auto written = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.enrolment_tokens().mark_enrolled(token_hash, now); !r) return r;
        if (auto r = tx.users().update(user); !r) return r;
        return tx.recovery_codes().replace(user.practice_id, user.id, code_hashes);
      });
  if (!written) return tl::unexpected(written.error());

  out.totp_secret = crypto::base32_encode(secret, false);
  out.otpauth_uri =
      crypto::otpauth_uri(options_.totp_issuer + " " + practice.name, user.email, secret);
  auto svg = core::qr_svg(out.otpauth_uri);
  if (!svg) return tl::unexpected(svg.error());
  out.qr_svg = std::move(*svg);
  return out;
}

core::Result<std::optional<std::int64_t>> AuthService::check_totp(Transaction& tx,
                                                                  const store::UserRow& user,
                                                                  std::string_view code) {
  if (!user.totp_secret) return std::optional<std::int64_t>();
  auto key = practice_key(tx, user.practice_id);
  if (!key) return tl::unexpected(key.error());
  auto secret = crypto::decrypt_field(**key, {user.practice_id, "users", "totp_secret", user.id},
                                      *user.totp_secret);
  if (!secret) {
    return core::fail(ErrorCode::internal, "",
                      "totp secret: " + std::string(crypto::crypto_error_name(secret.error())));
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  return crypto::verify_totp(*secret, code, now);
}

core::Result<void> AuthService::confirm_enrolment(std::string_view token, std::string_view code,
                                                  const audit::Context& context) {
  const auto token_hash = hash_bytes(token);
  const std::string now = core::to_iso8601(clock_.now());
  store::UserRow user;
  std::optional<std::int64_t> step;
  auto read = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto row = tx.enrolment_tokens().find(token_hash);
        if (!row) return tl::unexpected(row.error());
        if (auto ok = check_link(*row, now); !ok) return ok;
        if (!(*row)->enrolled_at) {
          return tl::unexpected(
              link_problem(ErrorCode::conflict, "not_enrolled",
                           "Bitte zuerst ein Passwort festlegen. / Please set a password first."));
        }
        auto u = tx.users().find((*row)->practice_id, (*row)->user_id);
        if (!u) return tl::unexpected(u.error());
        if (!*u || (*u)->status != "invited") {
          return tl::unexpected(link_problem(
              ErrorCode::conflict, "used",
              "Dieser Einladungslink gilt nicht mehr. / This invitation link is no longer valid."));
        }
        user = **u;
        auto s = check_totp(tx, user, code);
        if (!s) return tl::unexpected(s.error());
        step = *s;
        return {};
      });
  if (!read) return tl::unexpected(read.error());

  if (!step) {
    std::int64_t failures = 0;
    auto counted = store::with_transaction(
        store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
          auto n = tx.enrolment_tokens().record_failure(token_hash);
          if (!n) return tl::unexpected(n.error());
          failures = *n;
          if (failures >= options_.max_confirmation_failures) {
            return tx.enrolment_tokens().withdraw_for_user(user.practice_id, user.id, now);
          }
          return {};
        });
    if (!counted) return tl::unexpected(counted.error());
    if (failures >= options_.max_confirmation_failures) {
      return tl::unexpected(link_problem(
          ErrorCode::conflict, "withdrawn",
          "Zu viele falsche Codes; dieser Link gilt nicht mehr. Bitte lassen Sie sich neu "
          "einladen. / Too many wrong codes; this link is no longer valid."));
    }
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Der Code stimmt nicht. Bitte prüfen Sie die Uhrzeit Ihres "
                               "Telefons und geben Sie den aktuellen Code ein. / The code is "
                               "wrong; check your phone's clock and enter the current code.");
    e.fields.push_back({"totp", "wrong", "Code falsch / wrong code"});
    return tl::unexpected(e);
  }

  return store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.enrolment_tokens().mark_used(token_hash, now); !r) return r;
        auto advanced = tx.users().advance_totp_step(user.practice_id, user.id, *step);
        if (!advanced) return tl::unexpected(advanced.error());
        user.status = "active";
        if (auto u = tx.users().update(user); !u) return u;
        audit::Context c = context;
        c.actor = {"user", user.id, user.role};
        auto a = trail_.record(tx, user.practice_id, c, {"auth.enrol", "user", user.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

// ---- login ----

void AuthService::record_login_failure(const store::UserRow& user, const LoginInput& input) {
  audit::Context c;
  c.actor = {"user", user.id, user.role};
  c.request_id = input.request_id;
  c.client_address = input.client_address;
  const audit::Event e{"auth.login", "user", user.id, "failure"};
  // The answer is 401 either way; a failure that cannot be recorded changes nothing.
  (void)trail_.record(store_, user.practice_id, c, std::span<const audit::Event>(&e, 1));
}

core::Error AuthService::login_failed(const std::string& account_key,
                                      const std::string& address_key) {
  const auto now = clock_.now();
  accounts_.record_failure(account_key, now);
  addresses_.record_failure(address_key, now);
  return unauthenticated(
      "E-Mail-Adresse, Passwort oder Bestätigungscode stimmen nicht. / E-mail address, "
      "password or code is wrong.");
}

core::Result<LoginResult> AuthService::login(const LoginInput& input) {
  const auto now = clock_.now();
  const std::string email = normalize_staff_email(input.email).value_or(input.email);
  const std::string account_key = "account:" + email;
  const std::string address_key = "address:" + input.client_address;
  {
    auto a = accounts_.blocked(account_key, now);
    auto b = addresses_.blocked(address_key, now);
    if (a || b) {
      return tl::unexpected(rate_limited(
          std::max(a.value_or(std::chrono::seconds(0)), b.value_or(std::chrono::seconds(0)))));
    }
  }

  std::optional<store::UserRow> user;
  std::optional<store::PracticeRow> practice;
  std::optional<std::int64_t> step;
  bool factor_ok = false;
  {
    auto ticket = gate_.try_enter();
    if (!ticket) return tl::unexpected(rate_limited(std::chrono::seconds(1)));
    auto read = store::with_transaction(store_, TxMode::read_only,
                                        [&](Transaction& tx) -> core::Result<void> {
                                          auto u = tx.users().find_by_email(email);
                                          if (!u) return tl::unexpected(u.error());
                                          user = *u;
                                          if (!user) return {};
                                          auto p = tx.practices().find(user->practice_id);
                                          if (!p) return tl::unexpected(p.error());
                                          practice = *p;
                                          if (input.totp && user->status == "active") {
                                            auto s = check_totp(tx, *user, *input.totp);
                                            if (!s) return tl::unexpected(s.error());
                                            step = *s;
                                          }
                                          return {};
                                        });
    if (!read) return tl::unexpected(read.error());
    // Always one Argon2id verification, against a reference hash when there is no
    // such account, so the answer takes as long either way.
    const bool has_hash = user && user->password_hash;
    const bool password_ok =
        crypto::verify_password(has_hash ? *user->password_hash : dummy_hash_, input.password);
    if (!has_hash || !password_ok || !practice || user->status != "active") {
      if (user && practice) record_login_failure(*user, input);
      return tl::unexpected(login_failed(account_key, address_key));
    }
    const bool relaxed = user->role == "reception" && practice->reception_second_factor_optional;
    if (input.totp) {
      factor_ok = step.has_value();
    } else if (input.recovery_code) {
      factor_ok = true;  // checked (and used up) in the write below
    } else {
      factor_ok = relaxed;
    }
    if (!factor_ok) {
      record_login_failure(*user, input);
      return tl::unexpected(login_failed(account_key, address_key));
    }
  }

  LoginResult result;
  result.session_token = crypto::generate_token();
  result.csrf_token = crypto::generate_token();
  const auto now_text = core::to_iso8601(now);
  store::SessionRow& session = result.session;
  session.id = core::random_hex(random_, kIdBytes);
  session.practice_id = user->practice_id;
  session.user_id = user->id;
  session.token_hash = hash_bytes(result.session_token);
  session.csrf_hash = hash_bytes(result.csrf_token);
  session.created_at = now_text;
  session.last_seen_at = now_text;
  session.expires_at = core::to_iso8601(now + options_.session_absolute);
  session.client = client_label(input.client_label);

  bool factor_refused = false;
  auto written = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        factor_refused = false;
        if (step) {
          auto fresh = tx.users().advance_totp_step(user->practice_id, user->id, *step);
          if (!fresh) return tl::unexpected(fresh.error());
          if (!*fresh) {
            factor_refused = true;  // this code was used already: a replay
            return {};
          }
        } else if (input.recovery_code) {
          auto used = tx.recovery_codes().use(
              user->practice_id, user->id,
              hash_bytes(normalize_recovery_code(*input.recovery_code)), now_text);
          if (!used) return tl::unexpected(used.error());
          if (!*used) {
            factor_refused = true;
            return {};
          }
          auto left = tx.recovery_codes().count_unused(user->practice_id, user->id);
          if (!left) return tl::unexpected(left.error());
          result.recovery_codes_left = *left;
          result.used_recovery_code = true;
        }
        if (input.previous_session_token) {
          auto old = tx.sessions().find_by_token(hash_bytes(*input.previous_session_token));
          if (!old) return tl::unexpected(old.error());
          if (*old) {
            auto r = tx.sessions().revoke((*old)->practice_id, (*old)->id, now_text);
            if (!r) return tl::unexpected(r.error());
          }
        }
        if (auto r = tx.sessions().insert(session); !r) return r;
        audit::Context c;
        c.actor = {"user", user->id, user->role};
        c.request_id = input.request_id;
        c.client_address = input.client_address;
        auto a = trail_.record(tx, user->practice_id, c, {"auth.login", "user", user->id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!written) return tl::unexpected(written.error());
  if (factor_refused) {
    record_login_failure(*user, input);
    return tl::unexpected(login_failed(account_key, address_key));
  }
  accounts_.record_success(account_key);
  result.user = std::move(*user);
  result.practice = std::move(*practice);
  return result;
}

// ---- the per-request check ----

core::Result<Caller> AuthService::authenticate(const Credentials& credentials,
                                               std::string_view permission) {
  if (credentials.bearer_token)
    return authenticate_api_token(*credentials.bearer_token, permission);
  if (credentials.session_token) return authenticate_session(credentials, permission);
  return tl::unexpected(unauthenticated());
}

core::Result<Caller> AuthService::authenticate_session(const Credentials& credentials,
                                                       std::string_view permission) {
  const auto now = clock_.now();
  if (!crypto::looks_like_token(*credentials.session_token)) {
    return tl::unexpected(unauthenticated());
  }
  std::optional<store::SessionRow> session;
  std::optional<store::UserRow> user;
  auto read = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto s = tx.sessions().find_by_token(hash_bytes(*credentials.session_token));
        if (!s) return tl::unexpected(s.error());
        session = *s;
        if (!session) return {};
        auto u = tx.users().find(session->practice_id, session->user_id);
        if (!u) return tl::unexpected(u.error());
        user = *u;
        return {};
      });
  if (!read) return tl::unexpected(read.error());
  const std::string now_text = core::to_iso8601(now);
  if (!session || session->revoked_at || session->expires_at <= now_text || !user ||
      user->status != "active") {
    return tl::unexpected(unauthenticated());
  }
  const auto last_seen = core::parse_iso8601(session->last_seen_at);
  if (!last_seen || now - *last_seen >= options_.session_idle) {
    return tl::unexpected(unauthenticated(
        "Die Sitzung ist abgelaufen; bitte erneut anmelden. / The session has expired; please "
        "sign in again."));
  }
  if (credentials.state_changing) {
    const bool csrf_ok =
        credentials.csrf_token &&
        crypto::token_hashes_equal(crypto::hash_token(*credentials.csrf_token), [&] {
          crypto::TokenHash h{};
          std::copy_n(session->csrf_hash.begin(), std::min(h.size(), session->csrf_hash.size()),
                      h.begin());
          return h;
        }());
    if (!csrf_ok) {
      return tl::unexpected(forbidden(
          "Sicherheitstoken (X-CSRF-Token) fehlt oder ist falsch; bitte Seite neu laden. / "
          "Missing or wrong CSRF token; please reload the page."));
    }
  }
  if (!permission.empty() && !role_grants(user->role, permission)) {
    return tl::unexpected(
        forbidden("Dafür fehlt Ihnen die Berechtigung. / You lack the permission for this."));
  }
  // At most a quarter of the idle time: otherwise a request shortly before a touch would
  // be forgotten and the session would end sooner after it than the idle time says.
  const auto touch_every =
      std::min<std::chrono::microseconds>(options_.touch_interval, options_.session_idle / 4);
  if (now - *last_seen >= touch_every) {
    auto touched = store::with_transaction(store_, TxMode::read_write, [&](Transaction& tx) {
      return tx.sessions().touch(session->practice_id, session->id, now_text);
    });
    if (!touched) return tl::unexpected(touched.error());
  }
  return Caller{user->id, user->practice_id, user->role, session->id, {}, {}};
}

core::Result<Caller> AuthService::authenticate_api_token(std::string_view token,
                                                         std::string_view permission) {
  if (!token.starts_with(kApiTokenPrefix) ||
      !crypto::looks_like_token(token.substr(kApiTokenPrefix.size()))) {
    return tl::unexpected(unauthenticated());
  }
  const auto now = clock_.now();
  const std::string now_text = core::to_iso8601(now);
  std::optional<store::ApiTokenRow> row;
  std::optional<store::UserRow> creator;
  auto read = store::with_transaction(store_, TxMode::read_only,
                                      [&](Transaction& tx) -> core::Result<void> {
                                        auto t = tx.api_tokens().find_by_token(hash_bytes(token));
                                        if (!t) return tl::unexpected(t.error());
                                        row = *t;
                                        if (!row) return {};
                                        auto u = tx.users().find(row->practice_id, row->created_by);
                                        if (!u) return tl::unexpected(u.error());
                                        creator = *u;
                                        return {};
                                      });
  if (!read) return tl::unexpected(read.error());
  if (!row || row->revoked_at || row->expires_at <= now_text || !creator ||
      creator->status != "active") {
    return tl::unexpected(unauthenticated());
  }
  Caller caller{creator->id, row->practice_id, creator->role,
                {},          row->id,          split_scopes(row->permissions)};
  // A token never carries more than its creator may do today.
  if (!permission.empty() &&
      (!contains(caller.scopes, permission) || !role_grants(creator->role, permission))) {
    return tl::unexpected(
        forbidden("Dieses API-Token hat diese Berechtigung nicht. / This API token lacks the "
                  "permission."));
  }
  if (!row->last_used_at || *row->last_used_at < core::to_iso8601(now - options_.touch_interval)) {
    auto touched = store::with_transaction(store_, TxMode::read_write, [&](Transaction& tx) {
      return tx.api_tokens().touch(row->practice_id, row->id, now_text);
    });
    if (!touched) return tl::unexpected(touched.error());
  }
  return caller;
}

// ---- sessions ----

core::Result<void> AuthService::logout(const Caller& caller, const audit::Context& context) {
  if (caller.session_id.empty()) {
    return core::fail(ErrorCode::forbidden,
                      "Nur mit einer Anmeldesitzung möglich. / Only with a sign-in session.");
  }
  const auto now_text = core::to_iso8601(clock_.now());
  return store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto r = tx.sessions().revoke(caller.practice_id, caller.session_id, now_text);
        if (!r) return tl::unexpected(r.error());
        auto a = trail_.record(tx, caller.practice_id, context,
                               {"auth.logout", "session", caller.session_id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

core::Result<std::vector<store::SessionRow>> AuthService::sessions(const Caller& caller) {
  std::vector<store::SessionRow> out;
  const auto now = clock_.now();
  const std::string now_text = core::to_iso8601(now);
  auto r = store::with_transaction(
      store_, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto rows = tx.sessions().list_for_user(caller.practice_id, caller.user_id);
        if (!rows) return tl::unexpected(rows.error());
        for (auto& s : *rows) {
          const auto seen = core::parse_iso8601(s.last_seen_at);
          if (s.expires_at <= now_text || !seen || now - *seen >= options_.session_idle) continue;
          out.push_back(std::move(s));
        }
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<void> AuthService::revoke_session(const Caller& caller, const audit::Context& context,
                                               std::string_view session_id) {
  const auto now_text = core::to_iso8601(clock_.now());
  return store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto rows = tx.sessions().list_for_user(caller.practice_id, caller.user_id);
        if (!rows) return tl::unexpected(rows.error());
        const bool own = std::any_of(rows->begin(), rows->end(), [&](const store::SessionRow& s) {
          return s.id == session_id;
        });
        if (!own)
          return core::fail(ErrorCode::not_found, "Sitzung nicht gefunden. / Session not found.");
        auto r = tx.sessions().revoke(caller.practice_id, session_id, now_text);
        if (!r) return tl::unexpected(r.error());
        auto a = trail_.record(tx, caller.practice_id, context,
                               {"session.revoke", "session", std::string(session_id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

core::Result<std::int64_t> AuthService::revoke_user_sessions(const Caller& caller,
                                                             const audit::Context& context,
                                                             std::string_view user_id) {
  const auto now_text = core::to_iso8601(clock_.now());
  std::int64_t count = 0;
  auto r = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto user = tx.users().find(caller.practice_id, user_id);
        if (!user) return tl::unexpected(user.error());
        if (!*user) return core::fail(ErrorCode::not_found, "Nicht gefunden. / Not found.");
        auto n = tx.sessions().revoke_for_user(caller.practice_id, user_id, now_text);
        if (!n) return tl::unexpected(n.error());
        count = *n;
        auto a = trail_.record(tx, caller.practice_id, context,
                               {"session.revoke_all", "user", std::string(user_id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return count;
}

core::Result<std::int64_t> AuthService::purge_sessions() {
  const auto before = core::to_iso8601(clock_.now() - std::chrono::hours(24));
  std::int64_t purged = 0;
  auto r = store::with_transaction(store_, TxMode::read_write,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     auto n = tx.sessions().purge(before);
                                     if (!n) return tl::unexpected(n.error());
                                     purged = *n;
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  return purged;
}

// ---- API tokens ----

core::Result<CreatedApiToken> AuthService::create_api_token(const Caller& caller,
                                                            const audit::Context& context,
                                                            const NewApiToken& input) {
  if (caller.session_id.empty()) {
    return core::fail(ErrorCode::forbidden,
                      "API-Tokens legt nur eine angemeldete Person an. / Only a signed-in "
                      "person can create API tokens.");
  }
  std::vector<core::FieldError> fields;
  if (input.name.empty() || input.name.size() > 100) {
    fields.push_back({"name", "length", "1–100 Zeichen / 1–100 characters"});
  }
  if (input.permissions.empty()) {
    fields.push_back({"permissions", "empty", "Mindestens eine Berechtigung. / At least one."});
  }
  for (std::size_t i = 0; i < input.permissions.size(); ++i) {
    const auto& p = input.permissions[i];
    const std::string path = "permissions[" + std::to_string(i) + "]";
    if (!known_permission(p)) {
      fields.push_back({path, "unknown", "Unbekannte Berechtigung. / Unknown permission."});
    } else if (!role_grants(caller.role, p)) {
      fields.push_back({path, "not_granted",
                        "Diese Berechtigung haben Sie selbst nicht. / You do not hold this "
                        "permission yourself."});
    }
  }
  if (input.expires_in_days < 1 || input.expires_in_days > 365) {
    fields.push_back({"expires_in_days", "range", "1–365"});
  }
  if (!fields.empty()) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Das API-Token ist fehlerhaft. / The API token is invalid.");
    e.fields = std::move(fields);
    return tl::unexpected(e);
  }
  const auto now = clock_.now();
  CreatedApiToken out;
  out.token = std::string(kApiTokenPrefix) + crypto::generate_token();
  auto& row = out.row;
  row.id = core::random_hex(random_, kIdBytes);
  row.practice_id = caller.practice_id;
  row.name = input.name;
  row.created_by = caller.user_id;
  row.token_hash = hash_bytes(out.token);
  std::vector<std::string> sorted = input.permissions;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const auto& p : sorted) row.permissions += (row.permissions.empty() ? "" : " ") + p;
  row.created_at = core::to_iso8601(now);
  row.expires_at = core::to_iso8601(now + std::chrono::hours(24) * input.expires_in_days);
  auto r = store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto ins = tx.api_tokens().insert(row); !ins) return ins;
        auto a = trail_.record(tx, caller.practice_id, context,
                               {"api_token.create", "api_token", row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<std::vector<store::ApiTokenRow>> AuthService::api_tokens(const Caller& caller) {
  std::vector<store::ApiTokenRow> out;
  auto r = store::with_transaction(store_, TxMode::read_only,
                                   [&](Transaction& tx) -> core::Result<void> {
                                     auto rows = tx.api_tokens().list(caller.practice_id);
                                     if (!rows) return tl::unexpected(rows.error());
                                     out = std::move(*rows);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<void> AuthService::revoke_api_token(const Caller& caller,
                                                 const audit::Context& context,
                                                 std::string_view id) {
  const auto now_text = core::to_iso8601(clock_.now());
  return store::with_transaction(
      store_, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto r = tx.api_tokens().revoke(caller.practice_id, id, now_text);
        if (!r) return tl::unexpected(r.error());
        if (!*r) return core::fail(ErrorCode::not_found, "Nicht gefunden. / Not found.");
        auto a = trail_.record(tx, caller.practice_id, context,
                               {"api_token.revoke", "api_token", std::string(id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

}  // namespace praxis::auth
