#include "crypto/key_ring.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <thread>

namespace praxis::crypto {
namespace {

// Two independent rings over the same master key: one writes, the other (with an
// empty cache) must read what the first wrote.
struct Fixture {
  std::array<std::uint8_t, kKeyBytes> master_bytes{};
  Fixture() {
    init_sodium();
    randombytes_buf(master_bytes.data(), master_bytes.size());
  }
  MasterKey master() const {
    SecretKey key = SecretKey::from_bytes(master_bytes);
    const auto id = key_id_of(key);
    return MasterKey{std::move(key), id};
  }
  std::vector<MasterKey> masters() const {
    std::vector<MasterKey> v;
    v.push_back(master());
    return v;
  }
};

// Keys of patients "pat-0" … "pat-<n-1>" under `practice`, made by `writer`.
std::vector<KeyRing::NewKey> patient_keys(KeyRing& writer, const KeyRing::NewKey& practice, int n) {
  std::vector<KeyRing::NewKey> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(writer.create_patient_key(*practice.key, "prac-1", "pat-" + std::to_string(i)));
  }
  return out;
}

bool same_bytes(const SecretKey& a, const SecretKey& b) {
  return std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin());
}

TEST(KeyRing, KeysUnwrapInAFreshRing) {
  Fixture f;
  KeyRing writer(f.masters());
  auto practice = writer.create_practice_key("prac-1");
  EXPECT_EQ(practice.wrapped.wrapping_key_id, writer.master_id());
  EXPECT_EQ(practice.wrapped.key_id, practice.key->id);
  auto patient = writer.create_patient_key(*practice.key, "prac-1", "pat-1");
  EXPECT_EQ(patient.wrapped.wrapping_key_id, practice.key->id);

  KeyRing reader(f.masters());
  auto p = reader.practice_key("prac-1", practice.wrapped);
  ASSERT_TRUE(p);
  EXPECT_TRUE(same_bytes((*p)->secret, practice.key->secret));
  auto q = reader.patient_key(**p, "prac-1", "pat-1", patient.wrapped);
  ASSERT_TRUE(q);
  EXPECT_TRUE(same_bytes((*q)->secret, patient.key->secret));
  EXPECT_FALSE(same_bytes((*q)->secret, (*p)->secret));
}

TEST(KeyRing, WrappedKeyMovedToAnotherOwnerDoesNotUnwrap) {
  Fixture f;
  KeyRing writer(f.masters());
  auto practice = writer.create_practice_key("prac-1");
  auto patient = writer.create_patient_key(*practice.key, "prac-1", "pat-1");
  KeyRing reader(f.masters());
  EXPECT_EQ(reader.practice_key("prac-2", practice.wrapped).error(),
            CryptoError::authentication_failed);
  auto p = reader.practice_key("prac-1", practice.wrapped);
  ASSERT_TRUE(p);
  EXPECT_EQ(reader.patient_key(**p, "prac-1", "pat-2", patient.wrapped).error(),
            CryptoError::authentication_failed);
  // Even with the genuine key cached, another owner presenting its id gets nothing.
  ASSERT_TRUE(reader.patient_key(**p, "prac-1", "pat-1", patient.wrapped));
  EXPECT_FALSE(reader.patient_key(**p, "prac-1", "pat-2", patient.wrapped));
}

TEST(KeyRing, TamperedWrappingIsRejected) {
  Fixture f;
  KeyRing writer(f.masters());
  auto practice = writer.create_practice_key("prac-1");
  for (std::size_t i = 0; i < practice.wrapped.sealed.size(); i += 7) {
    WrappedKey w = practice.wrapped;
    w.sealed[i] ^= 0x01;
    KeyRing reader(f.masters());
    EXPECT_EQ(reader.practice_key("prac-1", w).error(), CryptoError::authentication_failed) << i;
  }
  WrappedKey renamed = practice.wrapped;
  renamed.key_id ^= 1;
  KeyRing reader(f.masters());
  EXPECT_EQ(reader.practice_key("prac-1", renamed).error(), CryptoError::authentication_failed);
  WrappedKey short_blob = practice.wrapped;
  short_blob.sealed.pop_back();
  EXPECT_EQ(reader.practice_key("prac-1", short_blob).error(), CryptoError::malformed);
}

TEST(KeyRing, ForeignMasterKeyIsUnknown) {
  Fixture f, other;
  KeyRing writer(f.masters());
  auto practice = writer.create_practice_key("prac-1");
  KeyRing stranger(other.masters());
  EXPECT_EQ(stranger.practice_key("prac-1", practice.wrapped).error(), CryptoError::unknown_key);
}

