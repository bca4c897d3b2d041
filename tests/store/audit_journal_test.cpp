// The audit journal (audit/journal.hpp): records survive as bytes, are moved in order and
// once, what a crashed run left is moved by the next open, a torn tail is dropped, failed
// moves are retried and reported, and a journal that falls behind refuses appends. Then
// the trail with a journal on a real SQLite store: reads keep the time they happened,
// a record is never moved twice, and a read whose entry cannot be kept fails.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include "audit/journal.hpp"
#include "audit/trail.hpp"
#include "audit/verify.hpp"
#include "demo/synthetic.hpp"
#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"
#include "support/service_fixture.hpp"

namespace praxis::audit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

store::AuditEntryRow row(std::string resource, std::string subjects = "") {
  store::AuditEntryRow r;
  r.at = "2026-12-23T04:26:40.000Z";
  r.actor_kind = "user";
  r.actor_id = "u-1";
  r.actor_role = "physician";
  r.action = subjects.empty() ? "patient.read" : "patient.list";
  r.resource_type = "patient";
  r.resource_id = std::move(resource);
  r.purpose = "treatment";
  r.outcome = "success";
  r.request_id = "req-ä";
  r.client = "00112233445566778899aabbccddeeff";
  r.subjects = std::move(subjects);
  return r;
}

// Collects what it is given; fails while `failing` is positive (counting down), and
// waits while `hold` is set.
struct Sink {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<JournalRecord> moved;
  std::vector<std::string> ids;
  int failing = 0;
  bool hold = false;
  int calls = 0;

  Journal::Mover mover() {
    return
        [this](std::string_view id, std::span<const JournalRecord> records) -> core::Result<void> {
          std::unique_lock lock(mutex);
          ++calls;
          cv.notify_all();
          cv.wait(lock, [&] { return !hold; });
          if (failing > 0) {
            --failing;
            return core::fail(core::ErrorCode::unavailable, "", "store down");
          }
          ids.emplace_back(id);
          moved.insert(moved.end(), records.begin(), records.end());
          return {};
        };
  }
  void release() {
    std::lock_guard lock(mutex);
    hold = false;
    cv.notify_all();
  }
  bool wait_calls(int n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 10s, [&] { return calls >= n; });
  }
  std::vector<std::uint64_t> seqs() {
    std::lock_guard lock(mutex);
    std::vector<std::uint64_t> out;
    for (const auto& r : moved) out.push_back(r.seq);
    return out;
  }
};

struct JournalTest : testing::Test {
  test::TempDir dir;
  fs::path path = dir.path() / "audit.journal";
  Sink sink;

  std::unique_ptr<Journal> open(fs::path at, JournalOptions options = {.delay = 1h}) {
    auto j = Journal::open(std::move(at), sink.mover(), std::move(options));
    EXPECT_TRUE(j) << (j ? "" : j.error().internal);
    return j ? std::move(*j) : nullptr;
  }
  static fs::path moving(const fs::path& p) { return p.string() + ".moving"; }
};

TEST(JournalRecord, SurvivesItsBytesAndNoDamagedCopyIsTakenForIt) {
  JournalRecord r{42, "practice-1", {row("pa-1"), row("", "pa-1 pa-2 pa-3"), row("pa-3")}};
  for (auto& e : r.entries) e.practice_id = r.practice_id;
  const auto bytes = encode_journal_record(r);
  auto back = decode_journal_record(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, r);
  for (std::size_t i = 0; i < bytes.size(); i += 7) {
    auto flipped = bytes;
    flipped[i] ^= 0x10U;
    EXPECT_FALSE(decode_journal_record(flipped)) << "byte " << i;
  }
  EXPECT_FALSE(decode_journal_record(std::span(bytes).first(bytes.size() - 1)));
}

TEST_F(JournalTest, AppendsAreMovedInOrderAndTheFilesAreEmptiedAfterwards) {
  auto j = open(path, {.batch = 64, .delay = 1h});
  ASSERT_TRUE(j);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(j->append("p-" + std::to_string(i % 3), {row("pa")}));
  EXPECT_TRUE(sink.wait_calls(1)) << "a full batch starts a move without waiting for the delay";
  for (int i = 64; i < 200; ++i) {
    ASSERT_TRUE(j->append("p-" + std::to_string(i % 3), {row("pa")}));
  }
  ASSERT_TRUE(j->flush());
  std::vector<std::uint64_t> expected(200);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(sink.seqs(), expected) << "every record once, in the order appended";
  EXPECT_EQ(sink.moved[4].practice_id, "p-1");
  EXPECT_EQ(sink.moved[4].entries.front().request_id, "req-ä");
  EXPECT_GE(j->stats().moves, 2u);
  EXPECT_EQ(j->stats().pending, 0u);
  EXPECT_FALSE(fs::exists(moving(path)));
  EXPECT_EQ(fs::file_size(path), 32u) << "only the header is left";
  EXPECT_TRUE(j->append("p-0", {row("pa")}));
  ASSERT_TRUE(j->close());
  EXPECT_EQ(sink.seqs().back(), 201u) << "close moves what is left";
  EXPECT_FALSE(j->append("p-0", {row("pa")})) << "closed";
}

