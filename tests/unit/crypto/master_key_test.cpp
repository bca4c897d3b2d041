#include "crypto/master_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace praxis::crypto {
namespace {

TEST(MasterKey, CreatesPrivateRandomKeyFile) {
  test::TempDir dir;
  const auto a = dir.path() / "a.key";
  const auto b = dir.path() / "b.key";
  ASSERT_TRUE(create_master_key_file(a));
  ASSERT_TRUE(create_master_key_file(b));
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_TRUE(check_master_key_file(a));
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::string ka((std::istreambuf_iterator<char>(fa)), {}),
      kb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_NE(ka, kb);
}

TEST(MasterKey, NeverOverwritesAnExistingKey) {
  test::TempDir dir;
  const auto path = dir.path() / "m.key";
  ASSERT_TRUE(create_master_key_file(path));
  std::ifstream before_in(path, std::ios::binary);
  std::string before((std::istreambuf_iterator<char>(before_in)), {});
  EXPECT_FALSE(create_master_key_file(path));
  std::ifstream after_in(path, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(after_in)), {});
  EXPECT_EQ(before, after);
}

TEST(MasterKey, RefusesKeyReadableByOthersWithAFix) {
  test::TempDir dir;
  const auto path = dir.path() / "m.key";
  ASSERT_TRUE(create_master_key_file(path));
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto r = check_master_key_file(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_FALSE(check_master_key_file(path));
}

TEST(MasterKey, RefusesWrongSizeAndMissingFile) {
  test::TempDir dir;
  const auto path = dir.path() / "m.key";
  EXPECT_FALSE(check_master_key_file(path));
  {
    std::ofstream out(path);
    out << "short";
  }
  ::chmod(path.c_str(), 0600);
  auto r = check_master_key_file(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("expected 32"), std::string::npos);
}

}  // namespace
}  // namespace praxis::crypto
