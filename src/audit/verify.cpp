#include "audit/verify.hpp"

#include <algorithm>
#include <array>
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

// An order-independent digest of a set of (resource, entry) pairs: lane-wise sums of
// their SHA-256 hashes. The subjects the entries name and the rows of audit_subjects
// agree exactly when their digests do (short of a SHA-256 collision), without sorting
// millions of rows.
struct SubjectDigest {
  std::array<std::uint64_t, 4> lanes{};
  std::uint64_t count = 0;

  void add(std::string_view id, std::int64_t seq) {
    std::vector<std::uint8_t> item;
    item.reserve(32 + id.size());
    constexpr std::string_view kTag = "praxis-audit-subject";
    item.insert(item.end(), kTag.begin(), kTag.end());
    for (int shift = 56; shift >= 0; shift -= 8) {
      item.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(seq) >> shift));
    }
    item.insert(item.end(), id.begin(), id.end());
    const Hash h = leaf_hash(item);
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
      std::uint64_t v = 0;
      for (std::size_t b = 0; b < 8; ++b) v = (v << 8U) | h[lane * 8 + b];
      lanes[lane] += v;
    }
    ++count;
  }
  void merge(const SubjectDigest& other) {
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) lanes[lane] += other.lanes[lane];
    count += other.count;
  }
  bool operator==(const SubjectDigest&) const = default;
};

// A name a list entry gives, as the index of lists has it: the block, the part and the
// value (fingerprint and offset; store::audit_filter_value).
struct Named {
  std::int64_t block = 0;
  std::int64_t part = 0;
  std::uint32_t value = 0;
  auto operator<=>(const Named&) const = default;
};

// The leaf hashes of entries [begin, end), read in their own read transaction and each
// recomputed from the entry's fields; stops at the first missing or changed entry.
struct Leaves {
  std::vector<Hash> hashes;  // for begin, begin + 1, … up to a problem
  std::optional<Problem> problem;
  SubjectDigest subjects;    // of the list entries read below `until` (audit_subjects)
  std::vector<Named> named;  // the names of the list entries read from `until` on
};

