#pragma once
// Staff accounts (issue #5). So far: inviting a user, which creates the account in
// state "invited" and a one-time enrolment token (72 h by default). There are no
// default passwords: the invitee sets password and second factor through the link.
// Thread-safe (the store is).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/trail.hpp"
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

// A change of a staff account by an owner (PATCH /api/v1/users/{id}); absent fields stay.
struct UserChange {
  std::optional<std::string> role;
  std::optional<std::string> status;  // "active" or "disabled"
  std::optional<std::string> display_name;
  std::optional<std::int64_t> expected_version;
};

class AccountService {
 public:
  // Invitations, user changes and resets are recorded in `trail` (issue #8) within
  // their transaction; `context.actor` is who does it.
  AccountService(store::Store& store, audit::Trail& trail, core::Clock& clock, core::Random& random,
                 std::chrono::hours enrolment_validity = kEnrolmentValidity);

  // invalid_input (fields "email", "role"); not_found for an unknown practice; conflict
  // (field "email") if the address already has an account.
  [[nodiscard]] core::Result<Invitation> invite(const audit::Context& context,
                                                std::string_view practice_id,
                                                std::string_view email, std::string_view role,
                                                std::string_view display_name = {});

  // The same inside a caller's write transaction (e.g. together with creating the
  // practice); `out` is filled on success.
  [[nodiscard]] core::Result<void> invite_in(store::Transaction& tx, const audit::Context& context,
                                             std::string_view practice_id, std::string_view email,
                                             std::string_view role, Invitation& out,
                                             std::string_view display_name = {});

  [[nodiscard]] core::Result<std::vector<store::UserRow>> list(std::string_view practice_id);
  // not_found for an unknown id or another practice's user.
  [[nodiscard]] core::Result<store::UserRow> get(std::string_view practice_id, std::string_view id);
  // Role, status (active/disabled) and display name. An owner cannot change their own
  // role or status, and the last active owner cannot be demoted or disabled, so a
  // practice never locks itself out. Disabling ends the user's sessions.
  [[nodiscard]] core::Result<store::UserRow> update(const audit::Context& context,
                                                    std::string_view practice_id,
                                                    std::string_view id, const UserChange& change);
  // A new enrolment link for another user of the practice (lost phone, expired link):
  // password and second factor are cleared, old links withdrawn, sessions ended.
  [[nodiscard]] core::Result<Invitation> reissue_enrolment(const audit::Context& context,
                                                           std::string_view practice_id,
                                                           std::string_view id);

 private:
  core::Result<Invitation> prepare(std::string_view practice_id, std::string_view email,
                                   std::string_view role, std::string_view display_name);

  store::Store& store_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  std::chrono::hours validity_;
};

}  // namespace praxis::auth
