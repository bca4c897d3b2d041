#include "store/sqlite/ports.hpp"

#include <sqlite3.h>

#include "store/sqlite/statement.hpp"

namespace praxis::store::sqlite {

using core::ErrorCode;

core::Result<std::optional<std::string>> SqliteMetaPort::get(std::string_view key) {
  auto stmt = Statement::cached(db_, "SELECT value FROM server_meta WHERE key = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->column_text(0));
}

core::Result<void> SqliteMetaPort::put(std::string_view key, std::string_view value) {
  auto stmt = Statement::cached(db_,
                                "INSERT INTO server_meta(key, value) VALUES (?1, ?2) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key).bind(2, value);
  return stmt->run();
}

namespace {

constexpr std::string_view kColumns = "owner, key_id, version, wrapping_key_id, sealed";

WrappedKeyRow read_row(const Statement& stmt) {
  return WrappedKeyRow{stmt.column_text(0), static_cast<std::uint64_t>(stmt.column_int64(1)),
                       static_cast<std::uint32_t>(stmt.column_int64(2)),
                       static_cast<std::uint64_t>(stmt.column_int64(3)), stmt.column_blob(4)};
}

void bind_row(Statement& stmt, const WrappedKeyRow& row) {
  stmt.bind(1, row.owner)
      .bind(2, static_cast<std::int64_t>(row.key_id))
      .bind(3, static_cast<std::int64_t>(row.version))
      .bind(4, static_cast<std::int64_t>(row.wrapping_key_id))
      .bind(5, row.sealed);
}

}  // namespace

core::Result<std::vector<WrappedKeyRow>> SqliteMasterWrappedKeyPort::list() {
  auto stmt = Statement::cached(
      db_, "SELECT " + std::string(kColumns) + " FROM master_wrapped_keys ORDER BY owner");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<WrappedKeyRow> rows;
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return rows;
    rows.push_back(read_row(*stmt));
  }
}

core::Result<std::optional<WrappedKeyRow>> SqliteMasterWrappedKeyPort::find(
    std::string_view owner) {
  auto stmt = Statement::cached(
      db_, "SELECT " + std::string(kColumns) + " FROM master_wrapped_keys WHERE owner = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, owner);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<WrappedKeyRow>();
  return std::optional<WrappedKeyRow>(read_row(*stmt));
}

core::Result<void> SqliteMasterWrappedKeyPort::insert(const WrappedKeyRow& row) {
  auto stmt = Statement::cached(db_, "INSERT INTO master_wrapped_keys(" + std::string(kColumns) +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return tl::unexpected(stmt.error());
  bind_row(*stmt, row);
  auto r = stmt->run();
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "a key for " + row.owner + " already exists",
                      r.error().internal);
  }
  return r;
}

core::Result<void> SqliteMasterWrappedKeyPort::update(const WrappedKeyRow& row) {
  auto stmt = Statement::cached(
      db_,
      "UPDATE master_wrapped_keys SET key_id = ?2, version = ?3, wrapping_key_id = ?4, "
      "sealed = ?5, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE owner = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  bind_row(*stmt, row);
  if (auto r = stmt->run(); !r) return r;
  if (sqlite3_changes(db_.handle()) != 1) {
    return core::fail(ErrorCode::not_found, "no key for " + row.owner);
  }
  return {};
}

namespace {
constexpr std::string_view kPracticeColumns =
    "id, slug, name, kind, street, postcode, city, bsnr, state, created_at, version";
}  // namespace

core::Result<void> SqlitePracticePort::insert(const PracticeRow& row) {
  auto stmt = Statement::cached(db_, "INSERT INTO practices(" + std::string(kPracticeColumns) +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, row.id).bind(2, row.slug).bind(3, row.name).bind(4, row.kind).bind(5, row.street);
  stmt->bind(6, row.postcode).bind(7, row.city).bind(9, row.state).bind(10, row.created_at);
  stmt->bind(11, row.version);
  if (row.bsnr) stmt->bind(8, std::string_view(*row.bsnr));
  auto r = stmt->run();
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "the address /book/" + row.slug + " is already taken",
                      r.error().internal);
  }
  return r;
}

core::Result<std::vector<PracticeRow>> SqlitePracticePort::select(std::string_view where,
                                                                  std::string_view arg) {
  auto stmt = Statement::cached(
      db_, "SELECT " + std::string(kPracticeColumns) + " FROM practices " + std::string(where));
  if (!stmt) return tl::unexpected(stmt.error());
  if (!arg.empty()) stmt->bind(1, arg);
  std::vector<PracticeRow> rows;
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return rows;
    PracticeRow p{stmt->column_text(0), stmt->column_text(1),  stmt->column_text(2),
                  stmt->column_text(3), stmt->column_text(4),  stmt->column_text(5),
                  stmt->column_text(6), std::nullopt,          stmt->column_text(8),
                  stmt->column_text(9), stmt->column_int64(10)};
    if (!stmt->column_is_null(7)) p.bsnr = stmt->column_text(7);
    rows.push_back(std::move(p));
  }
}

