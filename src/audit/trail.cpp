#include "audit/trail.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <map>

#include "crypto/encoding.hpp"
#include "crypto/field_cipher.hpp"

namespace praxis::audit {

using core::ErrorCode;

namespace {

constexpr std::string_view kEntryVersion = "praxis-audit-v1";
constexpr std::string_view kListEntryVersion = "praxis-audit-v2";
constexpr std::size_t kClientHashBytes = 16;

void put_field(std::vector<std::uint8_t>& out, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(field.size());
  out.push_back(static_cast<std::uint8_t>(n >> 24U));
  out.push_back(static_cast<std::uint8_t>(n >> 16U));
  out.push_back(static_cast<std::uint8_t>(n >> 8U));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), field.begin(), field.end());
}

Hash to_hash(std::span<const std::uint8_t> bytes) {
  Hash h{};
  std::copy_n(bytes.begin(), h.size(), h.begin());
  return h;
}

std::vector<std::uint8_t> frontier_bytes(const Frontier& f) {
  std::vector<std::uint8_t> out;
  out.reserve(f.nodes().size() * 32);
  for (const auto& n : f.nodes()) out.insert(out.end(), n.begin(), n.end());
  return out;
}

// A leaf index is taken under the head's lock, so a constraint failure on insert means a
// damaged or tampered store, not a conflict the client could resolve: 500, fail closed.
core::Error refused(core::Error e) {
  if (e.code == ErrorCode::conflict && !e.transient) {
    return core::Error::make(ErrorCode::internal, "", "audit entry refused: " + e.internal);
  }
  return e;
}

core::Result<void> fail_internal(std::string detail) {
  return core::fail(ErrorCode::internal, "", std::move(detail));
}

}  // namespace

Context Context::system(std::string_view task) {
  Context c;
  c.actor = {"system", std::string(task), ""};
  c.purpose = "administration";
  return c;
}

bool valid_purpose(std::string_view purpose) {
  return std::ranges::find(kPurposes, purpose) != std::end(kPurposes);
}

std::vector<std::uint8_t> encode_entry(const store::AuditEntryRow& r) {
  std::vector<std::uint8_t> out;
  out.reserve(256);
  put_field(out, r.subjects.empty() ? kEntryVersion : kListEntryVersion);
  const std::string seq = std::to_string(r.seq);
  for (std::string_view f :
       {std::string_view(r.practice_id), std::string_view(seq), std::string_view(r.at),
        std::string_view(r.actor_kind), std::string_view(r.actor_id),
        std::string_view(r.actor_role), std::string_view(r.action),
        std::string_view(r.resource_type), std::string_view(r.resource_id),
        std::string_view(r.purpose), std::string_view(r.outcome), std::string_view(r.request_id),
        std::string_view(r.client), std::string_view(r.break_glass_id)}) {
    put_field(out, f);
  }
  if (!r.subjects.empty()) put_field(out, r.subjects);
  return out;
}

std::optional<Frontier> frontier_of(const store::AuditHeadRow& head) {
  if (head.size < 0 || head.frontier.size() % 32 != 0) return std::nullopt;
  std::vector<Hash> nodes;
  for (std::size_t i = 0; i < head.frontier.size(); i += 32) {
    nodes.push_back(to_hash(std::span(head.frontier).subspan(i, 32)));
  }
  return Frontier::restore(static_cast<std::uint64_t>(head.size), nodes);
}

Trail::Trail(crypto::KeyRing& keys, core::Clock& clock, TrailOptions options)
    : keys_(&keys), clock_(clock), options_(std::move(options)) {}

Trail::Trail(core::Clock& clock, TrailOptions options)
    : keys_(nullptr), clock_(clock), options_(std::move(options)) {}

std::string Trail::origin(std::string_view practice_id) const {
  return options_.origin_host + "/audit/" + std::string(practice_id);
}

std::optional<Trail::PracticeKeys> Trail::cached_keys(std::string_view practice_id) {
  std::lock_guard lock(mutex_);
  if (auto it = practices_.find(std::string(practice_id)); it != practices_.end()) {
    return it->second;
  }
  return std::nullopt;
}

