// praxis-bench: the scale benchmarks of issue #12.
//
//   praxis-bench gen --data DIR [--patients 3100000] [--practices 2000] [--big 3]
//                    [--big-size 100000] [--seed 2020] [--appointments 10] [--threads 2]
//
// `gen` fills the data directory of a stopped installation (`praxis init --data DIR`)
// with practices of realistic, varied size: `--big` of them with `--big-size` patients,
// the others between 500 and 3,000 (drawn by seed and scaled to the total). Each gets
// practitioners (one per 1,500 patients, 1–8), three appointment types, working plans,
// its patients through PatientService (encryption and blind indexes included, in
// batches of 1,000) and `--appointments` upcoming appointments per practitioner. Same
// seed, same data. A progress line with the rate and an ETA goes to standard error; a
// summary line to standard output.

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <atomic>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>

#include "app/installation.hpp"
#include "demo/synthetic.hpp"
#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"
#include "scheduling/scheduling_service.hpp"

using namespace praxis;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBatch = 1000;
constexpr std::size_t kPatientsPerPractitioner = 1500;
constexpr std::size_t kMaxPractitioners = 8;
constexpr const char* kStates[] = {"BE", "BY", "BW", "NW", "HE", "NI", "SN", "HH",
                                   "RP", "SH", "TH", "ST", "BB", "MV", "SL", "HB"};
constexpr const char* kGiven[] = {"Anna", "Jonas", "Lena", "Paul", "Sophie", "Felix",
                                  "Marie", "Lukas", "Hannah", "Moritz", "Clara", "Emil"};
// Working hours by practitioner (cycled): mornings every weekday, two afternoons.
constexpr const char* kPlans[] = {
    R"({"rules":[{"weekday":"mon","intervals":[["08:00","12:00"],["14:00","18:00"]]},)"
    R"({"weekday":"tue","intervals":[["08:00","12:00"]]},{"weekday":"wed","intervals":[["08:00","12:00"]]},)"
    R"({"weekday":"thu","intervals":[["08:00","12:00"],["14:00","18:00"]]},)"
    R"({"weekday":"fri","intervals":[["08:00","12:00"]]}]})",
    R"({"rules":[{"weekday":"mon","intervals":[["09:00","13:00"]]},)"
    R"({"weekday":"tue","intervals":[["09:00","13:00"],["15:00","19:00"]]},)"
    R"({"weekday":"wed","intervals":[["09:00","13:00"]]},)"
    R"({"weekday":"thu","intervals":[["09:00","13:00"],["15:00","19:00"]]},)"
    R"({"weekday":"fri","intervals":[["09:00","12:00"]]}]})"};

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(seconds);
  char buf[32];
  if (s >= 3600) {
    (void)std::snprintf(buf, sizeof buf, "%lld h %02lld min", s / 3600, s % 3600 / 60);
  } else {
    (void)std::snprintf(buf, sizeof buf, "%lld min %02lld s", s / 60, s % 60);
  }
  return buf;
}

class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), started_(Clock::now()) {}

  void update(std::size_t done) {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (finished_ || (done < total_ && now - shown_ < std::chrono::milliseconds(500))) return;
    finished_ = done >= total_;
    shown_ = now;
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    constexpr int kWidth = 30;
    const int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::fprintf(stderr, "\r[%s%s] %zu / %zu patients  %.0f/s  ETA %s   ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), done,
                 total_, rate, duration_text(eta).c_str());
    if (done >= total_) std::fprintf(stderr, "\n");
  }

  double seconds() const {
    return std::chrono::duration<double>(Clock::now() - started_).count();
  }

 private:
  std::size_t total_;
  Clock::time_point started_;
  Clock::time_point shown_{};
  bool finished_ = false;
  std::mutex mutex_;
};

