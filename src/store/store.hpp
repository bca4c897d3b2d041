#pragma once
// The storage ports (DESIGN.md §4). Domain services talk to these interfaces only;
// src/store/sqlite/ (and later src/store/postgres/) implement them, and
// tests/store_conformance/ holds every adapter to the same behaviour.
//
// Transactions:
// - Store::read() opens a read-only snapshot on the caller's thread.
// - Store::write(job) runs `job` in a read-write transaction on the store's single
//   writer. Concurrent jobs are grouped and the group commits with one fsync. A job that
//   fails (or does not commit) changes nothing and runs once; the others of its group
//   may run again (SQLite: the group is rerun with a savepoint per job), so a job keeps
//   its effects inside the transaction (after_commit() for the rest). write() returns
//   once the job's changes are durable (Durability), or with the error that stopped them.
// - Transaction::commit() is explicit; a transaction destroyed without it rolls back.
// - with_transaction() wraps both, commits when `fn` succeeds, and retries transient
//   failures (busy, serialization) with bounded backoff.
//
// Every row that belongs to a practice carries practice_id, and every port method that
// touches such rows takes it (issues #5 ff.). Errors: ErrorCode::unavailable (HTTP 503)
// for storage failures (I/O error, disk full, busy after retries), conflict for
// constraint violations a caller can act on, internal for broken invariants.
// All ports are thread-compatible: one transaction is used by one thread at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace praxis::store {

// Facts about the installation (never patient data): installation id, creation time...
class MetaPort {
 public:
  virtual ~MetaPort() = default;
  [[nodiscard]] virtual core::Result<std::optional<std::string>> get(std::string_view key) = 0;
  [[nodiscard]] virtual core::Result<void> put(std::string_view key, std::string_view value) = 0;
};

// A key sealed by the master key (a ciphertext; the store never sees a plaintext key).
struct WrappedKeyRow {
  std::string owner;  // "practice:<id>" or "signing:<purpose>"
  std::uint64_t key_id = 0;
  std::uint32_t version = 1;
  std::uint64_t wrapping_key_id = 0;
  std::vector<std::uint8_t> sealed;

  bool operator==(const WrappedKeyRow&) const = default;
};

class MasterWrappedKeyPort {
 public:
  virtual ~MasterWrappedKeyPort() = default;
  // All rows, ordered by owner.
  [[nodiscard]] virtual core::Result<std::vector<WrappedKeyRow>> list() = 0;
  [[nodiscard]] virtual core::Result<std::optional<WrappedKeyRow>> find(std::string_view owner) = 0;
  // conflict if the owner already has a key.
  [[nodiscard]] virtual core::Result<void> insert(const WrappedKeyRow& row) = 0;
  // Replaces the wrapping of an existing row; not_found if there is none.
  [[nodiscard]] virtual core::Result<void> update(const WrappedKeyRow& row) = 0;
};

// A practice (tenant). Its master data is public (booking page), so it is stored in
// clear. Ids are opaque random strings; slugs are unique across the server.
struct PracticeRow {
  std::string id;
  std::string slug;
  std::string name;
  std::string kind;  // arztpraxis, zahnarztpraxis, psychotherapie
  std::string street;
  std::string postcode;
  std::string city;
  std::optional<std::string> bsnr;
  std::string state;       // Bundesland code, e.g. "BY"
  std::string created_at;  // UTC, ISO 8601
  std::int64_t version = 1;
  // The owner may let the reception role sign in without a second factor
  // (issue #5); praxis doctor reports practices that do.
  bool reception_second_factor_optional = false;

  bool operator==(const PracticeRow&) const = default;
};

class PracticePort {
 public:
  virtual ~PracticePort() = default;
  // conflict if the id or the slug is taken.
  [[nodiscard]] virtual core::Result<void> insert(const PracticeRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<PracticeRow>> find(std::string_view id) = 0;
  [[nodiscard]] virtual core::Result<std::optional<PracticeRow>> find_by_slug(
      std::string_view slug) = 0;
  // All practices, ordered by slug (the hosting operator's view).
  [[nodiscard]] virtual core::Result<std::vector<PracticeRow>> list() = 0;
  // Writes every field but id, slug and created_at when row.version is still the stored
  // version, and raises the version: not_found for an unknown id, precondition_failed
  // when someone else changed the practice meanwhile.
  [[nodiscard]] virtual core::Result<void> update(const PracticeRow& row) = 0;
};

// A staff account. Secrets are stored only as hashes (password) or ciphertext (TOTP).
struct UserRow {
  std::string id;
  std::string practice_id;
  std::string email;   // lower-cased; unique across the server
  std::string role;    // owner, physician, assistant, reception, auditor
  std::string status;  // invited, active, disabled
  std::optional<std::string> password_hash;
  std::optional<std::vector<std::uint8_t>> totp_secret;  // field ciphertext
  std::optional<std::int64_t> totp_last_step;
  std::string created_at;
  std::int64_t version = 1;
  std::string display_name;  // how colleagues see the user, e.g. "Dr. Anna Berg"

