// Patients at scale (issue #6): import throughput through the service (encryption and
// blind indexes included), then one-box search latency in the largest practice with 16
// concurrent clients, side by side with a plaintext variant of the same schema and
// algorithm (same index lookups and ranking, but tokens and records in clear, no keys;
// both record the patients shown in the same audit trail), in alternating rounds.
//
// Usage: patients_bench DIR [TOTAL] [BIG] [PRACTICES] [SECONDS]
//   defaults: 200000 patients, 100000 of them in the big practice, 20 practices, 10 s.

#include <sqlite3.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/phonetic.hpp"
#include "core/random.hpp"
#include "crypto/key_ring.hpp"
#include "demo/synthetic.hpp"
#include "patients/csv_import.hpp"
#include "patients/patient_service.hpp"
#include "patients/search.hpp"
#include "practices/practice_service.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace json = boost::json;
using namespace praxis;
using Clock = std::chrono::steady_clock;

namespace {

// Rows per import_batch call: what praxis patients import uses (IMPORT_BATCH=N to try
// others).
const std::size_t kImportBatch = [] {
  const char* env = std::getenv("IMPORT_BATCH");
  return env ? static_cast<std::size_t>(std::atoll(env)) : patients::ImportOptions{}.batch_size;
}();

struct Latency {
  std::vector<double> ms;
  double pct(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
  }
};

// The plaintext variant: the same index structure and algorithm, tokens and records in
// clear (what praxis would be without encryption), in its own SQLite file.
class Plain {
 public:
  explicit Plain(const std::filesystem::path& file) {
    sqlite3_open(file.c_str(), &db_);
    exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS patients(practice_id TEXT, id TEXT, record TEXT,"
        " PRIMARY KEY(practice_id, id)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS idx(practice_id TEXT, kind INTEGER, token TEXT, patient_id "
        "TEXT,"
        " PRIMARY KEY(practice_id, kind, token, patient_id)) WITHOUT ROWID;");
  }
  ~Plain() { sqlite3_close(db_); }
  void exec(const char* sql) { sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

  void insert(const std::string& practice, const std::string& id, const patients::Record& r) {
    bind_run("INSERT INTO patients VALUES (?1, ?2, ?3)",
             {practice, id, json::serialize(patients::to_json(r))});
    auto add = [&](patients::TermKind k, const std::string& token) {
      if (token.empty()) return;
      sqlite3_stmt* s = prepare("INSERT OR IGNORE INTO idx VALUES (?1, ?2, ?3, ?4)");
      sqlite3_bind_text(s, 1, practice.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(k));
      sqlite3_bind_text(s, 3, token.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(s, 4, id.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_step(s);
      sqlite3_reset(s);
    };
    for (const auto& w : patients::family_words(r)) {
      add(patients::TermKind::family, w);
      for (std::size_t n = 3; n <= std::min<std::size_t>(w.size(), 12); ++n) {
        add(patients::TermKind::prefix, w.substr(0, n));
      }
    }
    for (const auto& w : patients::family_words(r)) {
      add(patients::TermKind::phonetic, praxis::core::koelner_phonetik(w));
    }
    for (const auto& w : patients::given_words(r)) {
      add(patients::TermKind::phonetic, praxis::core::koelner_phonetik(w));
      add(patients::TermKind::given, w);
      for (std::size_t n = 3; n <= std::min<std::size_t>(w.size(), 12); ++n) {
        add(patients::TermKind::prefix, w.substr(0, n));
      }
    }
  }

  // Same steps as PatientService::search for one name term, minus the cryptography:
  // rank by rank (exact, prefix, phonetic), each paged in the database in id order and
  // excluding better ranks, records read and checked until 20 results.
  // Returns the ids shown (at most 20).
  std::vector<std::string> search(const std::string& practice, const std::string& q, sqlite3* db) {
    const auto terms = patients::parse_query(q, 2026);
    const auto& t = terms.at(0);
    using K = patients::TermKind;
    std::vector<std::vector<std::pair<K, std::string>>> stages = {
        {{K::family, t.value}, {K::given, t.value}}};
    if (t.value.size() >= 3 && t.value.size() <= 12) stages.push_back({{K::prefix, t.value}});
    stages.push_back({{K::phonetic, t.phonetic}});
    std::vector<std::string> shown;
    thread_local std::map<sqlite3*, sqlite3_stmt*> records;
    sqlite3_stmt*& rec = records[db];
    if (!rec) {
      sqlite3_prepare_v2(db, "SELECT record FROM patients WHERE practice_id = ?1 AND id = ?2", -1,
                         &rec, nullptr);
    }
    for (std::size_t st = 0; st < stages.size() && shown.size() < 20; ++st) {
      std::string sql = "SELECT patient_id FROM (";
      std::vector<std::pair<K, std::string>> binds;
      for (std::size_t i = 0; i < stages[st].size(); ++i) {
        if (i) sql += " UNION ";
        sql += "SELECT patient_id FROM idx WHERE practice_id = ?1 AND kind = ? AND token = ?";
        binds.push_back(stages[st][i]);
      }
      sql += ") u";
      bool first = true;
      for (std::size_t e = 0; e < st; ++e) {
        for (const auto& x : stages[e]) {
          sql += std::string(first ? " WHERE" : " AND") +
                 " NOT EXISTS (SELECT 1 FROM idx x WHERE x.practice_id = ?1 AND x.kind = ? AND "
                 "x.token = ? AND x.patient_id = u.patient_id)";
          first = false;
          binds.push_back(x);
        }
      }
      sql += " ORDER BY patient_id LIMIT 24";
      // Prepared once per connection and statement text, as the store's cache does.
      thread_local std::map<std::pair<sqlite3*, std::string>, sqlite3_stmt*> cache;
      sqlite3_stmt*& s = cache[{db, sql}];
      if (!s) sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
      sqlite3_bind_text(s, 1, practice.c_str(), -1, SQLITE_TRANSIENT);
      int index = 2;
      for (const auto& [kind, token] : binds) {
        sqlite3_bind_int64(s, index++, static_cast<sqlite3_int64>(kind));
        sqlite3_bind_text(s, index++, token.c_str(), -1, SQLITE_TRANSIENT);
      }
      std::vector<std::string> ids;
      while (sqlite3_step(s) == SQLITE_ROW) {
        ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
      }
      sqlite3_reset(s);
      for (const auto& id : ids) {
        if (shown.size() == 20) break;
        sqlite3_bind_text(rec, 1, practice.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(rec, 2, id.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(rec) == SQLITE_ROW) {
          // Parsed into a stack buffer, as PatientService::decrypt does.
          unsigned char buffer[8192];
          json::monotonic_resource scratch(buffer, sizeof buffer);
          auto r = patients::record_from_json(
              json::parse(reinterpret_cast<const char*>(sqlite3_column_text(rec, 0)), &scratch)
                  .as_object());
          if (patients::match_rank(r, t)) shown.push_back(id);
        }
        sqlite3_reset(rec);
      }
    }
    return shown;
  }

  sqlite3* db() { return db_; }

 private:
  sqlite3_stmt* prepare(const char* sql) {
    auto& s = cache_[sql];
    if (!s) sqlite3_prepare_v2(db_, sql, -1, &s, nullptr);
    return s;
  }
  void bind_run(const char* sql, std::initializer_list<std::string> values) {
    sqlite3_stmt* s = prepare(sql);
    int i = 1;
    for (const auto& v : values) sqlite3_bind_text(s, i++, v.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(s);
    sqlite3_reset(s);
  }
  sqlite3* db_ = nullptr;
  std::map<const char*, sqlite3_stmt*> cache_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: patients_bench DIR [TOTAL] [BIG] [PRACTICES] [SECONDS]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const std::size_t total = argc > 2 ? std::stoul(argv[2]) : 200000;
  const std::size_t big = argc > 3 ? std::stoul(argv[3]) : 100000;
  const std::size_t practices_count = argc > 4 ? std::stoul(argv[4]) : 20;
  const int seconds = argc > 5 ? std::stoi(argv[5]) : 10;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto store =
      store::sqlite::SqliteStore::create(dir / "praxis.db", store::sqlite::Synchronous::full);
  if (!store) {
    std::fprintf(stderr, "store: %s\n", store.error().internal.c_str());
    return 1;
  }
  std::vector<crypto::MasterKey> masters;
  auto mk = crypto::SecretKey::random();
  const auto mk_id = crypto::key_id_of(mk);
  masters.push_back({std::move(mk), mk_id});
  crypto::KeyRing keys(std::move(masters));
  core::SystemClock clock;
  core::SystemRandom random;
  audit::Trail practice_trail(keys, clock);
  practices::PracticeService practices(**store, keys, practice_trail, clock, random);
  audit::Trail trail(keys, clock);
  // Searches record their pages as the server does: through the audit journal
  // (NO_JOURNAL=1: in store transactions of their own).
  if (std::getenv("NO_JOURNAL") == nullptr && !trail.open_journal(**store, dir / "audit.journal")) {
    return 1;
  }
  patients::PatientService service(**store, keys, trail, clock, random);
  Plain plain(dir / "plain.db");

  std::vector<std::string> ids;
  for (std::size_t p = 0; p < practices_count; ++p) {
    practices::NewPractice np;
    np.name = "Praxis " + std::to_string(p);
    np.slug = "praxis-" + std::to_string(p);
    np.state = "BE";
    auto row = practices.create(audit::Context::system("bench"), np);
    if (!row) return 1;
    ids.push_back(row->id);
  }
  std::mt19937_64 rng(20261127);
  const auto import_started = Clock::now();
  std::size_t n = 0;
  double big_seconds = 0;
  double plain_seconds = 0;  // building the plaintext comparison, not counted as import
  for (std::size_t p = 0; p < practices_count; ++p) {
    const std::size_t count = p == 0 ? big
                                     : (total - big) / (practices_count - 1) +
                                           (p == 1 ? (total - big) % (practices_count - 1) : 0);
    const auto started = Clock::now();
    std::vector<patients::ImportRow> batch;
    for (std::size_t i = 0; i < count; ++i, ++n) {
      batch.push_back({i + 2, demo::person(rng, n)});
      if (batch.size() == kImportBatch || i + 1 == count) {
        auto r = service.import_batch(audit::Context::system("bench"), ids[p], batch);
        if (!r) {
          std::fprintf(stderr, "import: %s\n", r.error().internal.c_str());
          return 1;
        }
        if (p == 0) {
          const auto plain_started = Clock::now();
          plain.exec("BEGIN");
          for (std::size_t k = 0; k < batch.size(); ++k) {
            plain.insert(ids[0], "p" + std::to_string(n - batch.size() + 1 + k),
                         patients::record_from_json(batch[k].data));
          }
          plain.exec("COMMIT");
          plain_seconds += std::chrono::duration<double>(Clock::now() - plain_started).count();
        }
        batch.clear();
      }
    }
    if (p == 0) {
      big_seconds = std::chrono::duration<double>(Clock::now() - started).count() - plain_seconds;
      std::fprintf(stderr, "big practice: %zu patients in %.1f s\n", count, big_seconds);
    }
  }
  const double import_seconds =
      std::chrono::duration<double>(Clock::now() - import_started).count() - plain_seconds;

  // Search: surname prefixes and full surnames as the front desk types them, from 4
  // threads, one per reader connection of the store (the server's handler pool had 4
  // threads on this machine until 2026-12-05 and has one per core since; 4 keeps the
  // figures comparable). The figures are service times; the HTTP run
  // (bench/patients_search.sh) adds the 16 concurrent clients of the target.
  constexpr int kThreads = 4;
  std::vector<std::string> queries;
  for (const char* s : demo::surnames()) {
    const std::string name = s;
    queries.push_back(
        name.substr(0, name.size() >= 4 && static_cast<unsigned char>(name[3]) < 0x80 ? 4 : 3));
    queries.push_back(name);
  }
  // `seconds` of searching, in rounds that alternate between the two variants so both
  // see the same machine (the import's WAL checkpoint and write-back settle meanwhile).
  auto run = [&](auto search_one, double round_seconds) {
    std::atomic<bool> stop{false};
    std::vector<Latency> per(kThreads);
    std::vector<std::thread> threads;
    std::atomic<std::size_t> results{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937_64 local(static_cast<std::uint64_t>(t));
        while (!stop) {
          const auto& q = queries[local() % queries.size()];
          const auto s = Clock::now();
          results += search_one(q, t);
          per[static_cast<std::size_t>(t)].ms.push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(round_seconds));
    stop = true;
    for (auto& th : threads) th.join();
    Latency all;
    for (auto& l : per) all.ms.insert(all.ms.end(), l.ms.begin(), l.ms.end());
    return all;
  };
  audit::Context reader;
  reader.actor = {"user", "bench", "physician"};
  reader.purpose = "treatment";
  auto encrypted = [&](const std::string& q, int) {
    auto page = service.search(reader, ids[0], q, "", 20);
    return page ? page->patients.size() : 0;
  };
  std::vector<sqlite3*> plain_dbs(kThreads);
  for (auto& db : plain_dbs) {
    sqlite3_open_v2((dir / "plain.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  }
  // The plaintext variant records the patients it showed in the same audit trail, as the
  // service does (one list entry per page): the trail is not what encryption costs (its
  // own overhead is issue #8's figure), so both variants pay it alike.
  auto plaintext = [&](const std::string& q, int t) {
    auto shown = plain.search(ids[0], q, plain_dbs[static_cast<std::size_t>(t)]);
    if (!shown.empty()) {
      const audit::Event e{"patient.list", "patient", "", "success", shown};
      if (!trail.record(**store, ids[0], reader, std::span<const audit::Event>(&e, 1))) {
        std::fprintf(stderr, "audit append failed\n");
        std::exit(1);
      }
    }
    return shown.size();
  };
  constexpr int kRounds = 4;
  Latency enc_all, plain_all;
  for (int round = 0; round < kRounds; ++round) {
    const double each = static_cast<double>(seconds) / kRounds;
    auto e = run(encrypted, each);
    enc_all.ms.insert(enc_all.ms.end(), e.ms.begin(), e.ms.end());
    auto p = run(plaintext, each);
    plain_all.ms.insert(plain_all.ms.end(), p.ms.begin(), p.ms.end());
  }
  for (auto* db : plain_dbs) sqlite3_close_v2(db);  // statements stay cached until exit
  const std::size_t enc_n = enc_all.ms.size(), plain_n = plain_all.ms.size();
  const double enc_p50 = enc_all.pct(0.5), enc_p99 = enc_all.pct(0.99);
  const double plain_p50 = plain_all.pct(0.5), plain_p99 = plain_all.pct(0.99);

  std::printf("machine:     %u cores\n", std::thread::hardware_concurrency());
  std::printf(
      "data:        %zu patients in %zu practices, %zu in the largest (SQLite, synchronous=FULL)\n",
      total, practices_count, big);
  std::printf(
      "import:      %.0f patients/s overall (%.1f s), %.0f/s into the largest practice "
      "(target >= 5000/s)\n",
      static_cast<double>(total) / import_seconds, import_seconds,
      static_cast<double>(big) / big_seconds);
  std::printf("search:      encrypted %zu queries in %d s (4 threads), p50 %.2f ms, p99 %.2f ms\n",
              enc_n, seconds, enc_p50, enc_p99);
  std::printf("             plaintext %zu queries, p50 %.2f ms, p99 %.2f ms\n", plain_n, plain_p50,
              plain_p99);
  std::printf("ratio:       p99 encrypted/plaintext %.2f, p50 %.2f (target <= 1.5)\n",
              enc_p99 / plain_p99, enc_p50 / plain_p50);
  return 0;
}
