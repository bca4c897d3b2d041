#include "store/postgres/executor.hpp"

namespace praxis::store::postgres {

core::Result<sql::Rows> PgExecutor::run_params(std::string_view sql,
                                               std::span<const sql::Param> params) {
  auto r = c_.query(sql, std::vector<PgParam>(params.begin(), params.end()));
  if (!r) return tl::unexpected(r.error());
  sql::Rows rows;
  const int columns = r->columns();
  rows.set_columns(static_cast<std::size_t>(columns));
  for (int i = 0; i < r->rows(); ++i) {
    for (int c = 0; c < columns; ++c) {
      auto& cell = rows.append_cell();
      if (r->is_null(i, c)) continue;
      cell.null = false;
      if (r->is_bytea(c)) {
        const auto bytes = r->bytes(i, c);
        cell.data.assign(bytes.begin(), bytes.end());
      } else {
        cell.data = r->text(i, c);
      }
    }
    rows.end_row();
  }
  rows.set_affected(r->affected());
  return rows;
}

}  // namespace praxis::store::postgres
