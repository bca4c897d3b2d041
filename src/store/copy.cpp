#include "store/copy.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <set>

#include "store/sqlite/database.hpp"

namespace praxis::store {

using core::ErrorCode;

namespace {

using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

core::Error sqlite_failure(sqlite3* db, const std::string& what) {
  return core::Error::make(ErrorCode::internal, "reading the SQLite database failed",
                           what + ": " + sqlite3_errmsg(db));
}

core::Result<Statement> prepare(sqlite::Database& db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return tl::unexpected(sqlite_failure(db.handle(), "prepare " + sql));
  }
  return Statement(raw, sqlite3_finalize);
}

std::string sql_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The tables of the schema in creation order (parents before the tables that refer to
// them), without the migration history, which each side keeps for itself.
core::Result<std::vector<std::string>> source_tables(sqlite::Database& db) {
  auto stmt = prepare(db,
                      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                      "'sqlite_%' AND name <> 'schema_migrations' ORDER BY rowid");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::string> out;
  int rc = 0;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt->get(), 0)));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite_failure(db.handle(), "list tables"));
  return out;
}

core::Result<std::vector<std::string>> source_columns(sqlite::Database& db,
                                                      const std::string& table) {
  auto stmt = prepare(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  if (!stmt) return tl::unexpected(stmt.error());
  sqlite3_bind_text(stmt->get(), 1, table.c_str(), static_cast<int>(table.size()),
                    SQLITE_TRANSIENT);
  std::vector<std::string> out;
  int rc = 0;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt->get(), 0)));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite_failure(db.handle(), "columns of " + table));
  return out;
}

core::Result<std::int64_t> source_count(sqlite::Database& db, const std::string& table) {
  auto text = db.query_text("SELECT count(*) FROM " + sql_name(table));
  if (!text) return tl::unexpected(text.error());
  return std::stoll(*text);
}

// Runs `sql` server-wide on the target and returns the first column of its rows.
core::Result<std::vector<std::string>> target_column(postgres::PgStore& target,
                                                     const std::string& sql,
                                                     const std::vector<sql::Param>& params = {}) {
  std::vector<std::string> out;
  auto r = target.with_connection(TxMode::read_only, "",
                                  [&](postgres::PgConnection& c) -> core::Result<void> {
                                    auto rows = c.query(sql, params);
                                    if (!rows) return tl::unexpected(rows.error());
                                    for (int i = 0; i < rows->rows(); ++i)
                                      out.push_back(rows->text(i, 0));
                                    return {};
                                  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<std::int64_t> target_count(postgres::PgStore& target, const std::string& table) {
  auto rows = target_column(target, "SELECT count(*) FROM " + sql_name(table));
  if (!rows) return tl::unexpected(rows.error());
  return std::stoll(rows->front());
}

core::Result<void> same_columns(postgres::PgStore& target, const std::string& table,
                                const std::vector<std::string>& columns) {
  auto theirs = target_column(target,
                              "SELECT column_name::text FROM information_schema.columns WHERE "
                              "table_schema = current_schema() AND table_name = $1",
                              {std::string_view(table)});
  if (!theirs) return tl::unexpected(theirs.error());
  const std::set<std::string> a(columns.begin(), columns.end());
  const std::set<std::string> b(theirs->begin(), theirs->end());
  if (a != b) {
    return core::fail(ErrorCode::internal,
                      "table " + table +
                          " has different columns in SQLite and PostgreSQL; run the same praxis "
                          "version against both");
  }
  return {};
}

// One batch of rows: the values own their bytes (a deque never moves its elements, so
// the parameters may point into them).
struct Batch {
  std::deque<std::string> texts;
  std::deque<std::vector<std::uint8_t>> blobs;
  std::vector<sql::Param> params;
  std::size_t rows = 0;

  void clear() {
    texts.clear();
    blobs.clear();
    params.clear();
    rows = 0;
  }
  void add_row(sqlite3_stmt* stmt, int columns) {
    for (int i = 0; i < columns; ++i) {
      switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_NULL:
          params.emplace_back(std::monostate{});
          break;
        case SQLITE_INTEGER:
          params.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, i)));
          break;
        case SQLITE_BLOB: {
          const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
          blobs.emplace_back(p, p + sqlite3_column_bytes(stmt, i));
          params.emplace_back(std::span<const std::uint8_t>(blobs.back()));
          break;
        }
        default: {  // TEXT (and REAL, as its text)
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
          texts.emplace_back(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
          params.emplace_back(std::string_view(texts.back()));
          break;
        }
      }
    }
    ++rows;
  }
};

