#include "store/sql/ports.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>
#include <unordered_map>

namespace praxis::store::sql {

using core::ErrorCode;

namespace {

using Bytes = std::span<const std::uint8_t>;

// Turns a failed UPDATE … WHERE version = $n into not_found or precondition_failed.
core::Result<void> versioned_update_outcome(Executor& x, const Rows& updated,
                                            std::string_view table, std::string_view id_sql,
                                            std::initializer_list<Param> id_params) {
  if (updated.affected() == 1) return {};
  auto exists =
      x.run("SELECT 1 FROM " + std::string(table) + " WHERE " + std::string(id_sql), id_params);
  if (!exists) return tl::unexpected(exists.error());
  if (exists->empty()) return core::fail(ErrorCode::not_found, "Nicht gefunden. / Not found.");
  return core::fail(ErrorCode::precondition_failed,
                    "Der Datensatz wurde inzwischen geändert; bitte neu laden. / "
                    "The record was changed meanwhile; please reload.");
}

// The rows of a query, each read by `read` as it comes (Executor::each_row): no
// materialised copy of the result in between.
template <typename Row, typename Read>
core::Result<std::vector<Row>> read_each(Executor& x, std::string_view sql,
                                         std::span<const Param> params, Read read) {
  std::vector<Row> out;
  auto r = x.each_row(sql, params, [&](const RowView& row) -> core::Result<void> {
    out.push_back(read(row));
    return {};
  });
  if (!r) return tl::unexpected(r.error());
  return out;
}

template <typename Row, typename Read>
core::Result<std::vector<Row>> read_each(Executor& x, std::string_view sql,
                                         std::initializer_list<Param> params, Read read) {
  return read_each<Row>(x, sql, std::span<const Param>(params.begin(), params.size()), read);
}

core::Result<bool> touched_one(core::Result<Rows> rows) {
  if (!rows) return tl::unexpected(rows.error());
  return rows->affected() > 0;
}

core::Result<void> done(core::Result<Rows> rows) {
  if (!rows) return tl::unexpected(rows.error());
  return {};
}

// Inserts rows of `columns` parameters each (`params` row-major) with a multi-row VALUES
// list, up to Executor::rows_per_insert() rows per statement: on PostgreSQL one round
// trip where there were as many as rows. `head` is "INSERT INTO t(a, b)", `tail` what
// follows the list (" ON CONFLICT DO NOTHING"). Few distinct texts, so each stays prepared.
// A failure may leave the call's earlier rows inserted (SQLite: one row per statement):
// every caller fails its job on an error, which rolls them back.

core::Result<void> insert_rows(Executor& x, std::string_view head, std::size_t columns,
                               std::span<const Param> params, std::string_view tail = {}) {
  const std::size_t rows = params.size() / columns;
  const std::size_t per_insert = x.rows_per_insert();
  std::string sql;
  std::size_t built = 0;  // rows of the text in `sql`: every chunk but the last has as many
  for (std::size_t first = 0; first < rows; first += per_insert) {
    const std::size_t n = std::min(per_insert, rows - first);
    if (n != built) {
      built = n;
      sql.assign(head);
      sql += " VALUES ";
      for (std::size_t r = 0; r < n; ++r) {
        sql += r == 0 ? "(" : ", (";
        for (std::size_t c = 0; c < columns; ++c) {
          if (c != 0) sql += ", ";
          sql += '$';
          sql += std::to_string(r * columns + c + 1);
        }
        sql += ')';
      }
      sql += tail;
    }
    if (auto r = x.run_params(sql, params.subspan(first * columns, n * columns)); !r) {
      return tl::unexpected(r.error());
    }
  }
  return {};
}

// ---- practices ----

constexpr std::string_view kPracticeColumns =
    "id, slug, name, kind, street, postcode, city, bsnr, state, created_at, version, "
    "reception_second_factor_optional";

PracticeRow read_practice(const RowView& r) {
  PracticeRow p;
  p.id = r.text(0);
  p.slug = r.text(1);
  p.name = r.text(2);
  p.kind = r.text(3);
  p.street = r.text(4);
  p.postcode = r.text(5);
  p.city = r.text(6);
  p.bsnr = r.opt_text(7);
  p.state = r.text(8);
  p.created_at = r.text(9);
  p.version = r.int64(10);
  p.reception_second_factor_optional = r.int64(11) != 0;
  return p;
}

}  // namespace

core::Result<void> SqlPracticePort::insert(const PracticeRow& row) {
  auto r = x_.run("INSERT INTO practices(" + std::string(kPracticeColumns) +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                  {row.id, row.slug, row.name, row.kind, row.street, row.postcode, row.city,
                   nullable(row.bsnr), row.state, row.created_at, row.version,
                   std::int64_t{row.reception_second_factor_optional ? 1 : 0}});
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "the address /book/" + row.slug + " is already taken",
                      r.error().internal);
  }
  return done(std::move(r));
}

core::Result<std::optional<PracticeRow>> SqlPracticePort::find(std::string_view id) {
  return first_row(read_each<PracticeRow>(
      x_, "SELECT " + std::string(kPracticeColumns) + " FROM practices WHERE id = $1", {id},
      read_practice));
}

core::Result<std::optional<PracticeRow>> SqlPracticePort::find_by_slug(std::string_view slug) {
  return first_row(read_each<PracticeRow>(
      x_, "SELECT " + std::string(kPracticeColumns) + " FROM practices WHERE slug = $1", {slug},
      read_practice));
}

core::Result<std::vector<PracticeRow>> SqlPracticePort::list() {
  return read_each<PracticeRow>(
      x_, "SELECT " + std::string(kPracticeColumns) + " FROM practices ORDER BY slug", {},
      read_practice);
}

core::Result<void> SqlPracticePort::update(const PracticeRow& row) {
  auto r = x_.run(
      "UPDATE practices SET name = $3, kind = $4, street = $5, postcode = $6, city = $7, "
      "bsnr = $8, state = $9, reception_second_factor_optional = $10, version = version + 1 "
      "WHERE id = $1 AND version = $2",
      {row.id, row.version, row.name, row.kind, row.street, row.postcode, row.city,
       nullable(row.bsnr), row.state, std::int64_t{row.reception_second_factor_optional ? 1 : 0}});
  if (!r) return tl::unexpected(r.error());
  return versioned_update_outcome(x_, *r, "practices", "id = $1", {row.id});
}

// ---- users ----

namespace {

constexpr std::string_view kUserColumns =
    "id, practice_id, email, role, status, password_hash, totp_secret, totp_last_step, "
    "created_at, version, display_name";

UserRow read_user(const RowView& r) {
  UserRow u;
  u.id = r.text(0);
  u.practice_id = r.text(1);
  u.email = r.text(2);
  u.role = r.text(3);
  u.status = r.text(4);
  u.password_hash = r.opt_text(5);
  u.totp_secret = r.opt_bytes(6);
  u.totp_last_step = r.opt_int64(7);
  u.created_at = r.text(8);
  u.version = r.int64(9);
  u.display_name = r.text(10);
  return u;
}

}  // namespace

core::Result<void> SqlUserPort::insert(const UserRow& row) {
  auto r = x_.run("INSERT INTO users(" + std::string(kUserColumns) +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                  {row.id, row.practice_id, row.email, row.role, row.status,
                   nullable(row.password_hash), nullable(row.totp_secret),
                   nullable(row.totp_last_step), row.created_at, row.version, row.display_name});
  if (!r && r.error().code == ErrorCode::conflict) {
    return core::fail(ErrorCode::conflict, "this e-mail address already has an account",
                      r.error().internal);
  }
  return done(std::move(r));
}

core::Result<std::optional<UserRow>> SqlUserPort::find(std::string_view practice_id,
                                                       std::string_view id) {
  return first_row(read_each<UserRow>(
      x_, "SELECT " + std::string(kUserColumns) + " FROM users WHERE practice_id = $1 AND id = $2",
      {practice_id, id}, read_user));
}

core::Result<std::optional<UserRow>> SqlUserPort::find_by_email(std::string_view email) {
  return first_row(
      read_each<UserRow>(x_, "SELECT " + std::string(kUserColumns) + " FROM users WHERE email = $1",
                         {email}, read_user));
}

core::Result<std::vector<UserRow>> SqlUserPort::list(std::string_view practice_id) {
  return read_each<UserRow>(
      x_,
      "SELECT " + std::string(kUserColumns) + " FROM users WHERE practice_id = $1 ORDER BY email",
      {practice_id}, read_user);
}

core::Result<void> SqlUserPort::update(const UserRow& row) {
  auto r = x_.run(
      "UPDATE users SET role = $4, status = $5, password_hash = $6, totp_secret = $7, "
      "display_name = $8, version = version + 1 "
      "WHERE practice_id = $1 AND id = $2 AND version = $3",
      {row.practice_id, row.id, row.version, row.role, row.status, nullable(row.password_hash),
       nullable(row.totp_secret), row.display_name});
  if (!r) return tl::unexpected(r.error());
  return versioned_update_outcome(x_, *r, "users", "practice_id = $1 AND id = $2",
                                  {row.practice_id, row.id});
}

core::Result<bool> SqlUserPort::advance_totp_step(std::string_view practice_id, std::string_view id,
                                                  std::int64_t step) {
  return touched_one(
      x_.run("UPDATE users SET totp_last_step = $3 WHERE practice_id = $1 AND id = $2 AND "
             "(totp_last_step IS NULL OR totp_last_step < $3)",
             {practice_id, id, step}));
}

// ---- enrolment tokens ----

namespace {

constexpr std::string_view kEnrolmentColumns =
    "token_hash, practice_id, user_id, expires_at, used_at, enrolled_at, failed_attempts";

EnrolmentTokenRow read_enrolment(const RowView& r) {
  EnrolmentTokenRow t;
  t.token_hash = r.bytes(0);
  t.practice_id = r.text(1);
  t.user_id = r.text(2);
  t.expires_at = r.text(3);
  t.used_at = r.opt_text(4);
  t.enrolled_at = r.opt_text(5);
  t.failed_attempts = r.int64(6);
  return t;
}

}  // namespace

core::Result<void> SqlEnrolmentTokenPort::insert(const EnrolmentTokenRow& row) {
  return done(x_.run("INSERT INTO enrolment_tokens(" + std::string(kEnrolmentColumns) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     {Bytes(row.token_hash), row.practice_id, row.user_id, row.expires_at,
                      nullable(row.used_at), nullable(row.enrolled_at), row.failed_attempts}));
}

