// The audit trail on a real SQLite store: appends build the RFC 6962 tree that the
// merkle functions define, proofs come from the stored nodes and verify, checkpoints are
// signed as configured, and `audit verify` names the first bad entry for every kind of
// edit made with raw SQL (the tamper matrix of issue #8).

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "audit/trail.hpp"
#include "audit/verify.hpp"
#include "practices/practice_service.hpp"
#include "store/sqlite/database.hpp"
#include "support/service_fixture.hpp"

namespace praxis::audit {
namespace {

struct TrailFixture : test::ServiceFixture, testing::Test {
  Trail trail{*keys,
              clock,
              {.origin_host = "praxis.test",
               .checkpoint_every = 10,
               .checkpoint_interval = std::chrono::seconds(300)}};
  std::string practice = add_practice("eins");
  std::string other = add_practice("zwei");

  std::string add_practice(const std::string& slug) {
    practices::PracticeService ps(*store, *keys, trail, clock, random);
    practices::NewPractice p;
    p.name = "Praxis " + slug;
    p.slug = slug;
    p.state = "BE";
    auto row = ps.create(Context::system("test"), p);
    if (!row) throw std::runtime_error(row.error().internal);
    return row->id;
  }

  Context staff(std::string user = "u-1") {
    Context c;
    c.actor = {"user", std::move(user), "physician"};
    c.purpose = "treatment";
    c.request_id = "req-1";
    c.client_address = "192.0.2.7";
    return c;
  }

  // n entries, one transaction each (so checkpoints fall on multiples of 10). Entry 0 of
  // every practice is its practice.create; entries 7, 14, 21, 28 and 35 are lists that
  // showed pa-1, pa-2 and pa-3.
  void record(int n, const std::string& in = "") {
    for (int i = 0; i < n; ++i) {
      const Event e =
          i % 7 == 6 ? Event{"patient.list", "patient", "", "success", {"pa-1", "pa-2", "pa-3"}}
                     : Event{i % 3 == 0 ? "patient.update" : "patient.read", "patient",
                             "pa-" + std::to_string(i % 5)};
      auto seq =
          trail.record(*store, in.empty() ? practice : in, staff(), std::span<const Event>(&e, 1));
      ASSERT_TRUE(seq) << seq.error().internal;
      clock.advance(std::chrono::seconds(1));
    }
  }

  std::vector<store::AuditEntryRow> entries(const std::string& in) {
    auto tx = store->read();
    auto rows = (*tx)->audit().entries(in, 0, 1000);
    EXPECT_TRUE(rows);
    return rows ? *rows : std::vector<store::AuditEntryRow>{};
  }

  // The seqs of one patient's entries and of the lists that showed them, newest first,
  // as the access report asks for them.
  std::vector<std::int64_t> report(const std::string& patient, std::int64_t limit,
                                   std::optional<std::int64_t> before = std::nullopt) {
    store::AuditQuery q;
    q.resource_type = "patient";
    q.resource_id = patient;
    q.limit = limit;
    q.before_seq = before;
    auto tx = store->read();
    auto found = (*tx)->audit().search(practice, q);
    EXPECT_TRUE(found) << (found ? "" : found.error().internal);
    std::vector<std::int64_t> seqs;
    if (found) {
      for (const auto& e : *found) seqs.push_back(e.seq);
    }
    return seqs;
  }

  std::vector<Hash> leaves(const std::string& in) {
    std::vector<Hash> out;
    for (const auto& e : entries(in)) out.push_back(leaf_hash(encode_entry(e)));
    return out;
  }

  VerifyResult verify() {
    // Several chunks, windows and parallel readers, as a large trail has them.
    auto r = verify_practice(*store, trail, practice,
                             {.chunk = 3, .window = 16, .threads = 3, .min_part = 4});
    EXPECT_TRUE(r) << (r ? "" : r.error().internal);
    return r ? *r : VerifyResult{};
  }