core::Result<Leaves> read_leaves(store::Store& store, std::string_view practice_id,
                                 std::uint64_t begin, std::uint64_t end, std::int64_t chunk,
                                 std::int64_t until) {
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
      store::for_each_audit_subject(row.subjects, [&](std::string_view id) {
        if (row.seq < until) {
          out.subjects.add(id, row.seq);
        } else {
          const auto print = store::audit_fingerprint(id);
          out.named.push_back(
              {store::audit_block(row.seq), print.part, store::audit_filter_value(print, row.seq)});
        }
      });
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
                                 const VerifyOptions& options, unsigned threads,
                                 std::int64_t until) {
  const std::int64_t chunk = options.chunk;
  const std::uint64_t n = end - begin;
  const std::uint64_t parts = std::max<std::uint64_t>(
      1, std::min<std::uint64_t>(threads, n / std::max<std::uint64_t>(1, options.min_part)));
  std::vector<std::future<core::Result<Leaves>>> futures;
  for (std::uint64_t p = 1; p < parts; ++p) {
    const std::uint64_t b = begin + n * p / parts;
    const std::uint64_t e = begin + n * (p + 1) / parts;
    futures.push_back(std::async(std::launch::async, [&store, practice_id, b, e, chunk, until] {
      return read_leaves(store, practice_id, b, e, chunk, until);
    }));
  }
  auto first = read_leaves(store, practice_id, begin, begin + n / parts, chunk, until);
  std::vector<core::Result<Leaves>> results;
  results.push_back(std::move(first));
  for (auto& f : futures) results.push_back(f.get());
  Leaves out;
  out.hashes.reserve(n);
  for (auto& r : results) {
    if (!r) return tl::unexpected(r.error());
    out.hashes.insert(out.hashes.end(), r->hashes.begin(), r->hashes.end());
    out.subjects.merge(r->subjects);
    out.named.insert(out.named.end(), r->named.begin(), r->named.end());
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

  // The stored hash of node `index` (requested in increasing order), valid until the
  // next call; nullptr if absent.
  core::Result<const std::vector<std::uint8_t>*> at(std::int64_t index) {
    while (true) {
      while (pos_ < buffer_.size() && buffer_[pos_].index < index) ++pos_;
      if (pos_ < buffer_.size()) {
        return buffer_[pos_].index == index ? &buffer_[pos_].hash : nullptr;
      }
      if (exhausted_) return nullptr;
      auto rows = port_.nodes(practice_id_, level_, index, chunk_);
      if (!rows) return tl::unexpected(rows.error());
      exhausted_ = static_cast<std::int64_t>(rows->size()) < chunk_;
      buffer_ = std::move(*rows);
      pos_ = 0;
      if (buffer_.empty()) return nullptr;
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

// audit_subjects must hold exactly the subjects of the entries below `size` (rows of
// later entries, appended while this runs, are not looked at). `expected` is the digest
// of the entries' subjects. On a mismatch, finds the first entry concerned (slow path).
core::Result<std::optional<Problem>> check_subjects(store::AuditPort& audit,
                                                    std::string_view practice_id,
                                                    std::uint64_t size,
                                                    const SubjectDigest& expected,
                                                    std::int64_t chunk) {
  SubjectDigest stored;
  store::AuditSubjectRow after{"", -1, -1};
  while (true) {
    auto rows = audit.subjects(practice_id, after, chunk);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (row.seq < 0 || static_cast<std::uint64_t>(row.seq) >= size) continue;
      // A row filed under another block is one the access report never finds: it counts
      // as missing (the slow path below names its entry).
      if (row.block != store::audit_block(row.seq)) continue;
      stored.add(row.resource_id, row.seq);
    }
    if (static_cast<std::int64_t>(rows->size()) < chunk) break;
    after = rows->back();
  }
  if (stored == expected) return std::optional<Problem>();

  // Which entry? First one whose subjects lack a row…
  for (std::int64_t next = 0; static_cast<std::uint64_t>(next) < size;) {
    auto rows = audit.entries(practice_id, next, chunk);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) break;
    for (const auto& e : *rows) {
      if (static_cast<std::uint64_t>(e.seq) >= size) break;
      bool missing = false;
      std::optional<core::Error> error;
      store::for_each_audit_subject(e.subjects, [&](std::string_view id) {
        if (missing || error) return;
        auto has = audit.has_subject(practice_id, {std::string(id), e.seq});
        if (!has) {
          error = has.error();
        } else if (!*has) {
          missing = true;
        }
      });
      if (error) return tl::unexpected(*error);
      if (missing) {
        const auto at = static_cast<std::uint64_t>(e.seq);
        return std::optional<Problem>(
            Problem{at, "the per-resource index (audit_subjects) lacks a resource that entry " +
                            std::to_string(at) + " lists"});
      }
    }
    next = rows->back().seq + 1;
  }
  // …otherwise a row that names a resource its entry does not list.
  std::optional<std::uint64_t> first;
  after = {"", -1, -1};
  while (true) {
    auto rows = audit.subjects(practice_id, after, chunk);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      if (row.seq < 0 || static_cast<std::uint64_t>(row.seq) >= size) continue;
      auto entry = audit.entries(practice_id, row.seq, 1);
      if (!entry) return tl::unexpected(entry.error());
      const bool listed = !entry->empty() && entry->front().seq == row.seq &&
                          store::audit_subjects_name(entry->front().subjects, row.resource_id);
      const auto at = static_cast<std::uint64_t>(row.seq);
      if (!listed && (!first || at < *first)) first = at;
    }
    if (static_cast<std::int64_t>(rows->size()) < chunk) break;
    after = rows->back();
  }
  const std::uint64_t at = first.value_or(0);
  return std::optional<Problem>(
      Problem{at, "the per-resource index (audit_subjects) names a resource that entry " +
                      std::to_string(at) + " does not list"});
}

// The index of lists must hold exactly the names the block's list entries from `until`
// on give (`named`: all of them, sorted): a value missing would hide a patient from
// their access report, one too many names someone an entry did not show. Rows of
// transactions after `size` (appended while this runs) are not looked at.
std::optional<Problem> check_block(std::int64_t block, std::uint64_t size,
                                   std::span<const store::AuditFilterRow> rows,
                                   std::span<const Named> named) {
  std::vector<Named> stored;
  for (const auto& row : rows) {
    if (row.first_seq < 0 || static_cast<std::uint64_t>(row.first_seq) >= size) continue;
    for (const auto v : store::audit_filter_values(row.values))
      stored.push_back({block, row.part, v});
  }
  std::sort(stored.begin(), stored.end());
  stored.erase(std::unique(stored.begin(), stored.end()), stored.end());
  if (std::equal(stored.begin(), stored.end(), named.begin(), named.end())) {
    return std::optional<Problem>();
  }
  // The first entry concerned: of a value missing, or of one too many.
  auto entry_of = [&](const Named& n) {
    return static_cast<std::uint64_t>(store::audit_filter_entry(block, n.value));
  };
  std::optional<std::uint64_t> missing;
  std::optional<std::uint64_t> extra;
  for (const auto& n : named) {
    if (!std::binary_search(stored.begin(), stored.end(), n)) {
      missing = std::min(missing.value_or(entry_of(n)), entry_of(n));
    }
  }
  for (const auto& n : stored) {
    if (!std::binary_search(named.begin(), named.end(), n)) {
      extra = std::min(extra.value_or(entry_of(n)), entry_of(n));
    }
  }
  if (missing && (!extra || *missing <= *extra)) {
    return std::optional<Problem>(Problem{
        *missing, "the index of lists (audit_subject_filters) lacks a resource that entry " +
                      std::to_string(*missing) + " lists"});
  }
  return std::optional<Problem>(
      Problem{*extra, "the index of lists (audit_subject_filters) names a resource that entry " +
                          std::to_string(*extra) + " does not list"});
}

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
      if (*stored == nullptr || !same(**stored, c.hash)) {
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

  auto until = audit.subjects_until(practice_id);
  if (!until) return tl::unexpected(until.error());
  // The blocks of the index of lists, checked as the windows complete them.
  std::vector<Named> named;
  std::int64_t next_block = store::audit_block(*until);
  auto check_blocks = [&](std::uint64_t read_to) -> core::Result<std::optional<Problem>> {
    // The blocks complete by now: all up to the head once everything is read.
    const std::int64_t last_block =
        read_to >= head_size
            ? (head_size == 0 ? -1 : store::audit_block(static_cast<std::int64_t>(head_size) - 1))
            : store::audit_block(static_cast<std::int64_t>(read_to)) - 1;
    if (last_block < next_block) return std::optional<Problem>();
    auto rows = audit.subject_filters(practice_id, next_block, last_block);
    if (!rows) return tl::unexpected(rows.error());
    auto from = named.begin();  // the names of next_block start here
    auto row = rows->begin();
    std::optional<Problem> found;
    for (; next_block <= last_block && !found; ++next_block) {
      auto last =
          std::find_if(from, named.end(), [&](const Named& n) { return n.block != next_block; });
      auto row_end = std::find_if(
          row, rows->end(), [&](const store::AuditFilterRow& r) { return r.block != next_block; });
      std::sort(from, last);
      found = check_block(next_block, head_size, std::span(row, row_end),
                          std::span<const Named>(from, std::unique(from, last)));
      from = last;
      row = row_end;
    }
    named.erase(named.begin(), from);
    return found;
  };

  // Windows are read (in parallel) while the one before is appended to the frontier.
  SubjectDigest subjects;
  auto end_of = [&](std::uint64_t begin) { return std::min(head_size, begin + options.window); };
  auto read_from = [&](std::uint64_t begin) {
    return std::async(std::launch::async, [&store, practice_id, begin, end = end_of(begin),
                                           &options, threads, until = *until] {
      return read_window(store, practice_id, begin, end, options, threads, until);
    });
  };
  std::future<core::Result<Leaves>> next;
  if (head_size > 0) next = read_from(0);
  for (std::uint64_t begin = 0; begin < head_size; begin = end_of(begin)) {
    auto window = next.get();
    if (!window) return tl::unexpected(window.error());
    if (end_of(begin) < head_size && !window->problem) next = read_from(end_of(begin));
    subjects.merge(window->subjects);
    named.insert(named.end(), window->named.begin(), window->named.end());
    for (const Hash& leaf : window->hashes) {
      auto problem = append(leaf);
      if (!problem) return tl::unexpected(problem.error());
      if (*problem) return fail((*problem)->index, (*problem)->text);
    }
    if (window->problem) return fail(window->problem->index, window->problem->text);
    auto problem = check_blocks(end_of(begin));
    if (!problem) return tl::unexpected(problem.error());
    if (*problem) return fail((*problem)->index, (*problem)->text);
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
  auto index = check_subjects(audit, practice_id, std::min<std::uint64_t>(head_size, *until),
                              subjects, options.chunk);
  if (!index) return tl::unexpected(index.error());
  if (*index) return fail((*index)->index, (*index)->text);
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
