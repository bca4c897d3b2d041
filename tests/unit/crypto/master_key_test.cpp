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

TEST(MasterKey, LoadsIntoGuardedMemoryWithAStableId) {
  test::TempDir dir;
  const auto path = dir.path() / "m.key";
  ASSERT_TRUE(create_master_key_file(path));
  auto a = load_master_key_file(path);
  auto b = load_master_key_file(path);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->id, key_id_of(a->key));
  std::ifstream in(path, std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(raw.size(), kMasterKeyBytes);
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), a->key.bytes().begin(),
                         [](char x, std::uint8_t y) { return static_cast<std::uint8_t>(x) == y; }));
  ::chmod(path.c_str(), 0604);
  EXPECT_FALSE(load_master_key_file(path));
}

const PassphraseCost kFastCost{1, 8 * 1024 * 1024};

TEST(MasterKey, PassphraseDerivesTheSameKeyAndRefusesAWrongOne) {
  test::TempDir dir;
  const auto salt = dir.path() / "master.salt";
  auto created = create_passphrase_salt_file(salt, "Sonnenblumenfeld 1987!", kFastCost);
  ASSERT_TRUE(created) << created.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(salt.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = derive_master_key(salt, "Sonnenblumenfeld 1987!");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, created->id);
  auto wrong = derive_master_key(salt, "Sonnenblumenfeld 1988!");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos);
  EXPECT_FALSE(create_passphrase_salt_file(salt, "another passphrase", kFastCost))
      << "no overwrite";
}

TEST(MasterKey, PassphraseRulesAndDamagedSaltFile) {
  test::TempDir dir;
  const auto salt = dir.path() / "master.salt";
  EXPECT_FALSE(create_passphrase_salt_file(salt, "short", kFastCost));
  EXPECT_FALSE(std::filesystem::exists(salt));
  ASSERT_TRUE(create_passphrase_salt_file(salt, "lang genug und geheim", kFastCost));
  {
    std::fstream f(salt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.put('X');
  }
  auto r = derive_master_key(salt, "lang genug und geheim");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("damaged"), std::string::npos);
  ::chmod(salt.c_str(), 0644);
  EXPECT_FALSE(derive_master_key(salt, "lang genug und geheim"));
}

}  // namespace
}  // namespace praxis::crypto