  // A raw connection, as someone with the database file has it; the triggers that keep
  // praxis itself from editing entries are the first thing such a person drops.
  void tamper(const std::string& sql) {
    auto db = store::sqlite::Database::open(dir.path() / "service.db", {});
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("DROP TRIGGER IF EXISTS audit_entries_no_update;"
                 "DROP TRIGGER IF EXISTS audit_entries_no_delete;"
                 "DROP TRIGGER IF EXISTS audit_subjects_no_update;"
                 "DROP TRIGGER IF EXISTS audit_subjects_no_delete;"
                 "DROP TRIGGER IF EXISTS audit_subject_filters_no_update;"
                 "DROP TRIGGER IF EXISTS audit_subject_filters_no_delete;"));
    auto r = db->exec(sql);
    ASSERT_TRUE(r) << r.error().internal;
  }
};

TEST_F(TrailFixture, AppendsBuildTheRfc6962TreeAndItsProofsVerify) {
  record(36);  // with practice.create: 37 entries
  record(4, other);
  const auto hashes = leaves(practice);
  ASSERT_EQ(hashes.size(), 37u);
  auto tx = store->read();
  auto head = (*tx)->audit().head(practice);
  ASSERT_TRUE(head && *head);
  EXPECT_EQ((*head)->size, 37);
  const Hash root = audit::root(hashes);
  EXPECT_EQ((*head)->root, std::vector<std::uint8_t>(root.begin(), root.end()));
  const auto rows = entries(practice);
  EXPECT_EQ(rows[5].seq, 5);
  EXPECT_EQ(rows[5].client.size(), 32u) << "the address only as a keyed hash";
  EXPECT_TRUE(std::all_of(rows[5].client.begin(), rows[5].client.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c));
  })) << rows[5].client;
  // Not "192": a random hex hash holds those three digits about once in 140 runs.
  EXPECT_EQ(rows[5].client.find("192.0.2"), std::string::npos);
  EXPECT_EQ(entries(other).size(), 5u) << "one tree per practice (practice.create and 4)";

  for (std::uint64_t size = 1; size <= 37; size += 6) {
    const Hash r = audit::root(std::span(hashes).first(size));
    for (std::uint64_t i = 0; i < size; ++i) {
      auto proof = trail.inclusion_proof(**tx, practice, i, size);
      ASSERT_TRUE(proof);
      EXPECT_EQ(*proof, *audit::inclusion_proof(std::span(hashes).first(size), i));
      EXPECT_TRUE(verify_inclusion(i, size, hashes[i], *proof, r)) << i << "/" << size;
    }
    for (std::uint64_t from = 1; from <= size; from += 5) {
      auto proof = trail.consistency_proof(**tx, practice, from, size);
      ASSERT_TRUE(proof);
      EXPECT_TRUE(
          verify_consistency(from, size, audit::root(std::span(hashes).first(from)), r, *proof))
          << from << "→" << size;
    }
  }
  EXPECT_FALSE(trail.inclusion_proof(**tx, practice, 37, 37)) << "no such entry";
  EXPECT_FALSE(trail.inclusion_proof(**tx, practice, 0, 38)) << "tree not that large";
  EXPECT_FALSE(trail.consistency_proof(**tx, practice, 0, 10));
  EXPECT_FALSE(trail.consistency_proof(**tx, practice, 11, 10));
}

