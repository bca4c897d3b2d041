#include <gtest/gtest.h>

#include "app/data_dir.hpp"
#include "app/keys.hpp"
#include "crypto/field_cipher.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace praxis::app {
namespace {

namespace sq = store::sqlite;

const crypto::FieldContext kWhere{"prac-1", "patients", "family_name", "pat-1"};

// A data directory with one practice key, one patient key under it, and one field
// encrypted with the patient key: what a rotation must keep readable.
struct Installation {
  test::TempDir tmp;
  DataDir dir{tmp.path() / "var"};
  crypto::WrappedKey patient_wrapped;
  std::vector<std::uint8_t> ciphertext;

  Installation() {
    EXPECT_TRUE(init_data_dir(dir));
    auto masters = load_master_keys(dir);
    EXPECT_TRUE(masters);
    crypto::KeyRing ring(std::move(*masters));
    auto practice = ring.create_practice_key("prac-1");
    insert(store::WrappedKeyRow{"practice:prac-1", practice.wrapped.key_id,
                                practice.wrapped.version, practice.wrapped.wrapping_key_id,
                                practice.wrapped.sealed});
    auto patient = ring.create_patient_key(*practice.key, "prac-1", "pat-1");
    patient_wrapped = patient.wrapped;
    ciphertext = crypto::encrypt_field(*patient.key, kWhere, std::string_view("Müller"));
  }

  std::unique_ptr<sq::SqliteStore> open_store() const {
    auto s = sq::SqliteStore::open(dir.database(), sq::Synchronous::full);
    EXPECT_TRUE(s) << s.error().internal;
    return std::move(*s);
  }

  void insert(const store::WrappedKeyRow& row) const {
    auto s = open_store();
    EXPECT_TRUE(store::with_transaction(*s, store::TxMode::read_write, [&](store::Transaction& tx) {
      return tx.master_wrapped_keys().insert(row);
    }));
  }

  std::vector<store::WrappedKeyRow> rows() const {
    auto s = open_store();
    std::vector<store::WrappedKeyRow> out;
    EXPECT_TRUE(store::with_transaction(*s, store::TxMode::read_only,
                                        [&](store::Transaction& tx) -> core::Result<void> {
                                          auto r = tx.master_wrapped_keys().list();
                                          if (!r) return tl::unexpected(r.error());
                                          out = *r;
                                          return {};
                                        }));
    return out;
  }

  // Opens the data the way the server does and reads the encrypted field.
  std::string read_field() const {
    auto masters = load_master_keys(dir);
    if (!masters) return "load failed: " + masters.error().message;
    crypto::KeyRing ring(std::move(*masters));
    for (const auto& row : rows()) {
      if (row.owner != "practice:prac-1") continue;
      auto practice = ring.practice_key(
          "prac-1", crypto::WrappedKey{row.key_id, row.version, row.wrapping_key_id, row.sealed});
      if (!practice)
        return "practice key: " + std::string(crypto::crypto_error_name(practice.error()));
      auto patient = ring.patient_key(**practice, "prac-1", "pat-1", patient_wrapped);
      if (!patient) return "patient key";
      auto text = crypto::decrypt_field_text(**patient, kWhere, ciphertext);
      return text ? *text : "decrypt failed";
    }
    return "no practice key row";
  }
};

TEST(KeyRotation, DataWrittenBeforeReadsAfterAndOnlyTheWrappingChanges) {
  Installation inst;
  const auto before = inst.rows();
  ASSERT_EQ(before.size(), 2u);  // practice key + the server signing seed from init
  const auto old_id = crypto::load_master_key_file(inst.dir.master_key())->id;

  auto report = rotate_master_key(inst.dir);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rewrapped, 2u);
  EXPECT_EQ(report->old_key_id, old_id);
  const auto new_id = crypto::load_master_key_file(inst.dir.master_key())->id;
  EXPECT_EQ(new_id, report->new_key_id);
  EXPECT_NE(new_id, old_id);
  for (std::size_t i = 0; i < before.size(); ++i) {
    const auto after = inst.rows();
    EXPECT_EQ(after[i].key_id, before[i].key_id) << "the data keys themselves do not change";
    EXPECT_EQ(after[i].wrapping_key_id, new_id);
    EXPECT_NE(after[i].sealed, before[i].sealed);
  }
  EXPECT_EQ(inst.read_field(), "Müller");
  EXPECT_TRUE(std::filesystem::exists(inst.dir.root / "master.key.old"));

