#pragma once
// Scheduling (issue #7): the practice's configuration (practitioners, resources,
// appointment types, working plans, booking rules, absences), availability through the
// slot engine, and the staff calendar (book, move, change status, cancel). Every change
// is recorded in the audit trail in its own transaction; overlapping appointments are
// refused by the store (409), whatever the path. Times are UTC instants; working plans
// and days are Europe/Berlin.

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/delete_guard.hpp"
#include "audit/trail.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "scheduling/availability_cache.hpp"
#include "scheduling/config.hpp"
#include "scheduling/slots.hpp"
#include "store/store.hpp"

namespace praxis::scheduling {

struct ConfigView {
  store::ConfigRow row;
  boost::json::object doc;
  std::vector<core::FieldError> warnings;
};

struct TypeInfo {
  TypeDoc doc;
  bool active = false;
};

struct NewAppointment {
  std::string type_id;
  std::string practitioner_id;
  std::optional<std::string> patient_id;
  Instant start;
  bool outside_hours = false;    // staff may book outside the working plan, explicitly
  std::string source = "staff";  // staff, walk_in, online
  std::optional<std::vector<std::uint8_t>> details;  // sealed by the caller (practice key)
  std::string id;  // empty: a new random id (online booking presets it to seal details under)
};

struct AppointmentChange {
  std::optional<Instant> start;
  std::optional<std::string> practitioner_id;
  std::optional<std::string> status;         // booked, arrived, fulfilled, noshow, cancelled
  std::optional<std::string> cancel_reason;  // patient, practice, illness, other
  bool outside_hours = false;
};

// RFC 3339 with "Z" or an offset ("2026-06-08T08:00:00+02:00"), whole seconds; a zero
// fraction ("…T06:00:00.000Z", as JavaScript writes whole-second instants) is accepted.
std::optional<Instant> parse_instant(std::string_view text);

class SchedulingService {
 public:
  SchedulingService(store::Store& store, audit::Trail& trail, core::Clock& clock,
                    core::Random& random);

  // Practitioners, resources and appointment types.
  [[nodiscard]] core::Result<ConfigView> create(const audit::Context& context,
                                                std::string_view practice_id,
                                                store::ConfigKind kind,
                                                const boost::json::object& body);
  // `patch` is merged into the stored document (RFC 7386, top level); "active" switches
  // the item on or off. precondition_failed for a stale version.
  [[nodiscard]] core::Result<ConfigView> update(const audit::Context& context,
                                                std::string_view practice_id,
                                                store::ConfigKind kind, std::string_view id,
                                                std::int64_t expected_version,
                                                const boost::json::object& patch);
  [[nodiscard]] core::Result<ConfigView> get(std::string_view practice_id, store::ConfigKind kind,
                                             std::string_view id);
  [[nodiscard]] core::Result<std::vector<ConfigView>> list(std::string_view practice_id,
                                                           store::ConfigKind kind);

  // A practitioner's working plan (version 0 and no rules before the first one is set)
  // and the practice's booking rules (defaults until set).
  [[nodiscard]] core::Result<ConfigView> working_plan(std::string_view practice_id,
                                                      std::string_view practitioner_id);
  [[nodiscard]] core::Result<ConfigView> put_working_plan(const audit::Context& context,
                                                          std::string_view practice_id,
                                                          std::string_view practitioner_id,
                                                          std::optional<std::int64_t> expected,
                                                          const boost::json::object& body);
  [[nodiscard]] core::Result<ConfigView> settings(std::string_view practice_id);
  [[nodiscard]] core::Result<ConfigView> put_settings(const audit::Context& context,
                                                      std::string_view practice_id,
                                                      std::optional<std::int64_t> expected,
                                                      const boost::json::object& body);

