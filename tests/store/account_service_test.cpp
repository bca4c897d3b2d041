#include "auth/account_service.hpp"

#include <gtest/gtest.h>

#include "crypto/token.hpp"
#include "practices/practice_service.hpp"
#include "support/service_fixture.hpp"

namespace praxis::auth {
namespace {

struct Fixture : test::ServiceFixture {
  std::string practice_id;

  Fixture() {
    practices::NewPractice p;
    p.name = "Praxis";
    p.slug = "praxis";
    p.state = "HH";
    practice_id = practices::PracticeService(*store, *keys, trail, clock, random)
                      .create(audit::Context::system("test"), p)
                      ->id;
  }
  audit::Trail trail{*keys, clock};
  AccountService service() { return AccountService(*store, trail, clock, random); }

  template <typename T, typename F>
  T read(F&& f) {
    T out{};
    EXPECT_TRUE(store::with_transaction(*store, store::TxMode::read_only,
                                        [&](store::Transaction& tx) -> core::Result<void> {
                                          auto r = f(tx);
                                          if (!r) return tl::unexpected(r.error());
                                          out = *r;
                                          return {};
                                        }));
    return out;
  }
};

TEST(AccountService, InviteCreatesAnInvitedUserAndAHashedOneTimeToken) {
  Fixture f;
  auto inv = f.service().invite(audit::Context::system("test"), f.practice_id,
                                "  Anna.Lena@Praxis.Example ", "owner");
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->user.email, "anna.lena@praxis.example");
  EXPECT_EQ(inv->user.status, "invited");
  EXPECT_FALSE(inv->user.password_hash.has_value()) << "no default password";
  EXPECT_TRUE(crypto::looks_like_token(inv->token));
  EXPECT_EQ(inv->expires_at, "2026-12-26T04:26:40Z") << "72 hours";

  const auto hash = crypto::hash_token(inv->token);
  auto token = f.read<std::optional<store::EnrolmentTokenRow>>([&](store::Transaction& tx) {
    return tx.enrolment_tokens().find(std::vector<std::uint8_t>(hash.begin(), hash.end()));
  });
  ASSERT_TRUE(token);
  EXPECT_EQ(token->user_id, inv->user.id);
  EXPECT_EQ(token->practice_id, f.practice_id);
  EXPECT_FALSE(token->used_at.has_value());
  auto stored = f.read<std::optional<store::UserRow>>(
      [&](store::Transaction& tx) { return tx.users().find(f.practice_id, inv->user.id); });
  EXPECT_EQ(stored, inv->user);
  EXPECT_EQ(enrolment_url("http://127.0.0.1:8080", inv->token),
            "http://127.0.0.1:8080/app/enrol#token=" + inv->token);
}

TEST(AccountService, RefusesBadInputUnknownPracticesAndTakenAddresses) {
  Fixture f;
  auto svc = f.service();
  auto bad = svc.invite(audit::Context::system("test"), f.practice_id, "not-an-address", "admin");
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().fields.size(), 2u);
  EXPECT_EQ(bad.error().fields[0].field, "email");
  EXPECT_EQ(bad.error().fields[1].field, "role");
  for (const char* email : {"a@b", "@x.de", "a b@x.de", "a@@x.de", "a@x.de.", "a@.de"}) {
    EXPECT_FALSE(normalize_staff_email(email)) << email;
  }
  auto unknown = svc.invite(audit::Context::system("test"), "no-such-practice", "x@praxis.example",
                            "reception");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, core::ErrorCode::not_found);
  ASSERT_TRUE(
      svc.invite(audit::Context::system("test"), f.practice_id, "x@praxis.example", "reception"));
  auto taken =
      svc.invite(audit::Context::system("test"), f.practice_id, "X@Praxis.Example", "physician");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, core::ErrorCode::conflict);
  auto users = f.read<std::vector<store::UserRow>>(
      [&](store::Transaction& tx) { return tx.users().list(f.practice_id); });
  EXPECT_EQ(users.size(), 1u);
}

TEST(AccountService, PracticeAndOwnerInvitationCommitTogether) {
  Fixture f;
  ASSERT_TRUE(f.service().invite(audit::Context::system("test"), f.practice_id,
                                 "taken@praxis.example", "owner"));
  practices::NewPractice second;
  second.name = "Zweite";
  second.slug = "zweite";
  second.state = "HH";
  auto accounts = f.service();
  auto r = practices::PracticeService(*f.store, *f.keys, f.trail, f.clock, f.random)
               .create(audit::Context::system("test"), second,
                       [&](store::Transaction& tx, const store::PracticeRow& row) {
                         Invitation inv;
                         return accounts.invite_in(tx, audit::Context::system("test"), row.id,
                                                   "taken@praxis.example", "owner", inv);
                       });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::conflict);
  auto practices = f.read<std::vector<store::PracticeRow>>(
      [](store::Transaction& tx) { return tx.practices().list(); });
  EXPECT_EQ(practices.size(), 1u) << "the practice rolled back with the failed invitation";
  auto keys = f.read<std::vector<store::WrappedKeyRow>>(
      [](store::Transaction& tx) { return tx.master_wrapped_keys().list(); });
  EXPECT_EQ(keys.size(), 1u) << "and so did its key";
}

}  // namespace
}  // namespace praxis::auth
