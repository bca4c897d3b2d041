#include "auth/account_service.hpp"

#include <algorithm>

#include "crypto/token.hpp"

namespace praxis::auth {

using core::ErrorCode;

namespace {
constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kIdBytes = 16;
}  // namespace

std::optional<std::string> normalize_staff_email(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  const auto last = text.find_last_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  std::string email(text.substr(first, last - first + 1));
  if (email.size() > kMaxEmail) return std::nullopt;
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos) {
    return std::nullopt;
  }
  const std::string_view domain = std::string_view(email).substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return std::nullopt;
  for (char& c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';') return std::nullopt;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return email;
}

std::string enrolment_url(std::string_view base_url, std::string_view token) {
  return std::string(base_url) + "/app/enrol#token=" + std::string(token);
}

AccountService::AccountService(store::Store& store, core::Clock& clock, core::Random& random,
                               std::chrono::hours enrolment_validity)
    : store_(store), clock_(clock), random_(random), validity_(enrolment_validity) {}

core::Result<Invitation> AccountService::prepare(std::string_view practice_id,
                                                 std::string_view email, std::string_view role) {
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
  invitation.token = crypto::generate_token();
  invitation.expires_at = core::to_iso8601(now + validity_);
  return invitation;
}

core::Result<void> AccountService::invite_in(store::Transaction& tx, std::string_view practice_id,
                                             std::string_view email, std::string_view role,
                                             Invitation& out) {
  auto invitation = prepare(practice_id, email, role);
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
  out = std::move(*invitation);
  return {};
}

core::Result<Invitation> AccountService::invite(std::string_view practice_id,
                                                std::string_view email, std::string_view role) {
  Invitation invitation;
  auto r = store::with_transaction(store_, store::TxMode::read_write, [&](store::Transaction& tx) {
    return invite_in(tx, practice_id, email, role, invitation);
  });
  if (!r) return tl::unexpected(r.error());
  return invitation;
}

}  // namespace praxis::auth
