#include "audit/verify.hpp"

#include <algorithm>
#include <future>
#include <map>
#include <thread>

namespace praxis::audit {

namespace {

bool same(std::span<const std::uint8_t> stored, const Hash& h) {
  return stored.size() == h.size() && std::equal(h.begin(), h.end(), stored.begin());
}

struct Problem {
  std::uint64_t index = 0;
  std::string text;
};

// The leaf hashes of entries [begin, end), read in their own read transaction and each
// recomputed from the entry's fields; stops at the first missing or changed entry.
struct Leaves {
  std::vector<Hash> hashes;  // for begin, begin + 1, … up to a problem
  std::optional<Problem> problem;
};

core::Result<Leaves> read_leaves(store::Store& store, std::string_view practice_id,
                                 std::uint64_t begin, std::uint64_t end, std::int64_t chunk) {
  Leaves out;
  out.hashes.reserve(end - begin);
  auto tx = store.read();
  if (!tx) return tl::unexpected(tx.error());
  std::uint64_t next = begin;
  while (next < end) {
    const auto want = static_cast<std::int64_t>(std::min<std::uint64_t>(end - next, chunk));
    auto rows = (*tx)->audit().entries(practice_id, static_cast<std::int64_t>(next), want);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (row.seq != static_cast<std::int64_t>(next)) {
        out.problem = Problem{next, "entry " + std::to_string(next) + " is missing"};
        return out;
      }
      const Hash leaf = leaf_hash(encode_entry(row));
      if (!same(row.leaf, leaf)) {
        out.problem = Problem{next, "entry " + std::to_string(next) + " was changed"};
        return out;
      }
      out.hashes.push_back(leaf);
      ++next;
    }
    if (static_cast<std::int64_t>(rows->size()) < want) {
      out.problem = Problem{next, "entry " + std::to_string(next) + " is missing"};
      return out;
    }
  }
  return out;
}

// Leaf hashes of [begin, end) computed by `threads` readers in parallel, in order; a
// problem cuts the result at the lowest bad index.
core::Result<Leaves> read_window(store::Store& store, std::string_view practice_id,
                                 std::uint64_t begin, std::uint64_t end,
                                 const VerifyOptions& options, unsigned threads) {
  const std::int64_t chunk = options.chunk;
  const std::uint64_t n = end - begin;
  const std::uint64_t parts = std::max<std::uint64_t>(
      1, std::min<std::uint64_t>(threads, n / std::max<std::uint64_t>(1, options.min_part)));
  std::vector<std::future<core::Result<Leaves>>> futures;
  for (std::uint64_t p = 1; p < parts; ++p) {
    const std::uint64_t b = begin + n * p / parts;
    const std::uint64_t e = begin + n * (p + 1) / parts;
    futures.push_back(std::async(std::launch::async, [&store, practice_id, b, e, chunk] {
      return read_leaves(store, practice_id, b, e, chunk);
    }));
  }
  auto first = read_leaves(store, practice_id, begin, begin + n / parts, chunk);
  std::vector<core::Result<Leaves>> results;
  results.push_back(std::move(first));
  for (auto& f : futures) results.push_back(f.get());
  Leaves out;
  out.hashes.reserve(n);
  for (auto& r : results) {
    if (!r) return tl::unexpected(r.error());
    out.hashes.insert(out.hashes.end(), r->hashes.begin(), r->hashes.end());
    if (r->problem) {
      out.problem = std::move(r->problem);
      break;
    }
  }
  return out;
}

// Reads the stored nodes of one level in index order, a chunk at a time.
class LevelCursor {
 public:
  LevelCursor(store::AuditPort& port, std::string_view practice_id, std::int64_t level,
              std::int64_t chunk)
      : port_(port), practice_id_(practice_id), level_(level), chunk_(chunk) {}

  // The stored hash of node `index` (requested in increasing order); nullopt if absent.
  core::Result<std::optional<std::vector<std::uint8_t>>> at(std::int64_t index) {
    while (true) {
      while (pos_ < buffer_.size() && buffer_[pos_].index < index) ++pos_;
      if (pos_ < buffer_.size()) {
        if (buffer_[pos_].index == index) return std::optional(buffer_[pos_].hash);
        return std::optional<std::vector<std::uint8_t>>();
      }
      if (exhausted_) return std::optional<std::vector<std::uint8_t>>();
      auto rows = port_.nodes(practice_id_, level_, index, chunk_);
      if (!rows) return tl::unexpected(rows.error());
      exhausted_ = static_cast<std::int64_t>(rows->size()) < chunk_;
      buffer_ = std::move(*rows);
      pos_ = 0;
      if (buffer_.empty()) return std::optional<std::vector<std::uint8_t>>();
    }
  }

 private:
  store::AuditPort& port_;
  std::string practice_id_;
  std::int64_t level_;
  std::int64_t chunk_;
  std::vector<store::AuditNodeRow> buffer_;
  std::size_t pos_ = 0;
  bool exhausted_ = false;
};

}  // namespace

