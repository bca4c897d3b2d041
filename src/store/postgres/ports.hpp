#pragma once
// PostgreSQL implementations of the ports in store.hpp over one connection; the
// transaction around them is PgStore's.

#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace praxis::store::postgres {

class PgMetaPort final : public MetaPort {
 public:
  explicit PgMetaPort(PgConnection& c) : c_(c) {}
  core::Result<std::optional<std::string>> get(std::string_view key) override {
    auto r = c_.query("SELECT value FROM server_meta WHERE key = $1", {key});
    if (!r) return tl::unexpected(r.error());
    if (r->rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->text(0, 0));
  }
  core::Result<void> put(std::string_view key, std::string_view value) override {
    auto r = c_.query(
        "INSERT INTO server_meta(key, value) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        {key, value});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

 private:
  PgConnection& c_;
};

class PgMasterWrappedKeyPort final : public MasterWrappedKeyPort {
 public:
  explicit PgMasterWrappedKeyPort(PgConnection& c) : c_(c) {}

  core::Result<std::vector<WrappedKeyRow>> list() override {
    auto r = c_.query(std::string(kSelect) + " ORDER BY owner");
    if (!r) return tl::unexpected(r.error());
    std::vector<WrappedKeyRow> rows;
    rows.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) rows.push_back(read(*r, i));
    return rows;
  }
  core::Result<std::optional<WrappedKeyRow>> find(std::string_view owner) override {
    auto r = c_.query(std::string(kSelect) + " WHERE owner = $1", {owner});
    if (!r) return tl::unexpected(r.error());
    if (r->rows() == 0) return std::optional<WrappedKeyRow>();
    return std::optional<WrappedKeyRow>(read(*r, 0));
  }
  core::Result<void> insert(const WrappedKeyRow& row) override {
    auto r = c_.query(
        "INSERT INTO master_wrapped_keys(owner, key_id, version, wrapping_key_id, sealed) "
        "VALUES ($1, $2, $3, $4, $5)",
        params(row));
    if (!r && r.error().code == core::ErrorCode::conflict) {
      return core::fail(core::ErrorCode::conflict, "a key for " + row.owner + " already exists",
                        r.error().internal);
    }
    if (!r) return tl::unexpected(r.error());
    return {};
  }
  core::Result<void> update(const WrappedKeyRow& row) override {
    auto r = c_.query(
        "UPDATE master_wrapped_keys SET key_id = $2, version = $3, wrapping_key_id = $4, "
        "sealed = $5, updated_at = now() WHERE owner = $1",
        params(row));
    if (!r) return tl::unexpected(r.error());
    if (r->affected() != 1)
      return core::fail(core::ErrorCode::not_found, "no key for " + row.owner);
    return {};
  }

 private:
  static constexpr std::string_view kSelect =
      "SELECT owner, key_id, version, wrapping_key_id, sealed FROM master_wrapped_keys";

  static WrappedKeyRow read(const PgResult& r, int i) {
    return WrappedKeyRow{r.text(i, 0), static_cast<std::uint64_t>(r.int64(i, 1)),
                         static_cast<std::uint32_t>(r.int64(i, 2)),
                         static_cast<std::uint64_t>(r.int64(i, 3)), r.bytes(i, 4)};
  }
  static std::vector<PgParam> params(const WrappedKeyRow& row) {
    return {std::string_view(row.owner), static_cast<std::int64_t>(row.key_id),
            static_cast<std::int64_t>(row.version), static_cast<std::int64_t>(row.wrapping_key_id),
            std::span<const std::uint8_t>(row.sealed)};
  }

  PgConnection& c_;
};

}  // namespace praxis::store::postgres
