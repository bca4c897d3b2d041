#pragma once
// Patients (issue #6): create with duplicate detection, read, versioned update with a
// JSON merge patch, soft delete and restore, merge, and one-box search. Every record is
// encrypted under its own patient key; search goes through blind indexes and removes
// false positives after decryption. Every call is scoped by practice: another
// practice's id is not found. Thread-safe.

#include <boost/json/object.hpp>
#include <chrono>
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
#include "crypto/key_ring.hpp"
#include "patients/record.hpp"
#include "patients/search.hpp"
#include "store/store.hpp"

namespace praxis::patients {

struct PatientOptions {
  std::chrono::days restore_period{30};  // a deleted patient can be restored this long
  std::size_t max_search_candidates = 20000;
};

struct Patient {
  store::PatientRow row;  // id, status, timestamps, version (record ciphertext inside)
  Record record;
  std::vector<core::FieldError> warnings;
  bool masked = false;  // a restricted record in a list: id and status only, no data
};

struct Duplicate {
  std::string id;
  std::string family_name;
  std::string given_names;
  std::string birth_date;
  std::string reason;       // name_birth_date, kvnr, email, phone
  bool restricted = false;  // shown without names to those who may not read it
};

struct CreateOutcome {
  std::optional<Patient> created;
  std::vector<Duplicate> duplicates;  // set instead when the request did not confirm
};

struct SearchPage {
  std::vector<Patient> patients;
  std::optional<std::string> next_cursor;
  bool truncated = false;  // more candidates than max_search_candidates; refine the query
};

// One row of a bulk import and what became of it.
struct ImportRow {
  std::size_t line = 0;  // in the source file, for the report
  boost::json::object data;
};
struct ImportResult {
  enum class Kind { created, already_present, rejected };
  Kind kind = Kind::created;
  std::size_t line = 0;
  std::vector<core::FieldError> errors;  // rejected: why
};

class PatientService {
 public:
  // Every method that shows or changes patient data records it in `trail` (issue #8):
  // changes in their own transaction, reads before the data is returned, so an entry
  // that cannot be written fails the call and nothing is shown.
  PatientService(store::Store& store, crypto::KeyRing& keys, audit::Trail& trail,
                 core::Clock& clock, core::Random& random, PatientOptions options = {});

