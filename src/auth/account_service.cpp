#include "auth/account_service.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "core/validation.hpp"
#include "crypto/token.hpp"

namespace praxis::auth {

using core::ErrorCode;

namespace {
constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kIdBytes = 16;
}  // namespace

std::optional<std::string> normalize_staff_email(std::string_view text) {
  // The same rules as a patient's address (core/validation), then lower-cased.
  std::string email = core::normalize_email(text);
  if (email.size() > kMaxEmail || !core::valid_email(email)) return std::nullopt;
  return email;
}

std::string enrolment_url(std::string_view base_url, std::string_view token) {
  return std::string(base_url) + "/app/enrol#token=" + std::string(token);
}

AccountService::AccountService(store::Store& store, audit::Trail& trail, core::Clock& clock,
                               core::Random& random, std::chrono::hours enrolment_validity)
    : store_(store), trail_(trail), clock_(clock), random_(random), validity_(enrolment_validity) {}

namespace {

constexpr std::size_t kMaxDisplayName = 120;

bool valid_display_name(std::string_view name) {
  return name.size() <= kMaxDisplayName && std::none_of(name.begin(), name.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20;
         });
}

core::FieldError display_name_error() {
  return {"display_name", "invalid",
          "Höchstens 120 Zeichen, keine Steuerzeichen. / At most 120 characters."};
}

core::Error not_found() {
  return core::Error::make(ErrorCode::not_found, "Nicht gefunden. / Not found.");
}

}  // namespace

core::Result<Invitation> AccountService::prepare(std::string_view practice_id,
                                                 std::string_view email, std::string_view role,
                                                 std::string_view display_name) {
  auto normalized = normalize_staff_email(email);
  std::vector<core::FieldError> fields;
  if (!normalized) {
    fields.push_back(
        {"email", "invalid",
         "Bitte eine gültige E-Mail-Adresse angeben. / Please give a valid e-mail address."});
  }
  if (!known_role(role)) {
    fields.push_back({"role", "invalid", "owner, physician, assistant, reception oder auditor."});
  }
  if (!valid_display_name(display_name)) fields.push_back(display_name_error());
  if (!fields.empty()) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Die Einladung ist fehlerhaft. / The invitation is invalid.");
    e.fields = std::move(fields);
    return tl::unexpected(e);
  }
  const core::Instant now = clock_.now();
  Invitation invitation;
  invitation.user.id = core::random_hex(random_, kIdBytes);
  invitation.user.practice_id = std::string(practice_id);
  invitation.user.email = *normalized;
  invitation.user.role = std::string(role);
  invitation.user.status = "invited";
  invitation.user.created_at = core::to_iso8601(now);
  invitation.user.display_name = std::string(display_name);
  invitation.token = crypto::generate_token();
  invitation.expires_at = core::to_iso8601(now + validity_);
  return invitation;
}

core::Result<void> AccountService::invite_in(store::Transaction& tx, const audit::Context& context,
                                             std::string_view practice_id, std::string_view email,
                                             std::string_view role, Invitation& out,
                                             std::string_view display_name) {
  auto invitation = prepare(practice_id, email, role, display_name);
  if (!invitation) return tl::unexpected(invitation.error());
  auto practice = tx.practices().find(practice_id);
  if (!practice) return tl::unexpected(practice.error());
  if (!*practice)
    return core::fail(ErrorCode::not_found, "Praxis nicht gefunden. / Practice not found.");
  auto existing = tx.users().find_by_email(invitation->user.email);
  if (!existing) return tl::unexpected(existing.error());
  if (*existing) {
    auto e = core::Error::make(ErrorCode::conflict,
                               "Für diese Adresse gibt es schon ein Konto. / "
                               "This address already has an account.");
    e.fields.push_back({"email", "taken", "bereits vergeben / already taken"});
    return tl::unexpected(e);
  }
  if (auto inserted = tx.users().insert(invitation->user); !inserted) return inserted;
  const auto hash = crypto::hash_token(invitation->token);
  store::EnrolmentTokenRow token;
  token.token_hash.assign(hash.begin(), hash.end());
  token.practice_id = invitation->user.practice_id;
  token.user_id = invitation->user.id;
  token.expires_at = invitation->expires_at;
  if (auto inserted = tx.enrolment_tokens().insert(token); !inserted) {
    return inserted;
  }
  auto a = trail_.record(tx, practice_id, context, {"user.invite", "user", invitation->user.id});
  if (!a) return tl::unexpected(a.error());
  out = std::move(*invitation);
  return {};
}

core::Result<Invitation> AccountService::invite(const audit::Context& context,
                                                std::string_view practice_id,
                                                std::string_view email, std::string_view role,
                                                std::string_view display_name) {
  Invitation invitation;
  auto r = store::with_transaction(store_, store::TxMode::read_write, [&](store::Transaction& tx) {
    return invite_in(tx, context, practice_id, email, role, invitation, display_name);
  });
  if (!r) return tl::unexpected(r.error());
  return invitation;
}

