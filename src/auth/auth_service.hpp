#pragma once
// Staff sign-in (issue #5): two-step enrolment (password + TOTP secret, then a first
// code), login with password and second factor, sessions, API tokens, and the check
// every protected request passes (authenticate). Thread-safe.
//
// Sessions: 256-bit token (cookie), stored as a BLAKE2b hash with the hash of a CSRF
// token handed out at login. A session ends after `session_idle` without a request or
// `session_absolute` after login, whichever is first, or when revoked (logout, the
// user's or an owner's revocation, disabling the account, a new login from the same
// browser). Every check reads the user again, so a role change or a disabled account
// takes effect on the next request.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/trail.hpp"
#include "auth/login_throttle.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/password.hpp"
#include "store/store.hpp"

namespace praxis::auth {

struct AuthOptions {
  std::chrono::minutes session_idle{15};
  std::chrono::hours session_absolute{12};
  std::size_t max_password_checks = 1;  // Argon2id computations at once
  ThrottlePolicy account_throttle{};
  ThrottlePolicy address_throttle{20};
  crypto::PasswordCost password_cost{};
  int max_confirmation_failures = 5;
  // last_seen_at is written at most this often per session, and at most every quarter of
  // session_idle (idle expiry is that coarse).
  std::chrono::seconds touch_interval{60};
  std::string totp_issuer = "praxis";
};

inline constexpr int kRecoveryCodeCount = 10;

struct EnrolmentSecrets {
  std::string email;
  std::string totp_secret;  // base32, for typing into an authenticator app
  std::string otpauth_uri;
  std::string qr_svg;
  std::vector<std::string> recovery_codes;  // shown once
};

struct LoginInput {
  std::string email;
  std::string password;
  std::optional<std::string> totp;
  std::optional<std::string> recovery_code;
  std::string client_address;  // for the per-address limit and the audit trail
  std::string request_id;      // for the audit trail
  std::string client_label;    // user agent, shortened, for the session list
  std::optional<std::string> previous_session_token;  // rotated: revoked at login
};

struct LoginResult {
  std::string session_token;  // goes into the cookie only
  std::string csrf_token;
  store::SessionRow session;
  store::UserRow user;
  store::PracticeRow practice;
  bool used_recovery_code = false;
  std::int64_t recovery_codes_left = 0;
};

// What a request presents.
struct Credentials {
  std::optional<std::string> session_token;  // from the cookie
  std::optional<std::string> bearer_token;   // Authorization: Bearer (API tokens)
  std::optional<std::string> csrf_token;     // X-CSRF-Token
  bool state_changing = false;               // not GET/HEAD/OPTIONS
};

// Who is calling, after authenticate().
struct Caller {
  std::string user_id;
  std::string practice_id;
  std::string role;
  std::string session_id;           // empty for API tokens
  std::string api_token_id;         // empty for sessions
  std::vector<std::string> scopes;  // API tokens: the permissions they carry
};

struct NewApiToken {
  std::string name;
  std::vector<std::string> permissions;
  std::int64_t expires_in_days = 90;
};

struct CreatedApiToken {
  store::ApiTokenRow row;
  std::string token;  // shown once
};

// Recovery codes look like "K7QF-2M4X-PL9A-ZT3R" (80 random bits); input is compared
// case-insensitively, ignoring spaces and hyphens.
std::string normalize_recovery_code(std::string_view code);

class AuthService {
 public:
  // Sign-ins (successful, and failed ones of existing accounts), enrolments, sign-outs
  // and session and API-token changes are recorded in `trail` (issue #8).
  AuthService(store::Store& store, crypto::KeyRing& keys, audit::Trail& trail, core::Clock& clock,
              core::Random& random, AuthOptions options = {});

  // Step 1 of enrolment: the link's token and a new password → the TOTP secret and the
  // recovery codes. invalid_input (field "password") for a refused password; not_found
  // for an unknown link; conflict for a used, withdrawn or expired one.
  [[nodiscard]] core::Result<EnrolmentSecrets> enrol(std::string_view token,
                                                     std::string_view password);
  // Step 2: a code from the authenticator app proves it was set up; the account is
  // active afterwards. After max_confirmation_failures wrong codes the link is withdrawn.
  [[nodiscard]] core::Result<void> confirm_enrolment(std::string_view token, std::string_view code,
                                                     const audit::Context& context = {});

  // unauthenticated (one message for every reason, so it reveals nothing about which
  // part was wrong or whether the account exists), rate_limited with retry_after.
  [[nodiscard]] core::Result<LoginResult> login(const LoginInput& input);

  // The choke point's check: a valid session or API token whose role (or scope)
  // grants `permission` ("" = any authenticated caller). unauthenticated without valid
  // credentials; forbidden for a missing or wrong CSRF token or a missing permission.
  [[nodiscard]] core::Result<Caller> authenticate(const Credentials& credentials,
                                                  std::string_view permission);

  [[nodiscard]] core::Result<void> logout(const Caller& caller, const audit::Context& context);
  // The caller's open sessions, newest first.
  [[nodiscard]] core::Result<std::vector<store::SessionRow>> sessions(const Caller& caller);
  // One of the caller's own sessions; not_found for any other id.
  [[nodiscard]] core::Result<void> revoke_session(const Caller& caller,
                                                  const audit::Context& context,
                                                  std::string_view session_id);
  // Every session of a user of the caller's practice (owners, users.manage).
  [[nodiscard]] core::Result<std::int64_t> revoke_user_sessions(const Caller& caller,
                                                                const audit::Context& context,
                                                                std::string_view user_id);

  [[nodiscard]] core::Result<CreatedApiToken> create_api_token(const Caller& caller,
                                                               const audit::Context& context,
                                                               const NewApiToken& input);
  [[nodiscard]] core::Result<std::vector<store::ApiTokenRow>> api_tokens(const Caller& caller);
  [[nodiscard]] core::Result<void> revoke_api_token(const Caller& caller,
                                                    const audit::Context& context,
                                                    std::string_view id);

  // Deletes sessions that ended more than a day ago (housekeeping).
  [[nodiscard]] core::Result<std::int64_t> purge_sessions();

  const AuthOptions& options() const { return options_; }

 private:
  // The trail entry of a sign-in attempt by an existing account.
  void record_login_failure(const store::UserRow& user, const LoginInput& input);
  core::Result<crypto::KeyPtr> practice_key(store::Transaction& tx, std::string_view practice_id);
  core::Result<std::optional<std::int64_t>> check_totp(store::Transaction& tx,
                                                       const store::UserRow& user,
                                                       std::string_view code);
  core::Result<Caller> authenticate_session(const Credentials& credentials,
                                            std::string_view permission);
  core::Result<Caller> authenticate_api_token(std::string_view token, std::string_view permission);
  core::Error login_failed(const std::string& account_key, const std::string& address_key);

  store::Store& store_;
  crypto::KeyRing& keys_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  AuthOptions options_;
  LoginThrottle accounts_;
  LoginThrottle addresses_;
  PasswordGate gate_;
  std::string dummy_hash_;  // verified for unknown accounts, so timing tells nothing
};

}  // namespace praxis::auth
