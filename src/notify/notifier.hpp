#pragma once
// Durable notifications (issue #11; DESIGN.md T8): confirmation, reminder, cancellation
// and reschedule e-mails or SMS to the booker, and a notice of each new online booking
// to the practice.
//
// The transactional outbox: prepare_booked()+queue(), cancelled() and moved() write the
// messages in the caller's transaction, so a message exists exactly when its cause committed. The
// worker thread claims due messages with a lease, sends them and settles each claim:
// sent, tried again later with exponential back-off, or after `max_attempts` dead (a
// dead letter staff see and may revive). A claim left by a crash is taken again after
// its lease (a single-process SQLite server releases them at start), and the
// Message-ID is the row's, so a message is never sent twice under different ids.
//
// What names the recipient (address, language, manage link, the appointment as it was)
// is sealed with the practice key in the row and forgotten once the message is done.

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/trail.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "notify/templates.hpp"
#include "notify/transport.hpp"
#include "scheduling/config.hpp"
#include "store/store.hpp"

namespace praxis::notify {

struct NotifierOptions {
  // The links in messages start with it, e.g. https://termine.praxis-example.de (asked
  // when a message is written: the server's port is known only once it listens).
  std::function<std::string()> base_url = [] { return std::string("http://127.0.0.1"); };
  std::int64_t max_attempts = 8;
  std::chrono::seconds first_retry{60};
  std::chrono::seconds max_retry{6 * 3600};
  std::chrono::seconds poll{2};
  std::chrono::seconds lease{120};  // longer than a send can take
  std::int64_t batch = 50;
  std::int64_t keep_days = 30;               // finished messages, then forgotten
  std::int64_t default_reminder_hours = 24;  // before the appointment; 0: none
};

// A practice's notification settings (owner role).
struct PracticeSettings {
  std::string practice_email;                  // new-booking notices; empty: the owners' addresses
  std::optional<std::int64_t> reminder_hours;  // nullopt: the server's default
  bool operator==(const PracticeSettings&) const = default;
};

// An appointment as the booking service knows it when it changes.
struct AppointmentFacts {
  const store::PracticeRow& practice;
  const store::AppointmentRow& appointment;  // as it is now
  const scheduling::TypeDoc& type;
  std::string reference;     // the booking reference
  std::string manage_token;  // empty: the message carries no manage link
};

// How to reach a booker, as entered on the booking page.
struct Contact {
  std::string email;
  std::string phone;  // E.164
  std::string language = "de";
  bool reminder_consent = false;
};

// A staff view of one message: ids, codes and times only.
boost::json::object to_json(const store::OutboxRow& row);

class Notifier {
 public:
  // `mailer` and `sms` may be null (not configured): nothing is queued for that channel.
  Notifier(store::Store& store, audit::Trail& trail, core::Clock& clock, core::Random& random,
           core::Logger& log, std::unique_ptr<Mailer> mailer, std::unique_ptr<SmsGateway> sms,
           NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return mailer_ || sms_; }

  // A new online booking: its messages are made and sealed before the booking's write
  // transaction (they read the practice's settings and key, so the store's single
  // writer only inserts them), and queued in it. `facts.appointment` holds the id, the
  // times and the version the appointment will have.
  [[nodiscard]] core::Result<std::vector<store::OutboxRow>> prepare_booked(
      const AppointmentFacts& facts, const Contact& contact);
  [[nodiscard]] core::Result<void> queue(store::Transaction& tx,
                                         const std::vector<store::OutboxRow>& rows);
  // In the caller's write transaction; the booker from the appointment's sealed details.
  [[nodiscard]] core::Result<void> cancelled(store::Transaction& tx, const AppointmentFacts& facts);
  [[nodiscard]] core::Result<void> moved(store::Transaction& tx, const AppointmentFacts& facts);

  // The worker. release_claims(): only for a store no other process writes to.
  [[nodiscard]] core::Result<std::int64_t> release_claims();
  void start();
  void stop();
  // Claims and handles what is due now; how many messages it handled.
  [[nodiscard]] core::Result<std::int64_t> run_once();

