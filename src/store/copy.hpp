#pragma once
// Copies an installation's SQLite database into a PostgreSQL schema (issue #13,
// `praxis store migrate`): every table of the schema, row by row as stored, so
// ciphertext stays ciphertext and nothing needs a key. Both schemas must be at their
// newest migration (opening the stores does that) and have the same columns.
//
// Resumable: rows already in the target are skipped (INSERT … ON CONFLICT DO NOTHING on
// the primary key), and a table whose row count already matches is not read again, so
// an interrupted copy is finished by running it again. A target with more rows in a
// table than the source is refused (it is not this installation's copy).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/postgres/pg_store.hpp"

namespace praxis::store {

struct TableCopy {
  std::string table;
  std::int64_t rows = 0;    // in the source
  std::int64_t copied = 0;  // inserted by this run (0 when the table was complete)
};

// Called after each batch: table, rows of it done so far, rows in it.
using CopyProgress = std::function<void(const std::string&, std::int64_t, std::int64_t)>;

[[nodiscard]] core::Result<std::vector<TableCopy>> copy_sqlite_to_postgres(
    const std::filesystem::path& sqlite_file, postgres::PgStore& target,
    const CopyProgress& progress = {});

// Row counts of every copied table, source and target (after a copy: all equal).
struct TableCount {
  std::string table;
  std::int64_t source = 0;
  std::int64_t target = 0;
};
[[nodiscard]] core::Result<std::vector<TableCount>> compare_counts(
    const std::filesystem::path& sqlite_file, postgres::PgStore& target);

}  // namespace praxis::store
