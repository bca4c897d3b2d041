#pragma once
// The workload of the crash and fault tests: write job n stores two meta values,
// "a:n" and "b:n", so a half-applied job is visible as one without the other.
// Durability::written jobs are held to the same rule: a crash or kill of the process
// loses none that was acknowledged (only a power cut may).

#include <cstdint>
#include <set>
#include <string>

#include "store/sqlite/database.hpp"
#include "store/sqlite/statement.hpp"
#include "store/store.hpp"

namespace praxis::test {

inline core::Result<void> write_pair(store::Store& store, std::int64_t n,
                                     store::Durability durability = store::Durability::full) {
  return store::with_transaction(
      store, store::TxMode::read_write,
      [n](store::Transaction& tx) {
        if (auto r = tx.meta().put("a:" + std::to_string(n), "x"); !r) return r;
        return tx.meta().put("b:" + std::to_string(n), "y");
      },
      durability);
}

struct PairCheck {
  std::string integrity;
  std::set<std::int64_t> complete;
  std::set<std::int64_t> half;
};

// Opens the database file directly (like a forensic look after a crash).
inline PairCheck check_pairs(const std::filesystem::path& file) {
  namespace sq = store::sqlite;
  PairCheck out;
  sq::OpenOptions options;
  options.mode = sq::OpenMode::read_only;
  auto db = sq::Database::open(file, options);
  if (!db) {
    out.integrity = "cannot open: " + db.error().internal;
    return out;
  }
  auto integrity = db->query_text("PRAGMA integrity_check");
  out.integrity = integrity ? *integrity : integrity.error().internal;
  auto stmt = sq::Statement::prepare(
      *db,
      "SELECT substr(key, 3), count(*) FROM server_meta WHERE key LIKE 'a:%' OR key LIKE 'b:%' "
      "GROUP BY substr(key, 3)");
  if (!stmt) return out;
  while (true) {
    auto row = stmt->step();
    if (!row || !*row) break;
    const std::int64_t n = std::stoll(stmt->column_text(0));
    (stmt->column_int64(1) == 2 ? out.complete : out.half).insert(n);
  }
  return out;
}

}  // namespace praxis::test
