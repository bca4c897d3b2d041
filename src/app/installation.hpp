#pragma once
// An installation opened for a command-line task (`praxis practice create`, `user invite`,
// `user reset`, `patients import`, `audit verify`): its configuration, store and, when the task
// needs them, its master keys, with the clock and randomness services use.

#include <chrono>
#include <memory>
#include <string_view>

#include "app/config.hpp"
#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "app/store_factory.hpp"
#include "audit/trail.hpp"
#include "auth/account_service.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "store/store.hpp"

namespace praxis::app {

// The audit trail's settings from [audit].
audit::TrailOptions trail_options(const Config& config);

class Installation {
 public:
  // With `passphrase` the master keys are loaded too (asked for only in passphrase mode).
  [[nodiscard]] static core::Result<std::unique_ptr<Installation>> open(
      const DataDir& dir, const PassphraseSource* passphrase = nullptr,
      StoreUse use = StoreUse::serve);

  const Config& config() const { return config_; }
  store::Store& store() { return *store_; }
  crypto::KeyRing& keys() { return *keys_; }  // only when opened with a passphrase source
  audit::Trail& trail() { return *trail_; }   // likewise
  core::Clock& clock() { return clock_; }
  core::Random& random() { return random_; }

  // Accounts with the configured lifetime of enrolment links.
  auth::AccountService accounts() {
    return auth::AccountService(*store_, *trail_, clock_, random_,
                                std::chrono::hours(config_.auth.enrolment_validity_hours));
  }
  // not_found naming the public address for an unknown slug.
  [[nodiscard]] core::Result<store::PracticeRow> practice_by_slug(std::string_view slug);

 private:
  Installation() = default;
  Config config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crypto::KeyRing> keys_;
  std::unique_ptr<audit::Trail> trail_;
  core::SystemClock clock_;
  core::SystemRandom random_;
};

}  // namespace praxis::app
