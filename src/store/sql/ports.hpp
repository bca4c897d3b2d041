#pragma once
// Port implementations written once for both dialects, over sql::Executor. The
// SQLite and PostgreSQL transactions hand out these with their own executor.

#include "store/sql/executor.hpp"
#include "store/store.hpp"

namespace praxis::store::sql {

class SqlPracticePort final : public PracticePort {
 public:
  explicit SqlPracticePort(Executor& x) : x_(x) {}
  core::Result<void> insert(const PracticeRow& row) override;
  core::Result<std::optional<PracticeRow>> find(std::string_view id) override;
  core::Result<std::optional<PracticeRow>> find_by_slug(std::string_view slug) override;
  core::Result<std::vector<PracticeRow>> list() override;
  core::Result<void> update(const PracticeRow& row) override;

 private:
  Executor& x_;
};

class SqlUserPort final : public UserPort {
 public:
  explicit SqlUserPort(Executor& x) : x_(x) {}
  core::Result<void> insert(const UserRow& row) override;
  core::Result<std::optional<UserRow>> find(std::string_view practice_id,
                                            std::string_view id) override;
  core::Result<std::optional<UserRow>> find_by_email(std::string_view email) override;
  core::Result<std::vector<UserRow>> list(std::string_view practice_id) override;
  core::Result<void> update(const UserRow& row) override;
  core::Result<bool> advance_totp_step(std::string_view practice_id, std::string_view id,
                                       std::int64_t step) override;

 private:
  Executor& x_;
};

class SqlEnrolmentTokenPort final : public EnrolmentTokenPort {
 public:
  explicit SqlEnrolmentTokenPort(Executor& x) : x_(x) {}
  core::Result<void> insert(const EnrolmentTokenRow& row) override;
  core::Result<std::optional<EnrolmentTokenRow>> find(
      std::span<const std::uint8_t> token_hash) override;
  core::Result<void> mark_used(std::span<const std::uint8_t> token_hash,
                               std::string_view at) override;
  core::Result<void> mark_enrolled(std::span<const std::uint8_t> token_hash,
                                   std::string_view at) override;
  core::Result<std::int64_t> record_failure(std::span<const std::uint8_t> token_hash) override;
  core::Result<void> withdraw_for_user(std::string_view practice_id, std::string_view user_id,
                                       std::string_view at) override;

 private:
  Executor& x_;
};

class SqlRecoveryCodePort final : public RecoveryCodePort {
 public:
  explicit SqlRecoveryCodePort(Executor& x) : x_(x) {}
  core::Result<void> replace(std::string_view practice_id, std::string_view user_id,
                             const std::vector<std::vector<std::uint8_t>>& code_hashes) override;
  core::Result<bool> use(std::string_view practice_id, std::string_view user_id,
                         std::span<const std::uint8_t> code_hash, std::string_view at) override;
  core::Result<std::int64_t> count_unused(std::string_view practice_id,
                                          std::string_view user_id) override;

 private:
  Executor& x_;
};

class SqlSessionPort final : public SessionPort {
 public:
  explicit SqlSessionPort(Executor& x) : x_(x) {}
  core::Result<void> insert(const SessionRow& row) override;
  core::Result<std::optional<SessionRow>> find_by_token(
      std::span<const std::uint8_t> token_hash) override;
  core::Result<std::vector<SessionRow>> list_for_user(std::string_view practice_id,
                                                      std::string_view user_id) override;
  core::Result<void> touch(std::string_view practice_id, std::string_view id,
                           std::string_view at) override;
  core::Result<bool> revoke(std::string_view practice_id, std::string_view id,
                            std::string_view at) override;
  core::Result<std::int64_t> revoke_for_user(std::string_view practice_id, std::string_view user_id,
                                             std::string_view at) override;
  core::Result<std::int64_t> purge(std::string_view before) override;