TEST_F(JournalTest, TheDelayGathersAppendsIntoOneMove) {
  auto j = open(path, {.delay = 200ms});
  ASSERT_TRUE(j);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(j->append("p", {row("pa")}));
  ASSERT_TRUE(sink.wait_calls(1));
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(sink.seqs().size(), 20u);
  EXPECT_EQ(j->stats().moves, 1u) << "moved by the timer, all in one transaction";
}

// Against a power cut, appends reach the disk within `sync` even while moves wait long
// for company; each append starts the clock again once the file was synced.
TEST_F(JournalTest, AppendsAreSyncedToTheDiskBetweenMoves) {
  auto j = open(path, {.delay = 1h, .sync = 5ms});
  ASSERT_TRUE(j);
  auto syncs_reach = [&](std::uint64_t n) {
    for (int i = 0; i < 400 && j->stats().syncs < n; ++i) std::this_thread::sleep_for(5ms);
    return j->stats().syncs >= n;
  };
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(j->stats().syncs, 0u) << "nothing appended, nothing to sync";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->append("p", {row("pa")}));
  EXPECT_TRUE(syncs_reach(1));
  const auto after_first = j->stats().syncs;
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(j->stats().syncs, after_first) << "synced records are not synced again";
  ASSERT_TRUE(j->append("p", {row("pa")}));
  EXPECT_TRUE(syncs_reach(after_first + 1));
  EXPECT_EQ(j->stats().moves, 0u) << "synced, not moved: the move still waits for company";
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(sink.seqs().size(), 4u);

  auto unsynced = open(dir.path() / "other.journal", {.delay = 1h, .sync = 0ms});
  ASSERT_TRUE(unsynced);
  ASSERT_TRUE(unsynced->append("p", {row("pa")}));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(unsynced->stats().syncs, 0u) << "sync 0: only moves make records durable";
}

TEST_F(JournalTest, WhatACrashedRunLeftIsMovedByTheNextOpenInOrder) {
  const fs::path crashed = dir.path() / "crashed";
  fs::create_directories(crashed);
  std::string id;
  {
    auto j = open(path, {.batch = 1, .delay = 1h});
    ASSERT_TRUE(j);
    id = j->id();
    {
      std::lock_guard lock(sink.mutex);
      sink.hold = true;
    }
    ASSERT_TRUE(j->append("p", {row("pa-1")}));
    ASSERT_TRUE(sink.wait_calls(1));  // seq 1 is being moved (in .moving) and held there
    ASSERT_TRUE(j->append("p", {row("pa-2")}));
    ASSERT_TRUE(j->append("q", {row("", "pa-3 pa-4")}));
    // The files as a kill -9 at this moment leaves them.
    fs::copy_file(path, crashed / "audit.journal");
    fs::copy_file(moving(path), crashed / "audit.journal.moving");
    sink.release();
    ASSERT_TRUE(j->close());
  }
  Sink after;
  auto j = Journal::open(crashed / "audit.journal", after.mover(), {.delay = 1h});
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)->id(), id) << "the same journal: the store's position applies";
  EXPECT_EQ(after.seqs(), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(after.moved[2].entries.front().subjects, "pa-3 pa-4");
  EXPECT_EQ((*j)->stats().recovered, 3u);
  EXPECT_FALSE(fs::exists(moving(crashed / "audit.journal")));
  ASSERT_TRUE((*j)->append("p", {row("pa-5")}));
  ASSERT_TRUE((*j)->flush());
  EXPECT_EQ(after.seqs().back(), 4u) << "numbering goes on";
}

