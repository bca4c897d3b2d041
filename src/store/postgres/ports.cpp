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
  return first_row(select("WHERE id = $1", id));
}

core::Result<std::optional<PracticeRow>> PgPracticePort::find_by_slug(std::string_view slug) {
  return first_row(select("WHERE slug = $1", slug));
}

core::Result<std::vector<PracticeRow>> PgPracticePort::list() {
  return select("ORDER BY slug", {});
}

namespace {
constexpr std::string_view kUserColumns =
    "id, practice_id, email, role, status, password_hash, totp_secret, totp_last_step, "
    "created_at, version";
}  // namespace

core::Result<void> PgUserPort::insert(const UserRow& row) {
  PgParam password = std::monostate{};
  PgParam secret = std::monostate{};
  PgParam step = std::monostate{};
  if (row.password_hash) password = std::string_view(*row.password_hash);
  if (row.totp_secret) secret = std::span<const std::uint8_t>(*row.totp_secret);
  if (row.totp_last_step) step = *row.totp_last_step;
  auto r = c_.query(
      "INSERT INTO users(" + std::string(kUserColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {std::string_view(row.id), std::string_view(row.practice_id), std::string_view(row.email),
       std::string_view(row.role), std::string_view(row.status), password, secret, step,
       std::string_view(row.created_at), row.version});
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "this e-mail address already has an account",
                      r.error().internal);
  }
  if (!r) return tl::unexpected(r.error());
  return {};
}

core::Result<std::vector<UserRow>> PgUserPort::select(std::string_view where,
                                                      const std::vector<PgParam>& params) {
  auto r =
      c_.query("SELECT " + std::string(kUserColumns) + " FROM users " + std::string(where), params);
  if (!r) return tl::unexpected(r.error());
  std::vector<UserRow> rows;
  for (int i = 0; i < r->rows(); ++i) {
    UserRow u;
    u.id = r->text(i, 0);
    u.practice_id = r->text(i, 1);
    u.email = r->text(i, 2);
    u.role = r->text(i, 3);
    u.status = r->text(i, 4);
    if (!r->is_null(i, 5)) u.password_hash = r->text(i, 5);
    if (!r->is_null(i, 6)) u.totp_secret = r->bytes(i, 6);
    if (!r->is_null(i, 7)) u.totp_last_step = r->int64(i, 7);
    u.created_at = r->text(i, 8);
    u.version = r->int64(i, 9);
    rows.push_back(std::move(u));
  }
  return rows;
}

core::Result<std::optional<UserRow>> PgUserPort::find(std::string_view practice_id,
                                                      std::string_view id) {
  return first_row(select("WHERE practice_id = $1 AND id = $2", {practice_id, id}));
}

core::Result<std::optional<UserRow>> PgUserPort::find_by_email(std::string_view email) {
  return first_row(select("WHERE email = $1", {email}));
}

core::Result<std::vector<UserRow>> PgUserPort::list(std::string_view practice_id) {
  return select("WHERE practice_id = $1 ORDER BY email", {practice_id});
}

core::Result<void> PgEnrolmentTokenPort::insert(const EnrolmentTokenRow& row) {
  PgParam used = std::monostate{};
  if (row.used_at) used = std::string_view(*row.used_at);
  auto r = c_.query(
      "INSERT INTO enrolment_tokens(token_hash, practice_id, user_id, expires_at, used_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {std::span<const std::uint8_t>(row.token_hash), std::string_view(row.practice_id),
       std::string_view(row.user_id), std::string_view(row.expires_at), used});
  if (!r) return tl::unexpected(r.error());
  return {};
}

core::Result<std::optional<EnrolmentTokenRow>> PgEnrolmentTokenPort::find(
    std::span<const std::uint8_t> token_hash) {
  auto r = c_.query(
      "SELECT token_hash, practice_id, user_id, expires_at, used_at FROM enrolment_tokens "
      "WHERE token_hash = $1",
      {token_hash});
  if (!r) return tl::unexpected(r.error());
  if (r->rows() == 0) return std::optional<EnrolmentTokenRow>();
  EnrolmentTokenRow t{r->bytes(0, 0), r->text(0, 1), r->text(0, 2), r->text(0, 3), std::nullopt};
  if (!r->is_null(0, 4)) t.used_at = r->text(0, 4);
  return std::optional<EnrolmentTokenRow>(std::move(t));
}

core::Result<void> PgEnrolmentTokenPort::mark_used(std::span<const std::uint8_t> token_hash,
                                                   std::string_view at) {
  auto r =
      c_.query("UPDATE enrolment_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
               {token_hash, at});
  if (!r) return tl::unexpected(r.error());
  if (r->affected() != 1)
    return core::fail(ErrorCode::conflict, "this enrolment link was used already");
  return {};
}

}  // namespace praxis::store::postgres