  ASSERT_TRUE(finish_rotation(inst.dir));
  EXPECT_FALSE(std::filesystem::exists(inst.dir.root / "master.key.old"));
  EXPECT_EQ(inst.read_field(), "Müller");
  // A second rotation works the same way.
  ASSERT_TRUE(rotate_master_key(inst.dir));
  ASSERT_TRUE(finish_rotation(inst.dir));
  EXPECT_EQ(inst.read_field(), "Müller");
}

TEST(KeyRotation, AnInterruptedRotationStillOpensAndResumes) {
  for (auto step :
       {RotationStep::wrote_next_key, RotationStep::rewrapped, RotationStep::kept_old_key}) {
    SCOPED_TRACE(static_cast<int>(step));
    Installation inst;
    ASSERT_TRUE(rotate_master_key(inst.dir, step));  // "crash" right after this step
    EXPECT_EQ(inst.read_field(), "Müller") << "opens with one of the two keys";
    EXPECT_FALSE(finish_rotation(inst.dir)) << "cannot finish an incomplete rotation";
    auto resumed = rotate_master_key(inst.dir);
    ASSERT_TRUE(resumed) << resumed.error().message;
    EXPECT_FALSE(std::filesystem::exists(inst.dir.root / "master.key.next"));
    const auto current = crypto::load_master_key_file(inst.dir.master_key())->id;
    for (const auto& row : inst.rows()) EXPECT_EQ(row.wrapping_key_id, current) << row.owner;
    EXPECT_EQ(inst.read_field(), "Müller");
    ASSERT_TRUE(finish_rotation(inst.dir));
    EXPECT_EQ(inst.read_field(), "Müller");
  }
}

TEST(KeyRotation, OnlyTheNewKeyFileLeftStillOpens) {
  Installation inst;
  ASSERT_TRUE(rotate_master_key(inst.dir, RotationStep::rewrapped));
  // As if master.key had been lost after the re-wrap committed.
  std::filesystem::remove(inst.dir.master_key());
  EXPECT_EQ(inst.read_field(), "Müller");
}

TEST(KeyRotation, RefusedWhileTheDataDirectoryIsInUse) {
  Installation inst;
  auto lock = DataDirLock::acquire(inst.dir);
  ASSERT_TRUE(lock);
  auto r = rotate_master_key(inst.dir);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("in use"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(inst.dir.root / "master.key.next")) << "nothing changed";
}

TEST(KeyRotation, AForeignKeyInTheTableAbortsWithoutChangingAnything) {
  Installation inst;
  inst.insert(
      store::WrappedKeyRow{"practice:intruder", 7, 1, 12345, std::vector<std::uint8_t>(72, 1)});
  const auto before = inst.rows();
  auto r = rotate_master_key(inst.dir);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("practice:intruder"), std::string::npos);
  const auto after = inst.rows();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].sealed, before[i].sealed);
  EXPECT_EQ(inst.read_field(), "Müller");
}

// Passphrase installations: a rotation is a passphrase change.
struct PassphraseInstallation {
  test::TempDir tmp;
  DataDir dir{tmp.path() / "var"};
  static constexpr const char* kOld = "alte Passphrase der Praxis";
  static constexpr const char* kNew = "neue Passphrase der Praxis";

