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

class SqlitePracticePort final : public PracticePort {
 public:
  explicit SqlitePracticePort(Database& db) : db_(db) {}
  core::Result<void> insert(const PracticeRow& row) override;
  core::Result<std::optional<PracticeRow>> find(std::string_view id) override;
  core::Result<std::optional<PracticeRow>> find_by_slug(std::string_view slug) override;
  core::Result<std::vector<PracticeRow>> list() override;

 private:
  core::Result<std::vector<PracticeRow>> select(std::string_view where, std::string_view arg);
  Database& db_;
};

class SqliteUserPort final : public UserPort {
 public:
  explicit SqliteUserPort(Database& db) : db_(db) {}
  core::Result<void> insert(const UserRow& row) override;
  core::Result<std::optional<UserRow>> find(std::string_view practice_id,
                                            std::string_view id) override;
  core::Result<std::optional<UserRow>> find_by_email(std::string_view email) override;
  core::Result<std::vector<UserRow>> list(std::string_view practice_id) override;

 private:
  core::Result<std::vector<UserRow>> select(std::string_view where, std::string_view a,
                                            std::string_view b);
  Database& db_;
};

class SqliteEnrolmentTokenPort final : public EnrolmentTokenPort {
 public:
  explicit SqliteEnrolmentTokenPort(Database& db) : db_(db) {}
  core::Result<void> insert(const EnrolmentTokenRow& row) override;
  core::Result<std::optional<EnrolmentTokenRow>> find(
      std::span<const std::uint8_t> token_hash) override;
  core::Result<void> mark_used(std::span<const std::uint8_t> token_hash,
                               std::string_view at) override;

 private:
  Database& db_;
};

}  // namespace praxis::store::sqlite
