#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>

#include "core/shared_library.hpp"

namespace praxis::store::postgres {

using core::ErrorCode;

namespace {

// libpq, opened by the first connection or DSN check rather than linked
// (core/shared_library.hpp): a server on SQLite never loads it and its dependencies.
struct LibPq {
  core::SharedLibrary lib;
  decltype(&::PQclear) clear = lib.function<decltype(clear)>("PQclear");
  decltype(&::PQcmdTuples) cmd_tuples = lib.function<decltype(cmd_tuples)>("PQcmdTuples");
  decltype(&::PQconnectdb) connectdb = lib.function<decltype(connectdb)>("PQconnectdb");
  decltype(&::PQconninfoFree) conninfo_free =
      lib.function<decltype(conninfo_free)>("PQconninfoFree");
  decltype(&::PQconninfoParse) conninfo_parse =
      lib.function<decltype(conninfo_parse)>("PQconninfoParse");
  decltype(&::PQerrorMessage) error_message =
      lib.function<decltype(error_message)>("PQerrorMessage");
  decltype(&::PQescapeIdentifier) escape_identifier =
      lib.function<decltype(escape_identifier)>("PQescapeIdentifier");
  decltype(&::PQescapeLiteral) escape_literal =
      lib.function<decltype(escape_literal)>("PQescapeLiteral");
  decltype(&::PQexec) exec = lib.function<decltype(exec)>("PQexec");
  decltype(&::PQexecParams) exec_params = lib.function<decltype(exec_params)>("PQexecParams");
  decltype(&::PQexecPrepared) exec_prepared =
      lib.function<decltype(exec_prepared)>("PQexecPrepared");
  decltype(&::PQfinish) finish = lib.function<decltype(finish)>("PQfinish");
  decltype(&::PQfreemem) freemem = lib.function<decltype(freemem)>("PQfreemem");
  decltype(&::PQftype) ftype = lib.function<decltype(ftype)>("PQftype");
  decltype(&::PQgetisnull) getisnull = lib.function<decltype(getisnull)>("PQgetisnull");
  decltype(&::PQgetlength) getlength = lib.function<decltype(getlength)>("PQgetlength");
  decltype(&::PQgetvalue) getvalue = lib.function<decltype(getvalue)>("PQgetvalue");
  decltype(&::PQnfields) nfields = lib.function<decltype(nfields)>("PQnfields");
  decltype(&::PQntuples) ntuples = lib.function<decltype(ntuples)>("PQntuples");
  decltype(&::PQprepare) prepare = lib.function<decltype(prepare)>("PQprepare");
  decltype(&::PQresultErrorField) result_error_field =
      lib.function<decltype(result_error_field)>("PQresultErrorField");
  decltype(&::PQresultStatus) result_status =
      lib.function<decltype(result_status)>("PQresultStatus");
  decltype(&::PQsetNoticeProcessor) set_notice_processor =
      lib.function<decltype(set_notice_processor)>("PQsetNoticeProcessor");
  decltype(&::PQstatus) status = lib.function<decltype(status)>("PQstatus");
  decltype(&::PQunescapeBytea) unescape_bytea =
      lib.function<decltype(unescape_bytea)>("PQunescapeBytea");
};

const core::Result<LibPq>& libpq() {
  static const auto loaded = core::SharedLibrary::load<LibPq>("libpq.so.5", "libpq5");
  return loaded;
}

// For what runs on a connection or its results: the library was loaded to make them.
const LibPq& pq() { return *libpq(); }

}  // namespace

core::Error classify_sqlstate(std::string_view sqlstate, std::string internal) {
  if (sqlstate == "40001" || sqlstate == "40P01") {
    auto e = core::Error::make(ErrorCode::unavailable,
                               "Die Datenbank ist ausgelastet. / The database is busy.",
                               std::move(internal));
    e.transient = true;
    return e;
  }
  if (sqlstate.starts_with("23")) {
    return core::Error::make(ErrorCode::conflict, "conflict", std::move(internal));
  }
  if (sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57P") ||
      sqlstate.starts_with("58") || sqlstate.empty()) {
    return core::Error::make(ErrorCode::unavailable,
                             "Der Datenspeicher ist vorübergehend nicht verfügbar. / Storage is "
                             "temporarily unavailable.",
                             std::move(internal));
  }
  return core::Error::make(ErrorCode::internal, "database error", std::move(internal));
}

PgResult::~PgResult() {
  if (result_) pq().clear(result_);
}

int PgResult::rows() const { return pq().ntuples(result_); }
int PgResult::columns() const { return pq().nfields(result_); }
bool PgResult::is_bytea(int column) const {
  constexpr Oid kByteaOid = 17;
  return pq().ftype(result_, column) == kByteaOid;
}
bool PgResult::is_null(int row, int column) const {
  return pq().getisnull(result_, row, column) != 0;
}
std::string PgResult::text(int row, int column) const {
  return std::string(pq().getvalue(result_, row, column),
                     static_cast<std::size_t>(pq().getlength(result_, row, column)));
}
std::int64_t PgResult::int64(int row, int column) const {
  return std::strtoll(pq().getvalue(result_, row, column), nullptr, 10);
}
std::vector<std::uint8_t> PgResult::bytes(int row, int column) const {
  std::size_t len = 0;
  unsigned char* raw = pq().unescape_bytea(
      reinterpret_cast<const unsigned char*>(pq().getvalue(result_, row, column)), &len);
  std::vector<std::uint8_t> out(raw, raw + len);
  pq().freemem(raw);
  return out;
}
std::int64_t PgResult::affected() const {
  return std::strtoll(pq().cmd_tuples(result_), nullptr, 10);
}

core::Result<PgConnection> PgConnection::connect(const std::string& dsn) {
  if (const auto& lib = libpq(); !lib) return tl::unexpected(lib.error());
  pg_conn* conn = pq().connectdb(dsn.c_str());
  PgConnection c(conn);
  if (!conn || pq().status(conn) != CONNECTION_OK) {
    return tl::unexpected(classify_sqlstate(
        "08000", std::string("connect: ") + (conn ? pq().error_message(conn) : "out of memory")));
  }
  // Server notices (e.g. "relation already exists, skipping" from the migrations) are
  // not for the operator's terminal; errors come back through the results.
  pq().set_notice_processor(
      conn, [](void*, const char*) {}, nullptr);
  return c;
}

PgConnection::~PgConnection() {
  if (conn_) pq().finish(conn_);
}

bool PgConnection::healthy() const { return conn_ && pq().status(conn_) == CONNECTION_OK; }

core::Error PgConnection::lost_or_classified(const char* sqlstate, std::string internal) const {
  if (!healthy()) {
    // The server went away (restart, failover, network): whatever the statement was,
    // its transaction is gone on the server, so running it again on a new connection
    // is safe, except for a COMMIT whose outcome is unknown (PgTransaction clears the
    // flag there).
    auto e = classify_sqlstate("08006", std::move(internal));
    e.transient = true;
    return e;
  }
  return classify_sqlstate(sqlstate ? sqlstate : "", std::move(internal));
}

core::Result<PgResult> PgConnection::query(std::string_view sql,
                                           const std::vector<PgParam>& params) {
  if (!deferred_.empty()) {
    if (auto r = exec_script({}); !r) return tl::unexpected(r.error());
  }
  std::vector<std::string> text(params.size());
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size());
  std::vector<int> formats(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::visit(
        [&](const auto& p) {
          using P = std::decay_t<decltype(p)>;
          if constexpr (std::is_same_v<P, std::monostate>) {
            values[i] = nullptr;
          } else if constexpr (std::is_same_v<P, std::string_view>) {
            text[i] = std::string(p);
            values[i] = text[i].c_str();
          } else if constexpr (std::is_same_v<P, std::int64_t>) {
            text[i] = std::to_string(p);
            values[i] = text[i].c_str();
          } else {
            values[i] = reinterpret_cast<const char*>(p.data());
            lengths[i] = static_cast<int>(p.size());
            formats[i] = 1;  // binary
          }
        },
        params[i]);
  }
  const std::string sql_text(sql);
  const int n = static_cast<int>(params.size());
  auto name = prepared(sql_text, n);
  if (!name) return tl::unexpected(name.error());
  ++round_trips_;
  pg_result* raw = name->empty()
                       ? pq().exec_params(conn_, sql_text.c_str(), n, nullptr, values.data(),
                                          lengths.data(), formats.data(), 0)
                       : pq().exec_prepared(conn_, name->c_str(), n, values.data(), lengths.data(),
                                            formats.data(), 0);
  PgResult result(raw);
  const auto status = raw ? pq().result_status(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = raw ? pq().result_error_field(raw, PG_DIAG_SQLSTATE) : nullptr;
    return tl::unexpected(
        lost_or_classified(state, std::string("query: ") + pq().error_message(conn_)));
  }
  return result;
}