core::Result<std::vector<store::UserRow>> AccountService::list(std::string_view practice_id) {
  std::vector<store::UserRow> out;
  auto r = store::with_transaction(store_, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto rows = tx.users().list(practice_id);
                                     if (!rows) return tl::unexpected(rows.error());
                                     out = std::move(*rows);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<store::UserRow> AccountService::get(std::string_view practice_id,
                                                 std::string_view id) {
  std::optional<store::UserRow> found;
  auto r = store::with_transaction(store_, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto u = tx.users().find(practice_id, id);
                                     if (!u) return tl::unexpected(u.error());
                                     found = *u;
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  if (!found) return tl::unexpected(not_found());
  return *found;
}

namespace {

// True if `users` has an active owner other than `except`.
bool another_active_owner(const std::vector<store::UserRow>& users, std::string_view except) {
  return std::any_of(users.begin(), users.end(), [&](const store::UserRow& u) {
    return u.id != except && u.role == "owner" && u.status == "active";
  });
}

}  // namespace

core::Result<store::UserRow> AccountService::update(const audit::Context& context,
                                                    std::string_view practice_id,
                                                    std::string_view id, const UserChange& change) {
  const std::string_view actor_id = context.actor.id;
  std::vector<core::FieldError> fields;
  if (change.role && !known_role(*change.role)) {
    fields.push_back({"role", "invalid", "owner, physician, assistant, reception oder auditor."});
  }
  if (change.status && *change.status != "active" && *change.status != "disabled") {
    fields.push_back({"status", "invalid", "active oder disabled."});
  }
  if (change.display_name && !valid_display_name(*change.display_name)) {
    fields.push_back(display_name_error());
  }
  if (!fields.empty()) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Die Änderung ist fehlerhaft. / The change is invalid.");
    e.fields = std::move(fields);
    return tl::unexpected(e);
  }
  const std::string now = core::to_iso8601(clock_.now());
  store::UserRow updated;
  auto r = store::with_transaction(
      store_, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto found = tx.users().find(practice_id, id);
        if (!found) return tl::unexpected(found.error());
        if (!*found) return tl::unexpected(not_found());
        store::UserRow row = **found;
        if (change.expected_version && *change.expected_version != row.version) {
          return core::fail(ErrorCode::precondition_failed,
                            "Das Konto wurde inzwischen geändert; bitte neu laden. / The "
                            "account was changed meanwhile; please reload.");
        }
        const bool role_change = change.role && *change.role != row.role;
        const bool status_change = change.status && *change.status != row.status;
        if ((role_change || status_change) && row.id == actor_id) {
          return core::fail(ErrorCode::conflict,
                            "Die eigene Rolle und den eigenen Status ändert eine andere "
                            "Inhaberin oder ein anderer Inhaber. / Another owner changes your "
                            "own role or status.");
        }
        if (status_change && row.status == "invited") {
          return core::fail(ErrorCode::conflict,
                            "Das Konto ist noch nicht eingerichtet. / The account is not set up "
                            "yet.");
        }
        if (row.role == "owner" && row.status == "active" &&
            ((role_change && *change.role != "owner") ||
             (status_change && *change.status == "disabled"))) {
          auto all = tx.users().list(practice_id);
          if (!all) return tl::unexpected(all.error());
          if (!another_active_owner(*all, row.id)) {
            return core::fail(ErrorCode::conflict,
                              "Die Praxis braucht mindestens eine aktive Inhaberin oder einen "
                              "aktiven Inhaber. / The practice needs at least one active owner.");
          }
        }
        if (change.role) row.role = *change.role;
        if (change.status) row.status = *change.status;
        if (change.display_name) row.display_name = *change.display_name;
        if (auto u = tx.users().update(row); !u) return u;
        if (status_change && row.status == "disabled") {
          auto n = tx.sessions().revoke_for_user(practice_id, row.id, now);
          if (!n) return tl::unexpected(n.error());
        }
        ++row.version;
        updated = row;
        // A role is a set of permissions: its change is recorded as its own action.
        const std::string action = role_change     ? "user.role_change"
                                   : status_change ? "user.status_change"
                                                   : "user.update";
        auto a = trail_.record(tx, practice_id, context, {action, "user", row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return updated;
}

core::Result<Invitation> AccountService::reissue_enrolment(const audit::Context& context,
                                                           std::string_view practice_id,
                                                           std::string_view id) {
  const std::string_view actor_id = context.actor.id;
  const core::Instant now = clock_.now();
  const std::string now_text = core::to_iso8601(now);
  Invitation invitation;
  auto r = store::with_transaction(
      store_, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto found = tx.users().find(practice_id, id);
        if (!found) return tl::unexpected(found.error());
        if (!*found) return tl::unexpected(not_found());
        if ((*found)->id == actor_id) {
          return core::fail(ErrorCode::conflict,
                            "Einen neuen Zugang für das eigene Konto richtet eine andere "
                            "Inhaberin oder ein anderer Inhaber ein. / Another owner resets "
                            "your own access.");
        }
        store::UserRow row = **found;
        row.status = "invited";
        row.password_hash.reset();
        row.totp_secret.reset();
        if (auto u = tx.users().update(row); !u) return u;
        if (auto w = tx.enrolment_tokens().withdraw_for_user(practice_id, row.id, now_text); !w) {
          return w;
        }
        if (auto n = tx.sessions().revoke_for_user(practice_id, row.id, now_text); !n) {
          return tl::unexpected(n.error());
        }
        if (auto c = tx.recovery_codes().replace(practice_id, row.id, {}); !c) return c;
        ++row.version;
        invitation.user = row;
        invitation.token = crypto::generate_token();
        invitation.expires_at = core::to_iso8601(now + validity_);
        const auto hash = crypto::hash_token(invitation.token);
        store::EnrolmentTokenRow token;
        token.token_hash.assign(hash.begin(), hash.end());
        token.practice_id = row.practice_id;
        token.user_id = row.id;
        token.expires_at = invitation.expires_at;
        if (auto ins = tx.enrolment_tokens().insert(token); !ins) return ins;
        auto a = trail_.record(tx, practice_id, context, {"user.reset", "user", row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return invitation;
}

}  // namespace praxis::auth
