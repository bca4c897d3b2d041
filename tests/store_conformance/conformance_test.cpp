// The behaviour every storage adapter must have. Instantiated per backend
// (sqlite_backend.cpp; PostgreSQL with issue #13). Every port method gets tests here.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "backend.hpp"

namespace praxis::store::conformance {

using core::ErrorCode;

namespace {

WrappedKeyRow row(std::string owner, std::uint64_t key_id, std::uint64_t wrapping) {
  return WrappedKeyRow{std::move(owner), key_id, 1, wrapping, std::vector<std::uint8_t>(72, 0xA5)};
}

TEST_P(StoreConformance, MetaValuesRoundTripAndOverwrite) {
  EXPECT_EQ(get("installation_id_test"), std::nullopt);
  ASSERT_TRUE(put("installation_id_test", "abc"));
  EXPECT_EQ(get("installation_id_test"), "abc");
  ASSERT_TRUE(put("installation_id_test", "Müller ✓"));
  EXPECT_EQ(get("installation_id_test"), "Müller ✓");
}

TEST_P(StoreConformance, WrappedKeysInsertFindListUpdate) {
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.master_wrapped_keys().insert(row("practice:b", 2, 9)); !r) return r;
        return tx.master_wrapped_keys().insert(row("practice:a", 0xFFFFFFFFFFFFFFFFULL, 9));
      }));
  auto rows = keys();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].owner, "practice:a") << "ordered by owner";
  EXPECT_EQ(rows[0].key_id, 0xFFFFFFFFFFFFFFFFULL) << "64-bit ids survive";
  EXPECT_EQ(rows[1], row("practice:b", 2, 9));

  auto duplicate = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.master_wrapped_keys().insert(row("practice:a", 3, 9));
  });
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::conflict) << duplicate.error().internal;

  WrappedKeyRow rewrapped = row("practice:b", 2, 10);
  rewrapped.sealed.assign(72, 0x5A);
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.master_wrapped_keys().update(rewrapped);
  }));
  EXPECT_EQ(keys()[1], rewrapped);
  auto missing = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.master_wrapped_keys().update(row("practice:none", 1, 1));
  });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);

  std::optional<WrappedKeyRow> found;
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto f = tx.master_wrapped_keys().find("practice:b");
        if (!f) return tl::unexpected(f.error());
        found = *f;
        return {};
      }));
  EXPECT_EQ(found, rewrapped);
}

TEST_P(StoreConformance, AJobThatDoesNotCommitChangesNothing) {
  auto r = store().write([](Transaction& tx) { return tx.meta().put("uncommitted", "x"); });
  EXPECT_FALSE(r);
  EXPECT_EQ(get("uncommitted"), std::nullopt);
}

TEST_P(StoreConformance, AFailingJobRollsBackItsOwnWritesOnly) {
  auto failing =
      with_transaction(store(), TxMode::read_write, [](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.meta().put("half", "1"); !r) return r;
        return core::fail(ErrorCode::invalid_input, "validation failed after a write");
      });
  ASSERT_FALSE(failing);
  EXPECT_EQ(failing.error().code, ErrorCode::invalid_input);
  EXPECT_EQ(get("half"), std::nullopt);
  ASSERT_TRUE(put("whole", "1"));
  EXPECT_EQ(get("whole"), "1");
}

// after_commit() is how caches learn of a write: its functions run on the writing thread
// once the write is durable (a reader then finds it), and never for a write rolled back.
TEST_P(StoreConformance, AfterCommitRunsOnceTheWriteIsDurableAndNeverOnRollback) {
  std::vector<std::string> ran;
  const auto caller = std::this_thread::get_id();
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        tx.after_commit([&] {
          EXPECT_EQ(std::this_thread::get_id(), caller);
          ran.push_back("kept=" + get("kept").value_or("missing"));
        });
        return tx.meta().put("kept", "1");
      }));
  auto failing =
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        tx.after_commit([&] { ran.push_back("rolled back"); });
        if (auto r = tx.meta().put("dropped", "1"); !r) return r;
        return core::fail(ErrorCode::invalid_input, "fails after a write");
      });
  ASSERT_FALSE(failing);
  auto uncommitted = store().write([&](Transaction& tx) -> core::Result<void> {
    tx.after_commit([&] { ran.push_back("never committed"); });
    return tx.meta().put("uncommitted", "1");
  });
  ASSERT_FALSE(uncommitted);
  EXPECT_EQ(ran, std::vector<std::string>{"kept=1"});
}

// Durability::written changes when write() returns, never what is committed: jobs of
// both kinds, side by side and raised inside, commit (or roll back) alike.
TEST_P(StoreConformance, WrittenDurabilityCommitsLikeFull) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> wrong_durability{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto asked = (t + i) % 2 == 0 ? Durability::written : Durability::full;
        const bool raise = i % 3 == 0;
        const bool doomed = i % 4 == 1;
        (void)store().write(
            [&](Transaction& tx) -> core::Result<void> {
              if (tx.durability() != asked) ++wrong_durability;
              if (raise) tx.require_full_durability();
              if (raise && tx.durability() != Durability::full) ++wrong_durability;
              if (auto w = tx.meta().put("d" + std::to_string(t) + "-" + std::to_string(i), "v");
                  !w) {
                return w;
              }
              if (doomed) return core::fail(ErrorCode::conflict, "doomed");
              return tx.commit();
            },
            asked);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong_durability.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const auto value = get("d" + std::to_string(t) + "-" + std::to_string(i));
      EXPECT_EQ(value.has_value(), i % 4 != 1) << t << "-" << i;
    }
  }
}

TEST_P(StoreConformance, ConcurrentJobsSucceedOrFailIndependently) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 20;
  std::atomic<int> failures_seen{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
        const bool doomed = (t + i) % 5 == 0;
        auto r = with_transaction(store(), TxMode::read_write,
                                  [&](Transaction& tx) -> core::Result<void> {
                                    if (auto w = tx.meta().put(key, "v"); !w) return w;
                                    if (doomed) return core::fail(ErrorCode::conflict, "doomed");
                                    return {};
                                  });
        if (doomed == r.has_value()) failures_seen.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures_seen.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
      EXPECT_EQ(get(key).has_value(), (t + i) % 5 != 0) << key;
    }
  }
}

TEST_P(StoreConformance, ReadTransactionsCannotWrite) {
  auto tx = store().read();
  ASSERT_TRUE(tx);
  EXPECT_EQ((*tx)->mode(), TxMode::read_only);
  auto r = (*tx)->meta().put("sneaky", "x");
  EXPECT_FALSE(r);
  tx->reset();
  EXPECT_EQ(get("sneaky"), std::nullopt);
}

TEST_P(StoreConformance, AReadTransactionSeesOneSnapshot) {
  ASSERT_TRUE(put("counter", "1"));
  auto tx = store().read();
  ASSERT_TRUE(tx);
  EXPECT_EQ(*(*tx)->meta().get("counter"), "1");
  ASSERT_TRUE(put("counter", "2"));  // committed while the snapshot is open
  EXPECT_EQ(*(*tx)->meta().get("counter"), "1");
  ASSERT_TRUE((*tx)->commit());
  EXPECT_EQ(get("counter"), "2");
}

TEST_P(StoreConformance, TransientErrorsAreRetriedOthersAreNot) {
  int calls = 0;
  auto r =
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (++calls < 3) {
          auto e = core::Error::make(ErrorCode::unavailable, "busy");
          e.transient = true;
          return tl::unexpected(e);
        }
        return tx.meta().put("retried", "yes");
      });
  ASSERT_TRUE(r);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(get("retried"), "yes");

  calls = 0;
  auto permanent =
      with_transaction(store(), TxMode::read_write, [&](Transaction&) -> core::Result<void> {
        ++calls;
        return core::fail(ErrorCode::invalid_input, "bad");
      });
  EXPECT_FALSE(permanent);
  EXPECT_EQ(calls, 1);

  calls = 0;
  auto exhausted = with_transaction(
      store(), TxMode::read_write,
      [&](Transaction&) -> core::Result<void> {
        ++calls;
        auto e = core::Error::make(ErrorCode::unavailable, "busy");
        e.transient = true;
        return tl::unexpected(e);
      },
      Durability::full, RetryPolicy{3, std::chrono::milliseconds(1), std::chrono::milliseconds(2)});
  EXPECT_FALSE(exhausted);
  EXPECT_EQ(calls, 3);
}

TEST_P(StoreConformance, AJobThatThrowsFailsAloneAndTheStoreGoesOn) {
  auto r = store().write([](Transaction& tx) -> core::Result<void> {
    (void)tx.meta().put("thrown", "x");
    throw std::runtime_error("bug in a service");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::internal);
  EXPECT_EQ(get("thrown"), std::nullopt);
  ASSERT_TRUE(put("after", "ok"));
}

TEST_P(StoreConformance, CommittedWritesSurviveReopening) {
  ASSERT_TRUE(put("durable", "yes"));
  instance_->reopen();
  EXPECT_EQ(get("durable"), "yes");
  EXPECT_TRUE(store().ping());
}

}  // namespace

namespace {

PracticeRow practice(std::string id, std::string slug) {
  return PracticeRow{std::move(id),
                     std::move(slug),
                     "Praxis Dr. Müller",
                     "arztpraxis",
                     "Hauptstraße 1",
                     "80331",
                     "München",
                     std::nullopt,
                     "BY",
                     "2026-11-27T10:00:00Z",
                     1};
}

TEST_P(StoreConformance, PracticesInsertFindAndList) {
  PracticeRow a = practice("p-a", "mueller");
  a.bsnr = "190111100";
  const PracticeRow b = practice("p-b", "zahn-berlin");
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.practices().insert(b); !r) return r;
        return tx.practices().insert(a);
      }));
  std::vector<PracticeRow> all;
  std::optional<PracticeRow> by_id, by_slug, missing;
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto l = tx.practices().list();
        auto i = tx.practices().find("p-a");
        auto s = tx.practices().find_by_slug("zahn-berlin");
        auto m = tx.practices().find("p-none");
        if (!l || !i || !s || !m) return core::fail(ErrorCode::internal, "read failed");
        all = *l;
        by_id = *i;
        by_slug = *s;
        missing = *m;
        return {};
      }));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], a) << "ordered by slug, every field round-trips (incl. umlauts, BSNR)";
  EXPECT_EQ(all[1], b);
  EXPECT_EQ(by_id, a);
  EXPECT_EQ(by_slug, b);
  EXPECT_FALSE(by_slug->bsnr.has_value());
  EXPECT_EQ(missing, std::nullopt);
}