core::Result<std::optional<EnrolmentTokenRow>> SqlEnrolmentTokenPort::find(Bytes token_hash) {
  return first_row(read_each<EnrolmentTokenRow>(
      x_,
      "SELECT " + std::string(kEnrolmentColumns) + " FROM enrolment_tokens WHERE token_hash = $1",
      {token_hash}, read_enrolment));
}

core::Result<void> SqlEnrolmentTokenPort::mark_used(Bytes token_hash, std::string_view at) {
  auto r = touched_one(
      x_.run("UPDATE enrolment_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
             {token_hash, at}));
  if (!r) return tl::unexpected(r.error());
  if (!*r) return core::fail(ErrorCode::conflict, "this enrolment link was used already");
  return {};
}

core::Result<void> SqlEnrolmentTokenPort::mark_enrolled(Bytes token_hash, std::string_view at) {
  auto r =
      touched_one(x_.run("UPDATE enrolment_tokens SET enrolled_at = $2 "
                         "WHERE token_hash = $1 AND used_at IS NULL AND enrolled_at IS NULL",
                         {token_hash, at}));
  if (!r) return tl::unexpected(r.error());
  if (!*r) return core::fail(ErrorCode::conflict, "this enrolment link was used already");
  return {};
}

core::Result<std::int64_t> SqlEnrolmentTokenPort::record_failure(Bytes token_hash) {
  auto r = x_.run(
      "UPDATE enrolment_tokens SET failed_attempts = failed_attempts + 1 WHERE token_hash = $1",
      {token_hash});
  if (!r) return tl::unexpected(r.error());
  auto row = find(token_hash);
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->failed_attempts : 0;
}

core::Result<void> SqlEnrolmentTokenPort::withdraw_for_user(std::string_view practice_id,
                                                            std::string_view user_id,
                                                            std::string_view at) {
  return done(
      x_.run("UPDATE enrolment_tokens SET used_at = $3 "
             "WHERE practice_id = $1 AND user_id = $2 AND used_at IS NULL",
             {practice_id, user_id, at}));
}

// ---- recovery codes ----

core::Result<void> SqlRecoveryCodePort::replace(
    std::string_view practice_id, std::string_view user_id,
    const std::vector<std::vector<std::uint8_t>>& code_hashes) {
  if (auto r = x_.run("DELETE FROM recovery_codes WHERE practice_id = $1 AND user_id = $2",
                      {practice_id, user_id});
      !r) {
    return tl::unexpected(r.error());
  }
  for (const auto& hash : code_hashes) {
    if (auto r = x_.run(
            "INSERT INTO recovery_codes(practice_id, user_id, code_hash) VALUES ($1, $2, $3)",
            {practice_id, user_id, Bytes(hash)});
        !r) {
      return tl::unexpected(r.error());
    }
  }
  return {};
}

core::Result<bool> SqlRecoveryCodePort::use(std::string_view practice_id, std::string_view user_id,
                                            Bytes code_hash, std::string_view at) {
  return touched_one(
      x_.run("UPDATE recovery_codes SET used_at = $4 WHERE practice_id = $1 AND user_id = $2 "
             "AND code_hash = $3 AND used_at IS NULL",
             {practice_id, user_id, code_hash, at}));
}

core::Result<std::int64_t> SqlRecoveryCodePort::count_unused(std::string_view practice_id,
                                                             std::string_view user_id) {
  auto r = x_.run(
      "SELECT COUNT(*) FROM recovery_codes WHERE practice_id = $1 AND user_id = $2 AND "
      "used_at IS NULL",
      {practice_id, user_id});
  if (!r) return tl::unexpected(r.error());
  return r->int64(0, 0);
}

// ---- sessions ----

namespace {

constexpr std::string_view kSessionColumns =
    "id, practice_id, user_id, token_hash, csrf_hash, created_at, last_seen_at, expires_at, "
    "client, revoked_at";

SessionRow read_session(const RowView& r) {
  SessionRow s;
  s.id = r.text(0);
  s.practice_id = r.text(1);
  s.user_id = r.text(2);
  s.token_hash = r.bytes(3);
  s.csrf_hash = r.bytes(4);
  s.created_at = r.text(5);
  s.last_seen_at = r.text(6);
  s.expires_at = r.text(7);
  s.client = r.text(8);
  s.revoked_at = r.opt_text(9);
  return s;
}

}  // namespace

core::Result<void> SqlSessionPort::insert(const SessionRow& row) {
  return done(x_.run(
      "INSERT INTO sessions(" + std::string(kSessionColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {row.id, row.practice_id, row.user_id, Bytes(row.token_hash), Bytes(row.csrf_hash),
       row.created_at, row.last_seen_at, row.expires_at, row.client, nullable(row.revoked_at)}));
}

core::Result<std::optional<SessionRow>> SqlSessionPort::find_by_token(Bytes token_hash) {
  return first_row(read_each<SessionRow>(
      x_, "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE token_hash = $1",
      {token_hash}, read_session));
}

core::Result<std::vector<SessionRow>> SqlSessionPort::list_for_user(std::string_view practice_id,
                                                                    std::string_view user_id) {
  return read_each<SessionRow>(
      x_,
      "SELECT " + std::string(kSessionColumns) +
          " FROM sessions WHERE practice_id = $1 AND user_id = $2 AND revoked_at IS NULL "
          "ORDER BY created_at DESC, id",
      {practice_id, user_id}, read_session);
}

core::Result<void> SqlSessionPort::touch(std::string_view practice_id, std::string_view id,
                                         std::string_view at) {
  return done(
      x_.run("UPDATE sessions SET last_seen_at = $3 WHERE practice_id = $1 AND id = $2 AND "
             "last_seen_at < $3",
             {practice_id, id, at}));
}

core::Result<bool> SqlSessionPort::revoke(std::string_view practice_id, std::string_view id,
                                          std::string_view at) {
  return touched_one(
      x_.run("UPDATE sessions SET revoked_at = $3 WHERE practice_id = $1 AND id = $2 AND "
             "revoked_at IS NULL",
             {practice_id, id, at}));
}

core::Result<std::int64_t> SqlSessionPort::revoke_for_user(std::string_view practice_id,
                                                           std::string_view user_id,
                                                           std::string_view at) {
  auto r = x_.run(
      "UPDATE sessions SET revoked_at = $3 WHERE practice_id = $1 AND user_id = $2 AND "
      "revoked_at IS NULL",
      {practice_id, user_id, at});
  if (!r) return tl::unexpected(r.error());
  return r->affected();
}

core::Result<std::int64_t> SqlSessionPort::purge(std::string_view before) {
  auto r = x_.run("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1", {before});
  if (!r) return tl::unexpected(r.error());
  return r->affected();
}

// ---- API tokens ----

namespace {

constexpr std::string_view kApiTokenColumns =
    "id, practice_id, name, created_by, token_hash, permissions, created_at, expires_at, "
    "last_used_at, revoked_at";

ApiTokenRow read_api_token(const RowView& r) {
  ApiTokenRow t;
  t.id = r.text(0);
  t.practice_id = r.text(1);
  t.name = r.text(2);
  t.created_by = r.text(3);
  t.token_hash = r.bytes(4);
  t.permissions = r.text(5);
  t.created_at = r.text(6);
  t.expires_at = r.text(7);
  t.last_used_at = r.opt_text(8);
  t.revoked_at = r.opt_text(9);
  return t;
}

}  // namespace

core::Result<void> SqlApiTokenPort::insert(const ApiTokenRow& row) {
  return done(x_.run(
      "INSERT INTO api_tokens(" + std::string(kApiTokenColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {row.id, row.practice_id, row.name, row.created_by, Bytes(row.token_hash), row.permissions,
       row.created_at, row.expires_at, nullable(row.last_used_at), nullable(row.revoked_at)}));
}

core::Result<std::optional<ApiTokenRow>> SqlApiTokenPort::find_by_token(Bytes token_hash) {
  return first_row(read_each<ApiTokenRow>(
      x_, "SELECT " + std::string(kApiTokenColumns) + " FROM api_tokens WHERE token_hash = $1",
      {token_hash}, read_api_token));
}

core::Result<std::vector<ApiTokenRow>> SqlApiTokenPort::list(std::string_view practice_id) {
  return read_each<ApiTokenRow>(
      x_,
      "SELECT " + std::string(kApiTokenColumns) +
          " FROM api_tokens WHERE practice_id = $1 ORDER BY created_at DESC, id",
      {practice_id}, read_api_token);
}

core::Result<bool> SqlApiTokenPort::revoke(std::string_view practice_id, std::string_view id,
                                           std::string_view at) {
  return touched_one(
      x_.run("UPDATE api_tokens SET revoked_at = $3 WHERE practice_id = $1 AND id = $2 AND "
             "revoked_at IS NULL",
             {practice_id, id, at}));
}

core::Result<void> SqlApiTokenPort::touch(std::string_view practice_id, std::string_view id,
                                          std::string_view at) {
  return done(
      x_.run("UPDATE api_tokens SET last_used_at = $3 WHERE practice_id = $1 AND id = $2 AND "
             "(last_used_at IS NULL OR last_used_at < $3)",
             {practice_id, id, at}));
}

// ---- patients ----

namespace {

constexpr std::string_view kPatientColumns =
    "id, practice_id, status, key_id, key_version, wrapping_key_id, sealed_key, record, "
    "merged_into, deleted_at, created_at, updated_at, version, restricted";

// Texts are moved out of their cells: a search reads 20 rows per page.
PatientRow read_patient(const RowView& r) {
  PatientRow p;
  p.id = r.text(0);
  p.practice_id = r.text(1);
  p.status = r.text(2);
  p.key_id = static_cast<std::uint64_t>(r.int64(3));
  p.key_version = static_cast<std::uint32_t>(r.int64(4));
  p.wrapping_key_id = static_cast<std::uint64_t>(r.int64(5));
  p.sealed_key = r.bytes(6);
  p.record = r.bytes(7);
  p.merged_into = r.opt_text(8);
  p.deleted_at = r.opt_text(9);
  p.created_at = r.text(10);
  p.updated_at = r.text(11);
  p.version = r.int64(12);
  p.restricted = r.int64(13) != 0;
  return p;
}

// "$3, $4, …" for `n` parameters starting at `first`.
std::string placeholders(std::size_t first, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

}  // namespace

// The index entries of `patients` in the index's key order (neighbours share pages), each
// with the place of its patient's row.
core::Result<void> SqlPatientPort::write_terms(std::span<const NewPatient> patients,
                                               std::span<const std::int64_t> places) {
  struct Entry {
    const PatientRow* row;
    IndexTerm term;
    std::int64_t place;
  };
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < patients.size(); ++i) {
    for (const auto& t : patients[i].terms) entries.push_back({patients[i].row, t, places[i]});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.row->practice_id, a.term.kind, a.term.hash, a.row->id) <
           std::tie(b.row->practice_id, b.term.kind, b.term.hash, b.row->id);
  });
  std::vector<Param> params;
  params.reserve(entries.size() * 5);
  for (const auto& e : entries) {
    params.insert(params.end(),
                  {std::string_view(e.row->practice_id), e.term.kind, e.term.hash,
                   std::string_view(e.row->id), e.place != 0 ? Param(e.place) : Param()});
  }
  return insert_rows(x_,
                     "INSERT INTO patient_index(practice_id, kind, hash, patient_id, patient_row)",
                     5, params, " ON CONFLICT DO NOTHING");
}

