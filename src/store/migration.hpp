#pragma once

#include <string_view>
#include <vector>

namespace praxis::store {

// One numbered schema change, embedded from src/store/migrations/<dialect>/NNNN_name.sql.
struct Migration {
  int number;
  std::string_view name;
  std::string_view sql;
};

namespace sqlite {
// Every SQLite migration, ascending by number.
const std::vector<Migration>& migrations();
}  // namespace sqlite

}  // namespace praxis::store