TEST_P(StoreConformance, ATransactionIsScopedToOnePracticeAtMost) {
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.practices().insert(practice("p-1", "eins"));
  }));
  auto r = with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
    if (auto s = tx.scope("p-1"); !s) return s;
    if (auto s = tx.scope("p-1"); !s) return s;  // the same practice again: fine
    auto found = tx.practices().find("p-1");
    if (!found) return tl::unexpected(found.error());
    EXPECT_TRUE(found->has_value()) << "a scoped transaction sees its own practice";
    EXPECT_EQ(tx.scoped_practice(), "p-1");
    return tx.scope("p-2");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::internal);
}

TEST_P(StoreConformance, PracticeSlugsAndIdsAreUnique) {
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.practices().insert(practice("p-1", "same"));
  }));
  for (const auto& clash : {practice("p-2", "same"), practice("p-1", "other")}) {
    auto r = with_transaction(store(), TxMode::read_write,
                              [&](Transaction& tx) { return tx.practices().insert(clash); });
    ASSERT_FALSE(r) << clash.id;
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
  }
}

}  // namespace
namespace {

UserRow user(std::string id, std::string practice_id, std::string email) {
  UserRow u;
  u.id = std::move(id);
  u.practice_id = std::move(practice_id);
  u.email = std::move(email);
  u.role = "owner";
  u.status = "invited";
  u.created_at = "2026-11-27T10:00:00Z";
  return u;
}

TEST_P(WithTwoPractices, UsersAreScopedByPracticeAndUniqueByEmail) {
  UserRow active = user("u-1", "p-1", "anna@example.org");
  active.status = "active";
  active.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  active.totp_secret = std::vector<std::uint8_t>{1, 0, 255, 7};
  active.totp_last_step = 59999999;
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.users().insert(active); !r) return r;
        return tx.users().insert(user("u-2", "p-2", "bert@example.org"));
      }));
  auto taken = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.users().insert(user("u-3", "p-2", "anna@example.org"));
  });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::conflict);

  std::optional<UserRow> own, foreign, by_email;
  std::vector<UserRow> listed;
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto a = tx.users().find("p-1", "u-1");
        auto b = tx.users().find("p-2", "u-1");  // another practice's id
        auto c = tx.users().find_by_email("anna@example.org");
        auto d = tx.users().list("p-2");
        if (!a || !b || !c || !d) return core::fail(ErrorCode::internal, "read failed");
        own = *a;
        foreign = *b;
        by_email = *c;
        listed = *d;
        return {};
      }));
  EXPECT_EQ(own, active) << "every field round-trips, including secrets as bytes";
  EXPECT_EQ(foreign, std::nullopt) << "another practice's user is not found";
  EXPECT_EQ(by_email, active);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, "u-2");
  EXPECT_FALSE(listed[0].password_hash.has_value());
}

TEST_P(WithTwoPractices, EnrolmentTokensAreUsableOnce) {
  const std::vector<std::uint8_t> hash(32, 0xAB);
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.users().insert(user("u-1", "p-1", "anna@example.org")); !r) return r;
        EnrolmentTokenRow t;
        t.token_hash = hash;
        t.practice_id = "p-1";
        t.user_id = "u-1";
        t.expires_at = "2026-11-30T10:00:00Z";
        return tx.enrolment_tokens().insert(t);
      }));
  auto use = [&] {
    return with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
      return tx.enrolment_tokens().mark_used(hash, "2026-11-28T09:00:00Z");
    });
  };
  ASSERT_TRUE(use());
  auto second = use();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::conflict);
  std::optional<EnrolmentTokenRow> found, missing;
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto f = tx.enrolment_tokens().find(hash);
        auto m = tx.enrolment_tokens().find(std::vector<std::uint8_t>(32, 0x01));
        if (!f || !m) return core::fail(ErrorCode::internal, "read failed");
        found = *f;
        missing = *m;
        return {};
      }));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, "u-1");
  EXPECT_EQ(found->used_at, "2026-11-28T09:00:00Z");
  EXPECT_EQ(missing, std::nullopt);
}

// Runs `fn` in a write transaction and returns its result (for one-line checks).
template <typename Fn>
auto write_value(Store& store, Fn fn) -> decltype(fn(std::declval<Transaction&>())) {
  decltype(fn(std::declval<Transaction&>())) out = tl::unexpected(core::Error{});
  auto r = with_transaction(store, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
    out = fn(tx);
    if (!out) return tl::unexpected(out.error());
    return {};
  });
  if (!r && out) out = tl::unexpected(r.error());
  return out;
}

TEST_P(WithTwoPractices, PracticeUpdatesAreVersioned) {
  auto before = write_value(store(), [](Transaction& tx) { return tx.practices().find("p-1"); });
  ASSERT_TRUE(before && *before);
  PracticeRow changed = **before;
  changed.name = "Praxis Neu";
  changed.reception_second_factor_optional = true;
  ASSERT_TRUE(write_value(store(), [&](Transaction& tx) -> core::Result<bool> {
    if (auto r = tx.practices().update(changed); !r) return tl::unexpected(r.error());
    return true;
  }));
  auto after = write_value(store(), [](Transaction& tx) { return tx.practices().find("p-1"); });
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->name, "Praxis Neu");
  EXPECT_TRUE((*after)->reception_second_factor_optional);
  EXPECT_EQ((*after)->version, changed.version + 1);
  // Writing again with the old version is refused: someone changed it meanwhile.
  auto stale = with_transaction(store(), TxMode::read_write,
                                [&](Transaction& tx) { return tx.practices().update(changed); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::precondition_failed);
  changed.id = "p-none";
  auto missing = with_transaction(store(), TxMode::read_write,
                                  [&](Transaction& tx) { return tx.practices().update(changed); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_P(WithTwoPractices, UserUpdatesAndTotpStepsRefuseReplays) {
  UserRow u = user("u-1", "p-1", "anna@example.org");
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write,
                               [&](Transaction& tx) { return tx.users().insert(u); }));
  u.status = "active";
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$new";
  u.totp_secret = std::vector<std::uint8_t>{9, 8, 7};
  u.display_name = "Dr. Anna Berg";
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write,
                               [&](Transaction& tx) { return tx.users().update(u); }));
  auto stale = with_transaction(store(), TxMode::read_write,
                                [&](Transaction& tx) { return tx.users().update(u); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::precondition_failed);
  UserRow foreign = u;
  foreign.practice_id = "p-2";
  foreign.version = 2;
  auto other = with_transaction(store(), TxMode::read_write,
                                [&](Transaction& tx) { return tx.users().update(foreign); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::not_found) << "another practice cannot change it";

  auto step = [&](std::string_view practice, std::int64_t s) {
    return write_value(
        store(), [&](Transaction& tx) { return tx.users().advance_totp_step(practice, "u-1", s); });
  };
  EXPECT_EQ(step("p-1", 100), true);
  EXPECT_EQ(step("p-1", 100), false) << "the same code twice";
  EXPECT_EQ(step("p-1", 99), false) << "an older code";
  EXPECT_EQ(step("p-2", 101), false) << "through another practice";
  EXPECT_EQ(step("p-1", 101), true);
  auto stored = write_value(store(), [](Transaction& tx) { return tx.users().find("p-1", "u-1"); });
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->totp_last_step, 101);
  EXPECT_EQ((*stored)->display_name, "Dr. Anna Berg");
  EXPECT_EQ((*stored)->version, 2);
}

TEST_P(WithTwoPractices, EnrolmentHasTwoStepsAndCountsFailures) {
  const std::vector<std::uint8_t> first(32, 0x11), second(32, 0x22);
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.users().insert(user("u-1", "p-1", "anna@example.org")); !r) return r;
        for (const auto* h : {&first, &second}) {
          EnrolmentTokenRow t;
          t.token_hash = *h;
          t.practice_id = "p-1";
          t.user_id = "u-1";
          t.expires_at = "2026-11-30T10:00:00Z";
          if (auto r = tx.enrolment_tokens().insert(t); !r) return r;
        }
        return {};
      }));
  auto enrol = [&](const std::vector<std::uint8_t>& h) {
    return with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
      return tx.enrolment_tokens().mark_enrolled(h, "2026-11-28T09:00:00Z");
    });
  };
  ASSERT_TRUE(enrol(first));
  auto again = enrol(first);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_EQ(
      write_value(store(),
                  [&](Transaction& tx) { return tx.enrolment_tokens().record_failure(first); }),
      1);
  EXPECT_EQ(
      write_value(store(),
                  [&](Transaction& tx) { return tx.enrolment_tokens().record_failure(first); }),
      2);
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.enrolment_tokens().withdraw_for_user("p-1", "u-1", "2026-11-28T09:30:00Z");
  }));
  auto rows =
      write_value(store(), [&](Transaction& tx) -> core::Result<std::vector<EnrolmentTokenRow>> {
        auto a = tx.enrolment_tokens().find(first);
        auto b = tx.enrolment_tokens().find(second);
        if (!a || !b || !*a || !*b) return core::fail(ErrorCode::internal, "missing");
        return std::vector<EnrolmentTokenRow>{**a, **b};
      });
  ASSERT_TRUE(rows);
  EXPECT_EQ((*rows)[0].enrolled_at, "2026-11-28T09:00:00Z");
  EXPECT_EQ((*rows)[0].failed_attempts, 2);
  EXPECT_EQ((*rows)[0].used_at, "2026-11-28T09:30:00Z");
  EXPECT_EQ((*rows)[1].used_at, "2026-11-28T09:30:00Z") << "withdrawn";
  EXPECT_FALSE(enrol(second)) << "a withdrawn link cannot start enrolment";
}