  bool operator==(const UserRow&) const = default;
};

class UserPort {
 public:
  virtual ~UserPort() = default;
  // conflict if the e-mail is taken (on any practice).
  [[nodiscard]] virtual core::Result<void> insert(const UserRow& row) = 0;
  // Scoped by practice: another practice's user is not found.
  [[nodiscard]] virtual core::Result<std::optional<UserRow>> find(std::string_view practice_id,
                                                                  std::string_view id) = 0;
  // The login lookup (server-wide, by lower-cased e-mail).
  [[nodiscard]] virtual core::Result<std::optional<UserRow>> find_by_email(
      std::string_view email) = 0;
  [[nodiscard]] virtual core::Result<std::vector<UserRow>> list(std::string_view practice_id) = 0;
  // Writes role, status, password hash, TOTP secret and display name when row.version
  // is still the stored version, and raises the version (not_found / precondition_failed
  // as for practices). totp_last_step is only ever changed by advance_totp_step.
  [[nodiscard]] virtual core::Result<void> update(const UserRow& row) = 0;
  // Records that the TOTP code of time step `step` was used, if no code of this or a
  // later step was used before: true if recorded, false for a replay.
  [[nodiscard]] virtual core::Result<bool> advance_totp_step(std::string_view practice_id,
                                                             std::string_view id,
                                                             std::int64_t step) = 0;
};

struct EnrolmentTokenRow {
  std::vector<std::uint8_t> token_hash;  // BLAKE2b-256 of the token
  std::string practice_id;
  std::string user_id;
  std::string expires_at;                  // UTC, ISO 8601
  std::optional<std::string> used_at;      // enrolment confirmed (or link withdrawn)
  std::optional<std::string> enrolled_at;  // password and TOTP secret set, not yet confirmed
  std::int64_t failed_attempts = 0;        // wrong TOTP codes at confirmation

  bool operator==(const EnrolmentTokenRow&) const = default;
};

class EnrolmentTokenPort {
 public:
  virtual ~EnrolmentTokenPort() = default;
  [[nodiscard]] virtual core::Result<void> insert(const EnrolmentTokenRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<EnrolmentTokenRow>> find(
      std::span<const std::uint8_t> token_hash) = 0;
  // Marks an unused token used; conflict if it was used already (a second use).
  [[nodiscard]] virtual core::Result<void> mark_used(std::span<const std::uint8_t> token_hash,
                                                     std::string_view at) = 0;
  // Marks the first step of enrolment done; conflict if it was done already or the
  // token is used.
  [[nodiscard]] virtual core::Result<void> mark_enrolled(std::span<const std::uint8_t> token_hash,
                                                         std::string_view at) = 0;
  // Counts a wrong confirmation code; returns the new count.
  [[nodiscard]] virtual core::Result<std::int64_t> record_failure(
      std::span<const std::uint8_t> token_hash) = 0;
  // Withdraws every unused link of a user (when a new one is issued).
  [[nodiscard]] virtual core::Result<void> withdraw_for_user(std::string_view practice_id,
                                                             std::string_view user_id,
                                                             std::string_view at) = 0;
};

// Single-use recovery codes for a lost second factor; only hashes are stored.
class RecoveryCodePort {
 public:
  virtual ~RecoveryCodePort() = default;
  // Replaces all codes of a user.
  [[nodiscard]] virtual core::Result<void> replace(
      std::string_view practice_id, std::string_view user_id,
      const std::vector<std::vector<std::uint8_t>>& code_hashes) = 0;
  // Uses an unused code: true if one matched (it is now used), false otherwise.
  [[nodiscard]] virtual core::Result<bool> use(std::string_view practice_id,
                                               std::string_view user_id,
                                               std::span<const std::uint8_t> code_hash,
                                               std::string_view at) = 0;
  [[nodiscard]] virtual core::Result<std::int64_t> count_unused(std::string_view practice_id,
                                                                std::string_view user_id) = 0;
};

// A staff session. The cookie carries the token; only its hash is stored, and so is
// the CSRF token's.
struct SessionRow {
  std::string id;  // opaque, for listing and revoking; not a credential
  std::string practice_id;
  std::string user_id;
  std::vector<std::uint8_t> token_hash;
  std::vector<std::uint8_t> csrf_hash;
  std::string created_at;
  std::string last_seen_at;
  std::string expires_at;  // absolute end, UTC
  std::string client;      // short user-agent label, for the session list
  std::optional<std::string> revoked_at;

  bool operator==(const SessionRow&) const = default;
};

class SessionPort {
 public:
  virtual ~SessionPort() = default;
  [[nodiscard]] virtual core::Result<void> insert(const SessionRow& row) = 0;
  // Server-wide lookup by token hash (the request names no practice before it).
  [[nodiscard]] virtual core::Result<std::optional<SessionRow>> find_by_token(
      std::span<const std::uint8_t> token_hash) = 0;
  // Sessions of a user that are not revoked, newest first.
  [[nodiscard]] virtual core::Result<std::vector<SessionRow>> list_for_user(
      std::string_view practice_id, std::string_view user_id) = 0;
  [[nodiscard]] virtual core::Result<void> touch(std::string_view practice_id, std::string_view id,
                                                 std::string_view at) = 0;
  // true if a session that was not revoked is now revoked.
  [[nodiscard]] virtual core::Result<bool> revoke(std::string_view practice_id, std::string_view id,
                                                  std::string_view at) = 0;
  // Revokes every open session of a user; returns how many.
  [[nodiscard]] virtual core::Result<std::int64_t> revoke_for_user(std::string_view practice_id,
                                                                   std::string_view user_id,
                                                                   std::string_view at) = 0;
  // Deletes sessions that ended (expired or revoked) before `before`; returns how many.
  [[nodiscard]] virtual core::Result<std::int64_t> purge(std::string_view before) = 0;
};

// An API token for integrations: scoped to permissions, expiring, revocable.
struct ApiTokenRow {
  std::string id;
  std::string practice_id;
  std::string name;
  std::string created_by;  // user id
  std::vector<std::uint8_t> token_hash;
  std::string permissions;  // space-separated permission names
  std::string created_at;
  std::string expires_at;
  std::optional<std::string> last_used_at;
  std::optional<std::string> revoked_at;

