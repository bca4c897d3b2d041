#pragma once
// `praxis store migrate` (issue #13): moves an installation from its embedded SQLite
// database to PostgreSQL. The server must be stopped (the data directory's lock). The
// rows are copied as stored — ciphertext stays ciphertext — then every table's row
// count is compared and every practice's audit trail verified on PostgreSQL (which
// needs the master key, as `praxis audit verify` does). Running it again after an
// interruption finishes the copy (store/copy.hpp).

#include <string>
#include <vector>

#include "app/audit_admin.hpp"
#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "store/copy.hpp"

namespace praxis::app {

struct StoreMigration {
  std::vector<store::TableCopy> tables;
  std::vector<store::TableCount> counts;
  std::vector<PracticeAudit> audits;
  bool ok = false;  // every count equal and every audit trail verified
};

[[nodiscard]] core::Result<StoreMigration> migrate_store_to_postgres(
    const DataDir& dir, const std::string& dsn, const std::string& owner_dsn,
    const PassphraseSource& passphrase, const store::CopyProgress& progress = {});

}  // namespace praxis::app
