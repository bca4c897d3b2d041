#pragma once
// Free starts of recent availability queries (issue #7's hot path), reused while nothing
// they were computed from has changed. A booking page asks the same question (this week,
// this type) many times a second; each answer otherwise reads the practitioners' busy
// times and runs the slot engine again.
//
// What an answer depends on, and how each is covered:
// - the configuration snapshot (plans, types, rules, holidays): an entry is used only
//   with the very snapshot it was computed from (SchedulingService replaces it after a
//   configuration change and after kSnapshotTtl);
// - the busy times (appointments, absences) of the practitioners and resources it read,
//   in the window it read: every durable change reports its owners and time span
//   (changed()), and an entry is dropped when a change after its read touches one of its
//   owners within its window;
// - the clock: entries hold the starts before the limits that move with it (minimum
//   notice, horizon); the caller cuts the current range from them (FreeStarts::current);
// - another process (a second server on the same PostgreSQL database): kTtl at most.
//
// Changes are kept per practice in a short log (kLogSize); an entry older than the log
// is recomputed. Size is bounded by the number of slots held (LRU).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scheduling/slots.hpp"

namespace praxis::scheduling {

// The free starts of one query, computed without the clock's limits.
struct FreeStarts {
  std::vector<Slot> slots;          // by start
  std::vector<std::string> owners;  // practitioners and resources whose busy times were read
  std::int64_t window_from = 0;     // the busy-time window read, seconds since the epoch
  std::int64_t window_to = 0;
  // The configuration snapshot it was computed from, kept alive by the entry: compared
  // by address, and an address is not reused while the entry holds it.
  std::shared_ptr<const void> snapshot;
  std::chrono::minutes duration{0};
  std::chrono::minutes min_notice{0};
  date::days horizon{0};

  // [first, last): the slots bookable at `now` (at or after now + notice, before now +
  // horizon), exactly those the slot engine would give at `now`.
  std::pair<std::size_t, std::size_t> current(Instant now) const;

  // The texts of slots [first, last) joined by commas. `render` appends one slot's text;
  // the first call renders every slot once, later calls (with the same `render`: an entry
  // has one reader, its cache key says which) only cut.
  using Render = std::function<void(std::string&, const Slot&)>;
  std::string_view joined(std::size_t first, std::size_t last, const Render& render) const;

 private:
  mutable std::once_flag rendered_;
  mutable std::string text_;
  mutable std::vector<std::size_t> text_at_;  // where slot i's text begins; one past: end
};

class AvailabilityCache {
 public:
  static constexpr std::chrono::seconds kTtl{2};
  static constexpr std::size_t kLogSize = 256;
  static constexpr std::size_t kDefaultMaxSlots = 100'000;

  explicit AvailabilityCache(std::size_t max_slots = kDefaultMaxSlots) : max_slots_(max_slots) {}

  // The practice's change count; read before the database, stored with the entry.
  std::uint64_t sequence(std::string_view practice_id);
  // The entry for `key` if it may still be used with `snapshot` (the practice is the
  // entry's own: no lookup on this, the hot path).
  std::shared_ptr<const FreeStarts> find(const std::string& key, const void* snapshot,
                                         std::chrono::steady_clock::time_point now);
  // Keeps `entry`, read at change count `sequence` (unless a change since then touches it).
  void put(std::string_view practice_id, const std::string& key,
           std::shared_ptr<const FreeStarts> entry, std::uint64_t sequence,
           std::chrono::steady_clock::time_point now);
  // A durable change of the busy times of `owners` (empty: of everyone) in [from, to).
  void changed(std::string_view practice_id, std::vector<std::string> owners, std::int64_t from,
               std::int64_t to);

  std::size_t size() const;
  std::size_t slots_held() const;

 private:
  struct Change {
    std::uint64_t sequence;
    std::vector<std::string> owners;
    std::int64_t from;
    std::int64_t to;
  };
  struct Log {
    std::uint64_t sequence = 0;
    std::deque<Change> recent;  // the last kLogSize changes, oldest first
  };
  struct Node {
    std::string key;
    std::shared_ptr<const FreeStarts> entry;
    const Log* log;         // its practice's changes
    std::uint64_t checked;  // every change up to this one is known not to touch it
    std::chrono::steady_clock::time_point loaded;
  };
  // Whether the changes of `log` after `since` leave `entry` as it is.
  static bool untouched(const Log& log, const FreeStarts& entry, std::uint64_t since);
  void erase(std::list<Node>::iterator it);

  const std::size_t max_slots_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Log> logs_;
  std::list<Node> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Node>::iterator> index_;
  std::size_t slots_ = 0;
};

}  // namespace praxis::scheduling