TEST_F(TrailFixture, CheckpointsAreSignedEveryNEntriesAfterAnIntervalAndOnDemand) {
  record(36);  // with practice.create: 37 entries
  auto tx = store->read();
  auto cps = (*tx)->audit().checkpoints(practice);
  ASSERT_TRUE(cps);
  std::vector<std::int64_t> sizes;
  for (const auto& c : *cps) sizes.push_back(c.size);
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{10, 20, 30}));
  auto key = trail.public_key(**tx, practice);
  ASSERT_TRUE(key);
  const auto hashes = leaves(practice);
  auto opened = open_checkpoint(cps->back().note, trail.origin(practice), *key);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->size, 30u);
  EXPECT_EQ(opened->root, audit::root(std::span(hashes).first(30)));
  EXPECT_TRUE(cps->back().note.starts_with("praxis.test/audit/" + practice + "\n30\n"));

  auto none = trail.checkpoint(*store, practice, false);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none) << "7 entries and 7 s after the last: not due yet";
  clock.advance(std::chrono::seconds(300));
  auto due = trail.checkpoint(*store, practice, false);
  ASSERT_TRUE(due && *due);
  EXPECT_EQ((*due)->size, 37) << "due after the interval";
  auto again = trail.checkpoint(*store, practice, true);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "nothing new to sign, even when forced";
  record(1);
  auto all = trail.checkpoint_all(*store, true);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 2u) << "forced (shutdown): both practices have unsigned entries";
  all = trail.checkpoint_all(*store, true);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 0u) << "nothing new since";
  EXPECT_TRUE(verify().ok);
}

TEST_F(TrailFixture, AListIsOneEntryThatTheReportOfEachPatientShownFinds) {
  record(36);
  const auto rows = entries(practice);
  ASSERT_EQ(rows.size(), 37u);
  EXPECT_EQ(rows[7].action, "patient.list");
  EXPECT_EQ(rows[7].resource_id, "");
  EXPECT_EQ(rows[7].subjects, "pa-1 pa-2 pa-3") << "in the order shown";
  EXPECT_EQ(rows[8].subjects, "") << "one resource: no list";
  // The list is covered by the leaf: a different list is a different leaf.
  auto changed = rows[7];
  changed.subjects = "pa-1 pa-3";
  EXPECT_NE(leaf_hash(encode_entry(changed)), leaf_hash(encode_entry(rows[7])));
  changed.subjects.clear();
  EXPECT_NE(encode_entry(changed), encode_entry(rows[7]));

  std::vector<std::int64_t> expected;  // pa-2's own entries and every list
  for (int i = 0; i < 36; ++i) {
    if (i % 7 == 6 || i % 5 == 2) expected.push_back(i + 1);
  }
  std::reverse(expected.begin(), expected.end());  // newest first
  {
    EXPECT_EQ(report("pa-2", 100), expected);
    const auto page = report("pa-2", 3, expected[1]);
    ASSERT_EQ(page.size(), 3u) << "paged like any search";
    EXPECT_EQ(page.front(), expected[2]);
    store::AuditQuery q;
    q.resource_id = "pa-9";
    auto tx = store->read();
    auto found = (*tx)->audit().search(practice, q);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->empty());
  }

  // A subject id is one token; a list naming the same patient twice names them once.
  Event twice{"patient.list", "patient", "", "success", {"pa-1", "pa-1"}};
  ASSERT_TRUE(trail.record(*store, practice, staff(), std::span<const Event>(&twice, 1)));
  EXPECT_EQ(entries(practice).back().subjects, "pa-1");
  Event split{"patient.list", "patient", "", "success", {"pa-1 pa-2"}};
  EXPECT_FALSE(trail.record(*store, practice, staff(), std::span<const Event>(&split, 1)));
  EXPECT_TRUE(verify().ok);
}