 private:
  Executor& x_;
};

class SqlApiTokenPort final : public ApiTokenPort {
 public:
  explicit SqlApiTokenPort(Executor& x) : x_(x) {}
  core::Result<void> insert(const ApiTokenRow& row) override;
  core::Result<std::optional<ApiTokenRow>> find_by_token(
      std::span<const std::uint8_t> token_hash) override;
  core::Result<std::vector<ApiTokenRow>> list(std::string_view practice_id) override;
  core::Result<bool> revoke(std::string_view practice_id, std::string_view id,
                            std::string_view at) override;
  core::Result<void> touch(std::string_view practice_id, std::string_view id,
                           std::string_view at) override;

 private:
  Executor& x_;
};

class SqlPatientPort final : public PatientPort {
 public:
  explicit SqlPatientPort(Executor& x) : x_(x) {}
  core::Result<void> insert_many(std::span<const NewPatient> patients) override;
  core::Result<std::optional<PatientRow>> find(std::string_view practice_id,
                                               std::string_view id) override;
  core::Result<std::vector<PatientRow>> find_many(std::string_view practice_id,
                                                  std::span<const std::string> ids) override;
  core::Result<std::vector<PatientRow>> find_matched(std::string_view practice_id,
                                                     std::span<const IndexMatch> matches) override;
  core::Result<void> update(const PatientRow& row, std::optional<IndexChange> index) override;
  core::Result<std::vector<IndexHit>> match(std::string_view practice_id,
                                            std::span<const IndexTerm> terms) override;
  core::Result<std::vector<std::string>> match_all(std::string_view practice_id,
                                                   std::span<const IndexTerm> terms) override;
  core::Result<std::vector<IndexMatch>> next_matches(std::string_view practice_id,
                                                     std::span<const IndexTerm> include,
                                                     std::span<const IndexTerm> exclude,
                                                     std::string_view after_id,
                                                     std::int64_t limit) override;
  core::Result<std::vector<PatientRow>> list(std::string_view practice_id,
                                             std::string_view after_id,
                                             std::int64_t limit) override;
  core::Result<std::int64_t> count(std::string_view practice_id) override;

 private:
  // `places[i]` is where patients[i]'s row lies (0: unknown).
  core::Result<void> write_terms(std::span<const NewPatient> patients,
                                 std::span<const std::int64_t> places);
  Executor& x_;
};

class SqlAuditPort final : public AuditPort {
 public:
  explicit SqlAuditPort(Executor& x) : x_(x) {}
  core::Result<AuditHeadRow> lock_head(std::string_view practice_id, std::string_view now) override;
  core::Result<std::optional<AuditHeadRow>> head(std::string_view practice_id) override;
  core::Result<void> put_head(const AuditHeadRow& head) override;
  core::Result<void> insert_entries(std::span<const AuditEntryRow> rows) override;
  core::Result<void> insert_nodes(std::string_view practice_id,
                                  std::span<const AuditNodeRow> nodes) override;
  core::Result<std::optional<std::vector<std::uint8_t>>> node(std::string_view practice_id,
                                                              std::int64_t level,
                                                              std::int64_t index) override;
  core::Result<std::vector<AuditEntryRow>> entries(std::string_view practice_id,
                                                   std::int64_t from_seq,
                                                   std::int64_t limit) override;
  core::Result<std::vector<AuditSubjectRow>> subjects(std::string_view practice_id,
                                                      const AuditSubjectRow& after,
                                                      std::int64_t limit) override;
  core::Result<bool> has_subject(std::string_view practice_id, const AuditSubjectRow& row) override;
  core::Result<std::int64_t> subjects_until(std::string_view practice_id) override;
  core::Result<std::vector<AuditFilterRow>> subject_filters(std::string_view practice_id,
                                                            std::int64_t first_block,
                                                            std::int64_t last_block) override;
  core::Result<std::vector<AuditNodeRow>> nodes(std::string_view practice_id, std::int64_t level,
                                                std::int64_t from_index,
                                                std::int64_t limit) override;
  core::Result<std::vector<AuditEntryRow>> search(std::string_view practice_id,
                                                  const AuditQuery& query) override;
  core::Result<void> insert_checkpoint(const AuditCheckpointRow& row) override;
  core::Result<std::optional<AuditCheckpointRow>> latest_checkpoint(
      std::string_view practice_id) override;
  core::Result<std::vector<AuditCheckpointRow>> checkpoints(std::string_view practice_id) override;
  core::Result<void> insert_break_glass(const BreakGlassRow& row) override;
  core::Result<std::optional<BreakGlassRow>> active_break_glass(std::string_view practice_id,
                                                                std::string_view user_id,
                                                                std::string_view patient_id,
                                                                std::string_view now) override;
  core::Result<std::vector<BreakGlassRow>> list_break_glass(std::string_view practice_id,
                                                            bool unreviewed_only) override;
  core::Result<bool> review_break_glass(std::string_view practice_id, std::string_view id,
                                        std::string_view reviewer, std::string_view at) override;