core::Result<std::string> PgConnection::prepared(const std::string& sql, int params) {
  constexpr std::size_t kMaxPrepared = 512;
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  if (prepared_.size() >= kMaxPrepared) return std::string();
  std::string name = "praxis_" + std::to_string(prepared_.size() + 1);
  ++round_trips_;
  pg_result* raw = pq().prepare(conn_, name.c_str(), sql.c_str(), params, nullptr);
  PgResult result(raw);
  if (!raw || pq().result_status(raw) != PGRES_COMMAND_OK) {
    const char* state = raw ? pq().result_error_field(raw, PG_DIAG_SQLSTATE) : nullptr;
    return tl::unexpected(
        lost_or_classified(state, std::string("prepare: ") + pq().error_message(conn_)));
  }
  prepared_.emplace(sql, name);
  return name;
}

namespace {

// A libpq escape function's result (freed with PQfreemem), or its error.
core::Result<std::string> escaped(pg_conn* conn, char* quoted, std::string_view what) {
  if (quoted == nullptr) {
    return core::fail(ErrorCode::internal, "database error",
                      std::string(what) + ": " + pq().error_message(conn));
  }
  std::string out(quoted);
  pq().freemem(quoted);
  return out;
}

}  // namespace

core::Result<std::string> PgConnection::quote_identifier(std::string_view name) {
  return escaped(conn_, pq().escape_identifier(conn_, name.data(), name.size()),
                 "quote identifier");
}