TEST_P(WithTwoPractices, RecoveryCodesAreSingleUse) {
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.users().insert(user("u-1", "p-1", "anna@example.org"));
  }));
  const std::vector<std::vector<std::uint8_t>> codes = {std::vector<std::uint8_t>(32, 1),
                                                        std::vector<std::uint8_t>(32, 2)};
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.recovery_codes().replace("p-1", "u-1", codes);
  }));
  auto use = [&](std::string_view practice, const std::vector<std::uint8_t>& code) {
    return write_value(store(), [&](Transaction& tx) {
      return tx.recovery_codes().use(practice, "u-1", code, "2026-11-28T09:00:00Z");
    });
  };
  EXPECT_EQ(use("p-2", codes[0]), false) << "not through another practice";
  EXPECT_EQ(use("p-1", codes[0]), true);
  EXPECT_EQ(use("p-1", codes[0]), false) << "second use";
  EXPECT_EQ(use("p-1", std::vector<std::uint8_t>(32, 3)), false);
  EXPECT_EQ(
      write_value(store(),
                  [](Transaction& tx) { return tx.recovery_codes().count_unused("p-1", "u-1"); }),
      1);
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.recovery_codes().replace("p-1", "u-1", {std::vector<std::uint8_t>(32, 7)});
  }));
  EXPECT_EQ(use("p-1", codes[1]), false) << "replaced codes are gone";
}

SessionRow session(std::string id, std::string practice, std::string user, std::uint8_t tag,
                   std::string created) {
  SessionRow s;
  s.id = std::move(id);
  s.practice_id = std::move(practice);
  s.user_id = std::move(user);
  s.token_hash = std::vector<std::uint8_t>(32, tag);
  s.csrf_hash = std::vector<std::uint8_t>(32, static_cast<std::uint8_t>(tag + 1));
  s.created_at = created;
  s.last_seen_at = created;
  s.expires_at = "2026-11-28T22:00:00Z";
  s.client = "Firefox on Linux";
  return s;
}

TEST_P(WithTwoPractices, SessionsAreFoundByTokenListedAndRevoked) {
  const SessionRow a = session("s-a", "p-1", "u-1", 10, "2026-11-28T09:00:00Z");
  const SessionRow b = session("s-b", "p-1", "u-1", 20, "2026-11-28T10:00:00Z");
  const SessionRow c = session("s-c", "p-2", "u-2", 30, "2026-11-28T10:00:00Z");
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.users().insert(user("u-1", "p-1", "anna@example.org")); !r) return r;
        if (auto r = tx.users().insert(user("u-2", "p-2", "bert@example.org")); !r) return r;
        for (const auto* s : {&a, &b, &c}) {
          if (auto r = tx.sessions().insert(*s); !r) return r;
        }
        return {};
      }));
  auto found = write_value(
      store(), [&](Transaction& tx) { return tx.sessions().find_by_token(a.token_hash); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, a);
  auto listed = write_value(
      store(), [](Transaction& tx) { return tx.sessions().list_for_user("p-1", "u-1"); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "s-b") << "newest first";

  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.sessions().touch("p-1", "s-a", "2026-11-28T09:05:00Z");
  }));
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.sessions().touch("p-1", "s-a", "2026-11-28T09:01:00Z");  // never backwards
  }));
  found = write_value(store(),
                      [&](Transaction& tx) { return tx.sessions().find_by_token(a.token_hash); });
  EXPECT_EQ((*found)->last_seen_at, "2026-11-28T09:05:00Z");

  auto revoke = [&](std::string_view practice, std::string_view id) {
    return write_value(store(), [&](Transaction& tx) {
      return tx.sessions().revoke(practice, id, "2026-11-28T11:00:00Z");
    });
  };
  EXPECT_EQ(revoke("p-2", "s-a"), false) << "another practice's session";
  EXPECT_EQ(revoke("p-1", "s-a"), true);
  EXPECT_EQ(revoke("p-1", "s-a"), false);
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.sessions().revoke_for_user("p-1", "u-1",
                                                               "2026-11-28T11:00:00Z");
                        }),
            1);
  listed = write_value(store(),
                       [](Transaction& tx) { return tx.sessions().list_for_user("p-1", "u-1"); });
  EXPECT_TRUE(listed && listed->empty());
  EXPECT_EQ(
      write_value(store(),
                  [](Transaction& tx) { return tx.sessions().purge("2026-11-28T12:00:00Z"); }),
      2)
      << "the two revoked sessions go; the open one stays";
  EXPECT_EQ(
      write_value(store(),
                  [](Transaction& tx) { return tx.sessions().purge("2026-11-29T00:00:00Z"); }),
      1)
      << "then the expired one";
}

TEST_P(WithTwoPractices, ApiTokensAreScopedToTheirPractice) {
  ApiTokenRow t;
  t.id = "t-1";
  t.practice_id = "p-1";
  t.name = "Praxis-Website";
  t.created_by = "u-1";
  t.token_hash = std::vector<std::uint8_t>(32, 0x42);
  t.permissions = "appointments.read patients.read";
  t.created_at = "2026-11-28T09:00:00Z";
  t.expires_at = "2027-11-28T09:00:00Z";
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.users().insert(user("u-1", "p-1", "anna@example.org")); !r) return r;
        return tx.api_tokens().insert(t);
      }));
  auto found = write_value(
      store(), [&](Transaction& tx) { return tx.api_tokens().find_by_token(t.token_hash); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, t);
  EXPECT_EQ(
      write_value(store(), [](Transaction& tx) { return tx.api_tokens().list("p-2"); })->size(),
      0u);
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.api_tokens().touch("p-1", "t-1", "2026-11-28T10:00:00Z");
  }));
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.api_tokens().revoke("p-2", "t-1", "2026-11-28T11:00:00Z");
                        }),
            false);
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.api_tokens().revoke("p-1", "t-1", "2026-11-28T11:00:00Z");
                        }),
            true);
  auto listed = write_value(store(), [](Transaction& tx) { return tx.api_tokens().list("p-1"); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].last_used_at, "2026-11-28T10:00:00Z");
  EXPECT_EQ((*listed)[0].revoked_at, "2026-11-28T11:00:00Z");
}

PatientRow patient(std::string id, std::string practice, std::uint8_t tag) {
  PatientRow p;
  p.id = std::move(id);
  p.practice_id = std::move(practice);
  p.status = "active";
  p.key_id = 0x1122334455667788ULL;
  p.key_version = 1;
  p.wrapping_key_id = 0x8877665544332211ULL;
  p.sealed_key = std::vector<std::uint8_t>(72, tag);
  p.record = std::vector<std::uint8_t>(100, static_cast<std::uint8_t>(tag + 1));
  p.created_at = "2026-11-28T09:00:00Z";
  p.updated_at = p.created_at;
  return p;
}

