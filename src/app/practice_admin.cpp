#include "app/practice_admin.hpp"

#include "app/config.hpp"
#include "app/installation.hpp"

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
  auto installation = Installation::open(dir, &passphrase);
  if (!installation) return tl::unexpected(installation.error());
  auto& in = **installation;
  practices::PracticeService practices(in.store(), in.keys(), in.trail(), in.clock(), in.random());
  auth::AccountService accounts = in.accounts();
  std::optional<auth::Invitation> owner;
  // The practice and its owner's invitation commit together, or neither does.
  auto practice = practices.create(
      audit::Context::system("praxis practice create"), input,
      [&](store::Transaction& tx, const store::PracticeRow& row) -> core::Result<void> {
        if (!owner_email) return {};
        auth::Invitation invitation;
        if (auto r = accounts.invite_in(tx, audit::Context::system("praxis practice create"),
                                        row.id, *owner_email, "owner", invitation);
            !r)
          return r;
        owner = std::move(invitation);
        return {};
      });
  if (!practice) return tl::unexpected(practice.error());
  return CreatedPractice{std::move(*practice), std::move(owner)};
}

core::Result<auth::Invitation> invite_user(const DataDir& dir, std::string_view slug,
                                           std::string_view email, std::string_view role) {
  auto installation = Installation::open(dir);
  if (!installation) return tl::unexpected(installation.error());
  auto practice = (*installation)->practice_by_slug(slug);
  if (!practice) return tl::unexpected(practice.error());
  return (*installation)
      ->accounts()
      .invite(audit::Context::system("praxis user invite"), practice->id, email, role);
}

core::Result<auth::Invitation> reset_user(const DataDir& dir, std::string_view email) {
  auto installation = Installation::open(dir);
  if (!installation) return tl::unexpected(installation.error());
  auth::AccountService accounts = (*installation)->accounts();
  const std::string normalized = auth::normalize_staff_email(email).value_or(std::string(email));
  std::optional<store::UserRow> user;
  auto r = store::with_transaction((*installation)->store(), store::TxMode::read_only,
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
  // The operator acts from outside any practice: the system is the actor.
  return accounts.reissue_enrolment(audit::Context::system("praxis user reset"), user->practice_id,
                                    user->id);
}

core::Result<demo::DemoSummary> seed_demo(const DataDir& dir, std::string_view practice_id,
                                          const PassphraseSource& passphrase) {
  auto installation = Installation::open(dir, &passphrase);
  if (!installation) return tl::unexpected(installation.error());
  auto& in = **installation;
  patients::PatientService patients(in.store(), in.keys(), in.trail(), in.clock(), in.random());
  scheduling::SchedulingService scheduling(in.store(), in.trail(), in.clock(), in.random());
  auto summary = demo::seed_practice(patients, scheduling, in.clock(), practice_id);
  if (!summary) return summary;
  if (auto signed_now = in.trail().checkpoint(in.store(), practice_id, true); !signed_now) {
    return tl::unexpected(signed_now.error());
  }
  return summary;
}

std::string base_url(const DataDir& dir) {
  auto config = load_config(dir.config());
  return config ? base_url(config->server, config->server.port) : std::string();
}

std::string booking_url(std::string_view base, const store::PracticeRow& practice) {
  return std::string(base) + "/book/" + practice.slug;
}

}  // namespace praxis::app