core::Result<void> SqlPatientPort::insert_many(std::span<const NewPatient> patients) {
  std::vector<const NewPatient*> by_id;
  by_id.reserve(patients.size());
  for (const auto& p : patients) by_id.push_back(&p);
  std::sort(by_id.begin(), by_id.end(), [](const NewPatient* a, const NewPatient* b) {
    return std::tie(a->row->practice_id, a->row->id) < std::tie(b->row->practice_id, b->row->id);
  });
  // Where each row lies (SQLite: its rowid), for its index entries.
  std::vector<std::int64_t> places(patients.size(), 0);
  const std::string insert = "INSERT INTO patients(" + std::string(kPatientColumns) +
                             ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                             "$14)" +
                             (x_.has_rowids() ? " RETURNING rowid" : "");
  for (const NewPatient* p : by_id) {
    const PatientRow& row = *p->row;
    auto r =
        x_.run(insert,
               {row.id, row.practice_id, row.status, static_cast<std::int64_t>(row.key_id),
                static_cast<std::int64_t>(row.key_version),
                static_cast<std::int64_t>(row.wrapping_key_id), Bytes(row.sealed_key),
                Bytes(row.record), nullable(row.merged_into), nullable(row.deleted_at),
                row.created_at, row.updated_at, row.version, std::int64_t{row.restricted ? 1 : 0}});
    if (!r) return tl::unexpected(r.error());
    if (x_.has_rowids()) places[static_cast<std::size_t>(p - patients.data())] = r->int64(0, 0);
  }
  return write_terms(patients, places);
}

core::Result<std::optional<PatientRow>> SqlPatientPort::find(std::string_view practice_id,
                                                             std::string_view id) {
  return first_row(read_each<PatientRow>(x_,
                                         "SELECT " + std::string(kPatientColumns) +
                                             " FROM patients WHERE practice_id = $1 AND id = $2",
                                         {practice_id, id}, read_patient));
}

core::Result<std::vector<PatientRow>> SqlPatientPort::find_many(std::string_view practice_id,
                                                                std::span<const std::string> ids) {
  std::vector<PatientRow> out;
  constexpr std::size_t kChunk = 200;
  for (std::size_t start = 0; start < ids.size(); start += kChunk) {
    const std::size_t n = std::min(kChunk, ids.size() - start);
    std::vector<Param> params;
    params.reserve(n + 1);
    params.emplace_back(practice_id);
    for (std::size_t i = 0; i < n; ++i) params.emplace_back(std::string_view(ids[start + i]));
    auto rows = read_each<PatientRow>(x_,
                                      "SELECT " + std::string(kPatientColumns) +
                                          " FROM patients WHERE practice_id = $1 AND id IN (" +
                                          placeholders(2, n) + ")",
                                      params, read_patient);
    if (!rows) return tl::unexpected(rows.error());
    if (out.empty()) {
      out = std::move(*rows);  // one chunk: a search's page
    } else {
      std::move(rows->begin(), rows->end(), std::back_inserter(out));
    }
  }
  return out;
}

core::Result<std::vector<PatientRow>> SqlPatientPort::find_matched(
    std::string_view practice_id, std::span<const IndexMatch> matches) {
  std::vector<PatientRow> out;
  std::vector<std::string> by_id;  // read by key: place unknown or wrong
  std::vector<Param> params;
  if (x_.has_rowids()) {
    for (const auto& m : matches) {
      if (m.place != 0) params.emplace_back(m.place);
    }
  }
  if (!params.empty()) {
    // One descent of the table's B-tree per row instead of two (the primary key's index,
    // then the table). The practice is checked below, not in the WHERE clause: with it
    // there, SQLite's planner may walk the practice's part of the primary key instead.
    auto rows = read_each<PatientRow>(x_,
                                      "SELECT " + std::string(kPatientColumns) +
                                          " FROM patients WHERE rowid IN (" +
                                          placeholders(1, params.size()) + ")",
                                      params, read_patient);
    if (!rows) return tl::unexpected(rows.error());
    out.reserve(matches.size());
    for (const auto& m : matches) {
      auto it = m.place == 0 ? rows->end()
                             : std::find_if(rows->begin(), rows->end(), [&](const PatientRow& r) {
                                 return r.id == m.patient_id && r.practice_id == practice_id;
                               });
      if (it == rows->end()) {
        by_id.push_back(m.patient_id);
      } else {
        out.push_back(std::move(*it));
        it->id.clear();  // taken (ids are unique, but a place may be named twice)
      }
    }
  } else {
    by_id.reserve(matches.size());
    for (const auto& m : matches) by_id.push_back(m.patient_id);
  }
  if (by_id.empty()) return out;
  auto rest = find_many(practice_id, by_id);
  if (!rest) return tl::unexpected(rest.error());
  if (out.empty()) return rest;
  std::move(rest->begin(), rest->end(), std::back_inserter(out));
  return out;
}

core::Result<void> SqlPatientPort::update(const PatientRow& row, std::optional<IndexChange> index) {
  auto r = x_.run(
      "UPDATE patients SET status = $4, record = $5, merged_into = $6, deleted_at = $7, "
      "updated_at = $8, restricted = $9, version = version + 1 "
      "WHERE practice_id = $1 AND id = $2 AND version = $3",
      {row.practice_id, row.id, row.version, row.status, Bytes(row.record),
       nullable(row.merged_into), nullable(row.deleted_at), row.updated_at,
       std::int64_t{row.restricted ? 1 : 0}});
  if (!r) return tl::unexpected(r.error());
  if (auto outcome = versioned_update_outcome(x_, *r, "patients", "practice_id = $1 AND id = $2",
                                              {row.practice_id, row.id});
      !outcome) {
    return outcome;
  }
  if (!index) return {};
  std::vector<IndexTerm> kept(index->added.begin(), index->added.end());
  std::sort(kept.begin(), kept.end());
  std::vector<IndexTerm> gone(index->removed.begin(), index->removed.end());
  std::sort(gone.begin(), gone.end());
  gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
  for (const auto& t : gone) {
    if (std::binary_search(kept.begin(), kept.end(), t)) continue;
    // One primary-key lookup per entry (the statement is prepared once).
    if (auto d = x_.run(
            "DELETE FROM patient_index WHERE practice_id = $1 AND kind = $2 AND hash = $3 AND "
            "patient_id = $4",
            {row.practice_id, t.kind, t.hash, row.id});
        !d) {
      return tl::unexpected(d.error());
    }
  }
  // Every added entry is written (existing ones stay): should `removed` miss an entry
  // the record had, the record is still found by all of its terms.
  std::int64_t place = 0;
  if (x_.has_rowids() && !index->added.empty()) {
    auto at = x_.run("SELECT rowid FROM patients WHERE practice_id = $1 AND id = $2",
                     {row.practice_id, row.id});
    if (!at) return tl::unexpected(at.error());
    if (at->size() == 1) place = at->int64(0, 0);
  }
  const NewPatient changed{&row, index->added};
  return write_terms(std::span(&changed, 1), std::span(&place, 1));
}

core::Result<std::vector<IndexHit>> SqlPatientPort::match(std::string_view practice_id,
                                                          std::span<const IndexTerm> terms) {
  std::vector<IndexHit> out;
  if (terms.empty()) return out;
  // One statement for all terms: a UNION ALL of primary-key lookups (an OR of the same
  // conditions lets SQLite's planner fall back to scanning the practice's entries).
  std::string sql;
  std::vector<Param> params;
  params.reserve(terms.size() * 2 + 1);
  params.emplace_back(practice_id);
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i) sql += " UNION ALL ";
    const std::string k = "$" + std::to_string(params.size() + 1);
    const std::string h = "$" + std::to_string(params.size() + 2);
    sql += "SELECT patient_id, kind FROM patient_index WHERE practice_id = $1 AND kind = " + k +
           " AND hash = " + h;
    params.emplace_back(terms[i].kind);
    params.emplace_back(terms[i].hash);
  }
  auto rows = x_.run_params(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  out.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i)
    out.push_back({rows->text(i, 0), rows->int64(i, 1)});
  return out;
}

core::Result<std::vector<std::string>> SqlPatientPort::match_all(std::string_view practice_id,
                                                                 std::span<const IndexTerm> terms) {
  std::vector<std::string> out;
  if (terms.empty()) return out;
  // The first term drives (callers put the most selective first); every further term is
  // one primary-key probe per candidate.
  std::string sql = "SELECT t0.patient_id FROM patient_index t0";
  std::string where = " WHERE t0.practice_id = $1 AND t0.kind = $2 AND t0.hash = $3";
  std::vector<Param> params;
  params.emplace_back(practice_id);
  params.emplace_back(terms[0].kind);
  params.emplace_back(terms[0].hash);
  for (std::size_t i = 1; i < terms.size(); ++i) {
    const std::string t = "t" + std::to_string(i);
    sql += " JOIN patient_index " + t + " ON " + t + ".practice_id = t0.practice_id AND " + t +
           ".kind = $" + std::to_string(params.size() + 1) + " AND " + t + ".hash = $" +
           std::to_string(params.size() + 2) + " AND " + t + ".patient_id = t0.patient_id";
    params.emplace_back(terms[i].kind);
    params.emplace_back(terms[i].hash);
  }
  auto rows = x_.run_params(sql + where, params);
  if (!rows) return tl::unexpected(rows.error());
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(rows->text(i, 0));
  return out;
}