core::Result<VerifyResult> verify_practice(store::Store& store, Trail& trail,
                                           std::string_view practice_id, VerifyOptions options) {
  VerifyResult out;
  out.practice_id = std::string(practice_id);
  auto tx = store.read();
  if (!tx) return tl::unexpected(tx.error());
  auto& audit = (*tx)->audit();

  auto fail = [&](std::uint64_t index, std::string problem) {
    out.ok = false;
    out.first_bad = index;
    out.problem = std::move(problem);
    return out;
  };

  auto head = audit.head(practice_id);
  if (!head) return tl::unexpected(head.error());
  const std::uint64_t head_size =
      *head ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, (*head)->size)) : 0;
  auto checkpoints = audit.checkpoints(practice_id);
  if (!checkpoints) return tl::unexpected(checkpoints.error());
  out.checkpoints = checkpoints->size();
  std::optional<crypto::PublicKey> key;
  if (!checkpoints->empty()) {
    auto k = trail.public_key(**tx, practice_id);
    if (!k) return tl::unexpected(k.error());
    key = *k;
  }
  const std::string origin = trail.origin(practice_id);
  const unsigned threads =
      options.threads ? options.threads : std::clamp(std::thread::hardware_concurrency(), 1U, 8U);

  Frontier frontier;
  std::map<std::int64_t, LevelCursor> levels;
  std::size_t next_checkpoint = 0;
  std::uint64_t last_good_checkpoint = 0;  // entries up to here matched a signed root
  // Appends one leaf: the subtrees it completes must equal the stored ones, and a
  // checkpoint at the new size must be signed and carry the new root.
  auto append = [&](const Hash& leaf) -> core::Result<std::optional<Problem>> {
    for (const auto& c : frontier.append(leaf)) {
      auto [it, _] = levels.try_emplace(c.level, audit, practice_id, c.level, options.chunk);
      auto stored = it->second.at(static_cast<std::int64_t>(c.index));
      if (!stored) return tl::unexpected(stored.error());
      if (!*stored || !same(**stored, c.hash)) {
        const std::uint64_t first = c.index << c.level;
        return std::optional<Problem>(
            Problem{first, "stored subtree (level " + std::to_string(c.level) + ", index " +
                               std::to_string(c.index) + ") over entries from " +
                               std::to_string(first) + " does not match them"});
      }
    }
    while (next_checkpoint < checkpoints->size() &&
           static_cast<std::uint64_t>((*checkpoints)[next_checkpoint].size) == frontier.size()) {
      const auto& row = (*checkpoints)[next_checkpoint];
      auto opened = open_checkpoint(row.note, origin, *key);
      const Hash root = frontier.root();
      if (!opened) {
        return std::optional<Problem>(Problem{
            last_good_checkpoint,
            "checkpoint at size " + std::to_string(row.size) + ": signature or format invalid"});
      }
      if (opened->size != frontier.size() || opened->root != root || !same(row.root, root)) {
        return std::optional<Problem>(
            Problem{last_good_checkpoint, "checkpoint at size " + std::to_string(row.size) +
                                              " does not match the entries before it"});
      }
      last_good_checkpoint = frontier.size();
      ++next_checkpoint;
    }
    return std::optional<Problem>();
  };

  for (std::uint64_t begin = 0; begin < head_size;) {
    const std::uint64_t end = std::min(head_size, begin + options.window);
    auto window = read_window(store, practice_id, begin, end, options, threads);
    if (!window) return tl::unexpected(window.error());
    for (const Hash& leaf : window->hashes) {
      auto problem = append(leaf);
      if (!problem) return tl::unexpected(problem.error());
      if (*problem) return fail((*problem)->index, (*problem)->text);
    }
    if (window->problem) return fail(window->problem->index, window->problem->text);
    begin = end;
  }
  out.entries = frontier.size();

  auto beyond = audit.entries(practice_id, static_cast<std::int64_t>(head_size), 1);
  if (!beyond) return tl::unexpected(beyond.error());
  if (!beyond->empty()) {
    const auto at = static_cast<std::uint64_t>(beyond->front().seq);
    return fail(at, "entry " + std::to_string(at) + " lies beyond the tree head");
  }
  if (next_checkpoint < checkpoints->size()) {
    return fail(frontier.size(), "entries from " + std::to_string(frontier.size()) +
                                     " are missing: a checkpoint covers " +
                                     std::to_string((*checkpoints)[next_checkpoint].size));
  }
  if (*head && !same((*head)->root, frontier.root())) {
    return fail(last_good_checkpoint, "the tree head's root does not match the entries");
  }
  if (*head) {
    auto stored = frontier_of(**head);
    if (!stored || stored->nodes() != frontier.nodes()) {
      return fail(last_good_checkpoint, "the tree head's right edge does not match the entries");
    }
  }
  return out;
}

core::Result<std::vector<VerifyResult>> verify_all(store::Store& store, Trail& trail,
                                                   VerifyOptions options) {
  std::vector<store::PracticeRow> practices;
  {
    auto tx = store.read();
    if (!tx) return tl::unexpected(tx.error());
    auto list = (*tx)->practices().list();
    if (!list) return tl::unexpected(list.error());
    practices = std::move(*list);
  }
  std::vector<VerifyResult> out;
  for (const auto& p : practices) {
    auto r = verify_practice(store, trail, p.id, options);
    if (!r) return tl::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace praxis::audit
