#include "app/app.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "api/authorizer.hpp"
#include "api/staff_routes.hpp"
#include "app/backup_scheduler.hpp"
#include "app/installation.hpp"
#include "app/keys.hpp"
#include "app/notifications.hpp"
#include "app/routes.hpp"
#include "app/store_factory.hpp"
#include "auth/account_service.hpp"
#include "auth/auth_service.hpp"
#include "auth/password_policy.hpp"
#include "booking/booking_service.hpp"
#include "core/random.hpp"
#include "core/rate_limiter.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/master_key.hpp"
#include "http/handlers/ops.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "patients/patient_service.hpp"
#include "practices/practice_service.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace praxis::app {

using core::ErrorCode;

struct App::Parts {
  std::optional<DataDirLock> lock;
  core::SystemRandom random;
  core::SystemClock clock;
  std::unique_ptr<crypto::KeyRing> keys;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::Trail> trail;
  std::unique_ptr<audit::AuditService> audit;
  std::unique_ptr<scheduling::SchedulingService> scheduling;
  std::unique_ptr<auth::AuthService> auth;
  std::unique_ptr<auth::AccountService> accounts;
  std::unique_ptr<practices::PracticeService> practices;
  std::unique_ptr<patients::PatientService> patients;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<booking::BookingService> bookings;
  std::unique_ptr<audit::DeleteGuard> delete_guard;
  core::RateLimiter limiter;
  std::unique_ptr<api::SessionAuthorizer> authorizer;
  http::Metrics metrics;
  http::StaticFiles web;  // empty when the assets are missing (pages answer 404)
  http::Router router;
  std::unique_ptr<http::Server> server;
  // Housekeeping until stop: audit checkpoints that are due (every minute), expired
  // sessions (every hour).
  std::mutex housekeeping_mutex;
  std::condition_variable housekeeping_cv;
  bool stopping = false;
  std::thread housekeeping;
  std::atomic<std::uint64_t> audit_checkpoint_failures{0};
  std::unique_ptr<BackupScheduler> backups;  // SQLite with [backup] scheduled only
};

namespace {

http::ServerOptions server_options(const Config& config, bool handle_signals) {
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const auto& s = config.server;
  http::ServerOptions o;
  o.host = s.host;
  o.port = s.port;
  if (!s.tls_certificate.empty()) o.tls = http::TlsOptions{s.tls_certificate, s.tls_private_key};
  o.io_threads = s.io_threads ? s.io_threads : cores;
  o.worker_threads = handler_threads(s);
  o.write_threads = s.write_threads ? s.write_threads : std::max(64U, 32 * cores);
  o.max_connections = static_cast<std::size_t>(s.max_connections);
  o.max_header_bytes = static_cast<std::size_t>(s.max_header_bytes);
  o.max_body_bytes = static_cast<std::size_t>(s.max_body_bytes);
  o.read_timeout = std::chrono::seconds(s.read_timeout_seconds);
  o.idle_timeout = std::chrono::seconds(s.idle_timeout_seconds);
  o.shutdown_grace = std::chrono::seconds(s.shutdown_grace_seconds);
  o.handle_signals = handle_signals;
  o.access_log = config.log.access_log;
  o.trust_forwarded_for = s.trust_forwarded_for;
  return o;
}

auth::AuthOptions auth_options(const AuthConfig& a) {
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  auth::AuthOptions o;
  o.session_idle = std::chrono::minutes(a.session_idle_minutes);
  o.session_absolute = std::chrono::hours(a.session_absolute_hours);
  o.max_password_checks = a.max_concurrent_password_checks > 0
                              ? static_cast<std::size_t>(a.max_concurrent_password_checks)
                              : std::max(1U, cores / 2);
  o.account_throttle.free_failures = static_cast<int>(a.login_free_failures);
  o.account_throttle.max_delay = std::chrono::seconds(a.login_max_backoff_seconds);
  o.address_throttle.free_failures = static_cast<int>(a.login_free_failures_per_address);
  o.address_throttle.max_delay = std::chrono::seconds(a.login_max_backoff_seconds);
  return o;
}

api::PublicLimits public_limits(const BookingConfig& b) {
  api::PublicLimits l;
  const auto per_minute = [](std::int64_t n) { return static_cast<double>(n); };
  l.reads = {per_minute(b.reads_per_minute), std::max(10.0, per_minute(b.reads_per_minute) / 5)};
  l.challenges = {per_minute(b.challenges_per_minute),
                  std::max(3.0, per_minute(b.challenges_per_minute) / 3)};
  l.writes = {static_cast<double>(b.writes_per_hour) / 60.0,
              std::max(3.0, static_cast<double>(b.writes_per_hour) / 12)};
  return l;
}

}  // namespace