core::Result<std::vector<IndexMatch>> SqlPatientPort::next_matches(
    std::string_view practice_id, std::span<const IndexTerm> include,
    std::span<const IndexTerm> exclude, std::string_view after_id, std::int64_t limit) {
  std::vector<IndexMatch> out;
  if (include.empty() || limit <= 0) return out;
  std::vector<Param> params;
  params.emplace_back(practice_id);
  params.emplace_back(after_id);
  auto next = [&](std::int64_t v) {
    params.emplace_back(v);
    return "$" + std::to_string(params.size());
  };
  // The exclusions, for every branch: none of the better ranks' entries.
  std::string not_excluded;
  for (const auto& t : exclude) {
    const auto k = next(t.kind);
    const auto h = next(t.hash);
    not_excluded +=
        " AND NOT EXISTS (SELECT 1 FROM patient_index x WHERE x.practice_id = $1 "
        "AND x.kind = " +
        k + " AND x.hash = " + h + " AND x.patient_id = u.patient_id)";
  }
  const auto n = next(limit);
  // Each branch reads one (kind, hash) range of the primary key in id order and stops after
  // `limit` rows; the first `limit` of their union are among those. (A union of the whole
  // ranges, ordered afterwards, read every entry of a frequent name: 4 ms for 7,000.)
  auto branch = [&](const IndexTerm& t) {
    const auto k = next(t.kind);
    const auto h = next(t.hash);
    return "SELECT patient_id, patient_row FROM patient_index u WHERE practice_id = $1 AND "
           "kind = " +
           k + " AND hash = " + h + " AND patient_id > $2" + not_excluded +
           " ORDER BY patient_id LIMIT " + n;
  };
  std::string sql;
  if (include.size() == 1) {
    sql = branch(include.front());
  } else {
    // A patient found by several branches counts once. Grouped by id, not a UNION of
    // (id, place): should a patient's entries disagree on its place, it would count twice.
    sql = "SELECT patient_id, max(patient_row) FROM (";
    for (std::size_t i = 0; i < include.size(); ++i) {
      if (i) sql += " UNION ALL ";
      sql += "SELECT * FROM (" + branch(include[i]) + ") b" + std::to_string(i);
    }
    sql += ") m GROUP BY patient_id ORDER BY patient_id LIMIT " + n;
  }
  out.reserve(static_cast<std::size_t>(limit));
  auto read = x_.each_row(sql, params, [&](const RowView& row) -> core::Result<void> {
    out.push_back({row.text(0), row.is_null(1) ? 0 : row.int64(1)});
    return {};
  });
  if (!read) return tl::unexpected(read.error());
  return out;
}

core::Result<std::vector<PatientRow>> SqlPatientPort::list(std::string_view practice_id,
                                                           std::string_view after_id,
                                                           std::int64_t limit) {
  return read_each<PatientRow>(
      x_,
      "SELECT " + std::string(kPatientColumns) +
          " FROM patients WHERE practice_id = $1 AND id > $2 AND status IN ('active', "
          "'new') ORDER BY id LIMIT $3",
      {practice_id, after_id, limit}, read_patient);
}

core::Result<std::int64_t> SqlPatientPort::count(std::string_view practice_id) {
  auto r = x_.run("SELECT COUNT(*) FROM patients WHERE practice_id = $1", {practice_id});
  if (!r) return tl::unexpected(r.error());
  return r->int64(0, 0);
}

// ---- Audit trail ----

namespace {

constexpr std::string_view kAuditColumns =
    "practice_id, seq, at, actor_kind, actor_id, actor_role, action, resource_type, "
    "resource_id, purpose, outcome, request_id, client, break_glass_id, leaf, subjects";

// Each cell is looked at once: moved out, not copied (verify reads every entry).
AuditEntryRow read_audit_entry(const RowView& r) {
  AuditEntryRow e;
  e.practice_id = r.text(0);
  e.seq = r.int64(1);
  e.at = r.text(2);
  e.actor_kind = r.text(3);
  e.actor_id = r.text(4);
  e.actor_role = r.text(5);
  e.action = r.text(6);
  e.resource_type = r.text(7);
  e.resource_id = r.text(8);
  e.purpose = r.text(9);
  e.outcome = r.text(10);
  e.request_id = r.text(11);
  e.client = r.text(12);
  e.break_glass_id = r.text(13);
  e.leaf = r.bytes(14);
  e.subjects = r.text(15);
  return e;
}

AuditHeadRow read_audit_head(const RowView& r) {
  return {r.text(0), r.int64(1), r.bytes(2), r.bytes(3), r.text(4)};
}

AuditCheckpointRow read_checkpoint(const RowView& r) {
  return {r.text(0), r.int64(1), r.bytes(2), r.text(3), r.text(4)};
}

constexpr std::string_view kBreakGlassColumns =
    "practice_id, id, user_id, patient_id, reason, created_at, expires_at, reviewed_by, "
    "reviewed_at";

BreakGlassRow read_break_glass(const RowView& r) {
  return {r.text(0), r.text(1), r.text(2),     r.text(3),    r.bytes(4),
          r.text(5), r.text(6), r.opt_text(7), r.opt_text(8)};
}

}  // namespace

core::Result<AuditHeadRow> SqlAuditPort::lock_head(std::string_view practice_id,
                                                   std::string_view now) {
  // An UPDATE takes PostgreSQL's row lock, which a plain SELECT would not; concurrent
  // appends of the practice wait here until this transaction ends. The head exists
  // after the practice's first entry, so the lock is normally one statement (an
  // INSERT … ON CONFLICT first would wait for the lock as well: two waits per append).
  auto lock = [&] {
    return read_each<AuditHeadRow>(x_,
                                   "UPDATE audit_heads SET size = size WHERE practice_id = "
                                   "$1 RETURNING practice_id, size, root, frontier, "
                                   "updated_at",
                                   {practice_id}, read_audit_head);
  };
  auto rows = lock();
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) {
    // root and frontier take their defaults: the empty tree.
    if (auto r = x_.run("INSERT INTO audit_heads(practice_id, size, updated_at) VALUES ($1, 0, "
                        "$2) ON CONFLICT (practice_id) DO NOTHING",
                        {practice_id, now});
        !r) {
      return tl::unexpected(r.error());
    }
    rows = lock();
    if (!rows) return tl::unexpected(rows.error());
  }
  if (rows->size() != 1) return core::fail(ErrorCode::internal, "", "audit head missing");
  return std::move(rows->front());
}

core::Result<std::optional<AuditHeadRow>> SqlAuditPort::head(std::string_view practice_id) {
  return first_row(read_each<AuditHeadRow>(
      x_,
      "SELECT practice_id, size, root, frontier, updated_at FROM audit_heads "
      "WHERE practice_id = $1",
      {practice_id}, read_audit_head));
}

core::Result<void> SqlAuditPort::put_head(const AuditHeadRow& head) {
  auto r = x_.run(
      "UPDATE audit_heads SET size = $2, root = $3, frontier = $4, updated_at = $5 "
      "WHERE practice_id = $1",
      {head.practice_id, head.size, Bytes(head.root), Bytes(head.frontier), head.updated_at});
  if (!r) return tl::unexpected(r.error());
  if (r->affected() != 1) return core::fail(ErrorCode::internal, "", "audit head missing");
  return {};
}

core::Result<void> SqlAuditPort::insert_entries(std::span<const AuditEntryRow> rows) {
  // Each name as one sortable pair: its practice (an index into `practices`) and
  // block << 37 | part << 32 | audit_filter_value — so sorting groups a row's values and
  // orders them, without comparing strings.
  constexpr int kPartShift = 32;
  constexpr int kBlockShift = kPartShift + kAuditFilterPartBits;
  std::vector<std::string_view> practices;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> named;
  for (const auto& e : rows) {
    if (auto r =
            done(x_.run("INSERT INTO audit_entries(" + std::string(kAuditColumns) +
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                            "$13, $14, $15, $16)",
                        {e.practice_id, e.seq, e.at, e.actor_kind, e.actor_id, e.actor_role,
                         e.action, e.resource_type, e.resource_id, e.purpose, e.outcome,
                         e.request_id, e.client, e.break_glass_id, Bytes(e.leaf), e.subjects}));
        !r) {
      return r;
    }
    if (e.subjects.empty()) continue;
    const auto block = static_cast<std::uint64_t>(audit_block(e.seq));
    if (block >> (64 - kBlockShift) != 0) {
      return core::fail(ErrorCode::internal, "", "audit: entry beyond the index of lists");
    }
    auto practice = std::find(practices.begin(), practices.end(), e.practice_id);
    if (practice == practices.end()) practice = practices.insert(practice, e.practice_id);
    const auto index = static_cast<std::uint32_t>(practice - practices.begin());
    for_each_audit_subject(e.subjects, [&](std::string_view id) {
      const auto f = audit_fingerprint(id);
      named.emplace_back(index, block << kBlockShift |
                                    static_cast<std::uint64_t>(f.part) << kPartShift |
                                    audit_filter_value(f, e.seq));
    });
  }
  if (named.empty()) return {};
  // One row per (practice, block, part): the values in order, and the first entry that
  // gave one of them (unique: no other transaction has that entry).
  std::sort(named.begin(), named.end());
  struct Row {
    std::uint32_t practice;
    std::uint64_t block_part;  // block << kAuditFilterPartBits | part
    std::int64_t first_seq;
    std::vector<std::uint8_t> values;
  };
  std::vector<Row> filters;
  for (std::size_t i = 0; i < named.size();) {
    const auto [practice, key] = named[i];
    Row row{practice, key >> kPartShift, std::numeric_limits<std::int64_t>::max(), {}};
    const auto block = static_cast<std::int64_t>(key >> kBlockShift);
    std::size_t j = i;
    for (; j < named.size() && named[j].first == practice &&
           named[j].second >> kPartShift == row.block_part;
         ++j) {
      if (j > i && named[j] == named[j - 1]) continue;
      const auto v = static_cast<std::uint32_t>(named[j].second);
      row.first_seq = std::min(row.first_seq, audit_filter_entry(block, v));
      append_audit_filter_value(row.values, v);
    }
    filters.push_back(std::move(row));
    i = j;
  }
  std::vector<Param> params;  // pointing into `filters`, complete by now
  params.reserve(filters.size() * 5);
  constexpr std::uint64_t kParts = static_cast<std::uint64_t>(kAuditFilterParts) - 1;
  for (const auto& f : filters) {
    params.insert(params.end(),
                  {practices[f.practice], static_cast<std::int64_t>(f.block_part & kParts),
                   static_cast<std::int64_t>(f.block_part >> kAuditFilterPartBits), f.first_seq,
                   Bytes(f.values)});
  }
  return insert_rows(
      x_, "INSERT INTO audit_subject_filters(practice_id, part, blk, first_seq, names)", 5, params);
}

