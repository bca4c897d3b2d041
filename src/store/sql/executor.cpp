#include "store/sql/executor.hpp"

#include <charconv>

namespace praxis::store::sql {

std::int64_t Rows::int64(std::size_t row, int column) const {
  const auto& c = cell(row, column);
  if (c.is_integer) return c.integer;
  std::int64_t value = 0;
  std::from_chars(c.data.data(), c.data.data() + c.data.size(), value);
  return value;
}

std::vector<std::uint8_t> Rows::bytes(std::size_t row, int column) const {
  const auto& c = cell(row, column);
  if (c.is_integer) {
    const auto text = std::to_string(c.integer);
    return {text.begin(), text.end()};
  }
  return {c.data.begin(), c.data.end()};
}

std::optional<std::string> Rows::opt_text(std::size_t row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::optional<std::int64_t> Rows::opt_int64(std::size_t row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

std::optional<std::vector<std::uint8_t>> Rows::opt_bytes(std::size_t row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return bytes(row, column);
}

}  // namespace praxis::store::sql