  // {"practitioner_id", "start", "end"} (RFC 3339).
  [[nodiscard]] core::Result<store::AbsenceRow> add_absence(const audit::Context& context,
                                                            std::string_view practice_id,
                                                            const boost::json::object& body);
  [[nodiscard]] core::Result<void> remove_absence(const audit::Context& context,
                                                  std::string_view practice_id,
                                                  std::string_view id);
  [[nodiscard]] core::Result<std::vector<store::AbsenceRow>> absences(std::string_view practice_id,
                                                                      Instant from, Instant to);

  // Free starts of `type_id` on the local dates [from, to]. online: only online-bookable
  // types, with the practice's notice and horizon; staff see every free start from now.
  [[nodiscard]] core::Result<std::vector<Slot>> availability(
      std::string_view practice_id, std::string_view type_id,
      std::optional<std::string> practitioner, date::local_days from, date::local_days to,
      bool online);

  // The same free starts from the cache (AvailabilityCache) when nothing they depend on
  // changed: for answers to show (public booking page, staff calendar). Checks before a
  // write use availability(), which reads afresh.
  struct Offer {
    std::shared_ptr<const FreeStarts> starts;
    std::size_t first = 0;  // starts->slots[first, last) are free now
    std::size_t last = 0;
  };
  [[nodiscard]] core::Result<Offer> offer(std::string_view practice_id, std::string_view type_id,
                                          std::optional<std::string> practitioner,
                                          date::local_days from, date::local_days to, bool online);
  const AvailabilityCache& availability_cache() const { return cache_; }

  // The practitioners (only `practitioner` when given) whose working plan offers `start`
  // for the type: on the grid, in working hours, not on a holiday, closing day or
  // absence; appointments aside. Empty when none does.
  [[nodiscard]] core::Result<std::vector<std::string>> plan_offers(
      std::string_view practice_id, std::string_view type_id,
      std::optional<std::string> practitioner, Instant start);

  [[nodiscard]] core::Result<store::AppointmentRow> book(const audit::Context& context,
                                                         std::string_view practice_id,
                                                         const NewAppointment& input);
  [[nodiscard]] core::Result<store::AppointmentRow> change(const audit::Context& context,
                                                           std::string_view practice_id,
                                                           std::string_view id,
                                                           std::int64_t expected_version,
                                                           const AppointmentChange& change);
  // The same inside a caller's write transaction (online booking writes the appointment
  // together with its booking row, patient link and idempotency answer).
  // With `events`, the audit event is added there for the caller to record together with
  // its own (one append to the trail instead of several).
  [[nodiscard]] core::Result<store::AppointmentRow> book(
      store::Transaction& tx, const audit::Context& context, std::string_view practice_id,
      const NewAppointment& input, std::vector<audit::Event>* events = nullptr);
  [[nodiscard]] core::Result<store::AppointmentRow> change(
      store::Transaction& tx, const audit::Context& context, std::string_view practice_id,
      std::string_view id, std::int64_t expected_version, const AppointmentChange& change);
  [[nodiscard]] core::Result<store::AppointmentRow> appointment(std::string_view practice_id,
                                                                std::string_view id);
  [[nodiscard]] core::Result<std::vector<store::AppointmentRow>> appointments(
      std::string_view practice_id, Instant from, Instant to,
      std::optional<std::string> practitioner);

  // Cancellations by staff are limited per user and hour (issue #9; may be null).
  void set_delete_guard(audit::DeleteGuard* guard) { delete_guard_ = guard; }
  // Called in the transaction of every appointment change (status, move), after it is
  // written; an error rolls the change back. The booking service tells the booker.
  using ChangeListener = std::function<core::Result<void>(
      store::Transaction&, const audit::Context&, const store::AppointmentRow& before,
      const store::AppointmentRow& after)>;
  void set_change_listener(ChangeListener listener) { change_listener_ = std::move(listener); }