core::Result<std::int64_t> SqlAuditPort::subjects_until(std::string_view practice_id) {
  auto r = x_.run("SELECT seq FROM audit_subjects_until WHERE practice_id = $1", {practice_id});
  if (!r) return tl::unexpected(r.error());
  return r->empty() ? std::int64_t{0} : r->int64(0, 0);
}

core::Result<std::vector<AuditFilterRow>> SqlAuditPort::subject_filters(
    std::string_view practice_id, std::int64_t first_block, std::int64_t last_block) {
  // A range of blocks per part: the key is (practice, part, block, …).
  std::vector<AuditFilterRow> out;
  for (std::int64_t part = 0; part < kAuditFilterParts; ++part) {
    auto rows = read_each<AuditFilterRow>(
        x_,
        "SELECT part, blk, first_seq, names FROM audit_subject_filters WHERE "
        "practice_id = $1 AND part = $2 AND blk >= $3 AND blk <= $4 "
        "ORDER BY blk, first_seq",
        {practice_id, part, first_block, last_block}, [](const RowView& r) {
          return AuditFilterRow{r.int64(0), r.int64(1), r.int64(2), r.bytes(3)};
        });
    if (!rows) return rows;
    std::move(rows->begin(), rows->end(), std::back_inserter(out));
  }
  std::stable_sort(out.begin(), out.end(), [](const AuditFilterRow& a, const AuditFilterRow& b) {
    return a.block < b.block;
  });
  return out;
}

core::Result<std::vector<AuditSubjectRow>> SqlAuditPort::subjects(std::string_view practice_id,
                                                                  const AuditSubjectRow& after,
                                                                  std::int64_t limit) {
  return read_each<AuditSubjectRow>(
      x_,
      "SELECT resource_id, seq, blk FROM audit_subjects WHERE practice_id = $1 AND "
      "(blk, resource_id, seq) > ($2, $3, $4) ORDER BY blk, resource_id, seq LIMIT $5",
      {practice_id, after.block, std::string_view(after.resource_id), after.seq, limit},
      [](const RowView& r) {
        return AuditSubjectRow{r.text(0), r.int64(1), r.int64(2)};
      });
}

core::Result<bool> SqlAuditPort::has_subject(std::string_view practice_id,
                                             const AuditSubjectRow& row) {
  auto r = x_.run(
      "SELECT 1 FROM audit_subjects WHERE practice_id = $1 AND blk = $2 AND resource_id = $3 "
      "AND seq = $4",
      {practice_id, audit_block(row.seq), std::string_view(row.resource_id), row.seq});
  if (!r) return tl::unexpected(r.error());
  return !r->empty();
}

core::Result<void> SqlAuditPort::insert_nodes(std::string_view practice_id,
                                              std::span<const AuditNodeRow> nodes) {
  std::vector<Param> params;
  params.reserve(nodes.size() * 4);
  for (const auto& n : nodes) {
    params.insert(params.end(), {practice_id, n.level, n.index, Bytes(n.hash)});
  }
  return insert_rows(x_, "INSERT INTO audit_nodes(practice_id, level, idx, hash)", 4, params);
}

core::Result<std::optional<std::vector<std::uint8_t>>> SqlAuditPort::node(
    std::string_view practice_id, std::int64_t level, std::int64_t index) {
  auto r = level == 0
               ? x_.run("SELECT leaf FROM audit_entries WHERE practice_id = $1 AND seq = $2",
                        {practice_id, index})
               : x_.run(
                     "SELECT hash FROM audit_nodes WHERE practice_id = $1 AND level = $2 AND "
                     "idx = $3",
                     {practice_id, level, index});
  if (!r) return tl::unexpected(r.error());
  if (r->empty()) return std::optional<std::vector<std::uint8_t>>();
  return std::optional<std::vector<std::uint8_t>>(r->bytes(0, 0));
}

core::Result<std::vector<AuditEntryRow>> SqlAuditPort::entries(std::string_view practice_id,
                                                               std::int64_t from_seq,
                                                               std::int64_t limit) {
  return read_each<AuditEntryRow>(
      x_,
      "SELECT " + std::string(kAuditColumns) +
          " FROM audit_entries WHERE practice_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
      {practice_id, from_seq, limit}, read_audit_entry);
}

core::Result<std::vector<AuditNodeRow>> SqlAuditPort::nodes(std::string_view practice_id,
                                                            std::int64_t level,
                                                            std::int64_t from_index,
                                                            std::int64_t limit) {
  return read_each<AuditNodeRow>(
      x_,
      "SELECT level, idx, hash FROM audit_nodes WHERE practice_id = $1 AND level = $2 "
      "AND idx >= $3 ORDER BY idx LIMIT $4",
      {practice_id, level, from_index, limit}, [](const RowView& r) {
        return AuditNodeRow{r.int64(0), r.int64(1), r.bytes(2)};
      });
}

core::Result<std::vector<AuditEntryRow>> SqlAuditPort::search(std::string_view practice_id,
                                                              const AuditQuery& q) {
  // The conditions besides the resource, for both queries below.
  auto conditions = [&q](std::vector<Param>& params, std::string& sql) {
    auto add = [&](std::string_view condition, Param value) {
      params.push_back(value);
      sql += " AND ";
      sql += condition;
      sql += " $" + std::to_string(params.size());
    };
    if (!q.actor_id.empty()) add("actor_id =", std::string_view(q.actor_id));
    if (!q.resource_type.empty()) add("resource_type =", std::string_view(q.resource_type));
    if (!q.action.empty()) add("action =", std::string_view(q.action));
    if (!q.from.empty()) add("at >=", std::string_view(q.from));
    if (!q.to.empty()) add("at <", std::string_view(q.to));
    if (q.before_seq) add("seq <", *q.before_seq);
    if (q.break_glass_only) sql += " AND break_glass_id <> ''";
  };
  std::string sql =
      "SELECT " + std::string(kAuditColumns) + " FROM audit_entries WHERE practice_id = $1";
  std::vector<Param> params{practice_id};
  if (!q.resource_id.empty()) {
    // The resource's own entries and the lists audit_subjects has (those written before
    // migration 0015): both indexes are keyed by block of entries first
    // (audit_block), so this seeks each block from the newest one the query can return
    // down to 0. CROSS JOIN keeps the blocks the outer loop on SQLite (its planner would
    // otherwise scan the practice's index once per block).
    params.push_back(std::string_view(q.resource_id));
    const std::string id = "$" + std::to_string(params.size());
    std::string newest = "SELECT seq FROM audit_entries WHERE practice_id = $1";
    if (q.before_seq) {
      params.push_back(*q.before_seq);
      newest += " AND seq < $" + std::to_string(params.size());
    }
    newest += " ORDER BY seq DESC LIMIT 1";
    const std::string shift = std::to_string(kAuditBlockBits);
    sql += " AND seq IN (WITH RECURSIVE blocks(b) AS (SELECT n.seq >> " + shift + " FROM (" +
           newest +
           ") n UNION ALL SELECT b - 1 FROM blocks WHERE b > 0) "
           "SELECT r.seq FROM blocks CROSS JOIN audit_entries r WHERE r.practice_id = $1 AND "
           "(r.seq >> " +
           shift + ") = blocks.b AND r.resource_id = " + id +
           " UNION ALL SELECT s.seq FROM blocks CROSS JOIN audit_subjects s WHERE "
           "s.practice_id = $1 AND s.blk = blocks.b AND s.resource_id = " +
           id + ")";
  }
  conditions(params, sql);
  params.push_back(q.limit);
  sql += " ORDER BY seq DESC LIMIT $" + std::to_string(params.size());
  auto found = read_each<AuditEntryRow>(x_, sql, params, read_audit_entry);
  if (!found || q.resource_id.empty()) return found;

  // The lists since the index of lists: the entries its rows of the resource's part say
  // name someone with the resource's fingerprint, newest first, read a page at a time and
  // kept when their `subjects` name the resource.
  const auto print = audit_fingerprint(q.resource_id);
  std::vector<Param> fparams{practice_id, print.part};
  std::string fsql =
      "SELECT blk, names FROM audit_subject_filters WHERE practice_id = $1 AND part = $2";
  if (q.before_seq) {
    fparams.emplace_back(audit_block(*q.before_seq - 1));
    fsql += " AND blk <= $3";
  }
  auto filters = x_.run_params(fsql, fparams);
  if (!filters) return tl::unexpected(filters.error());
  std::vector<std::int64_t> candidates;
  for (std::size_t i = 0; i < filters->size(); ++i) {
    audit_filter_entries(filters->bytes(i, 1), filters->int64(i, 0), print, candidates);
  }
  std::sort(candidates.begin(), candidates.end(), std::greater<>());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  if (q.before_seq) {
    std::erase_if(candidates, [&](std::int64_t seq) { return seq >= *q.before_seq; });
  }
  std::vector<AuditEntryRow> lists;
  const auto page = static_cast<std::size_t>(std::max<std::int64_t>(q.limit, 1));
  for (std::size_t at = 0; at < candidates.size() && lists.size() < page; at += page) {
    const auto chunk = std::span(candidates).subspan(at, std::min(page, candidates.size() - at));
    std::vector<Param> lparams{practice_id};
    for (const auto seq : chunk) lparams.emplace_back(seq);
    std::string lsql = "SELECT " + std::string(kAuditColumns) +
                       " FROM audit_entries WHERE practice_id = $1 AND seq IN (" +
                       placeholders(2, chunk.size()) + ")";
    conditions(lparams, lsql);
    lsql += " ORDER BY seq DESC";
    auto rows = read_each<AuditEntryRow>(x_, lsql, lparams, read_audit_entry);
    if (!rows) return rows;
    for (auto& e : *rows) {
      if (audit_subjects_name(e.subjects, q.resource_id)) lists.push_back(std::move(e));
    }
  }
  // Both newest first; an old list can be in both (a block the migration split).
  std::vector<AuditEntryRow> out;
  out.reserve(found->size() + lists.size());
  std::merge(std::make_move_iterator(found->begin()), std::make_move_iterator(found->end()),
             std::make_move_iterator(lists.begin()), std::make_move_iterator(lists.end()),
             std::back_inserter(out),
             [](const AuditEntryRow& a, const AuditEntryRow& b) { return a.seq > b.seq; });
  out.erase(
      std::unique(out.begin(), out.end(),
                  [](const AuditEntryRow& a, const AuditEntryRow& b) { return a.seq == b.seq; }),
      out.end());
  if (static_cast<std::int64_t>(out.size()) > q.limit)
    out.resize(static_cast<std::size_t>(q.limit));
  return out;
}

