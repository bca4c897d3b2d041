#pragma once
// The audit trail (issue #8): every access to patient data and every security-relevant
// change becomes a leaf of its practice's RFC 6962 Merkle tree, written in the same
// store transaction as the change it records (fail closed: no entry, no change, and for
// reads no data). Signed checkpoints (C2SP tlog-checkpoint) fix the tree at intervals,
// so anyone holding one can check that later trees extend it.
//
// An entry holds ids, codes and a keyed hash of the client address: no names, contact
// data or clinical text (DESIGN.md §1, T6/T7).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/journal.hpp"
#include "audit/merkle.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/signature.hpp"
#include "store/store.hpp"

namespace praxis::audit {

// Who acts: kind is user, api_token, public (online booking) or system.
struct Actor {
  std::string kind;
  std::string id;
  std::string role;
};

// The circumstances every entry of one request shares.
struct Context {
  Actor actor;
  std::string purpose = "administration";  // one of kPurposes
  std::string request_id;
  std::string client_address;      // plaintext here; stored only as a keyed hash
  std::string break_glass_id;      // set when the access relies on a break-glass grant
  bool restricted_access = false;  // may read restricted records without breaking the glass

  static Context system(std::string_view task);
};

inline constexpr std::string_view kPurposes[] = {"treatment", "administration", "billing",
                                                 "emergency", "patient_request"};
bool valid_purpose(std::string_view purpose);

struct Event {
  std::string action;  // e.g. patient.read, patient.update, auth.login
  std::string resource_type;
  std::string resource_id;
  std::string outcome = "success";  // success, failure, denied
  // A list shown at once: one entry naming every resource shown, in order, with
  // resource_id empty (store::AuditEntryRow::subjects).
  std::vector<std::string> subjects = {};
};

// The bytes a leaf hashes: a version tag, then every field of the row but the leaf
// itself, each as a 4-byte big-endian length and its bytes (unambiguous, stable).
// Entries without subjects keep the first version's encoding; a list entry is version 2,
// which appends the subjects as one more field.
std::vector<std::uint8_t> encode_entry(const store::AuditEntryRow& row);

struct TrailOptions {
  std::string origin_host = "praxis";             // checkpoint origin: <host>/audit/<practice id>
  std::uint64_t checkpoint_every = 1000;          // entries
  std::chrono::seconds checkpoint_interval{300};  // or this long after a change
};

class Trail {
 public:
  Trail(crypto::KeyRing& keys, core::Clock& clock, TrailOptions options = {});
  // Without keys (command-line tasks that open no master key): entries without a client
  // address can be recorded; checkpoints are left to the server, proofs need no keys.
  explicit Trail(core::Clock& clock, TrailOptions options = {});

  // Appends the events in `tx` (a write transaction) and returns the first leaf index.
  [[nodiscard]] core::Result<std::int64_t> record(store::Transaction& tx,
                                                  std::string_view practice_id,
                                                  const Context& context,
                                                  std::span<const Event> events);
  [[nodiscard]] core::Result<std::int64_t> record(store::Transaction& tx,
                                                  std::string_view practice_id,
                                                  const Context& context, const Event& event);
  // For events that accompany no change (reads, result lists, refusals). Invalid events
  // and an unknown practice are refused here, whichever way the entries go:
  // - With a journal (open_journal; the server): appended to it and moved into the tree
  //   moments later by its mover, in large batches. Kept from the return on through a
  //   crash of praxis; a power cut may lose the ones not yet moved (journal.hpp).
  // - Without: in a write transaction of its own, shared with the appends to the same
  //   practice that arrive meanwhile: one caller writes the waiting ones in one
  //   transaction — one lock of the tree head, one commit — while the next group
  //   gathers; each returns once its entries are committed. If a group fails, its
  //   appends are retried one by one, so one bad append fails only itself. The commit is
  //   handed to the database without waiting for the disk (store::Durability::written):
  //   a power cut may lose the last of them, a crash of praxis none; a signed checkpoint
  //   among them, and any later change, waits for the disk and makes them durable too.
  [[nodiscard]] core::Result<void> record(store::Store& store, std::string_view practice_id,
                                          const Context& context, std::span<const Event> events);

  // Sends record(store, …) through the journal at `path`, moving into `store`; what a
  // previous run left there is moved before this returns (an error if that fails: the
  // server must not start without it). Call before the trail is shared between threads.
  [[nodiscard]] core::Result<void> open_journal(store::Store& store,
                                                const std::filesystem::path& path,
                                                JournalOptions options = {});
  // Moves what a journal at `path` holds (a previous run's) into `store` without keeping
  // one: for a server that records reads in store transactions (PostgreSQL). Nothing
  // waiting there (journal_bytes_waiting), nothing to do.
  [[nodiscard]] core::Result<std::size_t> drain_journal(store::Store& store,
                                                        const std::filesystem::path& path);
  // Returns once every entry recorded before the call is in its tree (before the trail is
  // read: access reports, searches, proofs, backups). A no-op without a journal.
  [[nodiscard]] core::Result<void> flush();
  // Moves everything and closes the journal (shutdown, after the last request); later
  // record(store, …) calls are refused. A no-op without a journal.
  [[nodiscard]] core::Result<void> close_journal();
  std::optional<JournalStats> journal_stats() const;
  // Whether record(store, …) waits for a store commit: without a journal it does (the
  // server's HTTP layer then runs read routes that record on its write pool); with one,
  // an append is a write to the journal file and the read routes stay on the CPU pool.
  bool reads_wait_for_commit() const { return journal_ == nullptr; }