  PassphraseInstallation() { EXPECT_TRUE(init_data_dir(dir, std::string(kOld))); }

  static PassphraseSource say(const char* text) {
    return [text]() -> core::Result<std::string> { return std::string(text); };
  }
  // Opens the data as the server does with `passphrase`; "" if it works, else the reason.
  std::string open_with(const char* passphrase) const {
    auto masters = load_master_keys(dir, say(passphrase));
    if (!masters) return masters.error().message;
    crypto::KeyRing ring(std::move(*masters));
    auto s = store::sqlite::SqliteStore::open(dir.database(), store::sqlite::Synchronous::full);
    if (!s) return s.error().message;
    auto r = check_keys_open_store(**s, ring);
    return r ? "" : r.error().message;
  }
};

TEST(PassphraseRotation, TheNewPassphraseOpensTheDataAndTheOldOneNoLonger) {
  PassphraseInstallation inst;
  ASSERT_EQ(inst.open_with(PassphraseInstallation::kOld), "");
  auto report = rotate_master_key(inst.dir, std::nullopt,
                                  {PassphraseInstallation::say(PassphraseInstallation::kOld),
                                   PassphraseInstallation::say(PassphraseInstallation::kNew)});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->rewrapped, 1u);
  EXPECT_EQ(inst.open_with(PassphraseInstallation::kNew), "");
  EXPECT_NE(inst.open_with(PassphraseInstallation::kOld).find("does not open"), std::string::npos)
      << "the kept old salt still derives the old key, which no longer opens the data";
  EXPECT_FALSE(
      finish_rotation(inst.dir, PassphraseInstallation::say(PassphraseInstallation::kOld)));
  ASSERT_TRUE(finish_rotation(inst.dir, PassphraseInstallation::say(PassphraseInstallation::kNew)));
  EXPECT_FALSE(std::filesystem::exists(inst.dir.root / "master.salt.old"));
  EXPECT_NE(inst.open_with(PassphraseInstallation::kOld).find("wrong passphrase"),
            std::string::npos);
  EXPECT_EQ(inst.open_with(PassphraseInstallation::kNew), "");
}

TEST(PassphraseRotation, AWrongCurrentPassphraseChangesNothing) {
  PassphraseInstallation inst;
  auto r = rotate_master_key(inst.dir, std::nullopt,
                             {PassphraseInstallation::say("ganz falsche Passphrase"),
                              PassphraseInstallation::say(PassphraseInstallation::kNew)});
  ASSERT_FALSE(r);
  EXPECT_EQ(inst.open_with(PassphraseInstallation::kOld), "");
}

TEST(PassphraseRotation, AnInterruptedChangeOpensWithOneOfTheTwoAndResumes) {
  for (auto step :
       {RotationStep::wrote_next_key, RotationStep::rewrapped, RotationStep::kept_old_key}) {
    SCOPED_TRACE(static_cast<int>(step));
    PassphraseInstallation inst;
    const RotationSecrets secrets{PassphraseInstallation::say(PassphraseInstallation::kOld),
                                  PassphraseInstallation::say(PassphraseInstallation::kNew)};
    ASSERT_TRUE(rotate_master_key(inst.dir, step, secrets));
    const bool old_opens = inst.open_with(PassphraseInstallation::kOld).empty();
    const bool new_opens = inst.open_with(PassphraseInstallation::kNew).empty();
    EXPECT_TRUE(old_opens != new_opens) << "exactly one passphrase opens the data";
    EXPECT_EQ(new_opens, step != RotationStep::wrote_next_key);
    ASSERT_TRUE(rotate_master_key(inst.dir, std::nullopt, secrets));
    EXPECT_EQ(inst.open_with(PassphraseInstallation::kNew), "");
    ASSERT_TRUE(
        finish_rotation(inst.dir, PassphraseInstallation::say(PassphraseInstallation::kNew)));
  }
}

}  // namespace
}  // namespace praxis::app