core::Result<void> SqlAuditPort::insert_checkpoint(const AuditCheckpointRow& row) {
  return done(
      x_.run("INSERT INTO audit_checkpoints(practice_id, size, root, note, created_at) "
             "VALUES ($1, $2, $3, $4, $5)",
             {row.practice_id, row.size, Bytes(row.root), row.note, row.created_at}));
}

core::Result<std::optional<AuditCheckpointRow>> SqlAuditPort::latest_checkpoint(
    std::string_view practice_id) {
  return first_row(read_each<AuditCheckpointRow>(
      x_,
      "SELECT practice_id, size, root, note, created_at FROM audit_checkpoints "
      "WHERE practice_id = $1 ORDER BY size DESC LIMIT 1",
      {practice_id}, read_checkpoint));
}

core::Result<std::vector<AuditCheckpointRow>> SqlAuditPort::checkpoints(
    std::string_view practice_id) {
  return read_each<AuditCheckpointRow>(
      x_,
      "SELECT practice_id, size, root, note, created_at FROM audit_checkpoints "
      "WHERE practice_id = $1 ORDER BY size",
      {practice_id}, read_checkpoint);
}

core::Result<void> SqlAuditPort::insert_break_glass(const BreakGlassRow& row) {
  return done(x_.run(
      "INSERT INTO break_glass(" + std::string(kBreakGlassColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      {row.practice_id, row.id, row.user_id, row.patient_id, Bytes(row.reason), row.created_at,
       row.expires_at, nullable(row.reviewed_by), nullable(row.reviewed_at)}));
}

core::Result<std::optional<BreakGlassRow>> SqlAuditPort::active_break_glass(
    std::string_view practice_id, std::string_view user_id, std::string_view patient_id,
    std::string_view now) {
  return first_row(read_each<BreakGlassRow>(
      x_,
      "SELECT " + std::string(kBreakGlassColumns) +
          " FROM break_glass WHERE practice_id = $1 AND user_id = $2 AND patient_id = $3 "
          "AND created_at <= $4 AND expires_at > $4 ORDER BY expires_at DESC LIMIT 1",
      {practice_id, user_id, patient_id, now}, read_break_glass));
}

core::Result<std::vector<BreakGlassRow>> SqlAuditPort::list_break_glass(
    std::string_view practice_id, bool unreviewed_only) {
  return read_each<BreakGlassRow>(
      x_,
      "SELECT " + std::string(kBreakGlassColumns) + " FROM break_glass WHERE practice_id = $1" +
          (unreviewed_only ? " AND reviewed_at IS NULL" : "") + " ORDER BY created_at DESC, id",
      {practice_id}, read_break_glass);
}

core::Result<bool> SqlAuditPort::review_break_glass(std::string_view practice_id,
                                                    std::string_view id, std::string_view reviewer,
                                                    std::string_view at) {
  return touched_one(
      x_.run("UPDATE break_glass SET reviewed_by = $3, reviewed_at = $4 WHERE practice_id = $1 "
             "AND id = $2 AND reviewed_at IS NULL",
             {practice_id, id, reviewer, at}));
}

// ---- scheduling ----

namespace {

// Fixed table names, never from input.
std::string_view config_table(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::practitioner:
      return "practitioners";
    case ConfigKind::resource:
      return "resources";
    case ConfigKind::appointment_type:
      return "appointment_types";
    case ConfigKind::working_plan:
      return "working_plans";
    case ConfigKind::settings:
      return "scheduling_settings";
    case ConfigKind::notification_template:
      return "notification_templates";
  }
  return "practitioners";
}

ConfigRow read_config(const RowView& r) {
  return {r.text(0), r.text(1), r.text(2), r.int64(3) != 0, r.text(4), r.text(5), r.int64(6)};
}

constexpr std::string_view kConfigColumns =
    "practice_id, id, data, active, created_at, updated_at, version";

constexpr std::string_view kAppointmentColumns =
    "practice_id, id, practitioner_id, type_id, patient_id, starts_at, ends_at, block_start, "
    "block_end, status, active, source, details, created_at, updated_at, version, cancel_reason";

AppointmentRow read_appointment(const RowView& r) {
  AppointmentRow a;
  a.practice_id = r.text(0);
  a.id = r.text(1);
  a.practitioner_id = r.text(2);
  a.type_id = r.text(3);
  a.patient_id = r.opt_text(4);
  a.starts_at = r.int64(5);
  a.ends_at = r.int64(6);
  a.block_start = r.int64(7);
  a.block_end = r.int64(8);
  a.status = r.text(9);
  a.active = r.int64(10) != 0;
  a.source = r.text(11);
  a.details = r.opt_bytes(12);
  a.created_at = r.text(13);
  a.updated_at = r.text(14);
  a.version = r.int64(15);
  a.cancel_reason = r.opt_text(16);
  return a;
}

core::Error overlap() {
  return core::Error::make(ErrorCode::conflict,
                           "Diese Zeit ist schon vergeben. / This time is already taken.");
}

}  // namespace

core::Result<void> SqlSchedulingPort::insert_config(ConfigKind kind, const ConfigRow& row) {
  return done(x_.run("INSERT INTO " + std::string(config_table(kind)) + "(" +
                         std::string(kConfigColumns) + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     {row.practice_id, row.id, row.data, std::int64_t{row.active ? 1 : 0},
                      row.created_at, row.updated_at, row.version}));
}

core::Result<void> SqlSchedulingPort::update_config(ConfigKind kind, const ConfigRow& row) {
  const std::string table(config_table(kind));
  auto r = x_.run("UPDATE " + table +
                      " SET data = $4, active = $5, updated_at = $6, version = version + 1 "
                      "WHERE practice_id = $1 AND id = $2 AND version = $3",
                  {row.practice_id, row.id, row.version, row.data, std::int64_t{row.active ? 1 : 0},
                   row.updated_at});
  if (!r) return tl::unexpected(r.error());
  return versioned_update_outcome(x_, *r, table, "practice_id = $1 AND id = $2",
                                  {row.practice_id, row.id});
}

core::Result<std::optional<ConfigRow>> SqlSchedulingPort::find_config(ConfigKind kind,
                                                                      std::string_view practice_id,
                                                                      std::string_view id) {
  return first_row(read_each<ConfigRow>(x_,
                                        "SELECT " + std::string(kConfigColumns) + " FROM " +
                                            std::string(config_table(kind)) +
                                            " WHERE practice_id = $1 AND id = $2",
                                        {practice_id, id}, read_config));
}

core::Result<std::vector<ConfigRow>> SqlSchedulingPort::list_config(ConfigKind kind,
                                                                    std::string_view practice_id) {
  return read_each<ConfigRow>(x_,
                              "SELECT " + std::string(kConfigColumns) + " FROM " +
                                  std::string(config_table(kind)) +
                                  " WHERE practice_id = $1 ORDER BY id",
                              {practice_id}, read_config);
}