TEST_P(WithTwoPractices, PatientsRoundTripAndAreFoundThroughTheirIndexTerms) {
  const PatientRow a = patient("pa-1", "p-1", 1);
  const PatientRow b = patient("pa-2", "p-1", 2);
  const PatientRow c = patient("pa-3", "p-2", 3);
  const std::vector<IndexTerm> ta = {{1, 100}, {2, -5}, {3, 0x7FFFFFFFFFFFFFFF}};
  const std::vector<IndexTerm> tb = {{1, 100}, {2, 7}};
  const std::vector<IndexTerm> tc = {{1, 100}};
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.patients().insert(a, ta); !r) return r;
        if (auto r = tx.patients().insert(b, tb); !r) return r;
        return tx.patients().insert(c, tc);
      }));
  auto dup = with_transaction(store(), TxMode::read_write,
                              [&](Transaction& tx) { return tx.patients().insert(a, ta); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::conflict);

  auto found =
      write_value(store(), [](Transaction& tx) { return tx.patients().find("p-1", "pa-1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, a) << "every field round-trips, 64-bit key ids included";
  auto foreign_find =
      write_value(store(), [](Transaction& tx) { return tx.patients().find("p-2", "pa-1"); });
  ASSERT_TRUE(foreign_find);
  EXPECT_FALSE(foreign_find->has_value()) << "another practice's patient is not found";

  const std::vector<std::string> ids = {"pa-1", "pa-2", "pa-3", "nope"};
  auto many =
      write_value(store(), [&](Transaction& tx) { return tx.patients().find_many("p-1", ids); });
  ASSERT_TRUE(many);
  EXPECT_EQ(many->size(), 2u);

  auto hits = [&](std::string_view practice, std::int64_t kind, std::vector<std::int64_t> hashes) {
    std::vector<IndexTerm> terms;
    for (auto h : hashes) terms.push_back({kind, h});
    auto r =
        write_value(store(), [&](Transaction& tx) { return tx.patients().match(practice, terms); });
    std::set<std::string> out;
    if (r) {
      for (const auto& h : *r) out.insert(h.patient_id);
    }
    return out;
  };
  EXPECT_EQ(hits("p-1", 1, {100}), (std::set<std::string>{"pa-1", "pa-2"}));
  EXPECT_EQ(hits("p-1", 2, {-5, 7, 9}), (std::set<std::string>{"pa-1", "pa-2"}));
  EXPECT_EQ(hits("p-1", 3, {0x7FFFFFFFFFFFFFFF}), (std::set<std::string>{"pa-1"}));
  EXPECT_EQ(hits("p-2", 1, {100}), (std::set<std::string>{"pa-3"})) << "scoped by practice";
  EXPECT_TRUE(hits("p-1", 1, {}).empty());
  // Several kinds at once, each hit naming the kind it matched.
  const std::vector<IndexTerm> mixed = {{1, 100}, {3, 0x7FFFFFFFFFFFFFFF}};
  auto both =
      write_value(store(), [&](Transaction& tx) { return tx.patients().match("p-1", mixed); });
  ASSERT_TRUE(both);
  std::set<std::pair<std::string, std::int64_t>> kinds;
  for (const auto& h : *both) kinds.emplace(h.patient_id, h.kind);
  EXPECT_EQ(kinds, (std::set<std::pair<std::string, std::int64_t>>{
                       {"pa-1", 1}, {"pa-2", 1}, {"pa-1", 3}}));

  // One search rank, paged in id order: include any, exclude those already shown.
  auto next = [&](std::vector<IndexTerm> include, std::vector<IndexTerm> exclude, std::string after,
                  std::int64_t limit) {
    auto r = write_value(store(), [&](Transaction& tx) {
      return tx.patients().next_matches("p-1", include, exclude, after, limit);
    });
    if (!r) return std::vector<std::string>{"error"};
    std::vector<std::string> found_ids;
    for (const auto& m : *r) found_ids.push_back(m.patient_id);
    return found_ids;
  };
  EXPECT_EQ(next({{1, 100}}, {}, "", 10), (std::vector<std::string>{"pa-1", "pa-2"}));
  EXPECT_EQ(next({{1, 100}}, {}, "", 1), (std::vector<std::string>{"pa-1"}));
  EXPECT_EQ(next({{1, 100}}, {}, "pa-1", 10), (std::vector<std::string>{"pa-2"}));
  EXPECT_EQ(next({{1, 100}, {2, 7}}, {}, "", 10), (std::vector<std::string>{"pa-1", "pa-2"}))
      << "a patient matching two included terms appears once";
  EXPECT_EQ(next({{1, 100}}, {{2, -5}}, "", 10), (std::vector<std::string>{"pa-2"}))
      << "pa-1 also has an excluded term";
  EXPECT_TRUE(next({{1, 999}}, {}, "", 10).empty());

  // Intersections done by the database: patients having every term.
  auto all_of = [&](std::vector<IndexTerm> terms) {
    auto r = write_value(store(),
                         [&](Transaction& tx) { return tx.patients().match_all("p-1", terms); });
    std::set<std::string> out;
    if (r) out.insert(r->begin(), r->end());
    return out;
  };
  EXPECT_EQ(all_of({{1, 100}}), (std::set<std::string>{"pa-1", "pa-2"}));
  EXPECT_EQ(all_of({{2, -5}, {1, 100}}), (std::set<std::string>{"pa-1"}));
  EXPECT_EQ(all_of({{2, 7}, {1, 100}, {3, 0x7FFFFFFFFFFFFFFF}}), std::set<std::string>{});
  EXPECT_EQ(all_of({}), std::set<std::string>{});

  // Update: the entries removed go (a term also added stays), the added ones come.
  PatientRow renamed = b;
  renamed.updated_at = "2026-11-29T09:00:00Z";
  const std::vector<IndexTerm> tb2 = {{1, 100}, {2, 8}, {4, 1}};
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.patients().update(renamed, IndexChange{tb, tb2});
  }));
  EXPECT_EQ(hits("p-1", 1, {100}), (std::set<std::string>{"pa-1", "pa-2"})) << "kept";
  EXPECT_EQ(hits("p-1", 2, {7}), std::set<std::string>{}) << "removed";
  EXPECT_EQ(hits("p-1", 2, {8}), (std::set<std::string>{"pa-2"})) << "added";
  EXPECT_EQ(hits("p-1", 4, {1}), (std::set<std::string>{"pa-2"})) << "added";
  EXPECT_EQ(hits("p-1", 2, {-5}), (std::set<std::string>{"pa-1"})) << "another patient's stays";

  // Update: versioned, and the index terms are removed.
  PatientRow changed = a;
  changed.status = "deleted";
  changed.deleted_at = "2026-11-29T10:00:00Z";
  changed.updated_at = "2026-11-29T10:00:00Z";
  changed.record = std::vector<std::uint8_t>(50, 9);
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.patients().update(changed, IndexChange{ta, {}});
  }));
  EXPECT_EQ(hits("p-1", 1, {100}), (std::set<std::string>{"pa-2"})) << "terms removed";
  EXPECT_EQ(hits("p-1", 3, {0x7FFFFFFFFFFFFFFF}), std::set<std::string>{}) << "terms removed";
  auto stale = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.patients().update(changed, std::nullopt);
  });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::precondition_failed);
  PatientRow foreign = changed;
  foreign.practice_id = "p-2";
  foreign.version = 2;
  auto other = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.patients().update(foreign, std::nullopt);
  });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::not_found);
  found = write_value(store(), [](Transaction& tx) { return tx.patients().find("p-1", "pa-1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->version, 2);
  EXPECT_EQ((*found)->status, "deleted");
  EXPECT_EQ((*found)->record, changed.record);

  auto listed =
      write_value(store(), [](Transaction& tx) { return tx.patients().list("p-1", "", 10); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u) << "deleted patients are not listed";
  EXPECT_EQ((*listed)[0].id, "pa-2");
  EXPECT_EQ(write_value(store(), [](Transaction& tx) { return tx.patients().count("p-1"); }), 2);
}

// A search reads its page where the index says the rows lie (SQLite: by rowid), but the
// id decides: a place that is unknown, names another patient or another practice's
// patient gives the right row or none, never another.
TEST_P(WithTwoPractices, MatchedRowsAreReadWhereTheIndexSaysAndCheckedByTheirId) {
  const PatientRow a = patient("pa-1", "p-1", 1);
  const PatientRow b = patient("pa-2", "p-1", 2);
  const PatientRow c = patient("pa-3", "p-2", 3);
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        // One alone and two in a batch: both ways of inserting note the place.
        const std::vector<IndexTerm> ta = {{1, 100}, {2, 5}};
        if (auto r = tx.patients().insert(a, ta); !r) return r;
        const std::vector<IndexTerm> tb = {{1, 100}};
        const std::vector<IndexTerm> tc = {{1, 100}};
        const NewPatient batch[] = {{&c, tc}, {&b, tb}};
        return tx.patients().insert_many(batch);
      }));
  auto matches = [&](std::string_view practice, std::vector<IndexTerm> include) {
    auto r = write_value(store(), [&](Transaction& tx) {
      return tx.patients().next_matches(practice, include, {}, "", 10);
    });
    return r ? *r : std::vector<IndexMatch>{};
  };
  auto read = [&](std::vector<IndexMatch> m) {
    auto r =
        write_value(store(), [&](Transaction& tx) { return tx.patients().find_matched("p-1", m); });
    std::map<std::string, PatientRow> out;
    if (r) {
      for (auto& row : *r) out.emplace(row.id, std::move(row));
    }
    return out;
  };
  const auto mine = matches("p-1", {{1, 100}});
  const auto theirs = matches("p-2", {{1, 100}});
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(mine[0].patient_id, "pa-1");
  EXPECT_EQ(mine[1].patient_id, "pa-2");
  const bool keeps_places = GetParam().name == "sqlite";
  for (const auto& m : {mine[0], mine[1], theirs[0]}) {
    EXPECT_EQ(m.place != 0, keeps_places) << m.patient_id;
  }
  if (keeps_places) {
    EXPECT_NE(mine[0].place, mine[1].place);
    // Two branches (two terms) find pa-1 twice: once in the answer, with its place.
    const auto both = matches("p-1", {{1, 100}, {2, 5}});
    ASSERT_EQ(both.size(), 2u);
    EXPECT_EQ(both[0], mine[0]);
  }

  const auto right = read(mine);
  ASSERT_EQ(right.size(), 2u);
  EXPECT_EQ(right.at("pa-1"), a);
  EXPECT_EQ(right.at("pa-2"), b);
  // Wrong places: pa-1 where p-2's patient lies, pa-2 where pa-1 lies, an unknown id where
  // pa-2 lies.
  const auto wrong = read({{"pa-1", theirs[0].place},
                           {"pa-2", mine[0].place},
                           {"nope", mine[1].place},
                           {"pa-3", theirs[0].place}});
  ASSERT_EQ(wrong.size(), 2u) << "pa-3 is another practice's, nope nobody's";
  EXPECT_EQ(wrong.at("pa-1"), a);
  EXPECT_EQ(wrong.at("pa-2"), b);
  const auto unknown = read({{"pa-2", 0}, {"pa-1", 0}});
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown.at("pa-1"), a);
  EXPECT_TRUE(read({}).empty());

  // Entries an update adds note the patient's place too.
  PatientRow renamed = b;
  const std::vector<IndexTerm> removed = {{1, 100}};
  const std::vector<IndexTerm> added = {{1, 200}};
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.patients().update(renamed, IndexChange{removed, added});
  }));
  const auto after = matches("p-1", {{1, 200}});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0], mine[1]);
}