TEST_F(JournalTest, ATornTailIsDroppedAndCounted) {
  {
    sink.failing = 1000;  // nothing is moved: close leaves everything in the files
    auto j = open(path, {.delay = 1h, .retry = 1h});
    ASSERT_TRUE(j);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->append("p", {row("pa-" + std::to_string(i))}));
    EXPECT_FALSE(j->close()) << "the entries could not be moved";
  }
  ASSERT_TRUE(fs::exists(moving(path)));
  fs::resize_file(moving(path), fs::file_size(moving(path)) - 5);  // a power cut mid-write
  sink.failing = 0;
  auto j = open(path);
  ASSERT_TRUE(j);
  EXPECT_EQ(sink.seqs(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_GT(j->stats().dropped_bytes, 0u);
}

TEST_F(JournalTest, AFailedMoveIsReportedRetriedAndNothingIsLost) {
  auto j = open(path, {.delay = 1h, .retry = 20ms});
  ASSERT_TRUE(j);
  sink.failing = 1;
  ASSERT_TRUE(j->append("p", {row("pa-1")}));
  auto first = j->flush();
  ASSERT_FALSE(first) << "the reader of the trail learns that entries are missing";
  EXPECT_EQ(first.error().internal, "store down");
  EXPECT_TRUE(j->stats().last_error) << "/readyz fails meanwhile";
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(sink.seqs(), (std::vector<std::uint64_t>{1}));
  EXPECT_FALSE(j->stats().last_error);
  EXPECT_EQ(j->stats().failures, 1u);
}

TEST_F(JournalTest, AppendsWaitForRoomWhenTheMoverFallsBehind) {
  {
    std::lock_guard lock(sink.mutex);
    sink.hold = true;
  }
  auto j = open(path, {.batch = 1, .delay = 1h, .max_pending = 5, .max_wait = 1h});
  ASSERT_TRUE(j);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->append("p", {row("pa")}));
  ASSERT_TRUE(sink.wait_calls(1));  // the first move is held
  auto sixth = std::async(std::launch::async, [&] { return j->append("p", {row("pa")}); });
  EXPECT_EQ(sixth.wait_for(200ms), std::future_status::timeout) << "waits for room";
  sink.release();
  ASSERT_TRUE(sixth.get());
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(sink.seqs().size(), 6u);
}

// Creating, closing and deleting files wait for the file system's journal now and then
// (up to hundreds of milliseconds on a busy disk): the mover does that work without the
// lock appends take. Each step is held until an append made meanwhile has returned; 10 s
// without it is the failure.
TEST_F(JournalTest, AppendsDoNotWaitForTheMoversFileWork) {
  std::unique_ptr<Journal> j;
  std::mutex m;
  std::vector<std::string> steps;   // in the order they came, each once
  std::vector<std::string> passed;  // those during which an append went through
  std::condition_variable all_ran;
  int finished = 0;  // steps held so far
  std::vector<std::future<core::Result<void>>> blocked;
  JournalOptions options{.batch = 1, .delay = 1h};
  options.file_work = [&](std::string_view step) {
    {
      std::lock_guard lock(m);
      if (std::find(steps.begin(), steps.end(), step) != steps.end()) return;
      steps.emplace_back(step);
    }
    auto append = std::async(std::launch::async, [&] { return j->append("p", {row("pa")}); });
    const bool ok = append.wait_for(10s) == std::future_status::ready && append.get();
    std::lock_guard lock(m);
    if (ok) passed.emplace_back(step);
    // One still blocked (the failure) finishes once this step lets go of the lock.
    if (append.valid()) blocked.push_back(std::move(append));
    ++finished;
    all_ran.notify_all();
  };
  j = open(path, options);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append("p", {row("pa")}));
  {
    // The first move's delete comes after its records count as moved: wait for it.
    std::unique_lock lock(m);
    all_ran.wait_for(lock, 30s, [&] { return finished == 3; });
  }
  ASSERT_TRUE(j->flush());
  ASSERT_TRUE(j->close());
  std::lock_guard lock(m);
  EXPECT_EQ(steps, (std::vector<std::string>{"create", "close", "remove"}));
  EXPECT_EQ(passed, steps);
  EXPECT_EQ(sink.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4}))
      << "the appends made meanwhile were moved too, in order";
}