struct GenOptions {
  std::string data;
  std::size_t patients = 3'100'000;
  std::size_t practices = 2'000;
  std::size_t big = 3;
  std::size_t big_size = 100'000;
  std::uint64_t seed = 2020;
  std::size_t appointments = 10;
  unsigned threads = 2;
};

// Practitioners, appointment types and working plans of one practice; the ids of the
// practitioners and of the consultation type.
struct PracticeSetup {
  std::vector<std::string> practitioners;
  std::string consultation;
};

core::Result<PracticeSetup> configure(scheduling::SchedulingService& scheduling,
                                      std::string_view practice_id, std::size_t size,
                                      std::mt19937_64& rng) {
  const auto who = audit::Context::system("praxis-bench gen");
  PracticeSetup setup;
  const std::size_t count =
      std::clamp<std::size_t>(size / kPatientsPerPractitioner + 1, 1, kMaxPractitioners);
  const auto surnames = demo::surnames();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = std::string("Dr. med. ") + kGiven[rng() % std::size(kGiven)] + " " +
                             surnames[rng() % surnames.size()];
    auto p = scheduling.create(who, practice_id, store::ConfigKind::practitioner,
                               json::object{{"name", name}});
    if (!p) return tl::unexpected(p.error());
    setup.practitioners.push_back(p->row.id);
    auto plan = scheduling.put_working_plan(who, practice_id, p->row.id, std::nullopt,
                                            json::parse(kPlans[i % std::size(kPlans)]).as_object());
    if (!plan) return tl::unexpected(plan.error());
  }
  json::array all;
  for (const auto& id : setup.practitioners) all.emplace_back(id);
  const json::object types[] = {
      {{"name_de", "Sprechstunde"},
       {"name_en", "Consultation"},
       {"duration_minutes", 15},
       {"online_bookable", true},
       {"practitioners", all}},
      {{"name_de", "Erstgespräch"},
       {"name_en", "First visit"},
       {"duration_minutes", 30},
       {"buffer_after_minutes", 5},
       {"online_bookable", true},
       {"existing_patients", false},
       {"practitioners", json::array{json::value(setup.practitioners.front())}}},
      {{"name_de", "Blutabnahme"},
       {"name_en", "Blood test"},
       {"duration_minutes", 10},
       {"practitioners", all}}};
  for (const auto& body : types) {
    auto t = scheduling.create(who, practice_id, store::ConfigKind::appointment_type, body);
    if (!t) return tl::unexpected(t.error());
    if (setup.consultation.empty()) setup.consultation = t->row.id;
  }
  return setup;
}