// An import batch: rows given out of id order, with shared and own terms, end up as if
// inserted one by one; an id that exists fails the batch, and nothing of it stays.
TEST_P(WithTwoPractices, ABatchOfPatientsIsWrittenAsIfInsertedOneByOne) {
  std::vector<PatientRow> rows;
  std::vector<std::vector<IndexTerm>> terms;
  for (int i = 0; i < 40; ++i) {
    rows.push_back(
        patient("pb-" + std::to_string((i * 17) % 40 + 100), "p-1", static_cast<std::uint8_t>(i)));
    terms.push_back({{1, 100}, {2, (i * 7919) % 13 - 6}, {3, std::int64_t{1} << (i % 63)}});
  }
  std::vector<NewPatient> batch;
  for (std::size_t i = 0; i < rows.size(); ++i) batch.push_back({&rows[i], terms[i]});
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write,
                               [&](Transaction& tx) { return tx.patients().insert_many(batch); }));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto found = write_value(
        store(), [&](Transaction& tx) { return tx.patients().find("p-1", rows[i].id); });
    ASSERT_TRUE(found && *found);
    EXPECT_EQ(**found, rows[i]);
    for (const auto& t : terms[i]) {
      // Each term finds exactly the rows that have it (a model of the index).
      std::set<std::string> want;
      for (std::size_t j = 0; j < rows.size(); ++j) {
        if (std::find(terms[j].begin(), terms[j].end(), t) != terms[j].end())
          want.insert(rows[j].id);
      }
      auto hits = write_value(
          store(), [&](Transaction& tx) { return tx.patients().match("p-1", std::span(&t, 1)); });
      ASSERT_TRUE(hits);
      std::set<std::string> got;
      for (const auto& h : *hits) got.insert(h.patient_id);
      EXPECT_EQ(got, want) << "kind " << t.kind << " hash " << t.hash;
    }
  }
  EXPECT_EQ(write_value(store(), [](Transaction& tx) { return tx.patients().count("p-1"); }), 40);

  // A second batch naming one existing id: conflict, and its new rows are not kept.
  const PatientRow fresh = patient("pb-900", "p-1", 9);
  const std::vector<IndexTerm> fresh_terms = {{1, 555}};
  const std::vector<NewPatient> again = {{&fresh, fresh_terms}, {&rows[5], terms[5]}};
  auto r = with_transaction(store(), TxMode::read_write,
                            [&](Transaction& tx) { return tx.patients().insert_many(again); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  auto gone =
      write_value(store(), [&](Transaction& tx) { return tx.patients().find("p-1", "pb-900"); });
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(write_value(store(), [](Transaction& tx) { return tx.patients().count("p-1"); }), 40);
}

// A search rank's page against a model: every (include, exclude, after, limit) gives the
// first `limit` ids in order of the patients having an included term and no excluded one.
// The terms are spread so each included range is longer than a page and the ranges
// overlap: the first ids of the union come from all of them.
TEST_P(WithTwoPractices, SearchRanksPageThroughTheUnionOfTheirTermsInIdOrder) {
  std::mt19937 rng(7);
  std::map<std::string, std::set<std::int64_t>> hashes_of;  // kind 1, hashes 0..3
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        for (int i = 0; i < 120; ++i) {
          char id[16];
          std::snprintf(id, sizeof id, "pq-%03u", static_cast<unsigned>(rng() % 1000));
          if (hashes_of.contains(id)) continue;
          std::vector<IndexTerm> terms;
          for (std::int64_t h = 0; h < 4; ++h) {
            if (rng() % 3 == 0) {
              terms.push_back({1, h});
              hashes_of[id].insert(h);
            }
          }
          hashes_of.try_emplace(id);
          if (auto r = tx.patients().insert(patient(id, "p-1", 1), terms); !r) return r;
        }
        return {};
      }));
  auto model = [&](const std::vector<std::int64_t>& include,
                   const std::vector<std::int64_t>& exclude, const std::string& after,
                   std::size_t limit) {
    std::vector<std::string> out;
    for (const auto& [id, hashes] : hashes_of) {  // std::map: in id order
      auto has = [&](std::int64_t h) { return hashes.contains(h); };
      if (id <= after || std::none_of(include.begin(), include.end(), has) ||
          std::any_of(exclude.begin(), exclude.end(), has)) {
        continue;
      }
      if (out.size() < limit) out.push_back(id);
    }
    return out;
  };
  const std::vector<std::vector<std::int64_t>> includes = {{0}, {0, 1}, {1, 2, 3}, {0, 1, 2, 3}};
  const std::vector<std::vector<std::int64_t>> excludes = {{}, {3}, {2, 3}};
  int checked = 0;
  for (const auto& include : includes) {
    for (const auto& exclude : excludes) {
      if (std::any_of(include.begin(), include.end(), [&](std::int64_t h) {
            return std::find(exclude.begin(), exclude.end(), h) != exclude.end();
          })) {
        continue;
      }
      std::vector<IndexTerm> in;
      std::vector<IndexTerm> ex;
      for (auto h : include) in.push_back({1, h});
      for (auto h : exclude) ex.push_back({1, h});
      for (std::size_t limit : {1, 5, 24}) {
        // Page through the whole rank as search does: `after` is the last id shown.
        std::string after;
        std::vector<std::string> seen;
        for (int page = 0; page < 200; ++page) {
          auto got = write_value(store(), [&](Transaction& tx) {
            return tx.patients().next_matches("p-1", in, ex, after,
                                              static_cast<std::int64_t>(limit));
          });
          ASSERT_TRUE(got);
          std::vector<std::string> ids;
          for (const auto& m : *got) ids.push_back(m.patient_id);
          ASSERT_EQ(ids, model(include, exclude, after, limit))
              << "include " << include.size() << " exclude " << exclude.size() << " after " << after
              << " limit " << limit;
          ++checked;
          if (ids.empty()) break;
          seen.insert(seen.end(), ids.begin(), ids.end());
          after = ids.back();
        }
        EXPECT_EQ(seen, model(include, exclude, "", hashes_of.size()));
      }
    }
  }
  EXPECT_GT(checked, 100);
}

TEST_P(WithTwoPractices, AUserNeedsAnExistingPractice) {
  auto r = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.users().insert(user("u-9", "p-none", "x@example.org"));
  });
  EXPECT_FALSE(r);
}

template <typename Fn>
AuditQuery q_with(Fn fill) {
  AuditQuery q;
  fill(q);
  return q;
}

AuditEntryRow audit_entry(std::string practice, std::int64_t seq, std::string actor,
                          std::string patient, std::string at) {
  AuditEntryRow e;
  e.practice_id = std::move(practice);
  e.seq = seq;
  e.at = std::move(at);
  e.actor_kind = "user";
  e.actor_id = std::move(actor);
  e.actor_role = "physician";
  e.action = seq % 2 == 0 ? "patient.read" : "patient.update";
  e.resource_type = "patient";
  e.resource_id = std::move(patient);
  e.purpose = "treatment";
  e.outcome = "success";
  e.request_id = "req-" + std::to_string(seq);
  e.client = "abcd";
  e.leaf = std::vector<std::uint8_t>(32, static_cast<std::uint8_t>(seq));
  return e;
}

TEST_P(WithTwoPractices, AuditEntriesNodesHeadsAndCheckpointsRoundTrip) {
  auto head = write_value(store(), [](Transaction& tx) {
    return tx.audit().lock_head("p-1", "2026-11-28T10:00:00.000Z");
  });
  ASSERT_TRUE(head) << head.error().internal << head.error().message;
  EXPECT_EQ(head->size, 0) << "created empty on first use";
  std::vector<AuditEntryRow> written;
  for (std::int64_t i = 0; i < 6; ++i) {
    written.push_back(audit_entry("p-1", i, i < 3 ? "u-a" : "u-b", i % 3 == 0 ? "pa-1" : "pa-2",
                                  "2026-11-28T10:00:0" + std::to_string(i) + ".000Z"));
  }
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto h = tx.audit().lock_head("p-1", "2026-11-28T10:00:00.000Z");
        if (!h) return tl::unexpected(h.error());
        for (const auto& e : written) {
          if (auto r = tx.audit().insert_entry(e); !r) return r;
        }
        // Another practice's tree is separate, with its own leaf 0.
        if (auto r = tx.audit().insert_entry(
                audit_entry("p-2", 0, "u-c", "pa-9", "2026-11-28T10:00:00.000Z"));
            !r) {
          return r;
        }
        const std::vector<AuditNodeRow> nodes{{1, 0, std::vector<std::uint8_t>(32, 0xA0)},
                                              {1, 1, std::vector<std::uint8_t>(32, 0xA1)},
                                              {2, 0, std::vector<std::uint8_t>(32, 0xB0)}};
        if (auto r = tx.audit().insert_nodes("p-1", nodes); !r) return r;
        return tx.audit().put_head({"p-1", 6, std::vector<std::uint8_t>(32, 1),
                                    std::vector<std::uint8_t>(64, 2), "2026-11-28T10:00:06Z"});
      }));
  auto again = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.audit().insert_entry(written[2]);
  });
  ASSERT_FALSE(again) << "a leaf index is used once";
  EXPECT_EQ(again.error().code, ErrorCode::conflict);

  auto stored = write_value(store(), [](Transaction& tx) { return tx.audit().head("p-1"); });
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->size, 6);
  EXPECT_EQ((*stored)->frontier, std::vector<std::uint8_t>(64, 2));
  auto all =
      write_value(store(), [](Transaction& tx) { return tx.audit().entries("p-1", 0, 100); });
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, written);
  auto tail = write_value(store(), [](Transaction& tx) { return tx.audit().entries("p-1", 4, 1); });
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ(tail->front().seq, 4);

  auto leaf = write_value(store(), [](Transaction& tx) { return tx.audit().node("p-1", 0, 5); });
  ASSERT_TRUE(leaf && *leaf);
  EXPECT_EQ(**leaf, std::vector<std::uint8_t>(32, 5)) << "level 0 is the entry's leaf hash";
  auto inner = write_value(store(), [](Transaction& tx) { return tx.audit().node("p-1", 2, 0); });
  ASSERT_TRUE(inner && *inner);
  EXPECT_EQ(**inner, std::vector<std::uint8_t>(32, 0xB0));
  auto missing = write_value(store(), [](Transaction& tx) { return tx.audit().node("p-2", 1, 0); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto level1 =
      write_value(store(), [](Transaction& tx) { return tx.audit().nodes("p-1", 1, 1, 10); });
  ASSERT_TRUE(level1);
  ASSERT_EQ(level1->size(), 1u);
  EXPECT_EQ(level1->front().index, 1);

  auto search = [&](AuditQuery q) {
    std::vector<std::int64_t> seqs;
    auto rows = write_value(store(), [&](Transaction& tx) { return tx.audit().search("p-1", q); });
    EXPECT_TRUE(rows);
    if (rows) {
      for (const auto& r : *rows) seqs.push_back(r.seq);
    }
    return seqs;
  };
  EXPECT_EQ(search({}), (std::vector<std::int64_t>{5, 4, 3, 2, 1, 0})) << "newest first";
  EXPECT_EQ(search(q_with([](AuditQuery& q) { q.actor_id = "u-b"; })),
            (std::vector<std::int64_t>{5, 4, 3}));
  EXPECT_EQ(search(q_with([](AuditQuery& q) {
              q.resource_type = "patient";
              q.resource_id = "pa-1";
            })),
            (std::vector<std::int64_t>{3, 0}));
  EXPECT_EQ(search(q_with([](AuditQuery& q) { q.action = "patient.update"; })),
            (std::vector<std::int64_t>{5, 3, 1}));
  EXPECT_EQ(search(q_with([](AuditQuery& q) {
              q.from = "2026-11-28T10:00:02.000Z";
              q.to = "2026-11-28T10:00:04.000Z";
            })),
            (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(search(q_with([](AuditQuery& q) {
              q.before_seq = 3;
              q.limit = 2;
            })),
            (std::vector<std::int64_t>{2, 1}))
      << "paging";
  EXPECT_TRUE(search(q_with([](AuditQuery& q) { q.break_glass_only = true; })).empty());

  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        for (std::int64_t size : {4, 2}) {
          if (auto r = tx.audit().insert_checkpoint({"p-1", size, std::vector<std::uint8_t>(32, 7),
                                                     "note " + std::to_string(size),
                                                     "2026-11-28T10:00:00Z"});
              !r) {
            return r;
          }
        }
        return {};
      }));
  auto latest =
      write_value(store(), [](Transaction& tx) { return tx.audit().latest_checkpoint("p-1"); });
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->note, "note 4");
  auto listed = write_value(store(), [](Transaction& tx) { return tx.audit().checkpoints("p-1"); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].size, 2) << "smallest first";
  auto none =
      write_value(store(), [](Transaction& tx) { return tx.audit().latest_checkpoint("p-2"); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_P(WithTwoPractices, BreakGlassGrantsExpireAndAreReviewedOnce) {
  BreakGlassRow g{"p-1",
                  "bg-1",
                  "u-1",
                  "pa-1",
                  {1, 2, 3},
                  "2026-11-28T10:00:00Z",
                  "2026-11-28T10:30:00Z",
                  std::nullopt,
                  std::nullopt};
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.users().insert(user("u-1", "p-1", "anna@example.org")); !r) return r;
        return tx.audit().insert_break_glass(g);
      }));
  auto active = [&](std::string practice, std::string user_id, std::string patient,
                    std::string now) {
    auto r = write_value(store(), [&](Transaction& tx) {
      return tx.audit().active_break_glass(practice, user_id, patient, now);
    });
    EXPECT_TRUE(r);
    return r && *r;
  };
  EXPECT_TRUE(active("p-1", "u-1", "pa-1", "2026-11-28T10:29:59Z"));
  EXPECT_FALSE(active("p-1", "u-1", "pa-1", "2026-11-28T10:30:00Z")) << "expired";
  EXPECT_FALSE(active("p-1", "u-1", "pa-2", "2026-11-28T10:10:00Z")) << "another patient";
  EXPECT_FALSE(active("p-2", "u-1", "pa-1", "2026-11-28T10:10:00Z")) << "another practice";

  auto unreviewed = write_value(
      store(), [](Transaction& tx) { return tx.audit().list_break_glass("p-1", true); });
  ASSERT_TRUE(unreviewed);
  ASSERT_EQ(unreviewed->size(), 1u);
  EXPECT_EQ(unreviewed->front(), g);
  auto review = [&](std::string practice) {
    return write_value(store(), [&](Transaction& tx) {
      return tx.audit().review_break_glass(practice, "bg-1", "u-1", "2026-11-28T11:00:00Z");
    });
  };
  EXPECT_EQ(review("p-2"), false);
  EXPECT_EQ(review("p-1"), true);
  EXPECT_EQ(review("p-1"), false) << "once";
  unreviewed = write_value(
      store(), [](Transaction& tx) { return tx.audit().list_break_glass("p-1", true); });
  EXPECT_TRUE(unreviewed && unreviewed->empty());
  auto every = write_value(
      store(), [](Transaction& tx) { return tx.audit().list_break_glass("p-1", false); });
  ASSERT_TRUE(every && every->size() == 1u);
  EXPECT_EQ(every->front().reviewed_by, "u-1");
}