core::Result<void> SqlSchedulingPort::insert_absence(const AbsenceRow& row) {
  return done(x_.run(
      "INSERT INTO absences(practice_id, id, practitioner_id, starts_at, ends_at, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {row.practice_id, row.id, row.practitioner_id, row.starts_at, row.ends_at, row.created_at}));
}

core::Result<bool> SqlSchedulingPort::delete_absence(std::string_view practice_id,
                                                     std::string_view id) {
  return touched_one(
      x_.run("DELETE FROM absences WHERE practice_id = $1 AND id = $2", {practice_id, id}));
}

core::Result<std::vector<AbsenceRow>> SqlSchedulingPort::list_absences(std::string_view practice_id,
                                                                       std::int64_t from,
                                                                       std::int64_t to) {
  return read_each<AbsenceRow>(
      x_,
      "SELECT practice_id, id, practitioner_id, starts_at, ends_at, created_at FROM "
      "absences WHERE practice_id = $1 AND ends_at > $2 AND starts_at < $3 "
      "ORDER BY starts_at, id",
      {practice_id, from, to}, [](const RowView& r) {
        return AbsenceRow{r.text(0), r.text(1), r.text(2), r.int64(3), r.int64(4), r.text(5)};
      });
}

core::Result<void> SqlSchedulingPort::check_free(const AppointmentRow& row) {
  if (row.block_end - row.block_start > kMaxAppointmentBlockSeconds) {
    return core::fail(ErrorCode::invalid_input,
                      "Ein Termin dauert höchstens 24 Stunden. / An appointment lasts at most 24 "
                      "hours.");
  }
  if (!row.active) return {};
  const std::int64_t end_bound = row.block_end + kMaxAppointmentBlockSeconds;
  auto taken = x_.run(
      "SELECT 1 FROM appointments WHERE practice_id = $1 AND practitioner_id = $2 AND "
      "active = 1 AND block_end > $3 AND block_end < $6 AND block_start < $4 AND id <> $5 "
      "LIMIT 1",
      {row.practice_id, row.practitioner_id, row.block_start, row.block_end, row.id, end_bound});
  if (!taken) return tl::unexpected(taken.error());
  if (!taken->empty()) return tl::unexpected(overlap());
  for (const auto& resource : row.resources) {
    auto used = x_.run(
        "SELECT 1 FROM appointment_resources WHERE practice_id = $1 AND resource_id = $2 AND "
        "active = 1 AND block_end > $3 AND block_end < $6 AND block_start < $4 AND "
        "appointment_id <> $5 LIMIT 1",
        {row.practice_id, resource, row.block_start, row.block_end, row.id, end_bound});
    if (!used) return tl::unexpected(used.error());
    if (!used->empty()) return tl::unexpected(overlap());
  }
  return {};
}

core::Result<void> SqlSchedulingPort::write_resources(const AppointmentRow& row) {
  if (auto r = x_.run("DELETE FROM appointment_resources WHERE practice_id = $1 AND "
                      "appointment_id = $2",
                      {row.practice_id, row.id});
      !r) {
    return tl::unexpected(r.error());
  }
  for (const auto& resource : row.resources) {
    if (auto r = done(
            x_.run("INSERT INTO appointment_resources(practice_id, appointment_id, resource_id, "
                   "block_start, block_end, active) VALUES ($1, $2, $3, $4, $5, $6)",
                   {row.practice_id, row.id, resource, row.block_start, row.block_end,
                    std::int64_t{row.active ? 1 : 0}}));
        !r) {
      return r;
    }
  }
  return {};
}

// A constraint failure here is the overlap the database refused (PostgreSQL's
// exclusion constraint under concurrency) or a duplicate id: both are conflicts.
core::Result<void> SqlSchedulingPort::insert_appointment(const AppointmentRow& row) {
  if (auto free = check_free(row); !free) return free;
  if (auto r = done(x_.run(
          "INSERT INTO appointments(" + std::string(kAppointmentColumns) +
              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
              "$14, $15, $16, $17)",
          {row.practice_id, row.id, row.practitioner_id, row.type_id, nullable(row.patient_id),
           row.starts_at, row.ends_at, row.block_start, row.block_end, row.status,
           std::int64_t{row.active ? 1 : 0}, row.source, nullable(row.details), row.created_at,
           row.updated_at, row.version, nullable(row.cancel_reason)}));
      !r) {
    return r;
  }
  return write_resources(row);
}

core::Result<void> SqlSchedulingPort::update_appointment(const AppointmentRow& row) {
  if (auto free = check_free(row); !free) return free;
  auto r = x_.run(
      "UPDATE appointments SET practitioner_id = $4, starts_at = $5, ends_at = $6, "
      "block_start = $7, block_end = $8, status = $9, active = $10, details = $11, "
      "patient_id = $12, updated_at = $13, cancel_reason = $14, version = version + 1 "
      "WHERE practice_id = $1 AND id = $2 AND version = $3",
      {row.practice_id, row.id, row.version, row.practitioner_id, row.starts_at, row.ends_at,
       row.block_start, row.block_end, row.status, std::int64_t{row.active ? 1 : 0},
       nullable(row.details), nullable(row.patient_id), row.updated_at,
       nullable(row.cancel_reason)});
  if (!r) return tl::unexpected(r.error());
  if (auto outcome = versioned_update_outcome(
          x_, *r, "appointments", "practice_id = $1 AND id = $2", {row.practice_id, row.id});
      !outcome) {
    return outcome;
  }
  return write_resources(row);
}

core::Result<std::vector<std::string>> SqlSchedulingPort::resources_of(
    std::string_view practice_id, std::string_view appointment_id) {
  auto rows = x_.run(
      "SELECT resource_id FROM appointment_resources WHERE practice_id = $1 AND "
      "appointment_id = $2 ORDER BY resource_id",
      {practice_id, appointment_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rows->size(); ++i) out.push_back(rows->text(i, 0));
  return out;
}

core::Result<std::optional<AppointmentRow>> SqlSchedulingPort::find_appointment(
    std::string_view practice_id, std::string_view id) {
  auto found = first_row(
      read_each<AppointmentRow>(x_,
                                "SELECT " + std::string(kAppointmentColumns) +
                                    " FROM appointments WHERE practice_id = $1 AND id = $2",
                                {practice_id, id}, read_appointment));
  if (!found || !*found) return found;
  auto resources = resources_of(practice_id, id);
  if (!resources) return tl::unexpected(resources.error());
  (*found)->resources = std::move(*resources);
  return found;
}

core::Result<std::vector<AppointmentRow>> SqlSchedulingPort::list_appointments(
    std::string_view practice_id, std::int64_t from, std::int64_t to,
    std::optional<std::string_view> practitioner_id) {
  auto rows = practitioner_id
                  ? read_each<AppointmentRow>(
                        x_,
                        "SELECT " + std::string(kAppointmentColumns) +
                            " FROM appointments WHERE practice_id = $1 AND starts_at >= $2 AND "
                            "starts_at < $3 AND practitioner_id = $4 ORDER BY starts_at, id",
                        {practice_id, from, to, *practitioner_id}, read_appointment)
                  : read_each<AppointmentRow>(
                        x_,
                        "SELECT " + std::string(kAppointmentColumns) +
                            " FROM appointments WHERE practice_id = $1 AND starts_at >= $2 AND "
                            "starts_at < $3 ORDER BY starts_at, id",
                        {practice_id, from, to}, read_appointment);
  if (!rows) return rows;
  // The resources of all listed appointments in one query.
  auto held = x_.run(
      "SELECT r.appointment_id, r.resource_id FROM appointment_resources r JOIN appointments a "
      "ON a.practice_id = r.practice_id AND a.id = r.appointment_id WHERE r.practice_id = $1 "
      "AND a.starts_at >= $2 AND a.starts_at < $3 ORDER BY r.resource_id",
      {practice_id, from, to});
  if (!held) return tl::unexpected(held.error());
  std::unordered_map<std::string, std::vector<std::string>> by_appointment;
  for (std::size_t i = 0; i < held->size(); ++i) {
    by_appointment[held->text(i, 0)].push_back(held->text(i, 1));
  }
  for (auto& a : *rows) {
    if (auto it = by_appointment.find(a.id); it != by_appointment.end()) a.resources = it->second;
  }
  return rows;
}

namespace {

// Blocks of one owner's active appointments overlapping [from, to), through the index on
// (practice, owner, block_end) of `table`: a block overlapping it ends after `from` and,
// being at most kMaxAppointmentBlockSeconds long, before to + that.
core::Result<std::vector<BusyRow>> busy_of(Executor& x, std::string_view table,
                                           std::string_view owner_column,
                                           std::string_view practice_id, std::string_view owner,
                                           std::int64_t from, std::int64_t to) {
  return read_each<BusyRow>(x,
                            "SELECT block_start, block_end FROM " + std::string(table) +
                                " WHERE practice_id = $1 AND " + std::string(owner_column) +
                                " = $2 AND active = 1 AND block_end > $3 AND block_end < "
                                "$5 AND block_start < $4",
                            {practice_id, owner, from, to, to + kMaxAppointmentBlockSeconds},
                            [&](const RowView& r) {
                              return BusyRow{std::string(owner), r.int64(0), r.int64(1)};
                            });
}

}  // namespace

core::Result<std::vector<BusyRow>> SqlSchedulingPort::practitioner_busy(
    std::string_view practice_id, std::string_view practitioner_id, std::int64_t from,
    std::int64_t to) {
  return busy_of(x_, "appointments", "practitioner_id", practice_id, practitioner_id, from, to);
}

core::Result<std::vector<BusyRow>> SqlSchedulingPort::resource_busy(std::string_view practice_id,
                                                                    std::string_view resource_id,
                                                                    std::int64_t from,
                                                                    std::int64_t to) {
  return busy_of(x_, "appointment_resources", "resource_id", practice_id, resource_id, from, to);
}

core::Result<std::int64_t> SqlSchedulingPort::reassign_patient(std::string_view practice_id,
                                                               std::string_view from,
                                                               std::string_view to,
                                                               std::string_view at) {
  auto r = x_.run(
      "UPDATE appointments SET patient_id = $3, updated_at = $4, version = version + 1 "
      "WHERE practice_id = $1 AND patient_id = $2",
      {practice_id, from, to, at});
  if (!r) return tl::unexpected(r.error());
  return r->affected();
}

}  // namespace praxis::store::sql

// ---- online booking ----

namespace praxis::store::sql {

namespace {

constexpr std::string_view kBookingColumns =
    "practice_id, id, appointment_id, token_hash, phone_hash, email_hash, new_patient, "
    "reviewed_at, reviewed_by, created_at";

OnlineBookingRow read_booking(const RowView& r) {
  return OnlineBookingRow{r.text(0),      r.text(1),      r.text(2),       r.bytes(3),
                          r.opt_int64(4), r.opt_int64(5), r.int64(6) != 0, r.opt_text(7),
                          r.opt_text(8),  r.text(9)};
}

}  // namespace

core::Result<void> SqlBookingPort::insert_booking(const OnlineBookingRow& row) {
  return done(x_.run(
      "INSERT INTO online_bookings(" + std::string(kBookingColumns) +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {row.practice_id, row.id, row.appointment_id, std::span<const std::uint8_t>(row.token_hash),
       nullable(row.phone_hash), nullable(row.email_hash), std::int64_t{row.new_patient ? 1 : 0},
       nullable(row.reviewed_at), nullable(row.reviewed_by), row.created_at}));
}

core::Result<std::optional<OnlineBookingRow>> SqlBookingPort::find_by_token(
    std::string_view practice_id, std::span<const std::uint8_t> token_hash) {
  return first_row(read_each<OnlineBookingRow>(
      x_,
      "SELECT " + std::string(kBookingColumns) +
          " FROM online_bookings WHERE token_hash = $1 AND practice_id = $2",
      {token_hash, practice_id}, read_booking));
}

core::Result<std::optional<OnlineBookingRow>> SqlBookingPort::find_booking(
    std::string_view practice_id, std::string_view id) {
  return first_row(
      read_each<OnlineBookingRow>(x_,
                                  "SELECT " + std::string(kBookingColumns) +
                                      " FROM online_bookings WHERE practice_id = $1 AND id = $2",
                                  {practice_id, id}, read_booking));
}

core::Result<std::optional<OnlineBookingRow>> SqlBookingPort::find_by_appointment(
    std::string_view practice_id, std::string_view appointment_id) {
  return first_row(read_each<OnlineBookingRow>(
      x_,
      "SELECT " + std::string(kBookingColumns) +
          " FROM online_bookings WHERE practice_id = $1 AND appointment_id = $2",
      {practice_id, appointment_id}, read_booking));
}

core::Result<std::int64_t> SqlBookingPort::count_future(std::string_view practice_id,
                                                        std::optional<std::int64_t> phone_hash,
                                                        std::optional<std::int64_t> email_hash,
                                                        std::int64_t now) {
  if (!phone_hash && !email_hash) return std::int64_t{0};
  // Each contact column through its own index, then the appointment of each match by
  // primary key. A correlated scalar subquery, not a join: PostgreSQL's generic plan for
  // the join (prepared statements) walked all of the practice's appointments and
  // filtered them by the matches (3 ms per booking with 12,000 appointments).
  auto rows = x_.run(
      "SELECT COUNT(*) FROM (SELECT appointment_id FROM online_bookings WHERE practice_id = $1 "
      "AND phone_hash = $3 UNION SELECT appointment_id FROM online_bookings WHERE "
      "practice_id = $1 AND email_hash = $4) AS m WHERE (SELECT a.active = 1 AND "
      "a.starts_at > $2 FROM appointments a WHERE a.practice_id = $1 AND "
      "a.id = m.appointment_id)",
      {practice_id, now, nullable(phone_hash), nullable(email_hash)});
  if (!rows) return tl::unexpected(rows.error());
  return rows->int64(0, 0);
}

core::Result<std::vector<OnlineBookingRow>> SqlBookingPort::list_unreviewed(
    std::string_view practice_id, std::int64_t limit) {
  return read_each<OnlineBookingRow>(
      x_,
      "SELECT " + std::string(kBookingColumns) +
          " FROM online_bookings WHERE practice_id = $1 AND reviewed_at IS NULL "
          "ORDER BY created_at, id LIMIT $2",
      {practice_id, limit}, read_booking);
}

core::Result<bool> SqlBookingPort::mark_reviewed(std::string_view practice_id, std::string_view id,
                                                 std::string_view by, std::string_view at) {
  return touched_one(
      x_.run("UPDATE online_bookings SET reviewed_at = $3, reviewed_by = $4 WHERE practice_id = "
             "$1 AND id = $2 AND reviewed_at IS NULL",
             {practice_id, id, at, by}));
}

core::Result<std::optional<IdempotencyRow>> SqlBookingPort::find_idempotent(
    std::string_view practice_id, std::span<const std::uint8_t> key_hash) {
  return first_row(read_each<IdempotencyRow>(
      x_,
      "SELECT practice_id, key_hash, request_hash, response, expires_at FROM "
      "idempotency_keys WHERE practice_id = $1 AND key_hash = $2",
      {practice_id, key_hash}, [](const RowView& r) {
        return IdempotencyRow{r.text(0), r.bytes(1), r.bytes(2), r.bytes(3), r.int64(4)};
      }));
}

core::Result<void> SqlBookingPort::insert_idempotent(const IdempotencyRow& row) {
  return done(x_.run(
      "INSERT INTO idempotency_keys(practice_id, key_hash, request_hash, response, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {row.practice_id, std::span<const std::uint8_t>(row.key_hash),
       std::span<const std::uint8_t>(row.request_hash), std::span<const std::uint8_t>(row.response),
       row.expires_at}));
}

core::Result<void> SqlBookingPort::use_challenge(std::string_view practice_id,
                                                 std::string_view nonce, std::int64_t expires_at) {
  return done(
      x_.run("INSERT INTO used_challenges(practice_id, nonce, expires_at) VALUES ($1, $2, $3)",
             {practice_id, nonce, expires_at}));
}

core::Result<std::int64_t> SqlBookingPort::purge_expired(std::int64_t now) {
  auto a = x_.run("DELETE FROM idempotency_keys WHERE expires_at < $1", {now});
  if (!a) return tl::unexpected(a.error());
  auto b = x_.run("DELETE FROM used_challenges WHERE expires_at < $1", {now});
  if (!b) return tl::unexpected(b.error());
  return a->affected() + b->affected();
}

// ---- outbox ----

constexpr std::string_view kOutboxColumns =
    "practice_id, id, kind, channel, appointment_id, payload, state, attempts, "
    "next_attempt_at, lease_until, last_error, created_at, finished_at";

OutboxRow read_outbox(const RowView& r) {
  OutboxRow o;
  o.practice_id = r.text(0);
  o.id = r.text(1);
  o.kind = r.text(2);
  o.channel = r.text(3);
  o.appointment_id = r.opt_text(4);
  o.payload = r.opt_bytes(5);
  o.state = r.text(6);
  o.attempts = r.int64(7);
  o.next_attempt_at = r.int64(8);
  o.lease_until = r.opt_int64(9);
  o.last_error = r.opt_text(10);
  o.created_at = r.text(11);
  o.finished_at = r.opt_text(12);
  return o;
}

core::Result<void> SqlOutboxPort::insert(const OutboxRow& row) {
  return done(x_.run("INSERT INTO outbox(" + std::string(kOutboxColumns) +
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                     {row.practice_id, row.id, row.kind, row.channel, nullable(row.appointment_id),
                      nullable(row.payload), row.state, row.attempts, row.next_attempt_at,
                      nullable(row.lease_until), nullable(row.last_error), row.created_at,
                      nullable(row.finished_at)}));
}

core::Result<std::optional<OutboxRow>> SqlOutboxPort::find(std::string_view practice_id,
                                                           std::string_view id) {
  return first_row(read_each<OutboxRow>(
      x_,
      "SELECT " + std::string(kOutboxColumns) + " FROM outbox WHERE practice_id = $1 AND id = $2",
      {practice_id, id}, read_outbox));
}

core::Result<std::vector<OutboxRow>> SqlOutboxPort::claim(std::int64_t now,
                                                          std::int64_t lease_until,
                                                          std::int64_t limit) {
  // Candidates through the two partial indexes, then each taken by an UPDATE that checks
  // again that it is still free: two workers (PostgreSQL) never both take one message.
  auto candidates = x_.run(
      "SELECT practice_id, id, due FROM (SELECT practice_id, id, next_attempt_at AS due FROM "
      "outbox WHERE state = 'pending' AND next_attempt_at <= $1 UNION ALL SELECT practice_id, "
      "id, lease_until AS due FROM outbox WHERE state = 'sending' AND lease_until <= $1) AS c "
      "ORDER BY due, id LIMIT $2",
      {now, limit});
  if (!candidates) return tl::unexpected(candidates.error());
  std::vector<OutboxRow> out;
  for (std::size_t i = 0; i < candidates->size(); ++i) {
    const auto practice_id = candidates->text(i, 0);
    const auto id = candidates->text(i, 1);
    auto taken = x_.run(
        "UPDATE outbox SET state = 'sending', lease_until = $3, attempts = attempts + 1 "
        "WHERE practice_id = $1 AND id = $2 AND ((state = 'pending' AND next_attempt_at <= $4) "
        "OR (state = 'sending' AND lease_until <= $4))",
        {std::string_view(practice_id), std::string_view(id), lease_until, now});
    if (!taken) return tl::unexpected(taken.error());
    if (taken->affected() == 0) continue;
    auto row = find(practice_id, id);
    if (!row) return tl::unexpected(row.error());
    if (*row) out.push_back(std::move(**row));
  }
  return out;
}

core::Result<bool> SqlOutboxPort::settle(const OutboxRow& row) {
  if (row.state == "pending") {
    return touched_one(x_.run(
        "UPDATE outbox SET state = 'pending', next_attempt_at = $4, lease_until = NULL, "
        "last_error = $5 WHERE practice_id = $1 AND id = $2 AND state = 'sending' AND "
        "attempts = $3",
        {row.practice_id, row.id, row.attempts, row.next_attempt_at, nullable(row.last_error)}));
  }
  // A dead message keeps its payload, so staff can have it tried again.
  return touched_one(
      x_.run("UPDATE outbox SET state = $4, lease_until = NULL, last_error = $5, finished_at = $6, "
             "payload = CASE WHEN $4 = 'dead' THEN payload ELSE NULL END "
             "WHERE practice_id = $1 AND id = $2 AND state = 'sending' AND attempts = $3",
             {row.practice_id, row.id, row.attempts, row.state, nullable(row.last_error),
              nullable(row.finished_at)}));
}

core::Result<std::int64_t> SqlOutboxPort::release_claims() {
  auto r =
      x_.run("UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'sending'");
  if (!r) return tl::unexpected(r.error());
  return r->affected();
}

core::Result<std::int64_t> SqlOutboxPort::make_obsolete(std::string_view practice_id,
                                                        std::string_view appointment_id,
                                                        std::string_view kind,
                                                        std::string_view at) {
  auto r = x_.run(
      "UPDATE outbox SET state = 'obsolete', payload = NULL, finished_at = $4 "
      "WHERE practice_id = $1 AND appointment_id = $2 AND kind = $3 AND state = 'pending'",
      {practice_id, appointment_id, kind, at});
  if (!r) return tl::unexpected(r.error());
  return r->affected();
}

core::Result<bool> SqlOutboxPort::revive(std::string_view practice_id, std::string_view id,
                                         std::int64_t now) {
  return touched_one(
      x_.run("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $3, "
             "finished_at = NULL WHERE practice_id = $1 AND id = $2 AND state = 'dead' AND "
             "payload IS NOT NULL",
             {practice_id, id, now}));
}

core::Result<std::vector<OutboxRow>> SqlOutboxPort::list(
    std::string_view practice_id, std::string_view state,
    std::optional<std::pair<std::string, std::string>> before, std::int64_t limit) {
  std::string sql = "SELECT " + std::string(kOutboxColumns) + " FROM outbox WHERE practice_id = $1";
  std::vector<Param> params{practice_id, limit};
  if (!state.empty()) {
    params.emplace_back(state);
    sql += " AND state = $" + std::to_string(params.size());
  }
  if (before) {
    params.emplace_back(std::string_view(before->first));
    params.emplace_back(std::string_view(before->second));
    sql += " AND (created_at < $" + std::to_string(params.size() - 1) + " OR (created_at = $" +
           std::to_string(params.size() - 1) + " AND id < $" + std::to_string(params.size()) + "))";
  }
  sql += " ORDER BY created_at DESC, id DESC LIMIT $2";
  return read_each<OutboxRow>(x_, sql, params, read_outbox);
}

core::Result<std::vector<std::pair<std::string, std::int64_t>>> SqlOutboxPort::count_by_state() {
  auto rows = x_.run("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.emplace_back(rows->text(i, 0), rows->int64(i, 1));
  }
  return out;
}

core::Result<std::int64_t> SqlOutboxPort::purge_finished(std::string_view before) {
  auto r =
      x_.run("DELETE FROM outbox WHERE state IN ('sent', 'obsolete', 'dead') AND finished_at < $1",
             {before});
  if (!r) return tl::unexpected(r.error());
  return r->affected();
}

}  // namespace praxis::store::sql