core::Result<Trail::PracticeKeys> Trail::practice_keys(store::Transaction& tx,
                                                       std::string_view practice_id) {
  if (auto cached = cached_keys(practice_id)) return std::move(*cached);
  if (keys_ == nullptr) {
    return core::fail(ErrorCode::internal, "", "audit: opened without the master key");
  }
  auto row = tx.master_wrapped_keys().find("practice:" + std::string(practice_id));
  if (!row) return tl::unexpected(row.error());
  if (!*row) return core::fail(ErrorCode::not_found, "", "audit: no key for the practice");
  auto key = keys_->practice_key(
      practice_id, {(*row)->key_id, (*row)->version, (*row)->wrapping_key_id, (*row)->sealed});
  if (!key) {
    return core::fail(
        ErrorCode::internal, "",
        "audit: practice key: " + std::string(crypto::crypto_error_name(key.error())));
  }
  PracticeKeys out{*key,
                   std::make_shared<const crypto::SigningKey>(crypto::KeyRing::audit_seed(**key)),
                   std::make_shared<const crypto::SecretKey>(crypto::KeyRing::column_key(
                       crypto::KeyRing::index_key(**key), "audit.client"))};
  std::lock_guard lock(mutex_);
  return practices_.try_emplace(std::string(practice_id), std::move(out)).first->second;
}

template <typename Source>
core::Result<std::optional<Trail::PracticeKeys>> Trail::keys_if_held(Source& source,
                                                                     std::string_view practice_id) {
  if (keys_ == nullptr) return std::optional<PracticeKeys>();
  auto k = practice_keys(source, practice_id);
  if (!k) return tl::unexpected(k.error());
  return std::optional<PracticeKeys>(std::move(*k));
}

std::string Trail::client_hash(const PracticeKeys& keys, std::string_view address) const {
  if (address.empty()) return {};
  std::array<std::uint8_t, kClientHashBytes> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(address.data()),
                     address.size(), keys.address_key->data(), crypto::kKeyBytes);
  return crypto::hex_encode(out);
}

core::Result<std::int64_t> Trail::record(store::Transaction& tx, std::string_view practice_id,
                                         const Context& context, const Event& event) {
  return record(tx, practice_id, context, std::span<const Event>(&event, 1));
}

std::size_t Trail::waiting(std::string_view practice_id) {
  std::lock_guard lock(queues_mutex_);
  auto it = queues_.find(std::string(practice_id));
  return it == queues_.end() ? 0 : it->second.waiting.size();
}

core::Result<void> Trail::write_group(store::Store& store, std::string_view practice_id,
                                      std::span<Pending* const> group) {
  // These entries accompany no change: handed to the database, not waited for on disk
  // (store::Durability::written; a checkpoint among them raises it).
  return store::with_practice_transaction(
      store, practice_id, store::TxMode::read_write,
      [&](store::Transaction& tx) -> core::Result<void> {
        for (Pending* p : group) {
          auto seq = record(tx, practice_id, *p->context, p->events);
          if (!seq) return tl::unexpected(seq.error());
        }
        return {};
      },
      store::Durability::written);
}

core::Result<void> Trail::record(store::Store& store, std::string_view practice_id,
                                 const Context& context, std::span<const Event> events) {
  if (!journal_) return record_grouped(store, practice_id, context, events);
  auto keys = keys_if_held(store, practice_id);
  if (!keys) return tl::unexpected(keys.error());
  auto rows = draft(*keys, practice_id, context, events);
  if (!rows) return tl::unexpected(rows.error());
  return journal_->append(std::string(practice_id), std::move(*rows));
}