AppointmentRow appointment(std::string id, std::string practitioner, std::int64_t start,
                           std::int64_t minutes, std::vector<std::string> resources = {}) {
  AppointmentRow a;
  a.practice_id = "p-1";
  a.id = std::move(id);
  a.practitioner_id = std::move(practitioner);
  a.type_id = "t-1";
  a.starts_at = start;
  a.ends_at = start + minutes * 60;
  a.block_start = a.starts_at;
  a.block_end = a.ends_at;
  a.status = "booked";
  a.source = "staff";
  a.resources = std::move(resources);
  a.created_at = "2026-11-28T10:00:00Z";
  a.updated_at = a.created_at;
  return a;
}

TEST_P(WithTwoPractices, SchedulingConfigurationIsVersionedPerPractice) {
  ConfigRow doc{
      "p-1", "pr-1", R"({"name":"Dr. Berg"})", true, "2026-11-28T10:00:00Z", "2026-11-28T10:00:00Z",
      1};
  for (auto kind :
       {ConfigKind::practitioner, ConfigKind::resource, ConfigKind::appointment_type,
        ConfigKind::working_plan, ConfigKind::settings, ConfigKind::notification_template}) {
    ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
      return tx.scheduling().insert_config(kind, doc);
    }));
    auto again = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
      return tx.scheduling().insert_config(kind, doc);
    });
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    ConfigRow changed = doc;
    changed.data = R"({"name":"Dr. Anna Berg"})";
    changed.active = false;
    ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
      return tx.scheduling().update_config(kind, changed);
    }));
    auto stale = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
      return tx.scheduling().update_config(kind, changed);
    });
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, ErrorCode::precondition_failed);
    auto found = write_value(
        store(), [&](Transaction& tx) { return tx.scheduling().find_config(kind, "p-1", "pr-1"); });
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->data, changed.data);
    EXPECT_FALSE((*found)->active);
    EXPECT_EQ((*found)->version, 2);
    auto other = write_value(
        store(), [&](Transaction& tx) { return tx.scheduling().find_config(kind, "p-2", "pr-1"); });
    ASSERT_TRUE(other);
    EXPECT_FALSE(*other) << "another practice";
    auto listed = write_value(
        store(), [&](Transaction& tx) { return tx.scheduling().list_config(kind, "p-1"); });
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 1u);
  }
}

TEST_P(WithTwoPractices, AbsencesAreFoundByTheTimeTheyCover) {
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.scheduling().insert_absence({"p-1", "ab-1", "pr-1", 1000, 2000, "x"}); !r)
          return r;
        return tx.scheduling().insert_absence({"p-1", "ab-2", "pr-1", 5000, 6000, "x"});
      }));
  auto some = write_value(
      store(), [](Transaction& tx) { return tx.scheduling().list_absences("p-1", 1500, 5001); });
  ASSERT_TRUE(some);
  EXPECT_EQ(some->size(), 2u);
  auto none = write_value(
      store(), [](Transaction& tx) { return tx.scheduling().list_absences("p-1", 2000, 5000); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "half-open ranges only touch";
  EXPECT_EQ(
      write_value(store(),
                  [](Transaction& tx) { return tx.scheduling().delete_absence("p-1", "ab-1"); }),
      true);
  EXPECT_EQ(
      write_value(store(),
                  [](Transaction& tx) { return tx.scheduling().delete_absence("p-1", "ab-1"); }),
      false);
}

TEST_P(WithTwoPractices, ActiveAppointmentsNeverOverlapForAPractitionerOrAResource) {
  const std::int64_t t0 = 1'800'000'000;
  auto insert = [&](const AppointmentRow& a) {
    return with_transaction(store(), TxMode::read_write,
                            [&](Transaction& tx) { return tx.scheduling().insert_appointment(a); });
  };
  ASSERT_TRUE(insert(appointment("a-1", "pr-1", t0, 30, {"room-1"})));
  auto clash = insert(appointment("a-2", "pr-1", t0 + 15 * 60, 30));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::conflict);
  EXPECT_TRUE(insert(appointment("a-3", "pr-1", t0 + 30 * 60, 30))) << "back to back";
  auto room = insert(appointment("a-4", "pr-2", t0 + 10 * 60, 10, {"room-1"}));
  ASSERT_FALSE(room) << "the room is in use";
  EXPECT_EQ(room.error().code, ErrorCode::conflict);
  EXPECT_TRUE(insert(appointment("a-5", "pr-2", t0 + 10 * 60, 10, {"room-2"})));
  AppointmentRow other_practice = appointment("a-6", "pr-1", t0, 30, {"room-1"});
  other_practice.practice_id = "p-2";
  EXPECT_TRUE(insert(other_practice)) << "another practice's calendar";

  // Cancelling frees the time; a move is checked like an insert.
  auto a1 = write_value(
      store(), [](Transaction& tx) { return tx.scheduling().find_appointment("p-1", "a-1"); });
  ASSERT_TRUE(a1 && *a1);
  EXPECT_EQ((*a1)->resources, std::vector<std::string>{"room-1"});
  AppointmentRow moved = **a1;
  moved.starts_at += 30 * 60;
  moved.ends_at += 30 * 60;
  moved.block_start = moved.starts_at;
  moved.block_end = moved.ends_at;
  auto into_a3 = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.scheduling().update_appointment(moved);
  });
  ASSERT_FALSE(into_a3);
  EXPECT_EQ(into_a3.error().code, ErrorCode::conflict);
  AppointmentRow cancelled = **a1;
  cancelled.active = false;
  cancelled.status = "cancelled";
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.scheduling().update_appointment(cancelled);
  }));
  EXPECT_TRUE(insert(appointment("a-7", "pr-1", t0, 15, {"room-1"}))) << "free again";
  auto stale = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.scheduling().update_appointment(cancelled);
  });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::precondition_failed);

  auto listed = write_value(store(), [&](Transaction& tx) {
    return tx.scheduling().list_appointments("p-1", t0, t0 + 3600, std::nullopt);
  });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ(listed->front().starts_at, t0);
  auto mine = write_value(store(), [&](Transaction& tx) {
    return tx.scheduling().list_appointments("p-1", t0, t0 + 3600, std::string_view("pr-2"));
  });
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().resources, std::vector<std::string>{"room-2"});
  auto busy = [&](const char* practitioner) {
    return write_value(store(), [&](Transaction& tx) {
      return tx.scheduling().practitioner_busy("p-1", practitioner, t0, t0 + 3600);
    });
  };
  auto first = busy("pr-1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), 2u) << "the cancelled one blocks nothing";
  EXPECT_EQ(first->front().owner_id, "pr-1");
  EXPECT_EQ(busy("pr-2")->size(), 1u);
  auto used = [&](const char* resource) {
    return write_value(store(), [&](Transaction& tx) {
      return tx.scheduling().resource_busy("p-1", resource, t0, t0 + 3600);
    });
  };
  ASSERT_TRUE(used("room-1"));
  EXPECT_EQ(used("room-1")->size(), 1u);
  EXPECT_EQ(used("room-2")->size(), 1u);
  EXPECT_EQ(write_value(store(),
                        [&](Transaction& tx) {
                          return tx.scheduling().practitioner_busy("p-1", "pr-1", t0 + 3600,
                                                                   t0 + 7200);
                        })
                ->size(),
            0u)
      << "only the range asked for";

  // Long blocks: found from wherever they overlap the range; longer than a day refused.
  const std::int64_t t1 = t0 + 10 * 86400;
  ASSERT_TRUE(insert(appointment("a-8", "pr-3", t1 - 23 * 3600, 23 * 60 + 30, {"room-3"})));
  auto late = write_value(store(), [&](Transaction& tx) {
    return tx.scheduling().practitioner_busy("p-1", "pr-3", t1, t1 + 3600);
  });
  ASSERT_TRUE(late);
  ASSERT_EQ(late->size(), 1u) << "begun 23 hours before the range, ends in it";
  EXPECT_EQ(late->front().start, t1 - 23 * 3600);
  EXPECT_EQ(write_value(store(),
                        [&](Transaction& tx) {
                          return tx.scheduling().resource_busy("p-1", "room-3", t1 + 1200,
                                                               t1 + 1500);
                        })
                ->size(),
            1u);
  auto overlong = insert(appointment("a-9", "pr-4", t1, 24 * 60 + 1));
  ASSERT_FALSE(overlong);
  EXPECT_EQ(overlong.error().code, ErrorCode::invalid_input);
  auto clash_late = insert(appointment("a-10", "pr-3", t1 + 15 * 60, 10));
  ASSERT_FALSE(clash_late) << "the long block is checked like any other";
  EXPECT_EQ(clash_late.error().code, ErrorCode::conflict);
}