core::Result<std::string> PgConnection::quote_literal(std::string_view value) {
  return escaped(conn_, pq().escape_literal(conn_, value.data(), value.size()), "quote literal");
}

core::Result<void> PgConnection::exec(std::string_view sql) {
  auto r = query(sql);
  if (!r) return tl::unexpected(r.error());
  return {};
}

core::Result<void> PgConnection::exec_script(std::string_view sql) {
  std::string text = std::move(deferred_);
  deferred_.clear();
  if (!text.empty() && !sql.empty()) text += "; ";
  text += sql;
  ++round_trips_;
  pg_result* raw = pq().exec(conn_, text.c_str());
  PgResult result(raw);
  const auto status = raw ? pq().result_status(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = raw ? pq().result_error_field(raw, PG_DIAG_SQLSTATE) : nullptr;
    return tl::unexpected(
        lost_or_classified(state, std::string("script: ") + pq().error_message(conn_)));
  }
  return {};
}

core::Result<void> check_dsn_security(const std::string& dsn) {
  if (const auto& lib = libpq(); !lib) return tl::unexpected(lib.error());
  char* error = nullptr;
  PQconninfoOption* options = pq().conninfo_parse(dsn.c_str(), &error);
  if (!options) {
    std::string message = error ? error : "unparsable";
    if (error) pq().freemem(error);
    return core::fail(ErrorCode::invalid_input,
                      "[store] postgres_dsn is not a valid connection "
                      "string: " +
                          message);
  }
  std::string host, hostaddr, sslmode;
  for (auto* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "sslmode") sslmode = o->val;
  }
  pq().conninfo_free(options);
  const std::string target = hostaddr.empty() ? host : hostaddr;
  const bool local = target.empty() || target.front() == '/' || target == "localhost" ||
                     target.starts_with("127.") || target == "::1";
  if (!local && sslmode != "verify-full") {
    return core::fail(ErrorCode::invalid_input,
                      "[store] postgres_dsn connects to " + target +
                          " without sslmode=verify-full; patient data must not cross a network "
                          "unverified. Add sslmode=verify-full (and sslrootcert) or connect "
                          "over a Unix socket");
  }
  return {};
}

}  // namespace praxis::store::postgres
