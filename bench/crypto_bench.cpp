// Crypto micro-benchmarks (issue #3). Each praxis operation is measured next to the
// bare libsodium calls it is built on, in the same run; bench/crypto.sh prints the ratios.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <array>
#include <string>

#include "core/text.hpp"
#include "crypto/blind_index.hpp"
#include "crypto/field_cipher.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/password.hpp"

namespace {

using namespace praxis;

constexpr std::size_t kFieldBytes = 32;

void BM_BareAead32(benchmark::State& state) {
  crypto::init_sodium();
  std::array<std::uint8_t, 32> key{};
  randombytes_buf(key.data(), key.size());
  std::array<std::uint8_t, kFieldBytes> plain{}, back{};
  std::array<std::uint8_t, kFieldBytes + 16> sealed{};
  std::array<std::uint8_t, 24> nonce{};
  const std::string aad = "praxis|patients|family_name|p-0001";
  for (auto _ : state) {
    randombytes_buf(nonce.data(), nonce.size());
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), nullptr, plain.data(), plain.size(),
                                               reinterpret_cast<const std::uint8_t*>(aad.data()),
                                               aad.size(), nullptr, nonce.data(), key.data());
    const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        back.data(), nullptr, nullptr, sealed.data(), sealed.size(),
        reinterpret_cast<const std::uint8_t*>(aad.data()), aad.size(), nonce.data(), key.data());
    benchmark::DoNotOptimize(rc);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareAead32);

void BM_FieldCipher32(benchmark::State& state) {
  const crypto::Key key{crypto::SecretKey::random(), 42, 1};
  const crypto::FieldContext where{"prac-7f3a9c", "patients", "family_name", "pat-0a1b2c3d4e5f"};
  const std::string plain(kFieldBytes, 'x');
  for (auto _ : state) {
    const auto ct = crypto::encrypt_field(key, where, plain);
    auto pt = crypto::decrypt_field(key, where, ct);
    benchmark::DoNotOptimize(pt);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FieldCipher32);

void BM_BareBlake2bKeyed(benchmark::State& state) {
  crypto::init_sodium();
  std::array<std::uint8_t, 32> key{};
  randombytes_buf(key.data(), key.size());
  const std::string token("family_name\0mueller", 19);  // column, 0x00, token
  std::array<std::uint8_t, 8> out{};
  for (auto _ : state) {
    crypto_generichash(out.data(), 4, reinterpret_cast<const std::uint8_t*>(token.data()),
                       token.size(), key.data(), key.size());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BareBlake2bKeyed);

void BM_BlindIndexName(benchmark::State& state) {
  const crypto::BlindIndex index(crypto::SecretKey::random(), "family_name");
  const std::string token = "Müller";
  for (auto _ : state) {
    benchmark::DoNotOptimize(index.hash_name(token));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BlindIndexName);

struct Ring {
  crypto::KeyRing ring;
  crypto::KeyPtr practice;
  std::vector<crypto::WrappedKey> patients;
  explicit Ring(std::size_t capacity) : ring(masters(), capacity) {
    auto p = ring.create_practice_key("prac-1");
    practice = p.key;
    for (int i = 0; i < 2; ++i) {
      patients.push_back(
          ring.create_patient_key(*practice, "prac-1", "pat-" + std::to_string(i)).wrapped);
    }
  }
  static std::vector<crypto::MasterKey> masters() {
    std::vector<crypto::MasterKey> v;
    auto key = crypto::SecretKey::random();
    const auto id = crypto::key_id_of(key);
    v.push_back(crypto::MasterKey{std::move(key), id});
    return v;
  }
};

void BM_PatientKeyCached(benchmark::State& state) {
  Ring r(1024);
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.ring.patient_key(*r.practice, "prac-1", "pat-0", r.patients[0]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PatientKeyCached);

void BM_PatientKeyUncached(benchmark::State& state) {
  Ring r(1);  // two keys alternating through a cache of one: every lookup unwraps
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string id = i % 2 ? "pat-1" : "pat-0";
    benchmark::DoNotOptimize(r.ring.patient_key(*r.practice, "prac-1", id, r.patients[i % 2]));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PatientKeyUncached);

void BM_PasswordVerify(benchmark::State& state) {
  const auto hash = crypto::hash_password("ein langes Passwort 2026");
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::verify_password(*hash, "ein langes Passwort 2026"));
  }
}
BENCHMARK(BM_PasswordVerify)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
