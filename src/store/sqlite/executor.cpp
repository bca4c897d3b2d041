#include "store/sqlite/executor.hpp"

#include <sqlite3.h>

#include "store/sqlite/statement.hpp"

namespace praxis::store::sqlite {

namespace {

// The current row of a statement.
class StatementRow final : public sql::RowView {
 public:
  explicit StatementRow(const Statement& stmt) : stmt_(stmt) {}
  bool is_null(int column) const override { return stmt_.column_is_null(column); }
  std::int64_t int64(int column) const override { return stmt_.column_int64(column); }
  std::string_view raw(int column) const override { return stmt_.column_view(column); }

 private:
  const Statement& stmt_;
};

}  // namespace

core::Result<Statement> SqliteExecutor::bound(std::string_view sql,
                                              std::span<const sql::Param> params) {
  std::string text(sql);
  for (char& c : text) {
    if (c == '$') c = '?';
  }
  auto stmt = Statement::cached(db_, text);
  if (!stmt) return tl::unexpected(stmt.error());
  int index = 1;
  for (const auto& param : params) {
    std::visit(
        [&](const auto& p) {
          using P = std::decay_t<decltype(p)>;
          if constexpr (!std::is_same_v<P, std::monostate>) stmt->bind(index, p);
        },
        param);
    ++index;
  }
  return stmt;
}

core::Result<void> SqliteExecutor::each_row(std::string_view sql,
                                            std::span<const sql::Param> params, const RowFn& row) {
  auto stmt = bound(sql, params);
  if (!stmt) return tl::unexpected(stmt.error());
  const StatementRow view(*stmt);
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return {};
    if (auto r = row(view); !r) return r;
  }
}

core::Result<sql::Rows> SqliteExecutor::run_params(std::string_view sql,
                                                   std::span<const sql::Param> params) {
  auto stmt = bound(sql, params);
  if (!stmt) return tl::unexpected(stmt.error());
  sql::Rows rows;
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) break;
    const int columns = stmt->column_count();
    rows.set_columns(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      auto& cell = rows.append_cell();
      if (stmt->column_is_null(c)) continue;
      cell.null = false;
      if (stmt->column_is_integer(c)) {
        cell.set_integer(stmt->column_int64(c));  // no text round trip through SQLite
      } else {
        cell.data = stmt->column_raw(c);
      }
    }
    rows.end_row();
  }
  if (stmt->column_count() == 0) rows.set_affected(sqlite3_changes(db_.handle()));
  return rows;
}

}  // namespace praxis::store::sqlite
