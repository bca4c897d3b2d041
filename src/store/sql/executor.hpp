#pragma once
// The dialect-neutral way ports talk SQL. Most port methods need nothing dialect-
// specific, so they are written once (src/store/sql/ports.cpp) against this
// interface, which SQLite and PostgreSQL each implement over one connection.
//
// SQL text uses $1, $2, … placeholders in both dialects (SQLite's adapter rewrites them
// to ?1, ?2, …). Parameters always travel separately from the SQL text (ASVS 5.3.4).
// Results are materialised: fine for the small row sets of lookups and lists.

#include <cstdint>
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
  // The text moved out of the cell, which is empty afterwards: for readers that look at
  // each cell once and read many rows (the audit trail's entries).
  std::string take_text(std::size_t row, int column) {
    Cell& c = cell(row, column);
    return c.is_integer ? std::to_string(c.integer) : std::move(c.data);
  }
  std::int64_t int64(std::size_t row, int column) const;
  std::vector<std::uint8_t> bytes(std::size_t row, int column) const;
  std::optional<std::string> opt_text(std::size_t row, int column) const;
  std::optional<std::int64_t> opt_int64(std::size_t row, int column) const;
  std::optional<std::vector<std::uint8_t>> opt_bytes(std::size_t row, int column) const;

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
  Cell& cell(std::size_t row, int column) {
    return const_cast<Cell&>(std::as_const(*this).cell(row, column));
  }
  std::vector<Cell> cells_;  // row-major
  std::size_t columns_ = 0;
  std::size_t rows_ = 0;
  std::int64_t affected_ = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs one statement. Errors as in store.hpp: conflict for constraint violations,
  // unavailable (maybe transient) for storage failures.
  [[nodiscard]] virtual core::Result<Rows> run_params(std::string_view sql,
                                                      std::span<const Param> params) = 0;
  [[nodiscard]] core::Result<Rows> run(std::string_view sql,
                                       std::initializer_list<Param> params = {}) {
    return run_params(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Rows one INSERT of many rows carries (insert_rows in ports.cpp): several spare
  // PostgreSQL round trips.
  virtual std::size_t rows_per_insert() const { return 32; }
};

}  // namespace praxis::store::sql