// The per-resource indexes are keyed by block of 1,024 entries (store::audit_block): a
// resource's entries and lists are found in every block, newest first, and paging
// crosses the blocks' borders.
TEST_F(TrailFixture, TheAccessReportFindsAResourceInEveryBlockOfTheTrail) {
  std::vector<Event> events;
  std::vector<std::int64_t> expected;  // seq of pa-x's entries; entry 0 is practice.create
  for (int i = 1; i <= 4 * 1024 + 100; ++i) {
    if (i % 400 == 3 || i == 1023 || i == 1024 || i == 2047) {
      events.push_back({"patient.read", "patient", "pa-x", "success"});
      expected.push_back(i);
    } else if (i % 700 == 5) {
      events.push_back({"patient.list", "patient", "", "success", {"pa-a", "pa-x", "pa-b"}});
      expected.push_back(i);
    } else {
      events.push_back({"patient.read", "patient", "pa-" + std::to_string(i % 97), "success"});
    }
  }
  ASSERT_TRUE(trail.record(*store, practice, staff(), events));
  std::reverse(expected.begin(), expected.end());
  ASSERT_GE(store::audit_block(expected.front()), 3);

  EXPECT_EQ(report("pa-x", 1000), expected);

  // Pages of 3, each after the last seq of the one before, until nothing is left.
  std::vector<std::int64_t> paged;
  std::optional<std::int64_t> before;
  for (int pages = 0; pages < 100; ++pages) {
    const auto page = report("pa-x", 3, before);
    paged.insert(paged.end(), page.begin(), page.end());
    if (page.size() < 3) break;
    before = page.back();
  }
  EXPECT_EQ(paged, expected);
  const auto below = report("pa-x", 3, 1024);  // the newest block that can answer is 0
  ASSERT_FALSE(below.empty());
  EXPECT_EQ(below.front(), 1023);
  EXPECT_TRUE(report("pa-x", 3, 0).empty());
  EXPECT_TRUE(verify().ok);
}

// A database written before migration 0014 (per-resource indexes keyed by resource
// first) is migrated: its rows are kept, filed by block, and verify and the access report
// agree with them. The old layout is rebuilt by hand from a current trail.
// Two ids with the same part and fingerprint (found by trying, some 10,000 hashes): the
// lists that named one of them are candidates for the other, whose report still holds
// only what names them; verify passes (a shared fingerprint is no tampering).
TEST_F(TrailFixture, ASharedFingerprintNeverPutsAListInTheWrongReport) {
  std::unordered_map<std::uint64_t, int> seen;
  std::string shown;
  std::string twin;
  for (int n = 0; shown.empty(); ++n) {
    const auto f = store::audit_fingerprint("pa-" + std::to_string(n));
    const auto key = (static_cast<std::uint64_t>(f.part) << 32) | f.value;  // 27 bits
    auto [it, fresh] = seen.try_emplace(key, n);
    if (!fresh) {
      shown = "pa-" + std::to_string(it->second);
      twin = "pa-" + std::to_string(n);
    }
  }
  ASSERT_EQ(store::audit_fingerprint(shown), store::audit_fingerprint(twin));
  ASSERT_NE(shown, twin);
  const std::vector<Event> events{
      Event{"patient.list", "patient", "", "success", {shown, "pa-x"}},
      Event{"patient.read", "patient", twin},
      Event{"patient.list", "patient", "", "success", {"pa-y", shown}},
  };
  ASSERT_TRUE(trail.record(*store, practice, staff(), events));
  EXPECT_EQ(report(shown, 10), (std::vector<std::int64_t>{3, 1}));
  EXPECT_EQ(report(twin, 10), (std::vector<std::int64_t>{2}));
  EXPECT_TRUE(verify().ok);
}