TEST_P(WithTwoPractices, SixtyFourClientsBookingOneSlotGetExactlyOneSuccess) {
  const std::int64_t t0 = 1'800'000'000;
  std::atomic<int> booked{0};
  std::atomic<int> refused{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i) {
    clients.emplace_back([&, i] {
      auto r = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
        return tx.scheduling().insert_appointment(
            appointment("c-" + std::to_string(i), "pr-1", t0 + (i % 3) * 60, 30, {"room-1"}));
      });
      if (r) {
        ++booked;
      } else if (r.error().code == ErrorCode::conflict) {
        ++refused;
      } else {
        std::lock_guard lock(failures_mutex);
        failures.push_back(r.error().internal);
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(booked.load(), 1);
  EXPECT_EQ(refused.load(), 63);
  for (const auto& f : failures) ADD_FAILURE() << f;
}

TEST_P(WithTwoPractices, AMergeMovesAppointmentsToTheKeptPatient) {
  AppointmentRow a = appointment("m-1", "pr-1", 1'800'000'000, 30);
  a.patient_id = "pa-gone";
  AppointmentRow b = appointment("m-2", "pr-1", 1'800'010'000, 30);
  b.patient_id = "pa-other";
  AppointmentRow c = appointment("m-3", "pr-1", 1'800'000'000, 30);
  c.practice_id = "p-2";
  c.patient_id = "pa-gone";
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        for (const auto* row : {&a, &b, &c}) {
          if (auto r = tx.scheduling().insert_appointment(*row); !r) return r;
        }
        return {};
      }));
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.scheduling().reassign_patient("p-1", "pa-gone", "pa-keep",
                                                                  "now");
                        }),
            1);
  auto moved = write_value(
      store(), [](Transaction& tx) { return tx.scheduling().find_appointment("p-1", "m-1"); });
  ASSERT_TRUE(moved && *moved);
  EXPECT_EQ((*moved)->patient_id, "pa-keep");
  auto other = write_value(
      store(), [](Transaction& tx) { return tx.scheduling().find_appointment("p-2", "m-3"); });
  ASSERT_TRUE(other && *other);
  EXPECT_EQ((*other)->patient_id, "pa-gone") << "another practice is untouched";
}

TEST_P(WithTwoPractices, OnlineBookingsAreFoundByTokenCountedPerContactAndReviewedOnce) {
  const std::int64_t now = 1'800'000'000;
  AppointmentRow past = appointment("ob-a1", "pr-1", now - 3600, 30);
  AppointmentRow future = appointment("ob-a2", "pr-1", now + 3600, 30);
  AppointmentRow cancelled = appointment("ob-a3", "pr-1", now + 7200, 30);
  cancelled.status = "cancelled";
  cancelled.active = false;
  AppointmentRow other = appointment("ob-a4", "pr-1", now + 3600, 30);
  other.practice_id = "p-2";
  const std::vector<std::uint8_t> token{1, 2, 3};
  auto booking = [](std::string practice, std::string id, std::string appointment,
                    std::vector<std::uint8_t> token_hash, std::optional<std::int64_t> phone,
                    std::optional<std::int64_t> email) {
    return OnlineBookingRow{std::move(practice),
                            std::move(id),
                            std::move(appointment),
                            std::move(token_hash),
                            phone,
                            email,
                            true,
                            std::nullopt,
                            std::nullopt,
                            "2027-01-15T10:00:00Z"};
  };
  const auto b1 = booking("p-1", "REF-1", "ob-a1", {9, 1}, 11, 21);
  const auto b2 = booking("p-1", "REF-2", "ob-a2", token, 11, std::nullopt);
  const auto b3 = booking("p-1", "REF-3", "ob-a3", {9, 3}, std::nullopt, 21);
  const auto b4 = booking("p-2", "REF-4", "ob-a4", {9, 4}, 11, 21);
  ASSERT_TRUE(
      with_transaction(store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        for (const auto* row : {&past, &future, &cancelled, &other}) {
          if (auto r = tx.scheduling().insert_appointment(*row); !r) return r;
        }
        for (const auto* row : {&b1, &b2, &b3, &b4}) {
          if (auto r = tx.booking().insert_booking(*row); !r) return r;
        }
        return {};
      }));
  auto by_appointment = write_value(
      store(), [](Transaction& tx) { return tx.booking().find_by_appointment("p-1", "ob-a2"); });
  ASSERT_TRUE(by_appointment && *by_appointment);
  EXPECT_EQ(**by_appointment, b2);
  by_appointment = write_value(
      store(), [](Transaction& tx) { return tx.booking().find_by_appointment("p-2", "ob-a2"); });
  ASSERT_TRUE(by_appointment);
  EXPECT_FALSE(*by_appointment) << "another practice's appointment";
  auto again = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    auto dup = b1;
    dup.id = "REF-9";
    dup.appointment_id = "ob-a2";
    dup.token_hash = token;
    return tx.booking().insert_booking(dup);
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict) << "a token is unique";

  auto found = write_value(store(), [&](Transaction& tx) {
    return tx.booking().find_by_token("p-1", std::span<const std::uint8_t>(token));
  });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, b2);
  auto elsewhere = write_value(store(), [&](Transaction& tx) {
    return tx.booking().find_by_token("p-2", std::span<const std::uint8_t>(token));
  });
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere) << "a token is scoped to its practice";

  auto count = [&](std::optional<std::int64_t> phone, std::optional<std::int64_t> email) {
    return write_value(store(), [&](Transaction& tx) {
      return tx.booking().count_future("p-1", phone, email, now);
    });
  };
  EXPECT_EQ(count(11, std::nullopt), 1) << "only the active future one";
  EXPECT_EQ(count(11, 21), 1) << "a booking matching both counts once";
  EXPECT_EQ(count(std::nullopt, 21), 0) << "the past and the cancelled one do not count";
  EXPECT_EQ(count(12, 22), 0);
  EXPECT_EQ(count(std::nullopt, std::nullopt), 0);

  auto open =
      write_value(store(), [](Transaction& tx) { return tx.booking().list_unreviewed("p-1", 10); });
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 3u);
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.booking().mark_reviewed("p-1", "REF-2", "u-1", "later");
                        }),
            true);
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.booking().mark_reviewed("p-1", "REF-2", "u-1", "later");
                        }),
            false)
      << "reviewed once";
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.booking().mark_reviewed("p-2", "REF-1", "u-1", "later");
                        }),
            false)
      << "not another practice's";
  auto reviewed = write_value(
      store(), [](Transaction& tx) { return tx.booking().find_booking("p-1", "REF-2"); });
  ASSERT_TRUE(reviewed && *reviewed);
  EXPECT_EQ((*reviewed)->reviewed_by, "u-1");
  open =
      write_value(store(), [](Transaction& tx) { return tx.booking().list_unreviewed("p-1", 10); });
  ASSERT_TRUE(open);
  EXPECT_EQ(open->size(), 2u);
}

TEST_P(WithTwoPractices, IdempotencyAnswersAndSpentChallengesExpire) {
  const IdempotencyRow row{"p-1", {1, 2}, {3, 4}, {5, 6, 7}, 1000};
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.booking().insert_idempotent(row);
  }));
  auto twice = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.booking().insert_idempotent(row);
  });
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::conflict);
  auto found = write_value(store(), [&](Transaction& tx) {
    return tx.booking().find_idempotent("p-1", std::span<const std::uint8_t>(row.key_hash));
  });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(**found, row);

  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [](Transaction& tx) {
    return tx.booking().use_challenge("p-1", "n-1", 2000);
  }));
  auto spent = with_transaction(store(), TxMode::read_write, [](Transaction& tx) {
    return tx.booking().use_challenge("p-1", "n-1", 2000);
  });
  ASSERT_FALSE(spent);
  EXPECT_EQ(spent.error().code, ErrorCode::conflict) << "a challenge is single use";
  EXPECT_TRUE(with_transaction(store(), TxMode::read_write, [](Transaction& tx) {
    return tx.booking().use_challenge("p-2", "n-1", 2000);
  })) << "per practice";

  EXPECT_EQ(write_value(store(), [](Transaction& tx) { return tx.booking().purge_expired(1500); }),
            1)
      << "the idempotency answer expired";
  EXPECT_EQ(write_value(store(), [](Transaction& tx) { return tx.booking().purge_expired(2500); }),
            2);
  found = write_value(store(), [&](Transaction& tx) {
    return tx.booking().find_idempotent("p-1", std::span<const std::uint8_t>(row.key_hash));
  });
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
}

OutboxRow message(std::string practice, std::string id, std::int64_t due,
                  std::string kind = "confirmation") {
  OutboxRow o;
  o.practice_id = std::move(practice);
  o.id = std::move(id);
  o.kind = std::move(kind);
  o.channel = "email";
  o.appointment_id = "a-1";
  o.payload = std::vector<std::uint8_t>{1, 2, 3};
  o.next_attempt_at = due;
  o.created_at = "2026-11-27T10:00:0" + std::to_string(due % 10) + "Z";
  return o;
}