core::Result<std::optional<PracticeRow>> SqlitePracticePort::find(std::string_view id) {
  return first_row(select("WHERE id = ?1", id));
}

core::Result<std::optional<PracticeRow>> SqlitePracticePort::find_by_slug(std::string_view slug) {
  return first_row(select("WHERE slug = ?1", slug));
}

core::Result<std::vector<PracticeRow>> SqlitePracticePort::list() {
  return select("ORDER BY slug", {});
}

namespace {
constexpr std::string_view kUserColumns =
    "id, practice_id, email, role, status, password_hash, totp_secret, totp_last_step, "
    "created_at, version";
}  // namespace

core::Result<void> SqliteUserPort::insert(const UserRow& row) {
  auto stmt = Statement::cached(db_, "INSERT INTO users(" + std::string(kUserColumns) +
                                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, row.id).bind(2, row.practice_id).bind(3, row.email).bind(4, row.role);
  stmt->bind(5, row.status).bind(9, row.created_at).bind(10, row.version);
  if (row.password_hash) stmt->bind(6, std::string_view(*row.password_hash));
  if (row.totp_secret) stmt->bind(7, std::span<const std::uint8_t>(*row.totp_secret));
  if (row.totp_last_step) stmt->bind(8, *row.totp_last_step);
  auto r = stmt->run();
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "this e-mail address already has an account",
                      r.error().internal);
  }
  return r;
}

core::Result<std::vector<UserRow>> SqliteUserPort::select(std::string_view where,
                                                          std::string_view a, std::string_view b) {
  auto stmt = Statement::cached(
      db_, "SELECT " + std::string(kUserColumns) + " FROM users " + std::string(where));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, a);
  if (!b.empty()) stmt->bind(2, b);
  std::vector<UserRow> rows;
  while (true) {
    auto more = stmt->step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return rows;
    UserRow u;
    u.id = stmt->column_text(0);
    u.practice_id = stmt->column_text(1);
    u.email = stmt->column_text(2);
    u.role = stmt->column_text(3);
    u.status = stmt->column_text(4);
    if (!stmt->column_is_null(5)) u.password_hash = stmt->column_text(5);
    if (!stmt->column_is_null(6)) u.totp_secret = stmt->column_blob(6);
    if (!stmt->column_is_null(7)) u.totp_last_step = stmt->column_int64(7);
    u.created_at = stmt->column_text(8);
    u.version = stmt->column_int64(9);
    rows.push_back(std::move(u));
  }
}

core::Result<std::optional<UserRow>> SqliteUserPort::find(std::string_view practice_id,
                                                          std::string_view id) {
  return first_row(select("WHERE practice_id = ?1 AND id = ?2", practice_id, id));
}

core::Result<std::optional<UserRow>> SqliteUserPort::find_by_email(std::string_view email) {
  return first_row(select("WHERE email = ?1", email, {}));
}

core::Result<std::vector<UserRow>> SqliteUserPort::list(std::string_view practice_id) {
  return select("WHERE practice_id = ?1 ORDER BY email", practice_id, {});
}

core::Result<void> SqliteEnrolmentTokenPort::insert(const EnrolmentTokenRow& row) {
  auto stmt = Statement::cached(
      db_,
      "INSERT INTO enrolment_tokens(token_hash, practice_id, user_id, expires_at, used_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, std::span<const std::uint8_t>(row.token_hash))
      .bind(2, row.practice_id)
      .bind(3, row.user_id)
      .bind(4, row.expires_at);
  if (row.used_at) stmt->bind(5, std::string_view(*row.used_at));
  return stmt->run();
}

core::Result<std::optional<EnrolmentTokenRow>> SqliteEnrolmentTokenPort::find(
    std::span<const std::uint8_t> token_hash) {
  auto stmt = Statement::cached(
      db_,
      "SELECT token_hash, practice_id, user_id, expires_at, used_at FROM enrolment_tokens "
      "WHERE token_hash = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, token_hash);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<EnrolmentTokenRow>();
  EnrolmentTokenRow t{stmt->column_blob(0), stmt->column_text(1), stmt->column_text(2),
                      stmt->column_text(3), std::nullopt};
  if (!stmt->column_is_null(4)) t.used_at = stmt->column_text(4);
  return std::optional<EnrolmentTokenRow>(std::move(t));
}

core::Result<void> SqliteEnrolmentTokenPort::mark_used(std::span<const std::uint8_t> token_hash,
                                                       std::string_view at) {
  auto stmt = Statement::cached(
      db_, "UPDATE enrolment_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, token_hash).bind(2, at);
  if (auto r = stmt->run(); !r) return r;
  if (sqlite3_changes(db_.handle()) != 1) {
    return core::fail(ErrorCode::conflict, "this enrolment link was used already");
  }
  return {};
}

}  // namespace praxis::store::sqlite
