#include "store/migration.hpp"

#include <cstdio>

namespace praxis::store {

std::string migration_checksum(std::string_view sql) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : sql) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  (void)std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

core::Result<void> check_applied(const std::vector<AppliedMigration>& applied,
                                 const std::vector<Migration>& embedded) {
  const int newest = embedded.empty() ? 0 : embedded.back().number;
  for (const auto& a : applied) {
    if (a.number > newest) {
      return core::fail(core::ErrorCode::internal,
                        "the database schema (migration " + std::to_string(a.number) +
                            ") is newer than this praxis binary (up to " + std::to_string(newest) +
                            "); install the newer praxis");
    }
    for (const auto& m : embedded) {
      if (m.number == a.number && migration_checksum(m.sql) != a.checksum) {
        return core::fail(core::ErrorCode::internal,
                          "migration " + a.name +
                              " was changed after it was applied to this "
                              "database (checksum " +
                              a.checksum + ", file " + migration_checksum(m.sql) +
                              "); a schema change must be a new migration file");
      }
    }
  }
  return {};
}

}  // namespace praxis::store
