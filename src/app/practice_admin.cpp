#include "app/practice_admin.hpp"

#include "app/config.hpp"
#include "app/store_factory.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"

namespace praxis::app {

core::Result<CreatedPractice> create_practice(const DataDir& dir,
                                              const practices::NewPractice& input,
                                              const std::optional<std::string>& owner_email,
                                              const PassphraseSource& passphrase) {
  if (owner_email && !auth::normalize_staff_email(*owner_email)) {
    auto e = core::Error::make(core::ErrorCode::invalid_input, "invalid owner e-mail");
    e.fields.push_back(
        {"owner_email", "invalid",
         "Bitte eine gültige E-Mail-Adresse angeben. / Please give a valid e-mail address."});
    return tl::unexpected(e);
  }
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  auto masters = load_master_keys(dir, passphrase);
  if (!masters) return tl::unexpected(masters.error());
  crypto::KeyRing keys(std::move(*masters));
  auto store = open_store(*config, dir);
  if (!store) return tl::unexpected(store.error());
  core::SystemClock clock;
  core::SystemRandom random;
  practices::PracticeService practices(**store, keys, clock, random);
  auth::AccountService accounts(**store, clock, random);
  std::optional<auth::Invitation> owner;
  // The practice and its owner's invitation commit together, or neither does.
  auto practice = practices.create(
      input, [&](store::Transaction& tx, const store::PracticeRow& row) -> core::Result<void> {
        if (!owner_email) return {};
        auth::Invitation invitation;
        if (auto r = accounts.invite_in(tx, row.id, *owner_email, "owner", invitation); !r)
          return r;
        owner = std::move(invitation);
        return {};
      });
  if (!practice) return tl::unexpected(practice.error());
  return CreatedPractice{std::move(*practice), std::move(owner)};
}

core::Result<auth::Invitation> invite_user(const DataDir& dir, std::string_view slug,
                                           std::string_view email, std::string_view role) {
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  auto store = open_store(*config, dir);
  if (!store) return tl::unexpected(store.error());
  core::SystemClock clock;
  core::SystemRandom random;
  auth::AccountService accounts(**store, clock, random);
  auth::Invitation invitation;
  auto r = store::with_transaction(
      **store, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto practice = tx.practices().find_by_slug(slug);
        if (!practice) return tl::unexpected(practice.error());
        if (!*practice) {
          return core::fail(core::ErrorCode::not_found,
                            "no practice with the address /book/" + std::string(slug));
        }
        return accounts.invite_in(tx, (*practice)->id, email, role, invitation);
      });
  if (!r) return tl::unexpected(r.error());
  return invitation;
}

core::Result<auth::Invitation> reset_user(const DataDir& dir, std::string_view email) {
  auto config = load_config(dir.config());
  if (!config) return tl::unexpected(config.error());
  auto store = open_store(*config, dir);
  if (!store) return tl::unexpected(store.error());
  core::SystemClock clock;
  core::SystemRandom random;
  auth::AccountService accounts(**store, clock, random,
                                std::chrono::hours(config->auth.enrolment_validity_hours));
  const std::string normalized = auth::normalize_staff_email(email).value_or(std::string(email));
  std::optional<store::UserRow> user;
  auto r = store::with_transaction(**store, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto u = tx.users().find_by_email(normalized);
                                     if (!u) return tl::unexpected(u.error());
                                     user = *u;
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  if (!user) {
    return core::fail(core::ErrorCode::not_found, "no account with the address " + normalized);
  }
  // The operator acts from outside any practice: no actor id.
  return accounts.reissue_enrolment(user->practice_id, "", user->id);
}

std::string base_url(const DataDir& dir) {
  auto config = load_config(dir.config());
  return config ? base_url(config->server, config->server.port) : std::string();
}

std::string booking_url(std::string_view base, const store::PracticeRow& practice) {
  return std::string(base) + "/book/" + practice.slug;
}

}  // namespace praxis::app
