#include "audit/verify.hpp"

#include <algorithm>
#include <map>

namespace praxis::audit {

namespace {

bool same(std::span<const std::uint8_t> stored, const Hash& h) {
  return stored.size() == h.size() && std::equal(h.begin(), h.end(), stored.begin());
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

  Frontier frontier;
  std::map<std::int64_t, LevelCursor> levels;
  std::size_t next_checkpoint = 0;
  auto check_checkpoints = [&]() -> std::optional<std::string> {
    while (next_checkpoint < checkpoints->size() &&
           static_cast<std::uint64_t>((*checkpoints)[next_checkpoint].size) == frontier.size()) {
      const auto& row = (*checkpoints)[next_checkpoint];
      auto opened = open_checkpoint(row.note, origin, *key);
      if (!opened) {
        return "checkpoint at size " + std::to_string(row.size) + ": signature or format invalid";
      }
      const Hash root = frontier.root();
      if (opened->size != frontier.size() || opened->root != root || !same(row.root, root)) {
        return "checkpoint at size " + std::to_string(row.size) +
               " does not match the entries before it";
      }
      ++next_checkpoint;
    }
    return std::nullopt;
  };

  std::uint64_t last_good_checkpoint = 0;  // entries up to here matched a signed root
  for (std::int64_t from = 0;;) {
    auto rows = audit.entries(practice_id, from, options.chunk);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      const std::uint64_t expected = frontier.size();
      if (row.seq != static_cast<std::int64_t>(expected)) {
        return fail(expected, "entry " + std::to_string(expected) + " is missing");
      }
      if (head && *head && row.seq >= (*head)->size) {
        return fail(expected, "entry " + std::to_string(expected) + " lies beyond the tree head");
      }
      const Hash leaf = leaf_hash(encode_entry(row));
      if (!same(row.leaf, leaf)) {
        return fail(expected, "entry " + std::to_string(expected) + " was changed");
      }
      for (const auto& c : frontier.append(leaf)) {
        auto [it, _] = levels.try_emplace(c.level, audit, practice_id, c.level, options.chunk);
        auto stored = it->second.at(static_cast<std::int64_t>(c.index));
        if (!stored) return tl::unexpected(stored.error());
        if (!*stored || !same(**stored, c.hash)) {
          const std::uint64_t first = c.index << c.level;
          return fail(first, "stored subtree (level " + std::to_string(c.level) + ", index " +
                                 std::to_string(c.index) + ") over entries from " +
                                 std::to_string(first) + " does not match them");
        }
      }
      if (auto problem = check_checkpoints()) return fail(last_good_checkpoint, *problem);
      if (next_checkpoint > 0) {
        last_good_checkpoint = static_cast<std::uint64_t>((*checkpoints)[next_checkpoint - 1].size);
      }
    }
    out.entries = frontier.size();
    if (static_cast<std::int64_t>(rows->size()) < options.chunk) break;
    from = static_cast<std::int64_t>(frontier.size());
  }

  if (next_checkpoint < checkpoints->size()) {
    return fail(frontier.size(), "entries from " + std::to_string(frontier.size()) +
                                     " are missing: a checkpoint covers " +
                                     std::to_string((*checkpoints)[next_checkpoint].size));
  }
  const std::int64_t head_size = head && *head ? (*head)->size : 0;
  if (head_size != static_cast<std::int64_t>(frontier.size())) {
    return fail(frontier.size(), "the tree head counts " + std::to_string(head_size) +
                                     " entries, the log holds " + std::to_string(frontier.size()));
  }
  if (head && *head && !same((*head)->root, frontier.root())) {
    return fail(last_good_checkpoint, "the tree head's root does not match the entries");
  }
  if (head && *head) {
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