  // Appends to the practice waiting for the group being written (tests, diagnostics).
  std::size_t waiting(std::string_view practice_id);

  std::string origin(std::string_view practice_id) const;

  // Text that may name clinical circumstances (a break-glass reason), sealed with the
  // practice key and bound to table, column and row.
  [[nodiscard]] core::Result<std::vector<std::uint8_t>> seal(store::Transaction& tx,
                                                             std::string_view practice_id,
                                                             std::string_view table,
                                                             std::string_view row_id,
                                                             std::string_view text);
  [[nodiscard]] core::Result<std::string> open(store::Transaction& tx, std::string_view practice_id,
                                               std::string_view table, std::string_view row_id,
                                               std::span<const std::uint8_t> sealed);
  [[nodiscard]] core::Result<crypto::PublicKey> public_key(store::Transaction& tx,
                                                           std::string_view practice_id);

  // Signs the current tree head when it is larger than the latest checkpoint and
  // `force` is set, checkpoint_every entries have been added, or checkpoint_interval
  // has passed since the latest checkpoint. Returns the checkpoint written, if any.
  [[nodiscard]] core::Result<std::optional<store::AuditCheckpointRow>> checkpoint(
      store::Store& store, std::string_view practice_id, bool force);
  // checkpoint() for every practice (the server's housekeeping, and at shutdown with
  // force). Returns how many were written.
  [[nodiscard]] core::Result<std::size_t> checkpoint_all(store::Store& store, bool force);

  // Proofs against the current tree, from the stored nodes.
  [[nodiscard]] core::Result<std::vector<Hash>> inclusion_proof(store::Transaction& tx,
                                                                std::string_view practice_id,
                                                                std::uint64_t index,
                                                                std::uint64_t size);
  [[nodiscard]] core::Result<std::vector<Hash>> consistency_proof(store::Transaction& tx,
                                                                  std::string_view practice_id,
                                                                  std::uint64_t from,
                                                                  std::uint64_t to);

 private:
  struct PracticeKeys {
    crypto::KeyPtr key;
    std::shared_ptr<const crypto::SigningKey> signer;
    std::shared_ptr<const crypto::SecretKey> address_key;
  };
  std::optional<PracticeKeys> cached_keys(std::string_view practice_id);
  core::Result<PracticeKeys> practice_keys(store::Transaction& tx, std::string_view practice_id);
  core::Result<PracticeKeys> practice_keys(store::Store& store, std::string_view practice_id);
  // The practice's keys, or none for a trail opened without keys (`source`: a
  // transaction or the store).
  template <typename Source>
  core::Result<std::optional<PracticeKeys>> keys_if_held(Source& source,
                                                         std::string_view practice_id);
  // The rows of `events` as recorded now, complete but for seq and leaf.
  core::Result<std::vector<store::AuditEntryRow>> draft(const std::optional<PracticeKeys>& keys,
                                                        std::string_view practice_id,
                                                        const Context& context,
                                                        std::span<const Event> events) const;
  // Gives the rows their leaves in the practice's tree (in `tx`, under the head's lock),
  // signing a checkpoint when one is due. Returns the first leaf index.
  core::Result<std::int64_t> append_rows(store::Transaction& tx, std::string_view practice_id,
                                         const std::optional<PracticeKeys>& keys,
                                         std::span<store::AuditEntryRow> rows);
  // The journal's mover: records in order, one transaction.
  core::Result<void> move_records(store::Store& store, std::string_view journal_id,
                                  std::span<const JournalRecord> records);
  Journal::Mover mover_into(store::Store& store);
  core::Result<void> record_grouped(store::Store& store, std::string_view practice_id,
                                    const Context& context, std::span<const Event> events);
  std::string client_hash(const PracticeKeys& keys, std::string_view address) const;
  store::AuditCheckpointRow sign(const PracticeKeys& keys, std::string_view practice_id,
                                 std::uint64_t size, const Hash& root) const;

  struct Pending {
    const Context* context;
    std::span<const Event> events;
    std::optional<core::Error> error = {};
    bool done = false;
  };
  struct Queue {
    std::vector<Pending*> waiting;
    bool writing = false;
  };
  core::Result<void> write_group(store::Store& store, std::string_view practice_id,
                                 std::span<Pending* const> group);

  crypto::KeyRing* keys_;
  core::Clock& clock_;
  TrailOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, PracticeKeys> practices_;
  std::mutex queues_mutex_;
  std::condition_variable queues_cv_;
  std::unordered_map<std::string, Queue> queues_;
  std::unique_ptr<Journal> journal_;
};

// Splits a stored frontier blob (32 bytes per node).
std::optional<Frontier> frontier_of(const store::AuditHeadRow& head);

}  // namespace praxis::audit
