// Audit trail figures for issue #8, in one run on one SQLite store (FULL durability):
//   1. audited patient reads (PatientService::get: read, decrypt, append the entry) and,
//      under the same concurrency, the audit append alone — its time per read is the
//      overhead the trail adds to a read (target ≤ 20 µs). As the server records them:
//      through the audit journal, whose moves into the tree count (the run ends when
//      everything appended is in the tree); NO_JOURNAL=1 appends in store transactions
//      as command-line tasks do;
//   2. patients shown per second when a result list of 20 is recorded (one list entry);
//   3. `audit verify` over a trail of N entries, a tenth of them lists of 20 (target
//      ≥ 500,000 entries/s), and the access report's lookup of one patient over that trail.
// Usage: audit_bench DIR [VERIFY_ENTRIES=1000000] [SECONDS=5] [THREADS=4]

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "audit/trail.hpp"
#include "audit/verify.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "demo/synthetic.hpp"
#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using namespace praxis;
using Clock = std::chrono::steady_clock;

struct Run {
  std::size_t ops = 0;
  double seconds = 0;
  std::vector<double> us;
  double per_op_us() const { return ops ? seconds * 1e6 / static_cast<double>(ops) : 0; }
  double pct(double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(us.size())))];
  }
};

// `threads` threads call op(thread) for `seconds`; wall time per op is seconds/ops.
// `finish` runs after the threads stop and before the clock does (the journal's flush).
template <typename Op, typename Finish>
Run hammer(int threads, int seconds, Op op, Finish finish) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> per(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  const auto started = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!stop) {
        const auto s = Clock::now();
        if (!op(t)) {
          std::fprintf(stderr, "operation failed\n");
          std::exit(1);
        }
        per[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - s).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  if (!finish()) {
    std::fprintf(stderr, "finish failed\n");
    std::exit(1);
  }
  Run r;
  r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  for (auto& v : per) r.us.insert(r.us.end(), v.begin(), v.end());
  r.ops = r.us.size();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: audit_bench DIR [VERIFY_ENTRIES] [SECONDS] [THREADS]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const std::int64_t verify_entries = argc > 2 ? std::stoll(argv[2]) : 1000000;
  const int seconds = argc > 3 ? std::stoi(argv[3]) : 5;
  const int threads = argc > 4 ? std::stoi(argv[4]) : 4;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = store::sqlite::SqliteStore::create(
      dir / "praxis.db", std::getenv("NORMAL") ? store::sqlite::Synchronous::normal
                                               : store::sqlite::Synchronous::full);
  if (!store) return 1;
  std::vector<crypto::MasterKey> masters;
  auto mk = crypto::SecretKey::random();
  const auto mk_id = crypto::key_id_of(mk);
  masters.push_back({std::move(mk), mk_id});
  crypto::KeyRing keys(std::move(masters));
  core::SystemClock clock;
  core::SystemRandom random;
  audit::Trail trail(keys, clock);
  const bool journal = std::getenv("NO_JOURNAL") == nullptr;
  if (journal && !trail.open_journal(**store, dir / "audit.journal")) return 1;
  auto flushed = [&] { return static_cast<bool>(trail.flush()); };
  practices::PracticeService practices(**store, keys, trail, clock, random);
  patients::PatientService service(**store, keys, trail, clock, random);
  auto make_practice = [&](const std::string& slug) {
    practices::NewPractice np;
    np.name = "Praxis " + slug;
    np.slug = slug;
    np.state = "BE";
    return practices.create(audit::Context::system("bench"), np)->id;
  };
  const std::string practice = make_practice("lesen");

  // 2,000 patients to read.
  std::mt19937_64 rng(8);
  std::vector<patients::ImportRow> rows;
  for (std::size_t i = 0; i < 2000; ++i) rows.push_back({i + 2, demo::person(rng, i)});
  if (!service.import_batch(audit::Context::system("bench"), practice, rows)) return 1;
  std::vector<std::string> ids;
  {
    auto tx = (**store).read();
    auto listed = (*tx)->patients().list(practice, "", 5000);
    for (const auto& r : *listed) ids.push_back(r.id);
  }
  audit::Context reader;
  reader.actor = {"user", "bench-user", "physician"};
  reader.purpose = "treatment";
  reader.request_id = "bench";
  reader.client_address = "127.0.0.1";

  std::printf("machine: %u hardware threads; %d client threads, %d s each; %s\n",
              std::thread::hardware_concurrency(), threads, seconds,
              journal ? "entries through the audit journal (as the server)"
                      : "entries in store transactions (NO_JOURNAL)");
  auto pick = [&ids](int t) -> const std::string& {
    thread_local std::mt19937_64 local(static_cast<std::uint64_t>(t) + 1);
    static const bool hot = std::getenv("HOT") != nullptr;  // one patient: no random pages
    return ids[hot ? 0 : local() % ids.size()];
  };
  if (seconds > 0) {
    // An operation's result as hammer wants it, its error on stderr.
    auto ok = [](const char* what, const auto& r) {
      if (!r) std::fprintf(stderr, "%s: %s\n", what, r.error().internal.c_str());
      return static_cast<bool>(r);
    };
    Run reads = hammer(
        threads, seconds, [&](int t) { return ok("read", service.get(reader, practice, pick(t))); },
        flushed);
    Run appends = hammer(
        threads, seconds,
        [&](int t) {
          const audit::Event e{"patient.read", "patient", pick(t)};
          return ok("append",
                    trail.record(**store, practice, reader, std::span<const audit::Event>(&e, 1)));
        },
        flushed);
    Run lists = hammer(
        threads, seconds,
        [&](int t) {
          // As a search records its page: one entry naming the 20 patients shown.
          audit::Event shown{"patient.list", "patient", "", "success", {}};
          for (int i = 0; i < 20; ++i) shown.subjects.push_back(pick(t));
          return ok("list", trail.record(**store, practice, reader,
                                         std::span<const audit::Event>(&shown, 1)));
        },
        flushed);
    std::printf(
        "audited patient read (get):   %9.0f reads/s   %7.1f µs/read (wall)   p50 %7.1f µs  p99 "
        "%7.1f µs\n",
        static_cast<double>(reads.ops) / reads.seconds, reads.per_op_us(), reads.pct(0.5),
        reads.pct(0.99));
    std::printf(
        "audit append alone (1 entry): %9.0f appends/s %7.1f µs/append (wall) p50 %7.1f µs  p99 "
        "%7.1f µs\n",
        static_cast<double>(appends.ops) / appends.seconds, appends.per_op_us(), appends.pct(0.5),
        appends.pct(0.99));
    std::printf("overhead per read: %.1f µs of %.1f µs (%.0f %%)\n", appends.per_op_us(),
                reads.per_op_us(), 100.0 * appends.per_op_us() / reads.per_op_us());
    std::printf("result list of 20, one entry:  %9.0f patients shown/s  %6.1f µs/patient (wall)\n",
                20.0 * static_cast<double>(lists.ops) / lists.seconds, lists.per_op_us() / 20.0);
  }

  // A long trail to verify, appended 1,000 entries per transaction: reads of one record
  // each, and every 10th entry a result list of 20 (a front desk's mix), so that verify
  // and the access report meet the index of lists as well as the entries' own resources.
  const std::string big = make_practice("verify");
  const auto fill_started = Clock::now();
  std::vector<audit::Event> batch;
  for (std::int64_t n = 0; n < verify_entries; n += 1000) {
    batch.clear();
    for (std::int64_t i = n; i < n + 1000; ++i) {
      const auto at = [&](std::int64_t k) { return ids[static_cast<std::size_t>(k) % ids.size()]; };
      if (i % 10 == 9) {
        audit::Event list{"patient.list", "patient", "", "success", {}};
        for (std::int64_t k = 0; k < 20; ++k) list.subjects.push_back(at(i * 7 + k * 101));
        batch.push_back(std::move(list));
      } else {
        batch.push_back({"patient.read", "patient", at(i)});
      }
    }
    if (!trail.record(**store, big, reader, batch)) return 1;
  }
  if (!trail.flush() || !trail.checkpoint(**store, big, true)) return 1;
  const double fill = std::chrono::duration<double>(Clock::now() - fill_started).count();
  std::printf("appended %lld entries in batches of 1,000: %.0f entries/s\n",
              static_cast<long long>(verify_entries), static_cast<double>(verify_entries) / fill);
  // As `praxis audit verify` runs it: a store opened for a scan (readers map the file);
  // then through the server's store (no map), for comparison.
  store::sqlite::SqliteOptions scan_options;
  scan_options.file = dir / "praxis.db";
  scan_options.reader_mmap_bytes = store::sqlite::kScanMmapBytes;
  auto scan = store::sqlite::SqliteStore::open(scan_options);
  if (!scan) return 1;
  for (const auto& [what, s] :
       {std::pair<const char*, store::Store*>{"as the command", scan->get()},
        {"through the server's store", store->get()}}) {
    const auto verify_started = Clock::now();
    auto verified = audit::verify_practice(*s, trail, big);
    const double vs = std::chrono::duration<double>(Clock::now() - verify_started).count();
    if (!verified || !verified->ok) {
      std::fprintf(stderr, "verify failed\n");
      return 1;
    }
    std::printf("audit verify (%s): %llu entries, %llu checkpoints in %.2f s = %.0f entries/s\n",
                what, static_cast<unsigned long long>(verified->entries),
                static_cast<unsigned long long>(verified->checkpoints), vs,
                static_cast<double>(verified->entries) / vs);
  }

  // The access report's lookup over that trail: the newest 50 entries of one patient, who
  // appears in about every 2,000th entry as a read and in about every 1,000th as one of a
  // list; the indexes are visited block by block.
  std::vector<double> report_ms;
  std::size_t found = 0;
  for (int i = 0; i < 21; ++i) {
    const auto started = Clock::now();
    auto tx = (**store).read();
    if (!tx) return 1;
    store::AuditQuery q;
    q.resource_type = "patient";
    q.resource_id = ids[static_cast<std::size_t>(i) % 100];
    q.limit = 50;
    auto page = (*tx)->audit().search(big, q);
    if (!page) return 1;
    found = page->size();
    report_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
  }
  std::sort(report_ms.begin(), report_ms.end());
  std::printf(
      "access report lookup over %lld entries (%lld blocks): median %.2f ms, max %.2f ms "
      "(%zu entries found)\n",
      static_cast<long long>(verify_entries),
      static_cast<long long>(store::audit_block(verify_entries - 1) + 1),
      report_ms[report_ms.size() / 2], report_ms.back(), found);
  return 0;
}