  // Staff.
  [[nodiscard]] core::Result<std::vector<store::OutboxRow>> list(
      std::string_view practice_id, std::string_view state,
      std::optional<std::pair<std::string, std::string>> before, std::int64_t limit);
  [[nodiscard]] core::Result<void> retry(const audit::Context& context,
                                         std::string_view practice_id, std::string_view id);
  // Every kind and language: {"kind","language","custom","version","subject","text","sms"}.
  [[nodiscard]] core::Result<boost::json::array> templates(std::string_view practice_id);
  [[nodiscard]] core::Result<boost::json::object> put_template(
      const audit::Context& context, std::string_view practice_id, std::string_view kind,
      std::string_view language, std::optional<std::int64_t> expected_version,
      const boost::json::object& body);
  [[nodiscard]] core::Result<void> reset_template(const audit::Context& context,
                                                  std::string_view practice_id,
                                                  std::string_view kind, std::string_view language);
  // The message `body` (or the practice's stored template) would make, with sample
  // values: {"subject","text","html","sms"}.
  [[nodiscard]] core::Result<boost::json::object> preview(std::string_view practice_id,
                                                          std::string_view kind,
                                                          std::string_view language,
                                                          const boost::json::object* body);
  [[nodiscard]] core::Result<PracticeSettings> settings(std::string_view practice_id);
  [[nodiscard]] core::Result<PracticeSettings> put_settings(const audit::Context& context,
                                                            std::string_view practice_id,
                                                            const boost::json::object& body);

  // For /metrics.
  std::int64_t sent_total() const { return sent_.load(); }
  std::int64_t failures_total() const { return failures_.load(); }
  std::int64_t dead_now() const { return dead_.load(); }
  std::int64_t pending_now() const { return pending_.load(); }

 private:
  struct Recipient;
  // Who hears of a practice's bookings, read at most every kAudienceTtl (a changed
  // owner list shows after that; changed settings at once on this server).
  struct Audience {
    PracticeSettings settings;
    std::vector<std::string> notice_to;
    std::chrono::steady_clock::time_point read_at;
  };
  static constexpr std::chrono::seconds kAudienceTtl{5};
  static constexpr std::size_t kMaxAudiences = 10000;
  core::Result<std::shared_ptr<const Audience>> audience(store::Transaction& tx,
                                                         std::string_view practice_id);
  std::optional<Recipient> recipient(const Contact& contact) const;
  core::Result<std::optional<Recipient>> recipient(store::Transaction& tx,
                                                   const AppointmentFacts& facts);
  // Each makes its message (sealed) and appends it to `out`.
  core::Result<void> add(store::Transaction& tx, std::vector<store::OutboxRow>& out,
                         const AppointmentFacts& facts, std::string_view kind, const Recipient& to,
                         std::int64_t due);
  core::Result<void> add_reminder(store::Transaction& tx, std::vector<store::OutboxRow>& out,
                                  const AppointmentFacts& facts, const Recipient& to);
  core::Result<void> add_practice_notice(store::Transaction& tx, std::vector<store::OutboxRow>& out,
                                         const AppointmentFacts& facts);
  // A cancellation or a move: the old reminder dropped, the notice (and a new reminder).
  core::Result<void> changed(store::Transaction& tx, const AppointmentFacts& facts,
                             std::string_view kind);
  core::Result<Template> template_for(store::Transaction& tx, std::string_view practice_id,
                                      std::string_view kind, std::string_view language);
  core::Result<PracticeSettings> settings(store::Transaction& tx, std::string_view practice_id);
  // Sends one claimed message and settles the claim.
  void handle(store::OutboxRow row);
  core::Result<void> settle(store::OutboxRow row);
  void refresh_counts();
  std::string message_host() const;

  store::Store& store_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  core::Logger& log_;
  std::unique_ptr<Mailer> mailer_;
  std::unique_ptr<SmsGateway> sms_;
  NotifierOptions options_;

  std::atomic<std::int64_t> sent_{0};
  std::atomic<std::int64_t> failures_{0};
  std::atomic<std::int64_t> dead_{0};
  std::atomic<std::int64_t> pending_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> abort_{false};  // set by stop(): sends in progress end at once
  std::map<std::string, std::shared_ptr<const Audience>, std::less<>> audiences_;
  std::thread worker_;
};

}  // namespace praxis::notify