 private:
  Executor& x_;
};

class SqlSchedulingPort final : public SchedulingPort {
 public:
  explicit SqlSchedulingPort(Executor& x) : x_(x) {}
  core::Result<void> insert_config(ConfigKind kind, const ConfigRow& row) override;
  core::Result<void> update_config(ConfigKind kind, const ConfigRow& row) override;
  core::Result<std::optional<ConfigRow>> find_config(ConfigKind kind, std::string_view practice_id,
                                                     std::string_view id) override;
  core::Result<std::vector<ConfigRow>> list_config(ConfigKind kind,
                                                   std::string_view practice_id) override;
  core::Result<void> insert_absence(const AbsenceRow& row) override;
  core::Result<bool> delete_absence(std::string_view practice_id, std::string_view id) override;
  core::Result<std::vector<AbsenceRow>> list_absences(std::string_view practice_id,
                                                      std::int64_t from, std::int64_t to) override;
  core::Result<void> insert_appointment(const AppointmentRow& row) override;
  core::Result<void> update_appointment(const AppointmentRow& row) override;
  core::Result<std::optional<AppointmentRow>> find_appointment(std::string_view practice_id,
                                                               std::string_view id) override;
  core::Result<std::vector<AppointmentRow>> list_appointments(
      std::string_view practice_id, std::int64_t from, std::int64_t to,
      std::optional<std::string_view> practitioner_id) override;
  core::Result<std::vector<BusyRow>> practitioner_busy(std::string_view practice_id,
                                                       std::string_view practitioner_id,
                                                       std::int64_t from, std::int64_t to) override;
  core::Result<std::vector<BusyRow>> resource_busy(std::string_view practice_id,
                                                   std::string_view resource_id, std::int64_t from,
                                                   std::int64_t to) override;
  core::Result<std::int64_t> reassign_patient(std::string_view practice_id, std::string_view from,
                                              std::string_view to, std::string_view at) override;

