#include "support/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace praxis::test {

TempDir::TempDir() {
  // mkdtemp replaces the trailing six X characters.
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("praxis-test-" + std::string(6, 'X'))).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace praxis::test