core::Result<void> Trail::record_grouped(store::Store& store, std::string_view practice_id,
                                         const Context& context, std::span<const Event> events) {
  Pending me{&context, events};
  std::unique_lock lock(queues_mutex_);
  Queue& queue = queues_[std::string(practice_id)];  // node-based: stays valid
  queue.waiting.push_back(&me);
  while (!me.done) {
    if (queue.writing) {
      queues_cv_.wait(lock);
      continue;
    }
    // This caller writes everything waiting, its own append included.
    queue.writing = true;
    std::vector<Pending*> group;
    group.swap(queue.waiting);
    lock.unlock();
    try {
      if (auto r = write_group(store, practice_id, group); !r) {
        if (group.size() == 1) {
          group.front()->error = r.error();
        } else {
          for (Pending* p : group) {
            if (auto alone = write_group(store, practice_id, std::span<Pending* const>(&p, 1));
                !alone) {
              p->error = alone.error();
            }
          }
        }
      }
    } catch (const std::exception& e) {
      // Whatever happened, every caller of the group gets an answer and the next group
      // its writer; nothing of a group that threw is reported as written.
      for (Pending* p : group) {
        p->error = core::Error::make(ErrorCode::internal, "",
                                     std::string("audit: append threw: ") + e.what());
      }
    }
    lock.lock();
    for (Pending* p : group) p->done = true;
    queue.writing = false;
    queues_cv_.notify_all();
  }
  if (me.error) return tl::unexpected(*me.error);
  return {};
}

core::Result<std::int64_t> Trail::record(store::Transaction& tx, std::string_view practice_id,
                                         const Context& context, std::span<const Event> events) {
  // The practice's keys are needed for the address hash and for signing; a trail
  // without keys records entries without an address and leaves checkpoints to the server.
  auto keys = keys_if_held(tx, practice_id);
  if (!keys) return tl::unexpected(keys.error());
  auto rows = draft(*keys, practice_id, context, events);
  if (!rows) return tl::unexpected(rows.error());
  return append_rows(tx, practice_id, *keys, *rows);
}