 private:
  core::Result<void> check_free(const AppointmentRow& row);
  core::Result<void> write_resources(const AppointmentRow& row);
  core::Result<std::vector<std::string>> resources_of(std::string_view practice_id,
                                                      std::string_view appointment_id);
  Executor& x_;
};

class SqlBookingPort final : public BookingPort {
 public:
  explicit SqlBookingPort(Executor& x) : x_(x) {}
  core::Result<void> insert_booking(const OnlineBookingRow& row) override;
  core::Result<std::optional<OnlineBookingRow>> find_by_token(
      std::string_view practice_id, std::span<const std::uint8_t> token_hash) override;
  core::Result<std::optional<OnlineBookingRow>> find_booking(std::string_view practice_id,
                                                             std::string_view id) override;
  core::Result<std::optional<OnlineBookingRow>> find_by_appointment(
      std::string_view practice_id, std::string_view appointment_id) override;
  core::Result<std::int64_t> count_future(std::string_view practice_id,
                                          std::optional<std::int64_t> phone_hash,
                                          std::optional<std::int64_t> email_hash,
                                          std::int64_t now) override;
  core::Result<std::vector<OnlineBookingRow>> list_unreviewed(std::string_view practice_id,
                                                              std::int64_t limit) override;
  core::Result<bool> mark_reviewed(std::string_view practice_id, std::string_view id,
                                   std::string_view by, std::string_view at) override;
  core::Result<std::optional<IdempotencyRow>> find_idempotent(
      std::string_view practice_id, std::span<const std::uint8_t> key_hash) override;
  core::Result<void> insert_idempotent(const IdempotencyRow& row) override;
  core::Result<void> use_challenge(std::string_view practice_id, std::string_view nonce,
                                   std::int64_t expires_at) override;
  core::Result<std::int64_t> purge_expired(std::int64_t now) override;

 private:
  Executor& x_;
};

class SqlOutboxPort final : public OutboxPort {
 public:
  explicit SqlOutboxPort(Executor& x) : x_(x) {}
  core::Result<void> insert(const OutboxRow& row) override;
  core::Result<std::optional<OutboxRow>> find(std::string_view practice_id,
                                              std::string_view id) override;
  core::Result<std::vector<OutboxRow>> claim(std::int64_t now, std::int64_t lease_until,
                                             std::int64_t limit) override;
  core::Result<bool> settle(const OutboxRow& row) override;
  core::Result<std::int64_t> release_claims() override;
  core::Result<std::int64_t> make_obsolete(std::string_view practice_id,
                                           std::string_view appointment_id, std::string_view kind,
                                           std::string_view at) override;
  core::Result<bool> revive(std::string_view practice_id, std::string_view id,
                            std::int64_t now) override;
  core::Result<std::vector<OutboxRow>> list(
      std::string_view practice_id, std::string_view state,
      std::optional<std::pair<std::string, std::string>> before, std::int64_t limit) override;
  core::Result<std::vector<std::pair<std::string, std::int64_t>>> count_by_state() override;
  core::Result<std::int64_t> purge_finished(std::string_view before) override;

 private:
  Executor& x_;
};

// A transaction's shared half: the executor of one dialect and every port written
// once over it. The SQLite and PostgreSQL transactions derive from it and add only what
// differs (begin/commit/rollback, the dialect-specific ports).
template <typename Exec>
class PortsTransaction : public Transaction {
 public:
  template <typename Connection>
  explicit PortsTransaction(Connection& connection) : x_(connection) {}

  PracticePort& practices() override { return practices_; }
  UserPort& users() override { return users_; }
  EnrolmentTokenPort& enrolment_tokens() override { return enrolment_; }
  RecoveryCodePort& recovery_codes() override { return recovery_; }
  SessionPort& sessions() override { return sessions_; }
  ApiTokenPort& api_tokens() override { return api_tokens_; }
  PatientPort& patients() override { return patients_; }
  AuditPort& audit() override { return audit_; }
  SchedulingPort& scheduling() override { return scheduling_; }
  BookingPort& booking() override { return booking_; }
  OutboxPort& outbox() override { return outbox_; }

 private:
  Exec x_;
  SqlPracticePort practices_{x_};
  SqlUserPort users_{x_};
  SqlEnrolmentTokenPort enrolment_{x_};
  SqlRecoveryCodePort recovery_{x_};
  SqlSessionPort sessions_{x_};
  SqlApiTokenPort api_tokens_{x_};
  SqlPatientPort patients_{x_};
  SqlAuditPort audit_{x_};
  SqlSchedulingPort scheduling_{x_};
  SqlBookingPort booking_{x_};
  SqlOutboxPort outbox_{x_};
};

}  // namespace praxis::store::sql