  // `body` is the patient JSON (DESIGN.md §5) plus optional "confirm_new". invalid_input
  // with every field error.
  [[nodiscard]] core::Result<CreateOutcome> create(const audit::Context& context,
                                                   std::string_view practice_id,
                                                   const boost::json::object& body,
                                                   std::string_view status = "active");
  [[nodiscard]] core::Result<Patient> get(const audit::Context& context,
                                          std::string_view practice_id, std::string_view id);
  // Whether the id names a patient of the practice (any status); no decryption. Handlers
  // use it to answer 404 before complaining about a request body or a missing If-Match.
  [[nodiscard]] core::Result<bool> exists(std::string_view practice_id, std::string_view id);
  // RFC 7386 merge patch over the stored record; precondition_failed when
  // expected_version is not the stored version.
  [[nodiscard]] core::Result<Patient> update(const audit::Context& context,
                                             std::string_view practice_id, std::string_view id,
                                             std::int64_t expected_version,
                                             const boost::json::object& patch);
  [[nodiscard]] core::Result<Patient> remove(const audit::Context& context,
                                             std::string_view practice_id, std::string_view id,
                                             std::optional<std::int64_t> expected_version);
  [[nodiscard]] core::Result<Patient> restore(const audit::Context& context,
                                              std::string_view practice_id, std::string_view id);
  // Merges `other_id` into `id`: empty fields of `id` are filled from the other record,
  // phone numbers joined, its appointments move to `id`; the other record becomes
  // "merged" with a pointer to `id`.
  [[nodiscard]] core::Result<Patient> merge(const audit::Context& context,
                                            std::string_view practice_id, std::string_view id,
                                            std::string_view other_id);
  // Imports rows in one write transaction: each is validated; a row matching an existing
  // patient (as for duplicates) is skipped as already present, so importing the same file
  // twice creates nothing the second time.
  [[nodiscard]] core::Result<std::vector<ImportResult>> import_batch(
      const audit::Context& context, std::string_view practice_id,
      const std::vector<ImportRow>& rows);
  // For an online booking: the practice's patient with the same name and birth date, or
  // the same KVNR (contact data alone never links: families share phones and e-mail
  // addresses); otherwise a new patient with status "new" for staff to review. The
  // caller answers the same either way, so the public never learns which it was.
  //
  // prepare_link looks up and, for a new patient, encrypts and indexes the record outside
  // any write transaction (the store has one writer; this is most of the work); link
  // writes the outcome inside the booking's transaction. Two simultaneous first bookings
  // of the same new person may both create a record; staff merge them in review.
  struct PreparedLink {
    std::string patient_id;
    bool existing = false;
    std::optional<store::PatientRow> row;  // a new patient
    std::vector<store::IndexTerm> terms;
  };
  struct Linked {
    std::string patient_id;
    bool created = false;
  };
  [[nodiscard]] core::Result<PreparedLink> prepare_link(std::string_view practice_id,
                                                        Record record);
  // The audit event (patient.link or patient.create) goes into `events` for the caller
  // to record with its own.
  [[nodiscard]] core::Result<Linked> link(store::Transaction& tx, const PreparedLink& prepared,
                                          std::vector<audit::Event>& events);
  // The practice's key (cached), for services that seal practice-level data.
  [[nodiscard]] core::Result<crypto::KeyPtr> practice_key(store::Transaction& tx,
                                                          std::string_view practice_id);
  // Deletions are limited per user and hour (issue #9; not owned, may be null).
  void set_delete_guard(audit::DeleteGuard* guard) { delete_guard_ = guard; }
  // Whether get and search wait for a store commit to record what they show.
  bool reads_wait_for_commit() const { return trail_.reads_wait_for_commit(); }
  // `cursor` is what the previous page returned; limit 1–100.
  [[nodiscard]] core::Result<SearchPage> search(const audit::Context& context,
                                                std::string_view practice_id, std::string_view q,
                                                std::string_view cursor, std::size_t limit);

 private:
  struct PracticeKeys {
    crypto::KeyPtr key;
    std::shared_ptr<const PracticeIndex> index;
  };
  core::Result<PracticeKeys> practice_keys(store::Transaction& tx, std::string_view practice_id);
  core::Result<Patient> decrypt(const PracticeKeys& keys, store::PatientRow row);
  core::Result<void> search_one_term(store::Transaction& tx, const PracticeKeys& keys,
                                     std::string_view practice_id, const QueryTerm& term,
                                     std::string_view cursor, std::size_t limit, SearchPage& page);
  core::Result<std::vector<std::uint8_t>> encrypt(const PracticeKeys& keys,
                                                  const store::PatientRow& row, const Record& r);
  core::Result<std::vector<Duplicate>> duplicates(store::Transaction& tx, const PracticeKeys& keys,
                                                  std::string_view practice_id, const Record& r);
  // A new row for `record` under a fresh patient key.
  store::PatientRow new_row(const PracticeKeys& keys, std::string_view practice_id,
                            std::string_view status, const Record& record, const std::string& now);
  void stamp_consents(Record& r, const Record* before) const;
  std::string today() const;
  // The context a restricted record is accessed under: the caller's own for owners, the
  // one naming the caller's active break-glass grant otherwise; forbidden without one.
  core::Result<audit::Context> access(store::Transaction& tx, const audit::Context& context,
                                      const store::PatientRow& row);
  // Records what is about to be shown (patient.read of one record, or a list_of several)
  // in its own committed append; nothing for an empty list.
  core::Result<void> record_shown(const audit::Context& context, std::string_view practice_id,
                                  const audit::Event& shown);
  static audit::Event list_of(std::vector<std::string> ids);

  store::Store& store_;
  crypto::KeyRing& keys_;
  audit::Trail& trail_;
  core::Clock& clock_;
  core::Random& random_;
  PatientOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, PracticeKeys> practices_;  // by practice id
  audit::DeleteGuard* delete_guard_ = nullptr;
};

}  // namespace praxis::patients