core::Result<std::vector<store::AuditEntryRow>> Trail::draft(
    const std::optional<PracticeKeys>& keys, std::string_view practice_id, const Context& context,
    std::span<const Event> events) const {
  if (!keys && !context.client_address.empty()) {
    return core::fail(ErrorCode::internal, "", "audit: no key to hash the client address");
  }
  const std::string now = core::to_iso8601(clock_.now());
  const std::string client = keys ? client_hash(*keys, context.client_address) : std::string();
  std::vector<store::AuditEntryRow> rows;
  rows.reserve(events.size());
  for (const Event& e : events) {
    store::AuditEntryRow row{.practice_id = std::string(practice_id),
                             .seq = 0,
                             .at = now,
                             .actor_kind = context.actor.kind,
                             .actor_id = context.actor.id,
                             .actor_role = context.actor.role,
                             .action = e.action,
                             .resource_type = e.resource_type,
                             .resource_id = e.resource_id,
                             .purpose = context.purpose,
                             .outcome = e.outcome,
                             .request_id = context.request_id,
                             .client = client,
                             .break_glass_id = context.break_glass_id,
                             .leaf = {},
                             .subjects = {}};
    for (std::size_t i = 0; i < e.subjects.size(); ++i) {
      const auto& id = e.subjects[i];
      // Ids are opaque tokens; a space would split one into two.
      if (id.empty() || id.find(' ') != std::string::npos) {
        return core::fail(ErrorCode::internal, "", "audit: invalid subject id");
      }
      if (std::find(e.subjects.begin(), e.subjects.begin() + static_cast<std::ptrdiff_t>(i), id) !=
          e.subjects.begin() + static_cast<std::ptrdiff_t>(i)) {
        continue;  // shown twice, named once
      }
      if (!row.subjects.empty()) row.subjects += ' ';
      row.subjects += id;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

core::Result<std::int64_t> Trail::append_rows(store::Transaction& tx, std::string_view practice_id,
                                              const std::optional<PracticeKeys>& keys,
                                              std::span<store::AuditEntryRow> rows) {
  const std::string now = core::to_iso8601(clock_.now());
  auto head = tx.audit().lock_head(practice_id, now);
  if (!head) return tl::unexpected(head.error());
  auto frontier = frontier_of(*head);
  if (!frontier) return tl::unexpected(fail_internal("audit: damaged tree head").error());
  const std::int64_t first = head->size;
  std::vector<store::AuditNodeRow> nodes;
  for (auto& row : rows) {
    row.seq = static_cast<std::int64_t>(frontier->size());
    const Hash leaf = leaf_hash(encode_entry(row));
    row.leaf.assign(leaf.begin(), leaf.end());
    for (const auto& c : frontier->append(leaf)) {
      nodes.push_back({static_cast<std::int64_t>(c.level), static_cast<std::int64_t>(c.index),
                       std::vector<std::uint8_t>(c.hash.begin(), c.hash.end())});
    }
  }
  if (auto r = tx.audit().insert_entries(rows); !r) return tl::unexpected(refused(r.error()));
  if (auto r = tx.audit().insert_nodes(practice_id, nodes); !r) return tl::unexpected(r.error());
  const Hash root = frontier->root();
  store::AuditHeadRow next{std::string(practice_id), static_cast<std::int64_t>(frontier->size()),
                           std::vector<std::uint8_t>(root.begin(), root.end()),
                           frontier_bytes(*frontier), now};
  if (auto r = tx.audit().put_head(next); !r) return tl::unexpected(r.error());

  // Every checkpoint_every entries a checkpoint is signed in the same transaction.
  const auto every =
      static_cast<std::int64_t>(std::max<std::uint64_t>(1, options_.checkpoint_every));
  if (keys && next.size / every > first / every) {
    // A checkpoint can be handed out at once: what it signs must outlast a power cut.
    tx.require_full_durability();
    if (auto r = tx.audit().insert_checkpoint(sign(*keys, practice_id, frontier->size(), root));
        !r) {
      return tl::unexpected(r.error());
    }
  }
  return first;
}

core::Result<Trail::PracticeKeys> Trail::practice_keys(store::Store& store,
                                                       std::string_view practice_id) {
  // Looked up once per practice: a read recorded through the journal opens no
  // transaction.
  if (auto cached = cached_keys(practice_id)) return std::move(*cached);
  std::optional<PracticeKeys> out;
  auto r = store::with_practice_transaction(store, practice_id, store::TxMode::read_only,
                                            [&](store::Transaction& tx) -> core::Result<void> {
                                              auto k = practice_keys(tx, practice_id);
                                              if (!k) return tl::unexpected(k.error());
                                              out = std::move(*k);
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  return std::move(*out);
}

Journal::Mover Trail::mover_into(store::Store& store) {
  return [this, &store](std::string_view id, std::span<const JournalRecord> records) {
    return move_records(store, id, records);
  };
}

core::Result<void> Trail::open_journal(store::Store& store, const std::filesystem::path& path,
                                       JournalOptions options) {
  auto j = Journal::open(path, mover_into(store), std::move(options));
  if (!j) return tl::unexpected(j.error());
  journal_ = std::move(*j);
  return {};
}

core::Result<std::size_t> Trail::drain_journal(store::Store& store,
                                               const std::filesystem::path& path) {
  if (journal_bytes_waiting(path) == 0) return 0;
  auto j = Journal::open(path, mover_into(store));
  if (!j) return tl::unexpected(j.error());
  const std::size_t recovered = (*j)->stats().recovered;
  if (auto r = (*j)->close(); !r) return tl::unexpected(r.error());
  j->reset();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return recovered;
}

core::Result<void> Trail::flush() { return journal_ ? journal_->flush() : core::Result<void>{}; }

core::Result<void> Trail::close_journal() {
  return journal_ ? journal_->close() : core::Result<void>{};
}

std::optional<JournalStats> Trail::journal_stats() const {
  if (!journal_) return std::nullopt;
  return journal_->stats();
}

core::Result<void> Trail::move_records(store::Store& store, std::string_view journal_id,
                                       std::span<const JournalRecord> records) {
  // Under the journal's id, the last record moved: a record is moved once, even if its
  // file outlives the move (a crash before the delete) or is opened twice.
  const std::string key = "audit.journal." + std::string(journal_id);
  auto in_tx = [&](store::Transaction& tx) -> core::Result<void> {
    auto stored = tx.meta().get(key);
    if (!stored) return tl::unexpected(stored.error());
    std::uint64_t moved = 0;
    if (*stored) {
      const auto& v = **stored;
      if (std::from_chars(v.data(), v.data() + v.size(), moved).ec != std::errc()) {
        return fail_internal("audit: damaged journal position " + key);
      }
    }
    // One lock of each practice's head, taken in the order of practice ids, so two
    // servers moving into one PostgreSQL database never wait for each other in a cycle.
    std::map<std::string, std::vector<store::AuditEntryRow>> rows;
    for (const auto& r : records) {
      if (r.seq <= moved) continue;
      auto& to = rows[r.practice_id];
      to.insert(to.end(), r.entries.begin(), r.entries.end());
    }
    if (rows.empty()) return {};
    for (auto& [practice_id, practice_rows] : rows) {
      auto keys = keys_if_held(tx, practice_id);
      if (!keys) return tl::unexpected(keys.error());
      if (auto a = append_rows(tx, practice_id, *keys, practice_rows); !a) {
        return tl::unexpected(a.error());
      }
    }
    return tx.meta().put(key, std::to_string(records.back().seq));
  };
  return store::with_transaction(store, store::TxMode::read_write, in_tx);
}

store::AuditCheckpointRow Trail::sign(const PracticeKeys& keys, std::string_view practice_id,
                                      std::uint64_t size, const Hash& root) const {
  const std::string name = origin(practice_id);
  const Checkpoint c{name, size, root};
  return {std::string(practice_id), static_cast<std::int64_t>(size),
          std::vector<std::uint8_t>(root.begin(), root.end()),
          sign_checkpoint(c, name, *keys.signer), core::to_iso8601(clock_.now())};
}

core::Result<std::vector<std::uint8_t>> Trail::seal(store::Transaction& tx,
                                                    std::string_view practice_id,
                                                    std::string_view table, std::string_view row_id,
                                                    std::string_view text) {
  auto keys = practice_keys(tx, practice_id);
  if (!keys) return tl::unexpected(keys.error());
  return crypto::encrypt_field(*keys->key, {practice_id, table, "sealed", row_id}, text);
}

core::Result<std::string> Trail::open(store::Transaction& tx, std::string_view practice_id,
                                      std::string_view table, std::string_view row_id,
                                      std::span<const std::uint8_t> sealed) {
  auto keys = practice_keys(tx, practice_id);
  if (!keys) return tl::unexpected(keys.error());
  auto text =
      crypto::decrypt_field_text(*keys->key, {practice_id, table, "sealed", row_id}, sealed);
  if (!text) {
    return core::fail(
        ErrorCode::internal, "",
        "audit: sealed text: " + std::string(crypto::crypto_error_name(text.error())));
  }
  return std::move(*text);
}

core::Result<crypto::PublicKey> Trail::public_key(store::Transaction& tx,
                                                  std::string_view practice_id) {
  auto keys = practice_keys(tx, practice_id);
  if (!keys) return tl::unexpected(keys.error());
  return keys->signer->public_key();
}

core::Result<std::optional<store::AuditCheckpointRow>> Trail::checkpoint(
    store::Store& store, std::string_view practice_id, bool force) {
  std::optional<store::AuditCheckpointRow> written;
  auto r = store::with_practice_transaction(
      store, practice_id, store::TxMode::read_write,
      [&](store::Transaction& tx) -> core::Result<void> {
        written.reset();
        auto head = tx.audit().head(practice_id);
        if (!head) return tl::unexpected(head.error());
        if (!*head || (*head)->size == 0) return {};
        auto latest = tx.audit().latest_checkpoint(practice_id);
        if (!latest) return tl::unexpected(latest.error());
        const std::int64_t signed_size = *latest ? (*latest)->size : 0;
        if ((*head)->size <= signed_size) return {};
        bool due =
            force || !*latest ||
            (*head)->size - signed_size >= static_cast<std::int64_t>(options_.checkpoint_every);
        if (!due) {
          auto last = core::parse_iso8601((*latest)->created_at);
          due = !last || clock_.now() - *last >= options_.checkpoint_interval;
        }
        if (!due) return {};
        auto keys = practice_keys(tx, practice_id);
        if (!keys) return tl::unexpected(keys.error());
        auto frontier = frontier_of(**head);
        if (!frontier) return fail_internal("audit: damaged tree head");
        auto row = sign(*keys, practice_id, frontier->size(), frontier->root());
        if (auto w = tx.audit().insert_checkpoint(row); !w) return w;
        written = std::move(row);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return written;
}

core::Result<std::size_t> Trail::checkpoint_all(store::Store& store, bool force) {
  std::vector<store::PracticeRow> practices;
  auto r = store::with_transaction(store, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto list = tx.practices().list();
                                     if (!list) return tl::unexpected(list.error());
                                     practices = std::move(*list);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  std::size_t written = 0;
  for (const auto& p : practices) {
    auto c = checkpoint(store, p.id, force);
    if (!c) return tl::unexpected(c.error());
    if (*c) ++written;
  }
  return written;
}

namespace {

// MTH(D[begin:end]) of the stored tree; a missing node fails the whole proof.
SubtreeHash stored_subtrees(store::Transaction& tx, std::string_view practice_id,
                            std::optional<core::Error>& failure) {
  return
      [&tx, practice_id, &failure](std::uint64_t begin, std::uint64_t end) -> std::optional<Hash> {
        return subtree_from_nodes(
            begin, end, [&](unsigned level, std::uint64_t index) -> std::optional<Hash> {
              auto n = tx.audit().node(practice_id, level, static_cast<std::int64_t>(index));
              if (!n) {
                failure = n.error();
                return std::nullopt;
              }
              if (!*n || (*n)->size() != 32) return std::nullopt;
              return to_hash(**n);
            });
      };
}

core::Result<std::uint64_t> tree_size(store::Transaction& tx, std::string_view practice_id) {
  auto head = tx.audit().head(practice_id);
  if (!head) return tl::unexpected(head.error());
  return *head ? static_cast<std::uint64_t>((*head)->size) : 0;
}

core::Error out_of_range(std::string message) {
  return core::Error::make(ErrorCode::invalid_input, std::move(message));
}

}  // namespace

core::Result<std::vector<Hash>> Trail::inclusion_proof(store::Transaction& tx,
                                                       std::string_view practice_id,
                                                       std::uint64_t index, std::uint64_t size) {
  auto current = tree_size(tx, practice_id);
  if (!current) return tl::unexpected(current.error());
  if (size > *current || index >= size) {
    return tl::unexpected(out_of_range(
        "Index oder Baumgröße außerhalb des Protokolls. / Index or tree size outside the log."));
  }
  std::optional<core::Error> failure;
  auto proof = audit::inclusion_proof(size, index, stored_subtrees(tx, practice_id, failure));
  if (failure) return tl::unexpected(*failure);
  if (!proof) return tl::unexpected(fail_internal("audit: stored tree incomplete").error());
  return std::move(*proof);
}

core::Result<std::vector<Hash>> Trail::consistency_proof(store::Transaction& tx,
                                                         std::string_view practice_id,
                                                         std::uint64_t from, std::uint64_t to) {
  auto current = tree_size(tx, practice_id);
  if (!current) return tl::unexpected(current.error());
  if (from == 0 || from > to || to > *current) {
    return tl::unexpected(out_of_range(
        "Größen außerhalb des Protokolls (0 < from ≤ to ≤ Größe). / Sizes outside the log "
        "(0 < from ≤ to ≤ size)."));
  }
  std::optional<core::Error> failure;
  auto proof = audit::consistency_proof(to, from, stored_subtrees(tx, practice_id, failure));
  if (failure) return tl::unexpected(*failure);
  if (!proof) return tl::unexpected(fail_internal("audit: stored tree incomplete").error());
  return std::move(*proof);
}

}  // namespace praxis::audit
