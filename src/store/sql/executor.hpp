#pragma once
// The dialect-neutral way ports talk SQL. Most port methods need nothing dialect-
// specific, so they are written once (src/store/sql/ports.cpp) against this
// interface, which SQLite and PostgreSQL each implement over one connection.
//
// SQL text uses $1, $2, … placeholders in both dialects (SQLite's adapter rewrites them
// to ?1, ?2, …). Parameters always travel separately from the SQL text (ASVS 5.3.4).
// Results are read row by row into the caller's structures (each_row), or materialised
// (run: for statements whose rows a caller only counts or looks at once).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace praxis::store::sql {

// One parameter: NULL, text, integer or bytes.
using Param =
    std::variant<std::monostate, std::string_view, std::int64_t, std::span<const std::uint8_t>>;

inline Param nullable(const std::optional<std::string>& v) {
  return v ? Param(std::string_view(*v)) : Param(std::monostate{});
}
inline Param nullable(const std::optional<std::int64_t>& v) {
  return v ? Param(*v) : Param(std::monostate{});
}
inline Param nullable(const std::optional<std::vector<std::uint8_t>>& v) {
  return v ? Param(std::span<const std::uint8_t>(*v)) : Param(std::monostate{});
}

class Rows {
 public:
  struct Cell {
    bool null = true;
    bool is_integer = false;  // `integer` holds the value; its text is made when asked for
    std::int64_t integer = 0;
    std::string data;  // text or raw bytes (empty for an integer)

    void set_integer(std::int64_t v) {
      is_integer = true;
      integer = v;
    }
  };

  std::size_t size() const { return rows_; }
  bool empty() const { return rows_ == 0; }
  // Rows an INSERT/UPDATE/DELETE touched (0 for a SELECT).
  std::int64_t affected() const { return affected_; }

  bool is_null(std::size_t row, int column) const { return cell(row, column).null; }
  // An integer cell reads as its decimal text.
  std::string text(std::size_t row, int column) const {
    const Cell& c = cell(row, column);
    return c.is_integer ? std::to_string(c.integer) : c.data;
  }
  // The text or bytes a cell holds, seen in place; nullopt for an integer cell.
  std::optional<std::string_view> data(std::size_t row, int column) const {
    const Cell& c = cell(row, column);
    return c.is_integer ? std::nullopt : std::optional<std::string_view>(c.data);
  }
  std::int64_t int64(std::size_t row, int column) const;
  std::vector<std::uint8_t> bytes(std::size_t row, int column) const;

  // For adapters building a result: set the column count, then append each row's cells.
  void set_columns(std::size_t n) { columns_ = n; }
  Cell& append_cell() { return cells_.emplace_back(); }
  void end_row() { ++rows_; }
  void set_affected(std::int64_t n) { affected_ = n; }

 private:
  const Cell& cell(std::size_t row, int column) const {
    const auto c = static_cast<std::size_t>(column);
    if (row >= rows_ || c >= columns_) throw std::out_of_range("sql::Rows: no such cell");
    return cells_[row * columns_ + c];
  }
  std::vector<Cell> cells_;  // row-major
  std::size_t columns_ = 0;
  std::size_t rows_ = 0;
  std::int64_t affected_ = 0;
};

// One row of a result while it is read (Executor::each_row): what it returns is valid
// until the callback returns.
class RowView {
 public:
  virtual bool is_null(int column) const = 0;
  virtual std::int64_t int64(int column) const = 0;
  // Text as is, a blob's raw bytes, an integer as its decimal text.
  virtual std::string_view raw(int column) const = 0;

  std::string text(int column) const { return std::string(raw(column)); }
  std::vector<std::uint8_t> bytes(int column) const {
    const auto r = raw(column);
    return {r.begin(), r.end()};
  }
  std::optional<std::string> opt_text(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::string>(text(column));
  }
  std::optional<std::int64_t> opt_int64(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::int64_t>(int64(column));
  }
  std::optional<std::vector<std::uint8_t>> opt_bytes(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::vector<std::uint8_t>>(bytes(column));
  }

 protected:
  ~RowView() = default;
};

class Executor {
 public:
  using RowFn = std::function<core::Result<void>(const RowView&)>;

  virtual ~Executor() = default;
  // Runs one statement. Errors as in store.hpp: conflict for constraint violations,
  // unavailable (maybe transient) for storage failures.
  [[nodiscard]] virtual core::Result<Rows> run_params(std::string_view sql,
                                                      std::span<const Param> params) = 0;
  [[nodiscard]] core::Result<Rows> run(std::string_view sql,
                                       std::initializer_list<Param> params = {}) {
    return run_params(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs one query and calls `row` for each row as it is read, stopping at the first
  // error `row` returns: how the ports read rows into their own structures, with no
  // materialised copy of the result in between (SQLite reads each value in place; a
  // search reads twenty patient rows). This default reads through run_params.
  [[nodiscard]] virtual core::Result<void> each_row(std::string_view sql,
                                                    std::span<const Param> params,
                                                    const RowFn& row);
  // Rows one INSERT of many rows carries (insert_rows in ports.cpp): several spare
  // PostgreSQL round trips.
  virtual std::size_t rows_per_insert() const { return 32; }
  // Whether tables have a rowid that finds a row in one descent of the table's B-tree
  // (SQLite): the blind index keeps it next to each entry's patient id.
  virtual bool has_rowids() const { return false; }
};

}  // namespace praxis::store::sql