std::string insert_sql(const std::string& table, const std::vector<std::string>& columns,
                       std::size_t rows) {
  std::string sql = "INSERT INTO " + sql_name(table) + " (";
  for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + sql_name(columns[i]);
  sql += ") VALUES ";
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", $" : "$") + std::to_string(++n);
    }
    sql += ")";
  }
  return sql + " ON CONFLICT DO NOTHING";
}

core::Result<std::int64_t> copy_table(sqlite::Database& db, postgres::PgStore& target,
                                      const std::string& table,
                                      const std::vector<std::string>& columns, std::int64_t total,
                                      const CopyProgress& progress) {
  std::string select = "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i) select += (i ? ", " : "") + sql_name(columns[i]);
  auto stmt = prepare(db, select + " FROM " + sql_name(table));
  if (!stmt) return tl::unexpected(stmt.error());
  // PostgreSQL takes at most 65,535 parameters per statement.
  const std::size_t per_batch = std::clamp<std::size_t>(60000 / columns.size(), 1, 500);
  const int ncols = static_cast<int>(columns.size());
  Batch batch;
  std::int64_t done = 0;
  std::int64_t inserted = 0;
  auto flush = [&]() -> core::Result<void> {
    if (batch.rows == 0) return {};
    const std::string sql = insert_sql(table, columns, batch.rows);
    auto r = target.with_connection(TxMode::read_write, "",
                                    [&](postgres::PgConnection& c) -> core::Result<void> {
                                      auto result = c.query(sql, batch.params);
                                      if (!result) return tl::unexpected(result.error());
                                      inserted += result->affected();
                                      return {};
                                    });
    if (!r) return r;
    done += static_cast<std::int64_t>(batch.rows);
    batch.clear();
    if (progress) progress(table, done, total);
    return {};
  };
  int rc = 0;
  while ((rc = sqlite3_step(stmt->get())) == SQLITE_ROW) {
    batch.add_row(stmt->get(), ncols);
    if (batch.rows == per_batch) {
      if (auto r = flush(); !r) return tl::unexpected(r.error());
    }
  }
  if (rc != SQLITE_DONE) return tl::unexpected(sqlite_failure(db.handle(), "read " + table));
  if (auto r = flush(); !r) return tl::unexpected(r.error());
  return inserted;
}

core::Result<sqlite::Database> open_source(const std::filesystem::path& file) {
  sqlite::OpenOptions options;
  options.mode = sqlite::OpenMode::read_only;
  auto db = sqlite::Database::open(file, options);
  if (!db) return tl::unexpected(db.error());
  // One snapshot for the whole copy.
  if (auto r = db->exec("BEGIN"); !r) return tl::unexpected(r.error());
  return db;
}

}  // namespace

core::Result<std::vector<TableCopy>> copy_sqlite_to_postgres(
    const std::filesystem::path& sqlite_file, postgres::PgStore& target,
    const CopyProgress& progress) {
  auto db = open_source(sqlite_file);
  if (!db) return tl::unexpected(db.error());
  auto tables = source_tables(*db);
  if (!tables) return tl::unexpected(tables.error());
  std::vector<TableCopy> out;
  for (const auto& table : *tables) {
    auto columns = source_columns(*db, table);
    if (!columns) return tl::unexpected(columns.error());
    if (auto r = same_columns(target, table, *columns); !r) return tl::unexpected(r.error());
    auto rows = source_count(*db, table);
    auto present = target_count(target, table);
    if (!rows || !present) return tl::unexpected(!rows ? rows.error() : present.error());
    TableCopy copy{table, *rows, 0};
    if (*present > *rows) {
      return core::fail(ErrorCode::conflict,
                        "the target already holds more rows in " + table + " (" +
                            std::to_string(*present) + ") than this installation (" +
                            std::to_string(*rows) + "): not an empty or partial copy of it");
    }
    if (*present < *rows) {
      auto copied = copy_table(*db, target, table, *columns, *rows, progress);
      if (!copied) return tl::unexpected(copied.error());
      copy.copied = *copied;
    } else if (progress) {
      progress(table, *rows, *rows);
    }
    out.push_back(std::move(copy));
  }
  return out;
}

core::Result<std::vector<TableCount>> compare_counts(const std::filesystem::path& sqlite_file,
                                                     postgres::PgStore& target) {
  auto db = open_source(sqlite_file);
  if (!db) return tl::unexpected(db.error());
  auto tables = source_tables(*db);
  if (!tables) return tl::unexpected(tables.error());
  std::vector<TableCount> out;
  for (const auto& table : *tables) {
    auto rows = source_count(*db, table);
    auto present = target_count(target, table);
    if (!rows || !present) return tl::unexpected(!rows ? rows.error() : present.error());
    out.push_back({table, *rows, *present});
  }
  return out;
}

}  // namespace praxis::store
