#pragma once
// Staff accounts (issue #5). So far: inviting a user, which creates the account in
// state "invited" and a one-time enrolment token (72 h by default). There are no
// default passwords: the invitee sets password and second factor through the link.
// Thread-safe (the store is).

#include <chrono>
#include <string>
#include <string_view>

#include "auth/permissions.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "store/store.hpp"

namespace praxis::auth {

inline constexpr std::chrono::hours kEnrolmentValidity{72};

struct Invitation {
  store::UserRow user;
  std::string token;       // shown once; only its hash is stored
  std::string expires_at;  // UTC, ISO 8601
};

// Lower-cased and trimmed if it looks like an address, else nullopt.
std::optional<std::string> normalize_staff_email(std::string_view text);

// The link the invitee opens. The token travels in the fragment, which browsers never
// send to a server, so it cannot end up in access logs, proxies or Referer headers.
std::string enrolment_url(std::string_view base_url, std::string_view token);

class AccountService {
 public:
  AccountService(store::Store& store, core::Clock& clock, core::Random& random,
                 std::chrono::hours enrolment_validity = kEnrolmentValidity);

  // invalid_input (fields "email", "role"); not_found for an unknown practice; conflict
  // (field "email") if the address already has an account.
  [[nodiscard]] core::Result<Invitation> invite(std::string_view practice_id,
                                                std::string_view email, std::string_view role);

  // The same inside a caller's write transaction (e.g. together with creating the
  // practice); `out` is filled on success.
  [[nodiscard]] core::Result<void> invite_in(store::Transaction& tx, std::string_view practice_id,
                                             std::string_view email, std::string_view role,
                                             Invitation& out);

 private:
  core::Result<Invitation> prepare(std::string_view practice_id, std::string_view email,
                                   std::string_view role);

  store::Store& store_;
  core::Clock& clock_;
  core::Random& random_;
  std::chrono::hours validity_;
};

}  // namespace praxis::auth
