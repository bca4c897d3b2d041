#include "backup/snapshot.hpp"

#include <sqlite3.h>

#include <memory>

#include "store/sqlite/database.hpp"

namespace praxis::backup {

namespace sq = store::sqlite;
using core::ErrorCode;

core::Result<void> snapshot_database(const std::filesystem::path& live,
                                     const std::filesystem::path& out) {
  sq::OpenOptions source_options;
  source_options.mode = sq::OpenMode::read_only;
  auto source = sq::Database::open(live, source_options);
  if (!source) return tl::unexpected(source.error());
  sq::OpenOptions target_options;
  target_options.mode = sq::OpenMode::create;
  auto target = sq::Database::open(out, target_options);
  if (!target) return tl::unexpected(target.error());
  auto remove = [&out] {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    std::filesystem::remove(out.string() + "-wal", ec);
    std::filesystem::remove(out.string() + "-shm", ec);
  };
  // Pages go straight into the file (no WAL copy first); durability of the copy is
  // the backup file's fsync, not this one's.
  if (auto r = target->exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;"); !r) {
    remove();
    return r;
  }
  sqlite3_backup* backup = sqlite3_backup_init(target->handle(), "main", source->handle(), "main");
  if (!backup) {
    auto e = sq::sqlite_error(target->handle(), "backup init");
    remove();
    return tl::unexpected(e);
  }
  const int rc = sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    auto e = sq::classify_sqlite_error(rc, std::string("backup step: ") + sqlite3_errstr(rc));
    remove();
    return tl::unexpected(e);
  }
  return {};  // closing the connection leaves one self-contained file
}

core::Result<DatabaseCounts> check_database_file(const std::filesystem::path& file) {
  sq::OpenOptions options;
  options.mode = sq::OpenMode::read_write;
  auto db = sq::Database::open(file, options);
  if (!db) return tl::unexpected(db.error());
  auto check = db->query_text("PRAGMA integrity_check");
  if (!check) return tl::unexpected(check.error());
  if (*check != "ok") {
    return core::fail(ErrorCode::invalid_input, "the database in the backup is damaged: " + *check);
  }
  DatabaseCounts counts;
  struct Count {
    std::int64_t* into;
    const char* sql;
  };
  const Count queries[] = {
      {&counts.practices, "SELECT count(*) FROM practices"},
      {&counts.patients, "SELECT count(*) FROM patients WHERE status NOT IN ('deleted','merged')"},
      {&counts.appointments, "SELECT count(*) FROM appointments"},
      {&counts.audit_entries, "SELECT count(*) FROM audit_entries"},
  };
  for (const auto& q : queries) {
    auto text = db->query_text(q.sql);
    if (!text) return tl::unexpected(text.error());
    *q.into = text->empty() ? 0 : std::stoll(*text);
  }
  return counts;
}

}  // namespace praxis::backup