  bool operator==(const ApiTokenRow&) const = default;
};

class ApiTokenPort {
 public:
  virtual ~ApiTokenPort() = default;
  [[nodiscard]] virtual core::Result<void> insert(const ApiTokenRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<ApiTokenRow>> find_by_token(
      std::span<const std::uint8_t> token_hash) = 0;
  // All tokens of a practice (revoked ones too), newest first.
  [[nodiscard]] virtual core::Result<std::vector<ApiTokenRow>> list(
      std::string_view practice_id) = 0;
  [[nodiscard]] virtual core::Result<bool> revoke(std::string_view practice_id, std::string_view id,
                                                  std::string_view at) = 0;
  [[nodiscard]] virtual core::Result<void> touch(std::string_view practice_id, std::string_view id,
                                                 std::string_view at) = 0;
};

// A patient (issue #6). Only ids, status, timestamps and version are in clear; the
// record is a field ciphertext under the patient key, which is stored sealed by the
// practice key (crypto::KeyRing).
struct PatientRow {
  std::string id;
  std::string practice_id;
  std::string status;  // active, new (from online booking), merged, deleted
  std::uint64_t key_id = 0;
  std::uint32_t key_version = 1;
  std::uint64_t wrapping_key_id = 0;
  std::vector<std::uint8_t> sealed_key;
  std::vector<std::uint8_t> record;
  std::optional<std::string> merged_into;
  std::optional<std::string> deleted_at;
  std::string created_at;
  std::string updated_at;
  std::int64_t version = 1;
  bool restricted = false;  // read by other roles than owners only through break-glass

  bool operator==(const PatientRow&) const = default;
};

// One blind-index entry: which column (kind) and the truncated keyed hash.
struct IndexTerm {
  std::int64_t kind = 0;
  std::int64_t hash = 0;

  bool operator==(const IndexTerm&) const = default;
  auto operator<=>(const IndexTerm&) const = default;
};

// How an update changes a patient's index entries: the entries of the record as it was
// (the caller recomputes them from the stored record) go, those of the new record come.
// Entries are found by their key, so the index needs no second B-tree by patient.
struct IndexChange {
  std::span<const IndexTerm> removed;
  std::span<const IndexTerm> added;
};

// A new patient for PatientPort::insert_many: the row and its index terms.
struct NewPatient {
  const PatientRow* row = nullptr;
  std::span<const IndexTerm> terms;
};

struct IndexHit {
  std::string patient_id;
  std::int64_t kind = 0;  // which of the asked terms matched
};

// A patient an index lookup found: its id and, where the store keeps one, where its row
// lies (SQLite: the rowid of `patients`; 0 when unknown, as on PostgreSQL). The place
// is a hint that saves the descent of the primary key when reading the row; the id is
// what counts.
struct IndexMatch {
  std::string patient_id;
  std::int64_t place = 0;

  bool operator==(const IndexMatch&) const = default;
};

class PatientPort {
 public:
  virtual ~PatientPort() = default;
  // Several rows and their terms (an import batch), as if inserted one by one: the rows
  // in id order, then the terms of all of them in key order, so each page of the index
  // is visited once however many of the batch's entries land on it. Conflict if an id
  // exists (the rows before it may then be written: the caller fails its transaction).
  [[nodiscard]] virtual core::Result<void> insert_many(std::span<const NewPatient> patients) = 0;
  // The row and its index terms; conflict if the id exists.
  [[nodiscard]] core::Result<void> insert(const PatientRow& row, std::span<const IndexTerm> terms) {
    const NewPatient one{&row, terms};
    return insert_many(std::span(&one, 1));
  }
  [[nodiscard]] virtual core::Result<std::optional<PatientRow>> find(std::string_view practice_id,
                                                                     std::string_view id) = 0;
  // The rows among `ids` that exist in the practice (any order).
  [[nodiscard]] virtual core::Result<std::vector<PatientRow>> find_many(
      std::string_view practice_id, std::span<const std::string> ids) = 0;
  // The same for matches of next_matches: rows are read where their place says, and by
  // id when a place is unknown or names another row (a table rebuilt since the entry was
  // written). Never a row of another practice or of another id.
  [[nodiscard]] virtual core::Result<std::vector<PatientRow>> find_matched(
      std::string_view practice_id, std::span<const IndexMatch> matches) = 0;
  // Writes status, record, merged_into, deleted_at and restricted when row.version is the
  // stored version, raises the version and sets updated_at; with `index`, removes and
  // adds index entries (a term in both stays; removing all of them: deleted and merged
  // records are not found by search). not_found / precondition_failed as for practices.
  [[nodiscard]] virtual core::Result<void> update(const PatientRow& row,
                                                  std::optional<IndexChange> index) = 0;
  // Patients with an index entry equal to any of `terms` (one hit per matching entry).
  [[nodiscard]] virtual core::Result<std::vector<IndexHit>> match(
      std::string_view practice_id, std::span<const IndexTerm> terms) = 0;
  // Patients that have any of `include` but none of `exclude`, with ids greater than
  // `after_id`, in id order, at most `limit`: one rank of a search, paged in the
  // database so a common name costs no more than the page it shows.
  [[nodiscard]] virtual core::Result<std::vector<IndexMatch>> next_matches(
      std::string_view practice_id, std::span<const IndexTerm> include,
      std::span<const IndexTerm> exclude, std::string_view after_id, std::int64_t limit) = 0;
  // Patients that have every one of `terms` (an intersection done by the database).
  [[nodiscard]] virtual core::Result<std::vector<std::string>> match_all(
      std::string_view practice_id, std::span<const IndexTerm> terms) = 0;
  // Patients of the practice in id order after `after_id`, at most `limit`, without
  // merged and deleted ones.
  [[nodiscard]] virtual core::Result<std::vector<PatientRow>> list(std::string_view practice_id,
                                                                   std::string_view after_id,
                                                                   std::int64_t limit) = 0;
  [[nodiscard]] virtual core::Result<std::int64_t> count(std::string_view practice_id) = 0;
};

// ---- Audit trail (issue #8) ----

// One leaf of a practice's audit tree. Only ids, codes and a keyed hash of the client
// address: no names, contact data or clinical text.
struct AuditEntryRow {
  std::string practice_id;
  std::int64_t seq = 0;    // leaf index: 0, 1, 2, … without gaps
  std::string at;          // UTC, RFC 3339 with milliseconds
  std::string actor_kind;  // user, api_token, public, system
  std::string actor_id;
  std::string actor_role;
  std::string action;  // e.g. patient.read
  std::string resource_type;
  std::string resource_id;
  std::string purpose;  // treatment, administration, billing, emergency, patient_request
  std::string outcome;  // success, failure, denied
  std::string request_id;
  std::string client;              // keyed hash of the client address, hex; empty if none
  std::string break_glass_id;      // the grant the access relied on; empty otherwise
  std::vector<std::uint8_t> leaf;  // RFC 6962 leaf hash of the entry's encoding
  // A list shown at once (a page of search results) is one entry naming every resource
  // shown, space-separated and in the order shown, with resource_id empty. The index of
  // lists (audit_subject_filters, below) lets the access report of one patient find the
  // lists that showed them.
  std::string subjects = {};