App::App(Config config, DataDir data_dir, core::Logger& log, PassphraseSource passphrase)
    : config_(std::move(config)),
      data_dir_(std::move(data_dir)),
      log_(log),
      passphrase_(std::move(passphrase)),
      parts_(std::make_unique<Parts>()) {}

core::Result<void> App::start(bool handle_signals) {
  auto lock = DataDirLock::acquire(data_dir_);
  if (!lock) return tl::unexpected(lock.error());
  parts_->lock.emplace(std::move(*lock));
  auto masters = load_master_keys(data_dir_, passphrase_);
  if (!masters) return tl::unexpected(masters.error());
  if (masters->size() > 1) {
    log_.warn("master_key_rotation_unfinished",
              {{"keys", masters->size()}, {"hint", "run praxis keys rotate, then --finish"}});
  }
  parts_->keys = std::make_unique<crypto::KeyRing>(std::move(*masters));

  auto store = open_store(config_, data_dir_);
  if (!store) return tl::unexpected(store.error());
  parts_->store = std::move(*store);
  // A PostgreSQL database starts without the server signing seed that init puts into
  // the SQLite file; creating it here is idempotent for both.
  if (auto r = check_keys_open_store(*parts_->store, *parts_->keys); !r) return r;
  if (auto r = ensure_server_signing_key(*parts_->store, *parts_->keys); !r) return r;

  auto& p = *parts_;
  if (!auth::password_dictionary_available()) {
    return core::fail(ErrorCode::invalid_input, "",
                      "the cracklib dictionary is missing; install cracklib-runtime "
                      "(scripts/setup does)");
  }
  p.trail = std::make_unique<audit::Trail>(*p.keys, p.clock, trail_options(config_));
  if (config_.store.backend == "sqlite") {
    // Reads are recorded through the journal; what a previous run left there is moved
    // into the trail now, or the server does not start.
    audit::JournalOptions journal;
    journal.delay = std::chrono::milliseconds(config_.audit.journal_delay_ms);
    journal.sync = std::chrono::milliseconds(config_.audit.journal_sync_ms);
    if (auto r = p.trail->open_journal(*p.store, data_dir_.audit_journal(), journal); !r) {
      return r;
    }
    const auto stats = *p.trail->journal_stats();
    if (stats.recovered > 0 || stats.dropped_bytes > 0) {
      log_.warn("audit_journal_recovered",
                {{"records", stats.recovered}, {"torn_bytes_dropped", stats.dropped_bytes}});
    }
  } else {
    // On PostgreSQL the reads of different practices are appended in parallel on the
    // pool's connections, faster than one mover could (docs/benchmarks.md); a journal
    // left by a SQLite server before `praxis store migrate` is moved over first.
    auto drained = p.trail->drain_journal(*p.store, data_dir_.audit_journal());
    if (!drained) return tl::unexpected(drained.error());
    if (*drained > 0) log_.warn("audit_journal_recovered", {{"records", *drained}});
  }
  p.auth = std::make_unique<auth::AuthService>(*p.store, *p.keys, *p.trail, p.clock, p.random,
                                               auth_options(config_.auth));
  p.accounts = std::make_unique<auth::AccountService>(
      *p.store, *p.trail, p.clock, p.random,
      std::chrono::hours(config_.auth.enrolment_validity_hours));
  p.practices =
      std::make_unique<practices::PracticeService>(*p.store, *p.keys, *p.trail, p.clock, p.random);
  patients::PatientOptions patient_options;
  patient_options.restore_period = std::chrono::days(config_.patients.restore_days);
  p.audit = std::make_unique<audit::AuditService>(
      *p.store, *p.trail, p.clock, p.random,
      std::chrono::minutes(config_.audit.break_glass_minutes));
  p.scheduling =
      std::make_unique<scheduling::SchedulingService>(*p.store, *p.trail, p.clock, p.random);
  p.patients = std::make_unique<patients::PatientService>(*p.store, *p.keys, *p.trail, p.clock,
                                                          p.random, patient_options);
  p.delete_guard = std::make_unique<audit::DeleteGuard>(*p.store, *p.trail, p.clock,
                                                        config_.patients.deletes_per_hour);
  p.patients->set_delete_guard(p.delete_guard.get());
  p.scheduling->set_delete_guard(p.delete_guard.get());
  p.metrics.register_value("praxis_delete_limit_refusals_total",
                           "Deletions refused because one user deleted too many in an hour.",
                           http::Metrics::Kind::counter,
                           [&p] { return static_cast<double>(p.delete_guard->refusals()); });
  booking::BookingOptions booking_options;
  booking_options.proof_of_work = config_.booking.proof_of_work;
  booking_options.pow.cost = config_.booking.pow_cost;
  auto notifier = make_notifier(config_, data_dir_, *p.store, *p.trail, p.clock, p.random, log_,
                                [this] { return base_url(); });
  if (!notifier) return tl::unexpected(notifier.error());
  p.notifier = std::move(*notifier);
  if (config_.store.backend == "sqlite") {
    // One server per data directory (the lock above): a message left 'sending' was
    // claimed by a process that is gone.
    auto released = p.notifier->release_claims();
    if (!released) return tl::unexpected(released.error());
    if (*released > 0) log_.info("notification_claims_released", {{"count", *released}});
  }
  {
    auto* n = p.notifier.get();
    p.metrics.register_value("praxis_notifications_sent_total", "Messages handed over.",
                             http::Metrics::Kind::counter,
                             [n] { return static_cast<double>(n->sent_total()); });
    p.metrics.register_value("praxis_notification_failures_total",
                             "Attempts to send a message that failed (each is tried again or "
                             "becomes a dead letter).",
                             http::Metrics::Kind::counter,
                             [n] { return static_cast<double>(n->failures_total()); });
    p.metrics.register_value("praxis_notifications_dead",
                             "Messages given up on (dead letters) that staff have not sent again.",
                             http::Metrics::Kind::gauge,
                             [n] { return static_cast<double>(n->dead_now()); });
    p.metrics.register_value("praxis_notifications_pending", "Messages waiting to be sent.",
                             http::Metrics::Kind::gauge,
                             [n] { return static_cast<double>(n->pending_now()); });
  }
  p.bookings = std::make_unique<booking::BookingService>(*p.store, *p.patients, *p.scheduling,
                                                         *p.trail, p.clock, p.random,
                                                         p.notifier.get(), booking_options);
  p.scheduling->set_change_listener([b = p.bookings.get()](store::Transaction& tx,
                                                           const audit::Context& context,
                                                           const store::AppointmentRow& before,
                                                           const store::AppointmentRow& after) {
    return b->appointment_changed(tx, context, before, after);
  });
  if (!config_.booking.proof_of_work) {
    log_.warn("proof_of_work_off", {{"hint",
                                     "public bookings need no proof-of-work; set "
                                     "[booking] proof_of_work = true"}});
  }
  p.authorizer = std::make_unique<api::SessionAuthorizer>(*p.auth);
  {
    // The journal's figures (zero on PostgreSQL, which keeps none).
    struct JournalFigure {
      const char* name;
      const char* help;
      http::Metrics::Kind kind;
      std::function<double(const audit::JournalStats&)> of;
    };
    const JournalFigure figures[] = {
        {"praxis_audit_journal_pending",
         "Audit entries in the journal, not yet moved into the trail.", http::Metrics::Kind::gauge,
         [](const auto& j) { return static_cast<double>(j.pending); }},
        {"praxis_audit_journal_moves_total",
         "Transactions that moved journal entries into the trail.", http::Metrics::Kind::counter,
         [](const auto& j) { return static_cast<double>(j.moves); }},
        {"praxis_audit_journal_move_failures_total",
         "Moves of journal entries into the trail that failed (retried).",
         http::Metrics::Kind::counter,
         [](const auto& j) { return static_cast<double>(j.failures); }},
    };
    for (const auto& f : figures) {
      p.metrics.register_value(f.name, f.help, f.kind, [trail = p.trail.get(), of = f.of] {
        const auto j = trail->journal_stats();
        return j ? of(*j) : 0.0;
      });
    }
  }
  p.metrics.register_value(
      "praxis_audit_checkpoint_failures_total",
      "Audit checkpoints that could not be signed or stored.", http::Metrics::Kind::counter, [&p] {
        return static_cast<double>(p.audit_checkpoint_failures.load(std::memory_order_relaxed));
      });

  if (const auto* sqlite = dynamic_cast<const store::sqlite::SqliteStore*>(p.store.get())) {
    // The single writer's group commits: jobs per commit is what durability costs.
    struct StoreFigure {
      const char* name;
      const char* help;
      http::Metrics::Kind kind;
      std::function<double(const store::sqlite::SqliteStore::Stats&)> of;
    };
    const StoreFigure figures[] = {
        {"praxis_store_write_jobs_total", "Write transactions the SQLite writer ran.",
         http::Metrics::Kind::counter, [](const auto& s) { return static_cast<double>(s.jobs); }},
        {"praxis_store_commits_total", "Group commits of the SQLite writer (one fsync each).",
         http::Metrics::Kind::counter,
         [](const auto& s) { return static_cast<double>(s.commits); }},
        {"praxis_store_isolated_reruns_total",
         "Groups run again with each job in its savepoint because one of their jobs failed.",
         http::Metrics::Kind::counter,
         [](const auto& s) { return static_cast<double>(s.isolated_reruns); }},
        {"praxis_store_write_queue", "Write jobs waiting for the SQLite writer.",
         http::Metrics::Kind::gauge, [](const auto& s) { return static_cast<double>(s.queued); }},
    };
    for (const auto& f : figures) {
      p.metrics.register_value(f.name, f.help, f.kind,
                               [sqlite, of = f.of] { return of(sqlite->stats()); });
    }
  }
  if (config_.backup.scheduled && config_.store.backend == "sqlite") {
    BackupSchedule schedule;
    schedule.directory = backup_directory(data_dir_, config_);
    const auto at = core::parse_clock_time(config_.backup.time).value();  // checked by config
    schedule.hour = static_cast<int>(at.count() / 60);
    schedule.minute = static_cast<int>(at.count() % 60);
    schedule.keep = {static_cast<int>(config_.backup.keep_daily),
                     static_cast<int>(config_.backup.keep_weekly),
                     static_cast<int>(config_.backup.keep_monthly)};
    p.backups = std::make_unique<BackupScheduler>(data_dir_, *p.store, *p.keys, *p.trail, p.clock,
                                                  log_, std::move(schedule));
    auto* backups = p.backups.get();
    p.metrics.register_value("praxis_backups_total", "Scheduled backups written.",
                             http::Metrics::Kind::counter,
                             [backups] { return static_cast<double>(backups->successes()); });
    p.metrics.register_value("praxis_backup_failures_total",
                             "Scheduled backups that failed (see the log and praxis doctor).",
                             http::Metrics::Kind::counter,
                             [backups] { return static_cast<double>(backups->failures()); });
    p.metrics.register_value(
        "praxis_backup_last_success_timestamp_seconds",
        "Unix time of the last scheduled backup written since start (0: none yet).",
        http::Metrics::Kind::gauge,
        [backups] { return static_cast<double>(backups->last_success_unix()); });
  }
  if (auto web = http::StaticFiles::load(web_directory(config_.web)); web) {
    p.web = std::move(*web);
  } else {
    log_.warn("web_assets_missing", {{"error", web.error().message}});
  }
  p.server = std::make_unique<http::Server>(server_options(config_, handle_signals), p.router,
                                            p.metrics, log_, p.random);
  add_all_routes(
      p.router, {p.metrics,
                 [&p]() -> core::Result<void> {
                   // Not ready while reads cannot be recorded: their entries pile up.
                   if (auto j = p.trail->journal_stats(); j && j->last_error) {
                     return tl::unexpected(*j->last_error);
                   }
                   return p.store->ping();
                 },
                 api::StaffServices{*p.auth, *p.accounts, *p.practices, *p.patients, *p.audit,
                                    *p.scheduling, [this] { return base_url(); }},
                 RouteDeps::Public{*p.bookings, p.limiter, p.clock, public_limits(config_.booking)},
                 p.notifier.get(), &p.web});
  p.server->set_authorizer(p.authorizer.get());
  if (auto r = p.server->start(); !r) return r;
  p.housekeeping = std::thread([&p, this] {
    std::unique_lock guard(p.housekeeping_mutex);
    auto next_purge = std::chrono::steady_clock::now();
    while (!p.stopping) {
      guard.unlock();
      checkpoint_audit(false);
      if (std::chrono::steady_clock::now() >= next_purge) {
        next_purge += std::chrono::hours(1);
        if (auto spent = p.bookings->purge_expired(); !spent) {
          log_.warn("booking_purge_failed", {{"error", spent.error().internal}});
        }
        auto purged = p.auth->purge_sessions();
        if (!purged) {
          log_.warn("session_purge_failed", {{"error", purged.error().internal}});
        } else if (*purged > 0) {
          log_.info("sessions_purged", {{"count", *purged}});
        }
      }
      guard.lock();
      p.housekeeping_cv.wait_for(guard, std::chrono::minutes(1), [&p] { return p.stopping; });
    }
  });
  if (p.backups) p.backups->start();
  p.notifier->start();
  log_.info("server_started", {{"host", config_.server.host},
                               {"port", p.server->port()},
                               {"tls", !config_.server.tls_certificate.empty()}});
  return {};
}

