// The backup file format without a database: any bytes round-trip.
#include "backup/backup_file.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace praxis::backup {
namespace {

namespace fs = std::filesystem;

class BackupFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 300 KiB: several stream chunks even after compression of the random half.
    std::string data;
    for (int i = 0; i < 150 * 1024; ++i) data += static_cast<char>(i % 7);
    for (int i = 0; i < 150 * 1024; ++i) data += static_cast<char>(randombytes_uniform(256));
    std::ofstream(source_file, std::ios::binary) << data;
    content = data;
    keys.push_back({"practice:p1", 42, 1, crypto::SecretKey::random()});
    keys.push_back({"signing:server", 7, 2, crypto::SecretKey::random()});
    source.database = source_file;
    source.keys = &keys;
    source.config_text = "[server]\nport = 8080\n";
    source.header.created_at = "2026-11-27T10:00:00Z";
    source.header.installation_id = "inst";
    source.header.praxis_version = "0.1.0";
    source.header.schema_version = 10;
  }

  test::TempDir tmp;
  fs::path source_file = tmp.path() / "db";
  std::string content;
  std::vector<BackupKey> keys;
  BackupSource source;
  RecoveryKey recovery = generate_recovery_key();
  crypto::SigningKey signer{crypto::SecretKey::random()};
};

TEST_F(BackupFileTest, RoundTripsDatabaseKeysAndConfig) {
  const auto file = tmp.path() / "b.pxbak";
  auto written = write_backup(source, recovery.public_key, signer, file);
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(written->database_bytes, content.size());
  EXPECT_EQ(written->file_bytes, fs::file_size(file));
  auto verified = verify_backup(file);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->header.installation_id, "inst");
  EXPECT_EQ(verified->header.schema_version, 10);
  EXPECT_EQ(verified->header.signer, signer.public_key());
  EXPECT_GE(verified->chunks, 3U);
  auto opened = open_backup(file, recovery, tmp.path() / "out.db");
  ASSERT_TRUE(opened) << opened.error().message;
  std::ifstream in(tmp.path() / "out.db", std::ios::binary);
  const std::string back{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(back, content);
  EXPECT_EQ(opened->config_text, source.config_text);
  ASSERT_EQ(opened->keys.size(), 2U);
  EXPECT_EQ(opened->keys[1].owner, "signing:server");
  EXPECT_EQ(opened->keys[1].key_id, 7U);
  EXPECT_EQ(opened->keys[1].version, 2U);
  EXPECT_TRUE(std::equal(opened->keys[0].secret.bytes().begin(),
                         opened->keys[0].secret.bytes().end(), keys[0].secret.bytes().begin()));
}

TEST_F(BackupFileTest, OtherFilesAreNotBackups) {
  const auto file = tmp.path() / "x";
  std::ofstream(file) << "hello, this is not a backup at all, but long enough to be read";
  auto r = verify_backup(file);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not a praxis backup"), std::string::npos);
  EXPECT_FALSE(verify_backup(tmp.path() / "missing"));
}

TEST_F(BackupFileTest, AnUnwritableTargetLeavesNothingBehind) {
  const auto file = tmp.path() / "no-such-dir" / "b.pxbak";
  EXPECT_FALSE(write_backup(source, recovery.public_key, signer, file));
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(BackupFileTest, EveryByteIsCoveredBySignatureOrEncryption) {
  const auto file = tmp.path() / "b.pxbak";
  ASSERT_TRUE(write_backup(source, recovery.public_key, signer, file));
  std::ifstream in(file, std::ios::binary);
  const std::string good{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // Every 997th byte flipped, one at a time: never accepted.
  for (std::size_t at = 0; at < good.size(); at += 997) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    const auto f = tmp.path() / "bad.pxbak";
    std::ofstream(f, std::ios::binary | std::ios::trunc) << bad;
    EXPECT_FALSE(verify_backup(f)) << at;
    EXPECT_FALSE(open_backup(f, recovery, tmp.path() / "o.db")) << at;
    EXPECT_FALSE(fs::exists(tmp.path() / "o.db")) << at;
  }
}

}  // namespace
}  // namespace praxis::backup