// A crash between creating a rotation's file and putting it in place leaves
// `<path>.next` with the header it is created with (first seq 0): the next open goes on
// after the seqs already used.
TEST_F(JournalTest, ANextFileLeftByACrashDoesNotSetTheSequenceBack) {
  {
    auto j = open(path);
    ASSERT_TRUE(j);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->append("p", {row("pa")}));
    ASSERT_TRUE(j->close());
  }
  std::string head(24, '\0');  // the magic and the journal id
  std::ifstream(path, std::ios::binary)
      .read(head.data(), static_cast<std::streamsize>(head.size()));
  std::ofstream(path.string() + ".next", std::ios::binary) << head << std::string(8, '\0');
  auto j = open(path);
  ASSERT_TRUE(j);
  ASSERT_TRUE(j->append("p", {row("pa")}));
  ASSERT_TRUE(j->flush());
  EXPECT_EQ(sink.seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST_F(JournalTest, AJournalThatFallsBehindRefusesAppends) {
  sink.failing = 1000000;
  auto j = open(path, {.delay = 1ms, .max_pending = 5, .retry = 1h});
  ASSERT_TRUE(j);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->append("p", {row("pa")}));
  auto refused = j->append("p", {row("pa")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::unavailable);
}

TEST_F(JournalTest, FilesOfAnotherJournalAreRefused) {
  const fs::path other = dir.path() / "other.journal";
  {
    auto a = open(path);
    auto b = open(other);
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(b->append("p", {row("pa")}));
  }
  fs::copy_file(other, moving(path));
  auto j = Journal::open(path, sink.mover(), {});
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().internal.find("another journal"), std::string::npos);
}

// The trail with a journal, on a real store.
struct JournalTrailTest : test::ServiceFixture, testing::Test {
  Trail trail{*keys, clock, {.origin_host = "praxis.test", .checkpoint_every = 10}};
  std::string practice = add_practice();
  fs::path path = dir.path() / "audit.journal";

  std::string add_practice() {
    practices::PracticeService ps(*store, *keys, trail, clock, random);
    practices::NewPractice p;
    p.name = "Praxis Journal";
    p.slug = "journal";
    p.state = "BE";
    return ps.create(Context::system("test"), p)->id;
  }
  Context staff() {
    Context c;
    c.actor = {"user", "u-1", "physician"};
    c.purpose = "treatment";
    c.request_id = "req-1";
    c.client_address = "192.0.2.7";
    return c;
  }
  core::Result<void> read(Trail& t, const std::string& patient) {
    const Event e{"patient.read", "patient", patient};
    return t.record(*store, practice, staff(), std::span<const Event>(&e, 1));
  }
  std::vector<store::AuditEntryRow> entries() {
    auto tx = store->read();
    auto rows = (*tx)->audit().entries(practice, 0, 1000);
    return rows ? *rows : std::vector<store::AuditEntryRow>{};
  }
  bool verified() {
    auto r = verify_practice(*store, trail, practice);
    return r && r->ok;
  }
};

TEST_F(JournalTrailTest, ReadsGoThroughTheJournalAndKeepTheTimeTheyHappened) {
  ASSERT_TRUE(trail.open_journal(*store, path, {.delay = 1h}));
  const auto before = entries().size();
  const std::string first_at = core::to_iso8601(clock.now());
  ASSERT_TRUE(read(trail, "pa-1"));
  clock.advance(5s);
  ASSERT_TRUE(read(trail, "pa-2"));
  EXPECT_EQ(entries().size(), before) << "in the journal, not yet in the tree";
  const Event bad{"patient.list", "patient", "", "success", {"pa-1 pa-2"}};
  EXPECT_FALSE(trail.record(*store, practice, staff(), std::span<const Event>(&bad, 1)))
      << "an invalid entry is refused when recorded, not when moved";
  const Event elsewhere{"patient.read", "patient", "pa-1"};
  EXPECT_FALSE(
      trail.record(*store, "no-such-practice", staff(), std::span<const Event>(&elsewhere, 1)));
  clock.advance(60s);
  ASSERT_TRUE(trail.flush());
  const auto rows = entries();
  ASSERT_EQ(rows.size(), before + 2);
  EXPECT_EQ(rows[before].resource_id, "pa-1");
  EXPECT_EQ(rows[before].at, first_at) << "the time of the read, not of the move";
  EXPECT_EQ(rows[before + 1].resource_id, "pa-2");
  EXPECT_EQ(rows[before + 1].client.size(), 32u) << "the address only as a keyed hash";
  EXPECT_TRUE(verified());
  ASSERT_TRUE(trail.close_journal());
  EXPECT_FALSE(read(trail, "pa-3")) << "after close, reads cannot be recorded";
}