// A trail from before migration 0014 (indexes by resource) and 0015 (the index of lists):
// its lists stay in audit_subjects, later ones go to audit_subject_filters, the access
// report finds both, also in the block the migration split, and verify passes.
TEST_F(TrailFixture, MigrationsKeepEveryListOfAnOldTrail) {
  auto events_from = [](int first, int last) {
    std::vector<Event> events;
    for (int i = first; i <= last; ++i) {
      events.push_back(i % 300 == 0
                           ? Event{"patient.list", "patient", "", "success", {"pa-a", "pa-old"}}
                           : Event{"patient.read", "patient", i % 500 == 7 ? "pa-old" : "pa-b"});
    }
    return events;
  };
  ASSERT_TRUE(trail.record(*store, practice, staff(), events_from(1, 2500)));
  store.reset();
  {
    // The schema of migration 0013, with the rows its code wrote for those lists.
    auto db = store::sqlite::Database::open(dir.path() / "service.db", {});
    ASSERT_TRUE(db);
    auto r = db->exec(
        "BEGIN;"
        "CREATE TABLE old_subjects (practice_id TEXT NOT NULL REFERENCES practices(id),"
        " resource_id TEXT NOT NULL, seq INTEGER NOT NULL CHECK (seq >= 0),"
        " PRIMARY KEY (practice_id, resource_id, seq)) STRICT, WITHOUT ROWID;"
        "INSERT INTO old_subjects SELECT practice_id, 'pa-a', seq FROM audit_entries"
        " WHERE subjects = 'pa-a pa-old';"
        "INSERT INTO old_subjects SELECT practice_id, 'pa-old', seq FROM audit_entries"
        " WHERE subjects = 'pa-a pa-old';"
        "DROP TABLE audit_subjects;"
        "ALTER TABLE old_subjects RENAME TO audit_subjects;"
        "DROP TABLE audit_subject_filters;"
        "DROP TABLE audit_subjects_until;"
        "DROP INDEX audit_entries_resource;"
        "CREATE INDEX audit_entries_resource ON audit_entries(practice_id, resource_type,"
        " resource_id, seq);"
        "ALTER TABLE patient_index DROP COLUMN patient_row;"  // 0016
        "DELETE FROM schema_migrations WHERE number >= 14;"
        "COMMIT;");
    ASSERT_TRUE(r) << r.error().internal;
  }
  auto reopened =
      store::sqlite::SqliteStore::open(dir.path() / "service.db", store::sqlite::Synchronous::full);
  ASSERT_TRUE(reopened) << reopened.error().internal;
  store = std::move(*reopened);
  {
    auto tx = store->read();
    ASSERT_TRUE(tx);
    auto until = (*tx)->audit().subjects_until(practice);
    ASSERT_TRUE(until);
    EXPECT_EQ(*until, 2501) << "the trail's size at the migration";
  }
  EXPECT_TRUE(verify().ok);
  std::vector<std::int64_t> expected;
  for (int i = 2500; i >= 1; --i) {
    if (i % 300 == 0 || i % 500 == 7) expected.push_back(i);
  }
  EXPECT_EQ(report("pa-old", 100), expected);

  // Lists after the migration, the first ones in the block it split (2048–3071).
  ASSERT_TRUE(trail.record(*store, practice, staff(), events_from(2501, 3700)));
  EXPECT_TRUE(verify().ok);
  for (int i = 2501; i <= 3700; ++i) {
    if (i % 300 == 0 || i % 500 == 7) expected.insert(expected.begin(), i);
  }
  EXPECT_EQ(report("pa-old", 100), expected);
}