int generate(const GenOptions& o) {
  const app::DataDir dir{o.data};
  const app::PassphraseSource no_passphrase;
  auto installation = app::Installation::open(dir, &no_passphrase);
  if (!installation) {
    std::fprintf(stderr, "praxis-bench: %s\n", installation.error().message.c_str());
    return 1;
  }
  auto& in = **installation;
  practices::PracticeService practices(in.store(), in.keys(), in.trail(), in.clock(), in.random());
  patients::PatientService patients(in.store(), in.keys(), in.trail(), in.clock(), in.random());
  scheduling::SchedulingService scheduling(in.store(), in.trail(), in.clock(), in.random());
  const auto who = audit::Context::system("praxis-bench gen");

  const auto sizes = demo::practice_sizes(o.patients, o.practices, o.big, o.big_size, o.seed);
  // Person numbers per practice (phones and e-mails stay unique whatever the threads do).
  std::vector<std::size_t> first_person(sizes.size());
  std::exclusive_scan(sizes.begin(), sizes.end(), first_person.begin(), std::size_t{0});
  Progress progress(o.patients);
  std::atomic<std::size_t> done{0};
  std::atomic<std::size_t> appointments{0};
  std::atomic<bool> failed{false};

  // One practice: created, configured, filled. Practices go to the threads in turn; the
  // store's single writer takes their batches while the others encrypt theirs.
  auto fill = [&](std::size_t p) -> bool {
    std::mt19937_64 rng(o.seed * 1'000'003 + p);
    practices::NewPractice np;
    char slug[32];
    (void)std::snprintf(slug, sizeof slug, "p%04zu", p);
    np.slug = slug;
    np.name = "Praxis " + std::string(demo::surnames()[rng() % demo::surnames().size()]) + " " +
              std::to_string(p);
    np.state = kStates[p % std::size(kStates)];
    auto practice = practices.create(who, np);
    if (!practice) {
      std::fprintf(stderr, "\npraxis-bench: practice %s: %s\n", slug,
                   practice.error().message.c_str());
      return false;
    }
    auto setup = configure(scheduling, practice->id, sizes[p], rng);
    if (!setup) {
      std::fprintf(stderr, "\npraxis-bench: configuring %s: %s\n", slug,
                   setup.error().message.c_str());
      return false;
    }
    std::vector<patients::ImportRow> batch;
    batch.reserve(kBatch);
    std::size_t n = first_person[p];
    for (std::size_t i = 0; i < sizes[p]; ++i, ++n) {
      batch.push_back({i + 2, demo::person(rng, n)});
      if (batch.size() == kBatch || i + 1 == sizes[p]) {
        auto imported = patients.import_batch(who, practice->id, batch);
        if (!imported) {
          std::fprintf(stderr, "\npraxis-bench: import into %s: %s\n", slug,
                       imported.error().internal.c_str());
          return false;
        }
        progress.update(done += batch.size());
        batch.clear();
      }
    }
    // Upcoming appointments at free times of the consultation.
    const auto today = date::floor<date::days>(scheduling.zone()->to_local(in.clock().now()));
    auto free = scheduling.availability(practice->id, setup->consultation, std::nullopt,
                                        today + date::days(1), today + date::days(14), false);
    const std::size_t wanted = o.appointments * setup->practitioners.size();
    for (std::size_t a = 0; free && a < wanted && !free->empty(); ++a) {
      const auto& slot = (*free)[rng() % free->size()];
      scheduling::NewAppointment input;
      input.type_id = setup->consultation;
      input.practitioner_id = slot.practitioner;
      input.start = slot.start;
      if (scheduling.book(who, practice->id, input)) ++appointments;  // a taken time is skipped
    }
    return true;
  };
  std::vector<std::thread> workers;
  const unsigned threads = std::max(1U, o.threads);
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t p = t; p < sizes.size() && !failed; p += threads) {
        if (!fill(p)) failed = true;
      }
    });
  }
  for (auto& w : workers) w.join();
  if (failed) return 1;
  progress.update(o.patients);
  const double seconds = progress.seconds();
  std::printf("generated %zu practices, %zu patients, %zu appointments in %s: %.0f patients/s\n",
              sizes.size(), done.load(), appointments.load(), duration_text(seconds).c_str(),
              static_cast<double>(done.load()) / seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"praxis-bench: data and load for the scale benchmarks (issue #12)"};
  app.require_subcommand(1);
  GenOptions gen;
  auto* g = app.add_subcommand("gen", "Fill a data directory with realistic practices and patients");
  g->add_option("--data", gen.data, "Data directory made by 'praxis init'")->required();
  g->add_option("--patients", gen.patients, "Patients in all")->check(CLI::Range(1, 100'000'000));
  g->add_option("--practices", gen.practices, "Practices")->check(CLI::Range(1, 100'000));
  g->add_option("--big", gen.big, "Practices with --big-size patients")->check(CLI::Range(0, 1000));
  g->add_option("--big-size", gen.big_size, "Patients of each big practice");
  g->add_option("--seed", gen.seed, "Same seed, same data");
  g->add_option("--appointments", gen.appointments, "Upcoming appointments per practitioner");
  g->add_option("--threads", gen.threads, "Practices filled at once")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  if (g->parsed()) return generate(gen);
  return 2;
}