TEST(KeyRing, CacheReturnsTheSameKeyAndStaysBounded) {
  Fixture f;
  KeyRing writer(f.masters());
  auto practice = writer.create_practice_key("prac-1");
  // Enough keys that every shard of a 4-key cache (4 shards of one) is filled: a shard
  // stays empty with a chance of 4 * (3/4)^64, about 4e-8.
  constexpr int kKeys = 64;
  std::vector<WrappedKey> wrapped;
  for (const auto& k : patient_keys(writer, practice, kKeys)) wrapped.push_back(k.wrapped);
  KeyRing reader(f.masters(), /*cache_capacity=*/4);
  auto p = reader.practice_key("prac-1", practice.wrapped);
  ASSERT_TRUE(p);
  auto first = reader.patient_key(**p, "prac-1", "pat-0", wrapped[0]);
  auto again = reader.patient_key(**p, "prac-1", "pat-0", wrapped[0]);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->get(), again->get()) << "second read must come from the cache";
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(reader.patient_key(**p, "prac-1", "pat-" + std::to_string(i), wrapped[i]));
  }
  EXPECT_EQ(reader.cached(), 4u);
  // The most recent key is always cached.
  auto last = reader.patient_key(**p, "prac-1", "pat-63", wrapped[kKeys - 1]);
  auto last_again = reader.patient_key(**p, "prac-1", "pat-63", wrapped[kKeys - 1]);
  ASSERT_TRUE(last && last_again);
  EXPECT_EQ(last->get(), last_again->get());
  // An evicted key that is still held stays valid.
  EXPECT_EQ((*first)->id, wrapped[0].key_id);
}

TEST(KeyRing, ThreadsShareTheCacheAndEachGetsItsOwnKey) {
  // The handler threads of a search take keys from the cache at the same time: each
  // lookup must give the key of the patient asked for, whichever shard holds it.
  Fixture f;
  KeyRing writer(f.masters());
  auto practice = writer.create_practice_key("prac-1");
  constexpr int kPatients = 300;
  const auto keys = patient_keys(writer, practice, kPatients);
  KeyRing reader(f.masters(), /*cache_capacity=*/64);
  auto p = reader.practice_key("prac-1", practice.wrapped);
  ASSERT_TRUE(p);
  std::atomic<int> wrong{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kPatients; ++i) {
          const int n = (i * 7 + t * 13 + round) % kPatients;
          const auto& k = keys[static_cast<std::size_t>(n)];
          auto key = reader.patient_key(**p, "prac-1", "pat-" + std::to_string(n), k.wrapped);
          if (!key || (*key)->id != k.wrapped.key_id ||
              !same_bytes((*key)->secret, k.key->secret)) {
            ++wrong;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(reader.cached(), 64u);
  EXPECT_GT(reader.cached(), 16u) << "more than one shard holds keys";
}

TEST(KeyRing, RotationRewrapsUnderTheNewMasterAndOldOnesStillOpen) {
  Fixture old_master, new_master;
  KeyRing before(old_master.masters());
  auto practice = before.create_practice_key("prac-1");
  auto signing = before.create_signing_seed("backup");

  std::vector<MasterKey> both;
  both.push_back(new_master.master());
  both.push_back(old_master.master());
  KeyRing during(std::move(both));
  EXPECT_TRUE(during.is_stale(practice.wrapped));
  ASSERT_TRUE(during.practice_key("prac-1", practice.wrapped));  // old wrapping still opens
  auto rewrapped = during.rewrap_practice_key("prac-1", practice.wrapped);
  ASSERT_TRUE(rewrapped);
  EXPECT_FALSE(during.is_stale(*rewrapped));
  EXPECT_EQ(rewrapped->key_id, practice.wrapped.key_id) << "data keys do not change";
  auto seed = during.rewrap_signing_seed("backup", signing.wrapped);
  ASSERT_TRUE(seed);

  KeyRing after(new_master.masters());
  auto p = after.practice_key("prac-1", *rewrapped);
  ASSERT_TRUE(p);
  EXPECT_TRUE(same_bytes((*p)->secret, practice.key->secret));
  EXPECT_EQ(after.practice_key("prac-1", practice.wrapped).error(), CryptoError::unknown_key);
  ASSERT_TRUE(after.signing_seed("backup", *seed));
}

TEST(KeyRing, DerivedKeysAreStableAndSeparated) {
  Fixture f;
  KeyRing ring(f.masters());
  auto a = ring.create_practice_key("prac-a");
  auto b = ring.create_practice_key("prac-b");
  const SecretKey index_a = KeyRing::index_key(*a.key);
  EXPECT_TRUE(same_bytes(index_a, KeyRing::index_key(*a.key)));
  EXPECT_FALSE(same_bytes(index_a, KeyRing::index_key(*b.key)));
  EXPECT_FALSE(same_bytes(KeyRing::column_key(index_a, "family_name"),
                          KeyRing::column_key(index_a, "given_names")));
  EXPECT_FALSE(same_bytes(KeyRing::audit_seed(*a.key), index_a));
}

}  // namespace
}  // namespace praxis::crypto