  bool operator==(const AuditEntryRow&) const = default;
};

// Calls fn(id) for each resource an entry's `subjects` names, in order.
template <typename Fn>
void for_each_audit_subject(std::string_view subjects, Fn&& fn) {
  while (!subjects.empty()) {
    const auto space = subjects.find(' ');
    if (space != 0) fn(subjects.substr(0, space));
    subjects = space == std::string_view::npos ? std::string_view() : subjects.substr(space + 1);
  }
}

// Whether an entry's `subjects` name `resource_id`.
inline bool audit_subjects_name(std::string_view subjects, std::string_view resource_id) {
  bool named = false;
  for_each_audit_subject(subjects,
                         [&](std::string_view id) { named = named || id == resource_id; });
  return named;
}

// The per-resource indexes of the trail (audit_entries_resource, audit_subjects and
// audit_subject_filters; sqlite migrations 0014/0015, postgres 0017/0018) are ordered by
// block of entries first: seq >> kAuditBlockBits.
// The moves of the audit journal append entries in seq order, so their index rows land
// in the last block's few pages instead of one random page each (what bounded the cost
// of an audited read); a lookup by resource visits every block (size / 1024 seeks).
// The migrations spell the shift out; the CHECKs on the tables' blk hold them to it.
inline constexpr int kAuditBlockBits = 10;
constexpr std::int64_t audit_block(std::int64_t seq) { return seq >> kAuditBlockBits; }

// One resource named by a list entry before migration 0015: a row of audit_subjects. Its
// block is audit_block(seq); `block` is what the row stores (verify compares the two).
struct AuditSubjectRow {
  std::string resource_id;
  std::int64_t seq = 0;
  std::int64_t block = 0;

  bool operator==(const AuditSubjectRow&) const = default;
};

// The index of list entries (audit_subject_filters; migrations sqlite 0015, postgres
// 0018). A 64-bit hash of a resource id gives its part (the top kAuditFilterPartBits bits)
// and its fingerprint (the next kAuditFingerprintBits). Every transaction that appends
// list entries adds, per block and part its entries name someone in, one row of 32-bit
// values: for each name, the fingerprint and the entry's offset in the block, sorted. A
// move of the journal so writes a few dozen rows instead of a row per name shown. The
// access report reads the patient's part of every block, takes the entries whose values
// carry the patient's fingerprint and keeps those whose `subjects` name the patient
// (another id with the same part and fingerprint, about one in 2^27, costs a read, never
// a wrong answer). Entries the trail had before that migration keep their rows in
// audit_subjects: below the seq audit_subjects_until records for the practice.
inline constexpr int kAuditFilterPartBits = 5;
inline constexpr std::int64_t kAuditFilterParts = std::int64_t{1} << kAuditFilterPartBits;
inline constexpr int kAuditFingerprintBits = 32 - kAuditBlockBits;
struct AuditFingerprint {
  std::int64_t part = 0;
  std::uint32_t value = 0;  // below 2^kAuditFingerprintBits
  auto operator<=>(const AuditFingerprint&) const = default;
};
AuditFingerprint audit_fingerprint(std::string_view resource_id);
// What a row stores for a name that entry `seq` gives.
constexpr std::uint32_t audit_filter_value(AuditFingerprint f, std::int64_t seq) {
  return (f.value << kAuditBlockBits) |
         static_cast<std::uint32_t>(seq & ((std::int64_t{1} << kAuditBlockBits) - 1));
}
// The entry of `block` a value points to.
constexpr std::int64_t audit_filter_entry(std::int64_t block, std::uint32_t value) {
  return (block << kAuditBlockBits) |
         static_cast<std::int64_t>(value & ((std::uint32_t{1} << kAuditBlockBits) - 1));
}
// A row's values are sorted and stored 4 bytes big-endian each: appends one, reads all.
void append_audit_filter_value(std::vector<std::uint8_t>& row, std::uint32_t value);
std::vector<std::uint32_t> audit_filter_values(std::span<const std::uint8_t> row);
// Appends the entries of `block` that a row's values say name someone with fingerprint `f`.
void audit_filter_entries(std::span<const std::uint8_t> row, std::int64_t block, AuditFingerprint f,
                          std::vector<std::int64_t>& seqs);

// One row of audit_subject_filters.
struct AuditFilterRow {
  std::int64_t part = 0;
  std::int64_t block = 0;
  std::int64_t first_seq = 0;  // the first entry of the transaction in this block and part
  std::vector<std::uint8_t> values;
};

// The current state of a practice's tree: size, root and the hashes of the complete
// subtrees along its right edge (largest first), from which the next append computes
// the new root without reading anything else.
struct AuditHeadRow {
  std::string practice_id;
  std::int64_t size = 0;
  std::vector<std::uint8_t> root;
  std::vector<std::uint8_t> frontier;  // 32 bytes per set bit of size
  std::string updated_at;
};

// The hash of the complete subtree at `level` (1 = two leaves) and `index`.
struct AuditNodeRow {
  std::int64_t level = 0;
  std::int64_t index = 0;
  std::vector<std::uint8_t> hash;
};

struct AuditCheckpointRow {
  std::string practice_id;
  std::int64_t size = 0;
  std::vector<std::uint8_t> root;
  std::string note;  // the signed note (audit/checkpoint.hpp)
  std::string created_at;
};

// A search of the trail, newest first. Empty fields do not filter.
struct AuditQuery {
  std::string actor_id;
  std::string resource_type;
  std::string resource_id;
  std::string action;
  std::string from;  // at >= from
  std::string to;    // at < to
  bool break_glass_only = false;
  std::optional<std::int64_t> before_seq;  // the page after the one that ended here
  std::int64_t limit = 50;
};

struct BreakGlassRow {
  std::string practice_id;
  std::string id;
  std::string user_id;
  std::string patient_id;
  std::vector<std::uint8_t> reason;  // sealed with the practice key
  std::string created_at;
  std::string expires_at;
  std::optional<std::string> reviewed_by;
  std::optional<std::string> reviewed_at;

