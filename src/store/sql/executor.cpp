#include "store/sql/executor.hpp"

#include <charconv>
#include <deque>

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

namespace {

// A row of a materialised result.
class CellsView final : public RowView {
 public:
  CellsView(const Rows& rows, std::size_t row) : rows_(rows), row_(row) {}
  bool is_null(int column) const override { return rows_.is_null(row_, column); }
  std::int64_t int64(int column) const override { return rows_.int64(row_, column); }
  std::string_view raw(int column) const override {
    if (auto data = rows_.data(row_, column)) return *data;
    return integers_.emplace_back(rows_.text(row_, column));
  }

 private:
  const Rows& rows_;
  std::size_t row_;
  mutable std::deque<std::string> integers_;  // the texts of integer cells asked for
};

}  // namespace

core::Result<void> Executor::each_row(std::string_view sql, std::span<const Param> params,
                                      const RowFn& row) {
  auto rows = run_params(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (auto r = row(CellsView(*rows, i)); !r) return r;
  }
  return {};
}

}  // namespace praxis::store::sql
