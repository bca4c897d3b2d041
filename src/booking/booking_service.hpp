#pragma once
// Online booking (issue #7): what the public booking page may do without signing in,
// and the staff's review of what came in that way.
//
// Public: the practice's bookable types, free times, a proof-of-work challenge, a
// booking, and the booker's own booking by its manage token (view, cancel, reschedule
// until the cancellation deadline). A booking links to an existing patient when name and
// birth date (or the KVNR) match, else it creates one with status "new"; the answer is
// the same either way, so the page never tells whether someone is a patient. The
// appointment, the patient link, the booking row, the spent challenge and the
// idempotency answer commit in one transaction.
//
// Nothing public returns patient data: the booking answer holds the reference, the
// manage token (shown once; only its hash is stored) and the time; the manage view
// holds time, type, practice and status. With a notifier, the booker gets a confirmation
// (and, with consent, a reminder), a cancellation or a reschedule notice, and the
// practice a notice of the new booking; each queued in the transaction of its cause.

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/trail.hpp"
#include "booking/proof_of_work.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "crypto/blind_index.hpp"
#include "notify/notifier.hpp"
#include "patients/patient_service.hpp"
#include "scheduling/scheduling_service.hpp"
#include "store/store.hpp"

namespace praxis::booking {

struct BookingOptions {
  bool proof_of_work = true;  // off only for load tests; praxis doctor warns
  PowOptions pow;
  std::chrono::hours idempotency_ttl{24};
};

struct BookingAnswer {
  boost::json::object body;  // reference, manage_token, start, end, appointment_type
  bool replayed = false;     // the first answer to the same Idempotency-Key
};

// An online booking as staff review it.
struct PendingBooking {
  store::OnlineBookingRow booking;
  store::AppointmentRow appointment;
  boost::json::object entered;  // what the booker typed: name, birth date, contact, message
};

class BookingService {
 public:
  BookingService(store::Store& store, patients::PatientService& patients,
                 scheduling::SchedulingService& scheduling, audit::Trail& trail, core::Clock& clock,
                 core::Random& random, notify::Notifier* notifier = nullptr,
                 BookingOptions options = {});

  // The audit actor of public requests.
  static audit::Context public_context(std::string request_id, std::string client_address);

  // {"slug","name","address","appointment_types":[…],"practitioners":[…]}; not_found for
  // an unknown slug.
  [[nodiscard]] core::Result<boost::json::object> practice_info(std::string_view slug);
  // {"slots":[{"start","end","practitioner"}]} for the local dates [from, to], as JSON text.
  [[nodiscard]] core::Result<std::string> availability(std::string_view slug,
                                                       std::string_view type_id,
                                                       std::optional<std::string> practitioner,
                                                       date::local_days from, date::local_days to);
  [[nodiscard]] core::Result<boost::json::object> challenge(std::string_view slug);
  // The web sites that may embed the practice's booking page (booking rules,
  // "embed_origins"); not_found for an unknown slug.
  [[nodiscard]] core::Result<std::vector<std::string>> embed_origins(std::string_view slug);

  // `body` is the request as received (DESIGN.md §5, booking request).
  [[nodiscard]] core::Result<BookingAnswer> book(const audit::Context& context,
                                                 std::string_view slug, std::string_view body,
                                                 std::optional<std::string_view> idempotency_key);

  // {"reference","status","start","end","appointment_type","appointment_type_id",
  //  "practitioner","practice","changeable_until","changeable"}; not_found for an unknown
  //  token.
  [[nodiscard]] core::Result<boost::json::object> view(std::string_view token);
  [[nodiscard]] core::Result<boost::json::object> cancel(const audit::Context& context,
                                                         std::string_view token);
  // {"start", optional "practitioner"}: another free time of the same type.
  [[nodiscard]] core::Result<boost::json::object> reschedule(const audit::Context& context,
                                                             std::string_view token,
                                                             const boost::json::object& body);

  // Staff: online bookings not yet reviewed, oldest first (each shown patient is recorded
  // as read), and marking one reviewed.
  [[nodiscard]] core::Result<std::vector<PendingBooking>> pending(const audit::Context& context,
                                                                  std::string_view practice_id,
                                                                  std::int64_t limit);
  [[nodiscard]] core::Result<void> review(const audit::Context& context,
                                          std::string_view practice_id, std::string_view id);

  // SchedulingService's change listener: when staff cancel or move an online booking,
  // the booker is told (without a manage link: the token is not stored). Changes made
  // through the manage link are told by cancel()/reschedule() themselves.
  [[nodiscard]] core::Result<void> appointment_changed(store::Transaction& tx,
                                                       const audit::Context& context,
                                                       const store::AppointmentRow& before,
                                                       const store::AppointmentRow& after);

  // Forgets expired idempotency answers and spent challenges (housekeeping).
  [[nodiscard]] core::Result<std::int64_t> purge_expired();

  bool proof_of_work() const { return options_.proof_of_work; }
  const date::time_zone* zone() const { return scheduling_.zone(); }

 private:
  struct PracticeSecrets {
    crypto::SecretKey pow;       // signs challenges
    crypto::BlindIndex contact;  // the per-contact hashes
  };
  struct Booked;
  struct Candidate;
  core::Result<store::PracticeRow> practice_by_slug(std::string_view slug);
  core::Result<std::shared_ptr<const PracticeSecrets>> secrets(std::string_view practice_id);
  // The practitioners who can take `type_id` at `start` for an online booking, in order;
  // a precise 400 when the time is not bookable at all, 409 when it is taken.
  core::Result<std::vector<std::string>> bookable(const store::PracticeRow& practice,
                                                  std::string_view type_id,
                                                  const std::optional<std::string>& practitioner,
                                                  scheduling::Instant start);
  core::Result<std::optional<BookingAnswer>> replay(const store::PracticeRow& practice,
                                                    const std::vector<std::uint8_t>& key_hash,
                                                    const std::vector<std::uint8_t>& request_hash);
  struct Found;
  core::Result<Found> find(store::Transaction& tx, std::string_view token);
  boost::json::object view_of(const Found& found) const;
  // In one write transaction: the booking of `token`, refused (409) unless it may still
  // change; `apply` changes its appointment; the manage view afterwards.
  // The booker is told (notify::Notifier) in the same transaction.
  using Apply =
      std::function<core::Result<store::AppointmentRow>(store::Transaction&, const Found&)>;
  enum class Change { cancel, move };
  core::Result<boost::json::object> change_booking(std::string_view token, Change change,
                                                   const Apply& apply);

  store::Store& store_;
  patients::PatientService& patients_;
  scheduling::SchedulingService& scheduling_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  notify::Notifier* notifier_;
  BookingOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const PracticeSecrets>> secrets_;
  // Practices by slug for the public routes; a change shows after kPracticeTtl at most.
  static constexpr std::chrono::seconds kPracticeTtl{5};
  static constexpr std::size_t kMaxCachedPractices = 10000;
  std::map<std::string, std::pair<store::PracticeRow, std::chrono::steady_clock::time_point>,
           std::less<>>
      practices_;
};

}  // namespace praxis::booking