TEST_F(JournalTrailTest, ARecordIsMovedOnceThoughItsFileIsOpenedTwice) {
  const fs::path copy = dir.path() / "copy.journal";
  ASSERT_TRUE(trail.open_journal(*store, path, {.delay = 1h}));
  const auto before = entries().size();
  ASSERT_TRUE(read(trail, "pa-1"));
  ASSERT_TRUE(read(trail, "pa-2"));
  fs::copy_file(path, copy);  // as a crash leaves the file: not yet moved
  {
    // The next start (another trail, same store) moves them…
    Trail next(*keys, clock, {.origin_host = "praxis.test", .checkpoint_every = 10});
    ASSERT_TRUE(next.open_journal(*store, copy, {.delay = 1h}));
    EXPECT_EQ(next.journal_stats()->recovered, 2u);
    EXPECT_EQ(entries().size(), before + 2);
    ASSERT_TRUE(next.close_journal());
  }
  // …and the first trail's own move of the same records adds nothing.
  ASSERT_TRUE(trail.flush());
  ASSERT_TRUE(read(trail, "pa-3"));
  ASSERT_TRUE(trail.close_journal());
  const auto rows = entries();
  ASSERT_EQ(rows.size(), before + 3);
  EXPECT_EQ(rows[before + 2].resource_id, "pa-3");
  EXPECT_TRUE(verified());
}

TEST_F(JournalTrailTest, CheckpointsAreSignedAsEntriesAreMoved) {
  ASSERT_TRUE(trail.open_journal(*store, path, {.batch = 7, .delay = 1h}));
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(read(trail, "pa-" + std::to_string(i)));
  ASSERT_TRUE(trail.flush());
  auto tx = store->read();
  auto cps = (*tx)->audit().checkpoints(practice);
  ASSERT_TRUE(cps);
  ASSERT_FALSE(cps->empty());
  // A move that crosses a multiple of 10 signs the tree it leaves (26 entries with
  // practice.create; how many moves there were depends on the mover's timing).
  EXPECT_GE(cps->back().size, 20);
  EXPECT_LE(cps->back().size, 26);
  tx->reset();
  EXPECT_TRUE(verified());
}

TEST_F(JournalTrailTest, AServerWithoutAJournalMovesWhatOneLeftAndRemovesIt) {
  {
    // A journal whose entries were never moved (a SQLite server killed before
    // `praxis store migrate`).
    auto left =
        Journal::open(path,
                      [](std::string_view, std::span<const JournalRecord>) -> core::Result<void> {
                        return core::fail(core::ErrorCode::unavailable, "", "store down");
                      },
                      {.delay = 1h, .retry = 1h});
    ASSERT_TRUE(left);
    auto entry = row("pa-1");
    entry.practice_id = practice;
    ASSERT_TRUE((*left)->append(practice, {entry}));
    entry.resource_id = "pa-2";
    ASSERT_TRUE((*left)->append(practice, {entry}));
    EXPECT_FALSE((*left)->close());
  }
  const auto before = entries().size();
  auto drained = trail.drain_journal(*store, path);
  ASSERT_TRUE(drained) << drained.error().internal;
  EXPECT_EQ(*drained, 2u);
  const auto rows = entries();
  ASSERT_EQ(rows.size(), before + 2);
  EXPECT_EQ(rows[before + 1].resource_id, "pa-2");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".moving"));
  EXPECT_TRUE(verified());
  auto again = trail.drain_journal(*store, path);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u) << "nothing left";
  EXPECT_TRUE(read(trail, "pa-3")) << "the trail records without a journal";
  EXPECT_EQ(entries().size(), before + 3);
}

TEST_F(JournalTrailTest, AReadWhoseEntryCannotBeKeptFailsAndShowsNothing) {
  patients::PatientService patients(*store, *keys, trail, clock, random);
  std::mt19937_64 rng(3);
  std::vector<patients::ImportRow> rows{{2, demo::person(rng, 0)}};
  ASSERT_TRUE(patients.import_batch(Context::system("test"), practice, rows));
  auto tx = store->read();
  const std::string id = (*(*tx)->patients().list(practice, "", 10)).front().id;
  tx->reset();
  ASSERT_TRUE(trail.open_journal(*store, path, {.delay = 1h}));
  ASSERT_TRUE(patients.get(staff(), practice, id)) << "recorded in the journal";
  ASSERT_TRUE(trail.close_journal());
  auto refused = patients.get(staff(), practice, id);
  ASSERT_FALSE(refused) << "no entry, no data";
  EXPECT_EQ(refused.error().code, core::ErrorCode::unavailable);
}

}  // namespace
}  // namespace praxis::audit
