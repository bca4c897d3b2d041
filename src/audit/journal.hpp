#pragma once
// The audit journal: where the entries of requests that change nothing (reads, result
// lists, refusals) are written first. An append is one pwrite(2) of a checksummed record
// to a file in the data directory — it outlasts a crash of praxis at once and a power cut
// once moved — and a mover thread moves what was appended into the practices' Merkle
// trees in one store transaction per batch. A read so costs a write to a file instead of
// a store transaction of its own (issue #8: the audit overhead per read).
//
// Durability. An append is a pwrite: it outlasts a crash of praxis at once. Against a
// power cut, the mover thread syncs the current file (fdatasync) at most `sync` after an
// append, between moves, and the move's transaction makes the entries durable in the
// store; so a power cut loses the entries of about the last `sync` (plus a running move),
// however long moves wait for company.
//
// Files. Appends go to `<path>`. A move first renames it `<path>.moving` and opens a new
// `<path>`, so appends never wait for a move, and a file is deleted only once everything
// in it is committed. Creating, closing and deleting files happen without the lock that
// appends take (on ext4 they wait for the file system's journal now and then: deletes
// took 2 ms on average and up to 318 ms under the search bench); under it, only the new
// file's header is written and the two renames are done. Every record has a sequence
// number; the move's transaction stores the last one it moved under the journal's id
// (the same in every file of one journal), and records at or below it are never moved
// again: not after a crash between the commit and the delete, not by a second opener of
// the same file. `open` moves whatever a previous run left before it returns; a torn
// record at the end of a file (a power cut during a write) and anything after it are
// dropped and counted.
//
// Thread-safe. Once `max_pending` entries wait, an append waits for the mover (back-pressure
// when reads arrive faster than they can be moved) and is refused if moves keep failing:
// fail closed, as a read whose entry cannot be written fails.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "store/store.hpp"

namespace praxis::audit {

struct JournalRecord {
  std::uint64_t seq = 0;  // given by append: 1, 2, 3, … across the files of one journal
  std::string practice_id;
  // Complete but for seq and leaf, which the move into the tree gives them.
  std::vector<store::AuditEntryRow> entries;

  bool operator==(const JournalRecord&) const = default;
};

struct JournalOptions {
  // Sizes count the work of a move (rows_of): an entry, and each patient a list names.
  // Rows waiting that start a move at once, else the longest the first one waits for
  // company. Under a steady load of searches the delay decides (about 8,000 rows per 50
  // ms at 7,500 searches/s): each move's commit drops the readers' page caches and costs
  // the writer its fixed part, so moves half as often as at 4,096 rows gave 5 % more
  // searches/s and a lower p99; bigger ones keep the writer's core too long (the p99 of
  // 16,384 rows / 100 ms: 7.4–7.9 against 4.5–4.7 ms, docs/benchmarks.md).
  std::size_t batch = 8192;
  std::chrono::milliseconds delay{50};
  // The longest an appended record waits for its fdatasync while no move runs; 0: only
  // moves make records durable (a power cut may then take up to `delay` of them).
  std::chrono::milliseconds sync{10};
  // Rows not yet moved: about 1.2 s of 8,000 searches/s (21 rows each), so a move held
  // up by the disk (syncs and deletes of 100-300 ms were seen on the bench machine) does
  // not stop reads; a few MiB of memory. An append that would exceed it waits up to
  // max_wait for the mover to make room, and is refused if it does not (or at once
  // while moves fail). At 20,000 (150 ms of that load) such stalls held searches for up
  // to 197 ms (docs/benchmarks.md).
  std::size_t max_pending = 200000;
  std::chrono::milliseconds max_wait{5000};
  std::chrono::milliseconds retry{1000};  // after a failed move
  // Tests: runs on the mover thread before each piece of file work it does without the
  // journal's lock: "create" (a rotation's new file), "close" (the file it replaced),
  // "remove" (a moved file).
  std::function<void(std::string_view step)> file_work{};
};

struct JournalStats {
  std::uint64_t appended = 0;             // records since open
  std::uint64_t moved = 0;                // records moved since open, recovered ones included
  std::uint64_t recovered = 0;            // records a previous run left, moved by open
  std::uint64_t dropped_bytes = 0;        // torn tails found by open
  std::uint64_t moves = 0;                // move transactions committed
  std::uint64_t syncs = 0;                // fdatasyncs of the current file between moves
  std::uint64_t failures = 0;             // move transactions that failed
  std::size_t pending = 0;                // rows not yet moved
  std::optional<core::Error> last_error;  // of the latest move, cleared by a successful one
};

// Bytes of records in the journal files at `path` (`<path>` and `<path>.moving`, headers
// not counted) without opening the journal: what a server that did not stop cleanly left
// for the next start to move (or what a running server has not moved yet). 0 if none.
std::uint64_t journal_bytes_waiting(const std::filesystem::path& path);

class Journal {
 public:
  // Moves `records` (in sequence order) into the store in one transaction that also
  // stores the last seq as moved for `journal_id`, skipping records at or below the seq
  // stored before. Called by one thread at a time.
  using Mover = std::function<core::Result<void>(std::string_view journal_id,
                                                 std::span<const JournalRecord> records)>;