  // A type and the booking rules from the configuration snapshot (below): without a
  // transaction when it is cached, else in one of their own or the caller's.
  [[nodiscard]] core::Result<TypeInfo> type(std::string_view practice_id, std::string_view type_id);
  [[nodiscard]] core::Result<TypeInfo> type(store::Transaction& tx, std::string_view practice_id,
                                            std::string_view type_id);
  [[nodiscard]] core::Result<SettingsDoc> rules(std::string_view practice_id);
  [[nodiscard]] core::Result<SettingsDoc> rules(store::Transaction& tx,
                                                std::string_view practice_id);

  const date::time_zone* zone() const { return zone_; }

  // A practice's scheduling configuration as the slot engine reads it. Availability uses
  // a cached copy: replaced at once after a change through this service, and after
  // kSnapshotTtl at the latest (changes made by another process, e.g. a second server
  // on the same PostgreSQL database). Booking checks inside write transactions read
  // the configuration afresh.
  struct Snapshot;
  static constexpr std::chrono::seconds kSnapshotTtl{5};

 private:
  core::Result<std::shared_ptr<const Snapshot>> snapshot(store::Transaction& tx,
                                                         std::string_view practice_id);
  // The current snapshot: the cached one, or loaded in a read transaction.
  core::Result<std::shared_ptr<const Snapshot>> current(std::string_view practice_id);
  // The cached snapshot if it is current, else null (and the generation to load it at).
  std::shared_ptr<const Snapshot> cached(std::string_view practice_id, std::uint64_t* generation);
  void changed(std::string_view practice_id);
  // The type of an availability query, if it may be asked (active, online-bookable when
  // online) for at most kMaxQueryDays.
  static core::Result<const TypeDoc*> offered_type(const Snapshot& snap, std::string_view type_id,
                                                   date::local_days from, date::local_days to,
                                                   bool online);
  // The slot engine's answer for the snapshot and the busy times read in `tx`; with
  // `depends`, whose busy times were read and when (for the cache).
  core::Result<std::vector<Slot>> free_starts(store::Transaction& tx, const Snapshot& snap,
                                              std::string_view practice_id, const TypeDoc& type,
                                              std::optional<std::string> practitioner,
                                              date::local_days from, date::local_days to,
                                              const BookingRules& rules, Instant now,
                                              FreeStarts* depends);
  // Tells the cache, once `tx` is durable, that these busy times changed.
  void busy_changed(store::Transaction& tx, std::string_view practice_id,
                    std::vector<std::string> owners, std::int64_t from, std::int64_t to);
  core::Result<ConfigView> view(store::ConfigKind kind, store::ConfigRow row) const;
  // After a configuration write: the snapshot is stale; the view with its warnings.
  core::Result<ConfigView> written(std::string_view practice_id, store::ConfigKind kind,
                                   store::ConfigRow row, std::vector<core::FieldError> warnings);
  core::Result<std::optional<store::ConfigRow>> find(std::string_view practice_id,
                                                     store::ConfigKind kind, std::string_view id);
  // A single document (a working plan, the booking rules), or `fallback` at version 0.
  core::Result<ConfigView> single(std::string_view practice_id, store::ConfigKind kind,
                                  std::string_view id, const boost::json::object& fallback);
  core::Result<boost::json::object> normalise(store::Transaction& tx, std::string_view practice_id,
                                              store::ConfigKind kind,
                                              const boost::json::object& body,
                                              std::vector<core::FieldError>& warnings);
  core::Result<void> within_hours(store::Transaction& tx, std::string_view practice_id,
                                  const TypeDoc& type, std::string_view type_id,
                                  std::string_view practitioner_id, Instant start);

  core::Result<ConfigView> put_single(const audit::Context& context, std::string_view practice_id,
                                      store::ConfigKind kind, std::string_view id,
                                      std::optional<std::int64_t> expected,
                                      const boost::json::object& body);

  store::Store& store_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  const date::time_zone* zone_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Snapshot>> snapshots_;
  std::unordered_map<std::string, std::uint64_t> generations_;
  AvailabilityCache cache_;
  audit::DeleteGuard* delete_guard_ = nullptr;
  ChangeListener change_listener_;
};

}  // namespace praxis::scheduling
