#pragma once
// SQLite implementations of the ports in store.hpp, over one connection. They use the
// connection's statement cache; the transaction around them is the caller's.

#include "store/sqlite/database.hpp"
#include "store/store.hpp"

namespace praxis::store::sqlite {

class SqliteMetaPort final : public MetaPort {
 public:
  explicit SqliteMetaPort(Database& db) : db_(db) {}
  core::Result<std::optional<std::string>> get(std::string_view key) override;
  core::Result<void> put(std::string_view key, std::string_view value) override;

 private:
  Database& db_;
};

class SqliteMasterWrappedKeyPort final : public MasterWrappedKeyPort {
 public:
  explicit SqliteMasterWrappedKeyPort(Database& db) : db_(db) {}
  core::Result<std::vector<WrappedKeyRow>> list() override;
  core::Result<std::optional<WrappedKeyRow>> find(std::string_view owner) override;
  core::Result<void> insert(const WrappedKeyRow& row) override;
  core::Result<void> update(const WrappedKeyRow& row) override;

 private:
  Database& db_;
};

}  // namespace praxis::store::sqlite