// Waits up to 10 s for `done`.
template <typename Pred>
bool eventually(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// A store whose first write waits at a gate, so the appends that arrive meanwhile queue.
class GatedStore final : public store::Store {
 public:
  explicit GatedStore(store::Store& inner) : inner_(inner) {}
  core::Result<std::unique_ptr<store::Transaction>> read() override { return inner_.read(); }
  using store::Store::write;
  core::Result<void> write(const store::WriteJob& job, store::Durability durability) override {
    {
      std::unique_lock lock(mutex_);
      ++writes_;
      cv_.wait(lock, [this] { return open_; });
    }
    return inner_.write(job, durability);
  }
  core::Result<void> ping() override { return inner_.ping(); }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  int writes() {
    std::lock_guard lock(mutex_);
    return writes_;
  }

 private:
  store::Store& inner_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  int writes_ = 0;
};

TEST_F(TrailFixture, AppendsThatArriveWhileAGroupIsWrittenAreWrittenTogether) {
  GatedStore gated(*store);
  const auto before = entries(practice).size();
  auto append = [&](std::string patient) {
    const Event e{"patient.read", "patient", std::move(patient)};
    return trail.record(gated, practice, staff(), std::span<const Event>(&e, 1));
  };
  // The first caller writes its own append and waits at the gate…
  auto first = std::async(std::launch::async, [&] { return append("pa-0"); });
  const bool started = eventually([&] { return gated.writes() == 1; });
  if (!started) gated.open();
  ASSERT_TRUE(started);
  // …five more queue behind it.
  std::vector<std::future<core::Result<void>>> queued;
  for (int i = 1; i <= 5; ++i) {
    queued.push_back(
        std::async(std::launch::async, [&, i] { return append("pa-" + std::to_string(i)); }));
  }
  const bool grouped = eventually([&] { return trail.waiting(practice) == 5; });
  const int written_meanwhile = gated.writes();
  gated.open();  // before any assertion: the threads must finish either way
  ASSERT_TRUE(grouped) << "the five wait for the group being written";
  EXPECT_EQ(written_meanwhile, 1) << "nothing else written while the group is";
  ASSERT_TRUE(first.get());
  for (auto& q : queued) ASSERT_TRUE(q.get());
  std::set<std::string> read;
  for (const auto& e : entries(practice)) read.insert(e.resource_id);
  for (int i = 0; i <= 5; ++i) EXPECT_TRUE(read.contains("pa-" + std::to_string(i))) << i;
  // One group for the first, one for the five that queued.
  EXPECT_EQ(gated.writes(), 2);
  EXPECT_EQ(entries(practice).size(), before + 6);
  EXPECT_TRUE(verify().ok);
}

TEST_F(TrailFixture, OneBadAppendInAGroupFailsOnlyItself) {
  GatedStore gated(*store);
  const auto before = entries(practice).size();
  auto first = std::async(std::launch::async, [&] {
    const Event e{"patient.read", "patient", "pa-0"};
    return trail.record(gated, practice, staff(), std::span<const Event>(&e, 1));
  });
  const bool started = eventually([&] { return gated.writes() == 1; });
  if (!started) gated.open();
  ASSERT_TRUE(started);
  std::vector<std::future<core::Result<void>>> queued;
  for (int i = 1; i <= 4; ++i) {
    queued.push_back(std::async(std::launch::async, [&, i] {
      // A list naming an id with a space in it is refused by the trail.
      const Event e = i == 2 ? Event{"patient.list", "patient", "", "success", {"pa-1 pa-2"}}
                             : Event{"patient.read", "patient", "pa-" + std::to_string(i)};
      return trail.record(gated, practice, staff(), std::span<const Event>(&e, 1));
    }));
  }
  const bool grouped = eventually([&] { return trail.waiting(practice) == 4; });
  gated.open();
  ASSERT_TRUE(grouped);
  ASSERT_TRUE(first.get());
  for (int i = 1; i <= 4; ++i) {
    auto r = queued[static_cast<std::size_t>(i - 1)].get();
    EXPECT_EQ(static_cast<bool>(r), i != 2) << i;
  }
  EXPECT_EQ(entries(practice).size(), before + 4);
  EXPECT_TRUE(verify().ok);
}

TEST_F(TrailFixture, AnUntouchedLogVerifies) {
  record(36);  // with practice.create: 37 entries
  record(3, other);
  auto all = verify_all(*store, trail);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  for (const auto& r : *all) {
    EXPECT_TRUE(r.ok) << r.problem;
  }
  const auto mine = verify();
  EXPECT_EQ(mine.entries, 37u);
  EXPECT_EQ(mine.checkpoints, 3u);
}

struct Tamper {
  const char* name;
  const char* sql;  // {p} is replaced by the practice id
  std::uint64_t first_bad;
};

class TamperMatrix : public TrailFixture, public testing::WithParamInterface<Tamper> {};

TEST_P(TamperMatrix, VerifyFailsNamingTheFirstBadEntry) {
  record(36);  // with practice.create: 37 entries
  ASSERT_TRUE(verify().ok);
  std::string sql = GetParam().sql;
  for (auto at = sql.find("{p}"); at != std::string::npos; at = sql.find("{p}")) {
    sql.replace(at, 3, practice);
  }
  tamper(sql);
  const auto r = verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad, GetParam().first_bad) << r.problem;
  EXPECT_FALSE(r.problem.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Audit, TamperMatrix,
    testing::Values(
        Tamper{"ChangeAField",
               "UPDATE audit_entries SET actor_id = 'u-2' WHERE practice_id = '{p}' AND seq = 13",
               13},
        Tamper{"ChangeAFieldAndItsLeafHash",
               "UPDATE audit_entries SET action = 'patient.read', leaf = (SELECT leaf FROM "
               "audit_entries WHERE practice_id = '{p}' AND seq = 13) WHERE practice_id = '{p}' "
               "AND seq = 12",
               12},
        Tamper{"DeleteARow", "DELETE FROM audit_entries WHERE practice_id = '{p}' AND seq = 13",
               13},
        Tamper{"InsertARow",
               "UPDATE audit_entries SET seq = seq + 1000 WHERE practice_id = '{p}' AND seq >= 13;"
               "UPDATE audit_entries SET seq = seq - 999 WHERE practice_id = '{p}' AND seq >= 1013;"
               "INSERT INTO audit_entries SELECT practice_id, 13, at, actor_kind, actor_id, "
               "actor_role, action, resource_type, resource_id, purpose, outcome, request_id, "
               "client, break_glass_id, leaf, subjects FROM audit_entries WHERE practice_id = "
               "'{p}' AND "
               "seq = 12",
               13},
        Tamper{"AppendARowBeyondTheHead",
               "INSERT INTO audit_entries SELECT practice_id, 37, at, actor_kind, actor_id, "
               "actor_role, action, resource_type, resource_id, purpose, outcome, request_id, "
               "client, break_glass_id, leaf, subjects FROM audit_entries WHERE practice_id = "
               "'{p}' AND "
               "seq = 36",
               37},
        Tamper{"SwapTwoRows",
               "UPDATE audit_entries SET seq = 1000 WHERE practice_id = '{p}' AND seq = 21;"
               "UPDATE audit_entries SET seq = 21 WHERE practice_id = '{p}' AND seq = 24;"
               "UPDATE audit_entries SET seq = 24 WHERE practice_id = '{p}' AND seq = 1000",
               21},
        Tamper{"TruncateTheTailAfterACheckpoint",
               "DELETE FROM audit_entries WHERE practice_id = '{p}' AND seq >= 25;"
               "DELETE FROM audit_nodes WHERE practice_id = '{p}' AND ((idx + 1) << level) > 25;"
               "UPDATE audit_heads SET size = 25 WHERE practice_id = '{p}'",
               25},
        Tamper{"TruncateAndForgetTheCheckpoint",
               "DELETE FROM audit_entries WHERE practice_id = '{p}' AND seq >= 35", 35},
        Tamper{"ForgeACheckpoint",
               "UPDATE audit_checkpoints SET note = replace(note, '\n20\n', '\n21\n') WHERE "
               "practice_id = '{p}' AND size = 20",
               10},
        Tamper{"ChangeTheListOfAnEntry",
               "UPDATE audit_entries SET subjects = 'pa-1 pa-3' WHERE practice_id = '{p}' AND "
               "seq = 21",
               21},
        Tamper{"HideAPatientFromTheIndexOfLists",
               "DELETE FROM audit_subject_filters WHERE practice_id = '{p}' AND first_seq = 14",
               14},
        Tamper{"ChangeAPatientInTheIndexOfLists",
               "UPDATE audit_subject_filters SET names = X'0000001C' WHERE practice_id = "
               "'{p}' AND first_seq = 28",
               28},
        Tamper{"AddAPatientToTheIndexOfLists",
               "INSERT INTO audit_subject_filters VALUES ('{p}', 0, 0, 7, X'00000007')", 7},
        // Filed under another block, the row is one the access report never finds.
        Tamper{"MoveAPatientToAnotherBlockOfTheIndexOfLists",
               "PRAGMA ignore_check_constraints = ON;"
               "UPDATE audit_subject_filters SET blk = 1 WHERE practice_id = '{p}'",
               7},
        Tamper{"ChangeAStoredNode",
               "UPDATE audit_nodes SET hash = zeroblob(32) WHERE practice_id = '{p}' AND level = "
               "2 AND idx = 3",
               12}),
    [](const testing::TestParamInfo<Tamper>& tp) { return tp.param.name; });

}  // namespace
}  // namespace praxis::audit