  // Opens (or creates) the journal at `path`, moves what a previous run left there and
  // starts the mover. An error if the files are unreadable or that move fails: the
  // server must not start and lose track of those entries.
  [[nodiscard]] static core::Result<std::unique_ptr<Journal>> open(std::filesystem::path path,
                                                                   Mover mover,
                                                                   JournalOptions options = {});
  ~Journal();  // close(); an error there leaves the files for the next open
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes the record (entries complete but for seq and leaf) and returns: the entries
  // are kept from then on. Refused if the write fails, too many entries wait, or the
  // journal is closed.
  [[nodiscard]] core::Result<void> append(std::string practice_id,
                                          std::vector<store::AuditEntryRow> entries);
  // Returns once everything appended before the call has been moved, or with the error
  // of the move that failed meanwhile.
  [[nodiscard]] core::Result<void> flush();
  // Moves everything, stops the mover and refuses further appends. Idempotent.
  [[nodiscard]] core::Result<void> close();

  JournalStats stats() const;
  const std::string& id() const { return id_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  Journal(std::filesystem::path path, Mover mover, JournalOptions options);
  core::Result<void> recover();
  // A new file's file-system work (create, header), without the lock; its descriptor.
  core::Result<int> prepare_file() const;
  // Makes the prepared file <path> (the old one <path>.moving if keep_old) with
  // first_seq in its header; the old descriptor, for the caller to close. Under mutex_
  // (or before the mover starts); on failure the prepared file is closed and removed.
  core::Result<int> install_file(int fd, std::uint64_t first_seq, bool keep_old);
  // Under mutex_: installs the prepared file and hands pending_ to the move; the old
  // file's descriptor, for the caller to close without the lock.
  core::Result<int> rotate(int prepared);
  void file_work(std::string_view step) const;  // JournalOptions::file_work, if set
  void run();
  // Appended records not yet on disk (neither synced nor moved). Under mutex_.
  bool unsynced() const { return std::max(synced_seq_, moved_seq_) + 1 < next_seq_; }
  // fdatasync of the current file, the mutex released meanwhile; false if it failed.
  bool sync_file(std::unique_lock<std::mutex>& lock);

  std::filesystem::path path_;
  Mover mover_;
  JournalOptions options_;
  std::vector<std::uint8_t> raw_id_;  // 16 random bytes, in every file's header
  std::string id_;                    // the same as hex

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // the mover waits here
  std::condition_variable done_cv_;  // flush() waits here
  int fd_ = -1;
  std::uint64_t offset_ = 0;      // end of the current file
  std::uint64_t next_seq_ = 1;    // of the next append
  std::uint64_t moved_seq_ = 0;   // everything up to here is in the store
  std::uint64_t flush_to_ = 0;    // a flush waits for this seq
  std::uint64_t synced_seq_ = 0;  // appended records up to here are on disk
  std::chrono::steady_clock::time_point first_unsynced_at_{};
  std::vector<JournalRecord> pending_;  // in <path>, not yet moved
  std::vector<JournalRecord> moving_;   // in <path>.moving, being moved
  std::size_t pending_entries_ = 0;     // rows of pending_ and moving_
  std::chrono::steady_clock::time_point first_pending_at_{};
  bool directory_unsynced_ = false;  // a file was created since the directory's last fsync
  bool torn_ = false;  // a failed write could not be cut off: no appends until rotation
  bool closing_ = false;
  bool closed_ = false;
  JournalStats stats_;
  std::thread mover_thread_;
};

// The work a record gives a move: one per entry and one per patient a list names (each
// hashed into the index of lists).
std::size_t rows_of(const JournalRecord& record);

// The on-disk form of a record and its inverse (tests; the format is in journal.cpp).
std::vector<std::uint8_t> encode_journal_record(const JournalRecord& record);
// nullopt for bytes that are not one whole, intact record.
std::optional<JournalRecord> decode_journal_record(std::span<const std::uint8_t> bytes);

}  // namespace praxis::audit
