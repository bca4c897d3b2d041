// Fills the data directory of a stopped praxis installation with realistic patients for
// the HTTP search benchmark (bench/patients_search.sh): TOTAL patients over PRACTICES
// practices, BIG of them in the practice with slug "big" (created here), through
// PatientService (encryption and blind indexes included). Then it adds an owner account
// with an open session and prints "cookie csrf" for wrk. With IDS_FILE it also writes up
// to 2,000 ids of the big practice's patients there, one per line (patient reads).
//
// Usage: patients_load DATA_DIR TOTAL BIG PRACTICES [IDS_FILE]

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include "app/installation.hpp"
#include "crypto/token.hpp"
#include "demo/synthetic.hpp"
#include "patients/csv_import.hpp"
#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"

using namespace praxis;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: patients_load DATA_DIR TOTAL BIG PRACTICES\n");
    return 2;
  }
  const app::DataDir dir{argv[1]};
  const std::size_t total = std::stoul(argv[2]);
  const std::size_t big = std::stoul(argv[3]);
  const std::size_t practices_count = std::max<std::size_t>(1, std::stoul(argv[4]));
  const app::PassphraseSource no_passphrase;
  auto installation = app::Installation::open(dir, &no_passphrase);
  if (!installation) {
    std::fprintf(stderr, "open: %s (%s)\n", installation.error().message.c_str(),
                 installation.error().internal.c_str());
    return 1;
  }
  auto& in = **installation;
  auto& store = in.store();
  auto& clock = in.clock();
  auto& random = in.random();
  practices::PracticeService practices(store, in.keys(), in.trail(), clock, random);
  patients::PatientService service(store, in.keys(), in.trail(), clock, random);
  std::vector<std::string> ids;
  for (std::size_t p = 0; p < practices_count; ++p) {
    practices::NewPractice np;
    np.name = p == 0 ? "Große Praxis" : "Praxis " + std::to_string(p);
    np.slug = p == 0 ? "big" : "load-" + std::to_string(p);
    np.state = "BE";
    auto row = practices.create(audit::Context::system("bench"), np);
    if (!row) {
      std::fprintf(stderr, "practice: %s\n", row.error().message.c_str());
      return 1;
    }
    ids.push_back(row->id);
  }
  std::mt19937_64 rng(20261127);
  const auto started = std::chrono::steady_clock::now();
  std::size_t n = 0;
  for (std::size_t p = 0; p < practices_count; ++p) {
    const std::size_t rest = total - big;
    const std::size_t others = practices_count - 1;
    const std::size_t count = p == 0 ? big : rest / others + (p == 1 ? rest % others : 0);
    std::vector<patients::ImportRow> batch;
    for (std::size_t i = 0; i < count; ++i, ++n) {
      batch.push_back({i + 2, demo::person(rng, n)});
      // As praxis patients import writes them (rows per transaction).
      if (batch.size() == patients::ImportOptions{}.batch_size || i + 1 == count) {
        if (auto r = service.import_batch(audit::Context::system("bench"), ids[p], batch); !r) {
          std::fprintf(stderr, "import: %s\n", r.error().internal.c_str());
          return 1;
        }
        batch.clear();
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "imported %zu patients in %.1f s (%.0f/s)\n", total, seconds,
               static_cast<double>(total) / seconds);

  // An owner of the big practice with an open session (written directly: the
  // benchmark measures search, not sign-in).
  const std::string token = crypto::generate_token();
  const std::string csrf = crypto::generate_token();
  auto r = store::with_transaction(
      store, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        store::UserRow u;
        u.id = core::random_hex(random, 16);
        u.practice_id = ids[0];
        u.email = "bench@big.example";
        u.role = "owner";
        u.status = "active";
        u.created_at = core::to_iso8601(clock.now());
        if (auto ins = tx.users().insert(u); !ins) return ins;
        store::SessionRow s;
        s.id = core::random_hex(random, 16);
        s.practice_id = ids[0];
        s.user_id = u.id;
        const auto th = crypto::hash_token(token);
        const auto ch = crypto::hash_token(csrf);
        s.token_hash.assign(th.begin(), th.end());
        s.csrf_hash.assign(ch.begin(), ch.end());
        s.created_at = u.created_at;
        s.last_seen_at = u.created_at;
        s.expires_at = core::to_iso8601(clock.now() + std::chrono::hours(12));
        return tx.sessions().insert(s);
      });
  if (!r) {
    std::fprintf(stderr, "session: %s\n", r.error().internal.c_str());
    return 1;
  }
  if (argc > 5) {
    std::ofstream out(argv[5]);
    auto listed = store::with_transaction(store, store::TxMode::read_only,
                                          [&](store::Transaction& tx) -> core::Result<void> {
                                            auto rows = tx.patients().list(ids[0], "", 2000);
                                            if (!rows) return tl::unexpected(rows.error());
                                            for (const auto& row : *rows) out << row.id << "\n";
                                            return {};
                                          });
    if (!listed) {
      std::fprintf(stderr, "ids: %s\n", listed.error().internal.c_str());
      return 1;
    }
  }
  std::printf("%s %s\n", token.c_str(), csrf.c_str());
  return 0;
}
