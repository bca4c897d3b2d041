#include "store/postgres/ports.hpp"

namespace praxis::store::postgres {

using core::ErrorCode;

namespace {
constexpr std::string_view kPracticeColumns =
    "id, slug, name, kind, street, postcode, city, bsnr, state, created_at, version";
}  // namespace

core::Result<void> PgPracticePort::insert(const PracticeRow& row) {
  PgParam bsnr = std::monostate{};
  if (row.bsnr) bsnr = std::string_view(*row.bsnr);
  auto r =
      c_.query("INSERT INTO practices(" + std::string(kPracticeColumns) +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
               {std::string_view(row.id), std::string_view(row.slug), std::string_view(row.name),
                std::string_view(row.kind), std::string_view(row.street),
                std::string_view(row.postcode), std::string_view(row.city), bsnr,
                std::string_view(row.state), std::string_view(row.created_at), row.version});
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "the address /book/" + row.slug + " is already taken",
                      r.error().internal);
  }
  if (!r) return tl::unexpected(r.error());
  return {};
}

core::Result<std::vector<PracticeRow>> PgPracticePort::select(std::string_view where,
                                                              std::string_view arg) {
  const std::string sql =
      "SELECT " + std::string(kPracticeColumns) + " FROM practices " + std::string(where);
  auto r = arg.empty() ? c_.query(sql) : c_.query(sql, {arg});
  if (!r) return tl::unexpected(r.error());
  std::vector<PracticeRow> rows;
  for (int i = 0; i < r->rows(); ++i) {
    PracticeRow p{r->text(i, 0), r->text(i, 1), r->text(i, 2),  r->text(i, 3),
                  r->text(i, 4), r->text(i, 5), r->text(i, 6),  std::nullopt,
                  r->text(i, 8), r->text(i, 9), r->int64(i, 10)};
    if (!r->is_null(i, 7)) p.bsnr = r->text(i, 7);
    rows.push_back(std::move(p));
  }
  return rows;
}

core::Result<std::optional<PracticeRow>> PgPracticePort::find(std::string_view id) {
  auto rows = select("WHERE id = $1", id);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<PracticeRow>();
  return std::optional<PracticeRow>(std::move(rows->front()));
}

core::Result<std::optional<PracticeRow>> PgPracticePort::find_by_slug(std::string_view slug) {
  auto rows = select("WHERE slug = $1", slug);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<PracticeRow>();
  return std::optional<PracticeRow>(std::move(rows->front()));
}

core::Result<std::vector<PracticeRow>> PgPracticePort::list() {
  return select("ORDER BY slug", {});
}

}  // namespace praxis::store::postgres