TEST_P(WithTwoPractices, OutboxMessagesAreClaimedOnceLeasedAndSettled) {
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    for (auto& m : {message("p-1", "m-late", 300), message("p-1", "m-1", 100),
                    message("p-2", "m-2", 200), message("p-1", "m-3", 150, "reminder")}) {
      if (auto r = tx.outbox().insert(m); !r) return r;
    }
    return core::Result<void>{};
  }));
  auto dup = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    return tx.outbox().insert(message("p-1", "m-1", 1));
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::conflict);

  auto claimed =
      write_value(store(), [](Transaction& tx) { return tx.outbox().claim(250, 1000, 10); });
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 3u) << "m-late is not due";
  EXPECT_EQ((*claimed)[0].id, "m-1") << "oldest due first, across practices";
  EXPECT_EQ((*claimed)[1].id, "m-3");
  EXPECT_EQ((*claimed)[2].id, "m-2");
  EXPECT_EQ((*claimed)[0].state, "sending");
  EXPECT_EQ((*claimed)[0].attempts, 1);
  EXPECT_EQ((*claimed)[0].lease_until, 1000);
  EXPECT_TRUE(write_value(store(), [](Transaction& tx) { return tx.outbox().claim(299, 2000, 10); })
                  ->empty())
      << "leased messages are not taken again before the lease ends";

  // m-1 sent: its payload is erased. A stale claim (other attempt count) loses.
  auto sent = (*claimed)[0];
  sent.state = "sent";
  sent.finished_at = "2026-11-27T10:01:00Z";
  auto stale = sent;
  stale.attempts = 7;
  EXPECT_EQ(write_value(store(), [&](Transaction& tx) { return tx.outbox().settle(stale); }),
            false);
  EXPECT_EQ(write_value(store(), [&](Transaction& tx) { return tx.outbox().settle(sent); }), true);
  EXPECT_EQ(write_value(store(), [&](Transaction& tx) { return tx.outbox().settle(sent); }), false)
      << "settled once";
  auto found = write_value(store(), [](Transaction& tx) { return tx.outbox().find("p-1", "m-1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state, "sent");
  EXPECT_FALSE((*found)->payload) << "the recipient is forgotten once sent";
  EXPECT_EQ((*found)->finished_at, "2026-11-27T10:01:00Z");
  EXPECT_FALSE((*found)->lease_until);

  // m-2 failed: tried again later, with the error code.
  auto retry = (*claimed)[2];
  retry.state = "pending";
  retry.next_attempt_at = 5000;
  retry.last_error = "connect";
  EXPECT_EQ(write_value(store(), [&](Transaction& tx) { return tx.outbox().settle(retry); }), true);
  found = write_value(store(), [](Transaction& tx) { return tx.outbox().find("p-2", "m-2"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state, "pending");
  EXPECT_EQ((*found)->attempts, 1);
  EXPECT_EQ((*found)->last_error, "connect");
  EXPECT_TRUE((*found)->payload);

  // m-3's worker died: after the lease another worker takes it, one attempt more.
  auto again =
      write_value(store(), [](Transaction& tx) { return tx.outbox().claim(1000, 3000, 10); });
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].id, "m-late");
  EXPECT_EQ((*again)[1].id, "m-3");
  EXPECT_EQ((*again)[1].attempts, 2);
  // The first worker's late answer does not overwrite the new claim.
  auto late = (*claimed)[1];
  late.state = "sent";
  EXPECT_EQ(write_value(store(), [&](Transaction& tx) { return tx.outbox().settle(late); }), false);

  // Start-up of a single-process store: every claim is released.
  EXPECT_EQ(write_value(store(), [](Transaction& tx) { return tx.outbox().release_claims(); }), 2);
  // A reminder of an appointment that moved becomes obsolete; other kinds stay.
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.outbox().make_obsolete("p-1", "a-1", "reminder",
                                                           "2026-11-27T11:00:00Z");
                        }),
            1);
  EXPECT_EQ(write_value(store(),
                        [](Transaction& tx) {
                          return tx.outbox().make_obsolete("p-2", "a-1", "reminder",
                                                           "2026-11-27T11:00:00Z");
                        }),
            0)
      << "per practice";

  // m-late dies; staff revive it.
  auto dead =
      write_value(store(), [](Transaction& tx) { return tx.outbox().claim(1000, 3000, 1); });
  ASSERT_TRUE(dead && dead->size() == 1u);
  ASSERT_EQ((*dead)[0].id, "m-late");
  auto d = (*dead)[0];
  d.state = "dead";
  d.last_error = "smtp_550";
  d.finished_at = "2026-11-27T12:00:00Z";
  EXPECT_EQ(write_value(store(), [&](Transaction& tx) { return tx.outbox().settle(d); }), true);
  found = write_value(store(), [](Transaction& tx) { return tx.outbox().find("p-1", "m-late"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state, "dead");
  EXPECT_TRUE((*found)->payload) << "kept so it can be tried again";
  EXPECT_EQ(
      write_value(store(), [](Transaction& tx) { return tx.outbox().revive("p-2", "m-late", 5); }),
      false)
      << "another practice's id";
  EXPECT_EQ(
      write_value(store(), [](Transaction& tx) { return tx.outbox().revive("p-1", "m-late", 5); }),
      true);
  EXPECT_EQ(
      write_value(store(), [](Transaction& tx) { return tx.outbox().revive("p-1", "m-late", 5); }),
      false)
      << "only dead messages";
  found = write_value(store(), [](Transaction& tx) { return tx.outbox().find("p-1", "m-late"); });
  EXPECT_EQ((*found)->state, "pending");
  EXPECT_EQ((*found)->attempts, 0);
  EXPECT_EQ((*found)->next_attempt_at, 5);

  auto counts = write_value(store(), [](Transaction& tx) { return tx.outbox().count_by_state(); });
  ASSERT_TRUE(counts);
  const std::vector<std::pair<std::string, std::int64_t>> want{
      {"obsolete", 1}, {"pending", 2}, {"sent", 1}};
  EXPECT_EQ(*counts, want);

  // Listing: newest first, a state filter, a cursor, and only the practice's own.
  auto all = write_value(
      store(), [](Transaction& tx) { return tx.outbox().list("p-1", "", std::nullopt, 2); });
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "m-late") << "same created_at: by id, descending";
  EXPECT_EQ((*all)[1].id, "m-3");
  auto rest = write_value(store(), [&](Transaction& tx) {
    return tx.outbox().list("p-1", "", std::make_pair(all->back().created_at, all->back().id), 10);
  });
  ASSERT_TRUE(rest);
  EXPECT_EQ(all->size() + rest->size(), 3u);
  auto pending = write_value(store(), [](Transaction& tx) {
    return tx.outbox().list("p-1", "pending", std::nullopt, 10);
  });
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, "m-late");

  auto old_dead = message("p-2", "m-old", 1);
  old_dead.state = "dead";
  old_dead.finished_at = "2026-11-27T09:00:00Z";
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write,
                               [&](Transaction& tx) { return tx.outbox().insert(old_dead); }));
  EXPECT_EQ(write_value(
                store(),
                [](Transaction& tx) { return tx.outbox().purge_finished("2026-11-27T10:30:00Z"); }),
            2)
      << "the sent message and the old dead letter, not the obsolete one finished later";
}

TEST_P(WithTwoPractices, TwoWorkersNeverClaimTheSameMessage) {
  ASSERT_TRUE(with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
    for (int i = 0; i < 60; ++i) {
      if (auto r = tx.outbox().insert(message(i % 2 ? "p-1" : "p-2", "m-" + std::to_string(i), i));
          !r)
        return r;
    }
    return core::Result<void>{};
  }));
  std::mutex mutex;
  std::multiset<std::string> seen;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        auto got =
            write_value(store(), [](Transaction& tx) { return tx.outbox().claim(100, 1000, 3); });
        if (!got) continue;  // a serialisation failure: try again
        if (got->empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& m : *got) seen.insert(m.practice_id + "/" + m.id);
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(seen.size(), 60u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 60u) << "each exactly once";
}

// Many clients booking, moving and cancelling overlapping times of three practitioners
// and two rooms at random; afterwards no two active appointments overlap for any
// practitioner or room, checked over everything the store holds.
TEST_P(WithTwoPractices, ARandomisedRunLeavesNoOverlaps) {
  const std::int64_t t0 = 1'800'000'000;
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c) + 1);
      std::vector<std::string> mine;
      for (int i = 0; i < 40; ++i) {
        const int what = static_cast<int>(rng() % 4);
        if (what < 2 || mine.empty()) {
          const std::string id = "r-" + std::to_string(c) + "-" + std::to_string(i);
          AppointmentRow a =
              appointment(id, "pr-" + std::to_string(rng() % 3),
                          t0 + static_cast<std::int64_t>(rng() % 48) * 300,
                          5 * (1 + static_cast<std::int64_t>(rng() % 4)),
                          rng() % 2 ? std::vector<std::string>{"room-" + std::to_string(rng() % 2)}
                                    : std::vector<std::string>{});
          auto r = with_transaction(store(), TxMode::read_write, [&](Transaction& tx) {
            return tx.scheduling().insert_appointment(a);
          });
          if (r) mine.push_back(id);
          continue;
        }
        const std::string id = mine[rng() % mine.size()];
        (void)with_transaction(
            store(), TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
              auto found = tx.scheduling().find_appointment("p-1", id);
              if (!found) return tl::unexpected(found.error());
              if (!*found) return {};
              AppointmentRow row = **found;
              if (what == 2) {
                const std::int64_t shift = (static_cast<std::int64_t>(rng() % 7) - 3) * 300;
                row.starts_at += shift;
                row.ends_at += shift;
                row.block_start += shift;
                row.block_end += shift;
              } else {
                row.active = false;
                row.status = "cancelled";
              }
              return tx.scheduling().update_appointment(row);
            });
      }
    });
  }
  for (auto& c : clients) c.join();
  auto all = write_value(store(), [&](Transaction& tx) {
    return tx.scheduling().list_appointments("p-1", t0 - 86400, t0 + 86400, std::nullopt);
  });
  ASSERT_TRUE(all);
  ASSERT_GT(all->size(), 20u);
  int active = 0;
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto& a = (*all)[i];
    if (!a.active) continue;
    ++active;
    for (std::size_t j = i + 1; j < all->size(); ++j) {
      const auto& b = (*all)[j];
      if (!b.active || a.block_end <= b.block_start || b.block_end <= a.block_start) continue;
      EXPECT_NE(a.practitioner_id, b.practitioner_id) << a.id << " overlaps " << b.id;
      for (const auto& room : a.resources) {
        EXPECT_EQ(std::count(b.resources.begin(), b.resources.end(), room), 0)
            << a.id << " and " << b.id << " share " << room;
      }
    }
  }
  EXPECT_GT(active, 5);
}

}  // namespace
}  // namespace praxis::store::conformance