  bool operator==(const BreakGlassRow&) const = default;
};

class AuditPort {
 public:
  virtual ~AuditPort() = default;
  // The practice's head, locked until the transaction ends (a row lock on PostgreSQL;
  // SQLite has one writer anyway), created empty on first use: appends of one practice
  // are serialised, so leaf indexes never collide or leave gaps.
  [[nodiscard]] virtual core::Result<AuditHeadRow> lock_head(std::string_view practice_id,
                                                             std::string_view now) = 0;
  [[nodiscard]] virtual core::Result<std::optional<AuditHeadRow>> head(
      std::string_view practice_id) = 0;
  [[nodiscard]] virtual core::Result<void> put_head(const AuditHeadRow& head) = 0;
  // Entries, and the fingerprints of the patients the list entries among them name (one
  // audit_subject_filters row per block and part the span touches).
  [[nodiscard]] virtual core::Result<void> insert_entries(std::span<const AuditEntryRow> rows) = 0;
  [[nodiscard]] core::Result<void> insert_entry(const AuditEntryRow& row) {
    return insert_entries(std::span(&row, 1));
  }
  [[nodiscard]] virtual core::Result<void> insert_nodes(std::string_view practice_id,
                                                        std::span<const AuditNodeRow> nodes) = 0;
  // Level 0 is the leaf hash of entry `index`. nullopt when absent.
  [[nodiscard]] virtual core::Result<std::optional<std::vector<std::uint8_t>>> node(
      std::string_view practice_id, std::int64_t level, std::int64_t index) = 0;
  // Entries with seq >= from_seq in seq order, at most `limit`.
  [[nodiscard]] virtual core::Result<std::vector<AuditEntryRow>> entries(
      std::string_view practice_id, std::int64_t from_seq, std::int64_t limit) = 0;
  // Rows of audit_subjects after `after` in (block, resource_id, seq) order, at most
  // `limit`.
  [[nodiscard]] virtual core::Result<std::vector<AuditSubjectRow>> subjects(
      std::string_view practice_id, const AuditSubjectRow& after, std::int64_t limit) = 0;
  [[nodiscard]] virtual core::Result<bool> has_subject(std::string_view practice_id,
                                                       const AuditSubjectRow& row) = 0;
  // Entries below this seq have their list subjects in audit_subjects, the others in
  // audit_subject_filters (0 for a trail begun after migration 0015).
  [[nodiscard]] virtual core::Result<std::int64_t> subjects_until(std::string_view practice_id) = 0;
  // The rows of audit_subject_filters of blocks first_block … last_block, in (block, part,
  // first_seq) order.
  [[nodiscard]] virtual core::Result<std::vector<AuditFilterRow>> subject_filters(
      std::string_view practice_id, std::int64_t first_block, std::int64_t last_block) = 0;
  // Stored nodes of `level` with index >= from_index in index order, at most `limit`.
  [[nodiscard]] virtual core::Result<std::vector<AuditNodeRow>> nodes(std::string_view practice_id,
                                                                      std::int64_t level,
                                                                      std::int64_t from_index,
                                                                      std::int64_t limit) = 0;
  [[nodiscard]] virtual core::Result<std::vector<AuditEntryRow>> search(
      std::string_view practice_id, const AuditQuery& query) = 0;
  [[nodiscard]] virtual core::Result<void> insert_checkpoint(const AuditCheckpointRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<AuditCheckpointRow>> latest_checkpoint(
      std::string_view practice_id) = 0;
  // Every checkpoint of the practice, smallest size first.
  [[nodiscard]] virtual core::Result<std::vector<AuditCheckpointRow>> checkpoints(
      std::string_view practice_id) = 0;

  [[nodiscard]] virtual core::Result<void> insert_break_glass(const BreakGlassRow& row) = 0;
  // The user's grant for the patient that is still valid at `now`, if any.
  [[nodiscard]] virtual core::Result<std::optional<BreakGlassRow>> active_break_glass(
      std::string_view practice_id, std::string_view user_id, std::string_view patient_id,
      std::string_view now) = 0;
  [[nodiscard]] virtual core::Result<std::vector<BreakGlassRow>> list_break_glass(
      std::string_view practice_id, bool unreviewed_only) = 0;
  // false when there is no such unreviewed grant.
  [[nodiscard]] virtual core::Result<bool> review_break_glass(std::string_view practice_id,
                                                              std::string_view id,
                                                              std::string_view reviewer,
                                                              std::string_view at) = 0;
};

// ---- Scheduling (issue #7) ----

// Configuration documents of a practice: not patient data, JSON the scheduling service
// validates. Versioned like every mutable row.
enum class ConfigKind {
  practitioner,
  resource,
  appointment_type,
  working_plan,
  settings,
  notification_template,  // issue #11; id "<kind>.<language>"
};

struct ConfigRow {
  std::string practice_id;
  std::string id;
  std::string data;  // JSON
  bool active = true;
  std::string created_at;
  std::string updated_at;
  std::int64_t version = 1;
  bool operator==(const ConfigRow&) const = default;
};

struct AbsenceRow {
  std::string practice_id;
  std::string id;
  std::string practitioner_id;
  std::int64_t starts_at = 0;  // seconds since the epoch, UTC
  std::int64_t ends_at = 0;
  std::string created_at;
  bool operator==(const AbsenceRow&) const = default;
};

struct AppointmentRow {
  std::string practice_id;
  std::string id;
  std::string practitioner_id;
  std::string type_id;
  std::optional<std::string> patient_id;
  std::int64_t starts_at = 0;  // seconds since the epoch, UTC
  std::int64_t ends_at = 0;
  std::int64_t block_start = 0;  // starts_at minus the type's buffer before
  std::int64_t block_end = 0;    // ends_at plus the buffer after
  std::string status;            // booked, arrived, fulfilled, noshow, cancelled (FHIR)
  bool active = true;            // holds its practitioner and resources (not cancelled)
  std::string source;            // staff, online, walk_in
  std::optional<std::vector<std::uint8_t>> details;  // sealed with the practice key
  std::vector<std::string> resources;
  std::string created_at;
  std::string updated_at;
  std::int64_t version = 1;
  std::optional<std::string> cancel_reason;  // patient, practice, illness, other
  bool operator==(const AppointmentRow&) const = default;
};

// The longest block an appointment may have (appointment types allow 8 hours and two
// buffers of 2 hours). The port refuses longer ones, so every block overlapping
// [from, to) ends before to + this: the busy-time lookups bound their index range on
// both sides instead of reading every later appointment of the practitioner.
inline constexpr std::int64_t kMaxAppointmentBlockSeconds = std::int64_t{24} * 3600;

// A span an active appointment blocks, for the slot engine.
struct BusyRow {
  std::string owner_id;  // practitioner or resource
  std::int64_t start = 0;
  std::int64_t end = 0;
};

class SchedulingPort {
 public:
  virtual ~SchedulingPort() = default;
  // conflict if the id exists.
  [[nodiscard]] virtual core::Result<void> insert_config(ConfigKind kind, const ConfigRow& row) = 0;
  // Writes data and active when row.version is the stored version; raises the version.
  // not_found / precondition_failed.
  [[nodiscard]] virtual core::Result<void> update_config(ConfigKind kind, const ConfigRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<ConfigRow>> find_config(
      ConfigKind kind, std::string_view practice_id, std::string_view id) = 0;
  // In id order.
  [[nodiscard]] virtual core::Result<std::vector<ConfigRow>> list_config(
      ConfigKind kind, std::string_view practice_id) = 0;

  [[nodiscard]] virtual core::Result<void> insert_absence(const AbsenceRow& row) = 0;
  // false if there was no such absence.
  [[nodiscard]] virtual core::Result<bool> delete_absence(std::string_view practice_id,
                                                          std::string_view id) = 0;
  // Absences that overlap [from, to), by start.
  [[nodiscard]] virtual core::Result<std::vector<AbsenceRow>> list_absences(
      std::string_view practice_id, std::int64_t from, std::int64_t to) = 0;

  // The appointment and the resources it holds. conflict (and nothing written) when an
  // active one's block overlaps an active appointment of the same practitioner or of any
  // of its resources; the database enforces this too (SQLite: one writer and this
  // check; PostgreSQL: exclusion constraints). invalid_input for a block longer than
  // kMaxAppointmentBlockSeconds.
  [[nodiscard]] virtual core::Result<void> insert_appointment(const AppointmentRow& row) = 0;
  // Time, practitioner, status, active, details and resources when row.version is the
  // stored version (raising it), with the same overlap rule against all others.
  [[nodiscard]] virtual core::Result<void> update_appointment(const AppointmentRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<AppointmentRow>> find_appointment(
      std::string_view practice_id, std::string_view id) = 0;
  // Appointments starting in [from, to) (of one practitioner when given), by start.
  [[nodiscard]] virtual core::Result<std::vector<AppointmentRow>> list_appointments(
      std::string_view practice_id, std::int64_t from, std::int64_t to,
      std::optional<std::string_view> practitioner_id) = 0;
  // Blocks of one practitioner's (or one resource's) active appointments overlapping
  // [from, to), each read through the index on (practice, owner, block end).
  [[nodiscard]] virtual core::Result<std::vector<BusyRow>> practitioner_busy(
      std::string_view practice_id, std::string_view practitioner_id, std::int64_t from,
      std::int64_t to) = 0;
  [[nodiscard]] virtual core::Result<std::vector<BusyRow>> resource_busy(
      std::string_view practice_id, std::string_view resource_id, std::int64_t from,
      std::int64_t to) = 0;
  // Moves every appointment of patient `from` to patient `to` (a merge); how many.
  [[nodiscard]] virtual core::Result<std::int64_t> reassign_patient(std::string_view practice_id,
                                                                    std::string_view from,
                                                                    std::string_view to,
                                                                    std::string_view at) = 0;
};

// A booking made on the public page (issue #7): the appointment it created, the hash of
// its manage token, keyed hashes of the booker's phone and e-mail (the per-contact cap)
// and the staff review.
struct OnlineBookingRow {
  std::string practice_id;
  std::string id;  // the reference the patient sees
  std::string appointment_id;
  std::vector<std::uint8_t> token_hash;
  std::optional<std::int64_t> phone_hash;
  std::optional<std::int64_t> email_hash;
  bool new_patient = false;  // a patient record was created for it
  std::optional<std::string> reviewed_at;
  std::optional<std::string> reviewed_by;
  std::string created_at;
  bool operator==(const OnlineBookingRow&) const = default;
};

// The first answer to a booking POST with an Idempotency-Key.
struct IdempotencyRow {
  std::string practice_id;
  std::vector<std::uint8_t> key_hash;
  std::vector<std::uint8_t> request_hash;
  std::vector<std::uint8_t> response;  // sealed with the practice key
  std::int64_t expires_at = 0;         // seconds since the epoch
  bool operator==(const IdempotencyRow&) const = default;
};

class BookingPort {
 public:
  virtual ~BookingPort() = default;
  // conflict if the reference, the token or the appointment is taken.
  [[nodiscard]] virtual core::Result<void> insert_booking(const OnlineBookingRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<OnlineBookingRow>> find_by_token(
      std::string_view practice_id, std::span<const std::uint8_t> token_hash) = 0;
  [[nodiscard]] virtual core::Result<std::optional<OnlineBookingRow>> find_booking(
      std::string_view practice_id, std::string_view id) = 0;
  // The online booking that made an appointment, if one did.
  [[nodiscard]] virtual core::Result<std::optional<OnlineBookingRow>> find_by_appointment(
      std::string_view practice_id, std::string_view appointment_id) = 0;
  // Online bookings with this phone or e-mail hash whose appointment is active and
  // starts after `now` (seconds since the epoch).
  [[nodiscard]] virtual core::Result<std::int64_t> count_future(
      std::string_view practice_id, std::optional<std::int64_t> phone_hash,
      std::optional<std::int64_t> email_hash, std::int64_t now) = 0;
  // Not yet reviewed, oldest first.
  [[nodiscard]] virtual core::Result<std::vector<OnlineBookingRow>> list_unreviewed(
      std::string_view practice_id, std::int64_t limit) = 0;
  // false if there is no such booking or it was reviewed already.
  [[nodiscard]] virtual core::Result<bool> mark_reviewed(std::string_view practice_id,
                                                         std::string_view id, std::string_view by,
                                                         std::string_view at) = 0;

  [[nodiscard]] virtual core::Result<std::optional<IdempotencyRow>> find_idempotent(
      std::string_view practice_id, std::span<const std::uint8_t> key_hash) = 0;
  // conflict if the key is taken.
  [[nodiscard]] virtual core::Result<void> insert_idempotent(const IdempotencyRow& row) = 0;
  // Spends a proof-of-work challenge: conflict if it was spent before.
  [[nodiscard]] virtual core::Result<void> use_challenge(std::string_view practice_id,
                                                         std::string_view nonce,
                                                         std::int64_t expires_at) = 0;
  // Forgets idempotency answers and spent challenges that expired before `now`; how many.
  [[nodiscard]] virtual core::Result<std::int64_t> purge_expired(std::int64_t now) = 0;
};

// A message in the transactional outbox (issue #11). `payload` (recipient, language,
// manage link, the appointment as it was) is sealed with the practice key and erased
// once the message is finished.
struct OutboxRow {
  std::string practice_id;
  std::string id;
  std::string kind;     // confirmation, reminder, cancellation, reschedule, practice_notice
  std::string channel;  // email, sms
  std::optional<std::string> appointment_id;
  std::optional<std::vector<std::uint8_t>> payload;
  std::string state = "pending";  // pending, sending, sent, dead, obsolete
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at = 0;  // seconds since the epoch
  std::optional<std::int64_t> lease_until;
  std::optional<std::string> last_error;  // a code, never text from the peer
  std::string created_at;
  std::optional<std::string> finished_at;
  bool operator==(const OutboxRow&) const = default;
};

class OutboxPort {
 public:
  virtual ~OutboxPort() = default;
  [[nodiscard]] virtual core::Result<void> insert(const OutboxRow& row) = 0;
  [[nodiscard]] virtual core::Result<std::optional<OutboxRow>> find(std::string_view practice_id,
                                                                    std::string_view id) = 0;
  // Takes up to `limit` messages that are due at `now` (pending, or sending with an
  // expired lease), oldest due first, across all practices: each becomes 'sending' with
  // `lease_until`, one more attempt, and is returned as it now is. A message another
  // worker took meanwhile is skipped.
  [[nodiscard]] virtual core::Result<std::vector<OutboxRow>> claim(std::int64_t now,
                                                                   std::int64_t lease_until,
                                                                   std::int64_t limit) = 0;
  // Ends a claim: `row.state` becomes sent, dead or obsolete (payload erased unless dead),
  // or pending again at `row.next_attempt_at`. False if the claim was lost (the row is no
  // longer 'sending' with the same number of attempts).
  [[nodiscard]] virtual core::Result<bool> settle(const OutboxRow& row) = 0;
  // Every 'sending' message becomes pending again (a single-process store at start-up:
  // no other worker can hold a claim). How many.
  [[nodiscard]] virtual core::Result<std::int64_t> release_claims() = 0;
  // Pending messages of `kind` for an appointment become obsolete (a reminder for an
  // appointment that moved or was cancelled). How many.
  [[nodiscard]] virtual core::Result<std::int64_t> make_obsolete(std::string_view practice_id,
                                                                 std::string_view appointment_id,
                                                                 std::string_view kind,
                                                                 std::string_view at) = 0;
  // A dead message is tried again from now (staff): false if it is not dead.
  [[nodiscard]] virtual core::Result<bool> revive(std::string_view practice_id, std::string_view id,
                                                  std::int64_t now) = 0;
  // A practice's messages in `state` (empty: any), newest first, before the cursor
  // (created_at, id) when given.
  [[nodiscard]] virtual core::Result<std::vector<OutboxRow>> list(
      std::string_view practice_id, std::string_view state,
      std::optional<std::pair<std::string, std::string>> before, std::int64_t limit) = 0;
  // Messages per state across the server (metrics).
  [[nodiscard]] virtual core::Result<std::vector<std::pair<std::string, std::int64_t>>>
  count_by_state() = 0;
  // Forgets finished messages (sent, obsolete, and dead letters nobody sent again)
  // finished before `before`. How many.
  [[nodiscard]] virtual core::Result<std::int64_t> purge_finished(std::string_view before) = 0;
};

enum class TxMode { read_only, read_write };

// When a write job counts as committed (Store::write).
enum class Durability {
  // On disk (fsync) before write() returns: survives a power cut. Every change of data.
  full,
  // Handed to the operating system before write() returns: survives a crash or kill of
  // praxis, not a power cut or a crash of the operating system (or of PostgreSQL), which
  // may lose the last such commits. Never one in the middle: the database's log is a
  // prefix, so any later full commit makes every earlier one durable too. For what
  // records a request that changed nothing (the audit entries of reads), where waiting
  // for the disk would cost more than the read itself.
  written,
};

class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual TxMode mode() const = 0;
  virtual MetaPort& meta() = 0;
  virtual MasterWrappedKeyPort& master_wrapped_keys() = 0;
  virtual PracticePort& practices() = 0;
  virtual UserPort& users() = 0;
  virtual EnrolmentTokenPort& enrolment_tokens() = 0;
  virtual RecoveryCodePort& recovery_codes() = 0;
  virtual SessionPort& sessions() = 0;
  virtual ApiTokenPort& api_tokens() = 0;
  virtual PatientPort& patients() = 0;
  virtual AuditPort& audit() = 0;
  virtual SchedulingPort& scheduling() = 0;
  virtual BookingPort& booking() = 0;
  virtual OutboxPort& outbox() = 0;
  // Declares that the rest of this transaction works for one practice only. On
  // PostgreSQL the adapter sets praxis.practice for the transaction (SET LOCAL), and
  // row-level security then hides and refuses every other practice's rows, even to a
  // query that forgets its practice filter (defence in depth behind the ports' own
  // practice_id conditions). Unscoped transactions are server-wide (sign-in by e-mail,
  // the notification sender). Scoping again to the same practice is a no-op; to another
  // practice it is an internal error. SQLite (one file, no RLS) only checks that rule.
  [[nodiscard]] virtual core::Result<void> scope(std::string_view practice_id) {
    if (scoped_.empty()) {
      scoped_ = std::string(practice_id);
      return {};
    }
    if (scoped_ == practice_id) return {};
    return core::fail(core::ErrorCode::internal, "internal error",
                      "transaction scoped to one practice touched another");
  }
  // The practice this transaction is scoped to, or empty.
  const std::string& scoped_practice() const { return scoped_; }
  // Ends the transaction keeping its changes (for a write job: its savepoint; the group
  // commit makes it durable). A second commit() is a no-op; using a port afterwards
  // is an error.
  [[nodiscard]] virtual core::Result<void> commit() = 0;
  // Runs `fn` on the caller's thread once this write job's changes are durable, just
  // before Store::write() returns them committed; never when they roll back. For
  // in-memory state derived from what the job wrote (caches): updated before the commit,
  // a concurrent reader could cache the old rows again under the new state.
  void after_commit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  // What after_commit() collected (adapters run it).
  std::vector<std::function<void()>> take_after_commit() { return std::move(after_commit_); }
  // What this write job's commit waits for: what Store::write() was asked for, raised to
  // full by require_full_durability().
  Durability durability() const { return durability_; }
  // Makes this job's commit wait for the disk whatever write() was asked for (a signed
  // audit checkpoint can be handed out at once, so what it signs must outlast a power
  // cut).
  void require_full_durability() { durability_ = Durability::full; }
  // Adapters: what Store::write() was asked for.
  void set_durability(Durability durability) { durability_ = durability; }

 private:
  std::string scoped_;
  std::vector<std::function<void()>> after_commit_;
  Durability durability_ = Durability::full;
};

using WriteJob = std::function<core::Result<void>(Transaction&)>;

class Store {
 public:
  virtual ~Store() = default;
  [[nodiscard]] virtual core::Result<std::unique_ptr<Transaction>> read() = 0;
  // Runs `job` in a read-write transaction; once its changes are durable (`durability`,
  // or full when the job asked for it), the functions the job gave
  // Transaction::after_commit() run on the caller's thread.
  [[nodiscard]] virtual core::Result<void> write(const WriteJob& job, Durability durability) = 0;
  [[nodiscard]] core::Result<void> write(const WriteJob& job) {
    return write(job, Durability::full);
  }
  // Readiness: the database answers and is still the one that was opened.
  [[nodiscard]] virtual core::Result<void> ping() = 0;
};

// The first row of a query result, for lookups by a unique key.
template <typename Row>
core::Result<std::optional<Row>> first_row(core::Result<std::vector<Row>> rows) {
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}

struct RetryPolicy {
  int attempts = 5;
  std::chrono::milliseconds first_delay{2};
  std::chrono::milliseconds max_delay{100};
};

// Runs `fn(tx)` in a transaction and commits it when `fn` succeeds (unless `fn`
// committed itself); a write waits for `durability`. Transient failures are retried with
// exponential backoff, at most policy.attempts times; the last error is returned.
template <typename Fn>
[[nodiscard]] core::Result<void> with_transaction(Store& store, TxMode mode, Fn&& fn,
                                                  Durability durability = Durability::full,
                                                  const RetryPolicy& policy = {}) {
  auto delay = policy.first_delay;
  core::Result<void> result;
  for (int attempt = 1;; ++attempt) {
    if (mode == TxMode::read_write) {
      result = store.write(
          [&fn](Transaction& tx) -> core::Result<void> {
            if (auto r = fn(tx); !r) return r;
            return tx.commit();
          },
          durability);
    } else {
      auto tx = store.read();
      result = tx ? fn(**tx) : core::Result<void>(tl::unexpected(tx.error()));
    }
    if (result || !result.error().transient || attempt >= policy.attempts) return result;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, policy.max_delay);
  }
}

// with_transaction() for work on one practice: the transaction is scoped to it first
// (Transaction::scope), so on PostgreSQL row-level security confines every statement
// of `fn` to that practice's rows.
template <typename Fn>
[[nodiscard]] core::Result<void> with_practice_transaction(Store& store,
                                                           std::string_view practice_id,
                                                           TxMode mode, Fn&& fn,
                                                           Durability durability = Durability::full,
                                                           const RetryPolicy& policy = {}) {
  return with_transaction(
      store, mode,
      [&](Transaction& tx) -> core::Result<void> {
        if (auto r = tx.scope(practice_id); !r) return r;
        return fn(tx);
      },
      durability, policy);
}

}  // namespace praxis::store