void App::run() { parts_->server->run(); }
void App::stop() { parts_->server->stop(); }

App::~App() {
  if (!parts_) return;
  if (parts_->backups) parts_->backups->stop();
  if (parts_->notifier) parts_->notifier->stop();
  const bool served = parts_->housekeeping.joinable();
  if (served) {
    {
      std::lock_guard lock(parts_->housekeeping_mutex);
      parts_->stopping = true;
    }
    parts_->housekeeping_cv.notify_all();
    parts_->housekeeping.join();
  }
  // After the last request: the journal's entries into the trail, then signed.
  if (parts_->trail) {
    if (auto r = parts_->trail->close_journal(); !r) {
      log_.error("audit_journal_close_failed",
                 {{"error", r.error().internal}, {"hint", "moved at the next start"}});
    }
  }
  if (served) checkpoint_audit(true);  // the last entries are signed before the server goes
}

void App::checkpoint_audit(bool force) {
  auto written = parts_->trail->checkpoint_all(*parts_->store, force);
  if (!written) {
    parts_->audit_checkpoint_failures.fetch_add(1, std::memory_order_relaxed);
    log_.error("audit_checkpoint_failed", {{"error", written.error().internal}});
  } else if (*written > 0) {
    log_.info("audit_checkpoints_signed", {{"count", *written}, {"shutdown", force}});
  }
}
std::uint16_t App::port() const { return parts_->server ? parts_->server->port() : 0; }

std::string App::base_url() const { return app::base_url(config_.server, port()); }

}  // namespace praxis::app
