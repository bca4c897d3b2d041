#pragma once
// `praxis audit verify`: opens the installation's keys and store and verifies every
// practice's audit trail (audit/verify.hpp). Also run by `praxis doctor`.

#include <string>
#include <vector>

#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "audit/verify.hpp"
#include "core/error.hpp"

namespace praxis::app {

struct PracticeAudit {
  std::string slug;
  audit::VerifyResult result;
};

[[nodiscard]] core::Result<std::vector<PracticeAudit>> verify_audit(
    const DataDir& dir, const PassphraseSource& passphrase);

// Every practice of `store`, verified with `trail` (which holds the master keys).
[[nodiscard]] core::Result<std::vector<PracticeAudit>> verify_every_practice(store::Store& store,
                                                                             audit::Trail& trail);

}  // namespace praxis::app
