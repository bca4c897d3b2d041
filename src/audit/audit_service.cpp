#include "audit/audit_service.hpp"

#include <unordered_map>

#include "core/random.hpp"
#include "core/text.hpp"

namespace praxis::audit {

using core::ErrorCode;

core::Result<EntryPage> AuditService::page(const Context& context, std::string_view practice_id,
                                           const store::AuditQuery& query, const Event& access) {
  // Entries still in the journal are moved first: the report shows every access so far.
  if (auto f = trail_.flush(); !f) return tl::unexpected(f.error());
  EntryPage out;
  auto r = store::with_practice_transaction(
      store_, practice_id, store::TxMode::read_only,
      [&](store::Transaction& tx) -> core::Result<void> {
        out = {};
        auto rows = tx.audit().search(practice_id, query);
        if (!rows) return tl::unexpected(rows.error());
        std::unordered_map<std::string, std::string> names;
        auto users = tx.users().list(practice_id);
        if (!users) return tl::unexpected(users.error());
        for (const auto& u : *users)
          names[u.id] = u.display_name.empty() ? u.email : u.display_name;
        auto tokens = tx.api_tokens().list(practice_id);
        if (!tokens) return tl::unexpected(tokens.error());
        for (const auto& t : *tokens) names[t.id] = t.name;
        for (auto& e : *rows) {
          if (!query.resource_id.empty() && !e.subjects.empty()) {
            // A list in one resource's report is shown as that resource's entry: the
            // others on the list are not that person's business (Art. 15 GDPR).
            e.resource_id = query.resource_id;
            e.subjects.clear();
          }
          auto it = names.find(e.actor_id);
          std::string name = it == names.end() ? std::string() : it->second;
          out.entries.push_back({std::move(e), std::move(name)});
        }
        if (static_cast<std::int64_t>(out.entries.size()) == query.limit && !out.entries.empty()) {
          out.next_before = out.entries.back().entry.seq;
        }
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  // The look itself is recorded before anything is shown.
  if (auto a = trail_.record(store_, practice_id, context, std::span<const Event>(&access, 1));
      !a) {
    return tl::unexpected(a.error());
  }
  return out;
}

core::Result<EntryPage> AuditService::search(const Context& context, std::string_view practice_id,
                                             const store::AuditQuery& query) {
  return page(context, practice_id, query, {"audit.search", "audit", ""});
}

core::Result<EntryPage> AuditService::access_log(const Context& context,
                                                 std::string_view practice_id,
                                                 std::string_view patient_id,
                                                 std::optional<std::int64_t> before_seq,
                                                 std::int64_t limit) {
  store::AuditQuery q;
  q.resource_type = "patient";
  q.resource_id = std::string(patient_id);
  q.before_seq = before_seq;
  q.limit = limit;
  return page(context, practice_id, q, {"patient.access_log", "patient", std::string(patient_id)});
}

core::Result<CheckpointView> AuditService::checkpoint(std::string_view practice_id) {
  if (auto f = trail_.flush(); !f) return tl::unexpected(f.error());
  if (auto signed_now = trail_.checkpoint(store_, practice_id, true); !signed_now) {
    return tl::unexpected(signed_now.error());
  }
  CheckpointView out;
  auto r = store::with_practice_transaction(
      store_, practice_id, store::TxMode::read_only,
      [&](store::Transaction& tx) -> core::Result<void> {
        auto latest = tx.audit().latest_checkpoint(practice_id);
        if (!latest) return tl::unexpected(latest.error());
        if (!*latest) {
          return core::fail(ErrorCode::not_found,
                            "Das Protokoll ist noch leer. / The audit log is still empty.");
        }
        auto key = trail_.public_key(tx, practice_id);
        if (!key) return tl::unexpected(key.error());
        out = {std::move(**latest), trail_.origin(practice_id), *key};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<InclusionView> AuditService::inclusion(std::string_view practice_id,
                                                    std::uint64_t index,
                                                    std::optional<std::uint64_t> size) {
  if (auto f = trail_.flush(); !f) return tl::unexpected(f.error());
  InclusionView out;
  auto r = store::with_practice_transaction(
      store_, practice_id, store::TxMode::read_only,
      [&](store::Transaction& tx) -> core::Result<void> {
        if (!size) {
          auto latest = tx.audit().latest_checkpoint(practice_id);
          if (!latest) return tl::unexpected(latest.error());
          size = *latest ? static_cast<std::uint64_t>((*latest)->size) : 0;
        }
        auto proof = trail_.inclusion_proof(tx, practice_id, index, *size);
        if (!proof) return tl::unexpected(proof.error());
        auto rows = tx.audit().entries(practice_id, static_cast<std::int64_t>(index), 1);
        if (!rows) return tl::unexpected(rows.error());
        if (rows->empty()) return core::fail(ErrorCode::internal, "", "audit entry missing");
        out = {std::move(rows->front()), *size, std::move(*proof)};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<std::vector<Hash>> AuditService::consistency(std::string_view practice_id,
                                                          std::uint64_t from, std::uint64_t to) {
  if (auto f = trail_.flush(); !f) return tl::unexpected(f.error());
  std::vector<Hash> out;
  auto r = store::with_practice_transaction(store_, practice_id, store::TxMode::read_only,
                                            [&](store::Transaction& tx) -> core::Result<void> {
                                              auto proof = trail_.consistency_proof(tx, practice_id,
                                                                                    from, to);
                                              if (!proof) return tl::unexpected(proof.error());
                                              out = std::move(*proof);
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<store::BreakGlassRow> AuditService::break_glass(const Context& context,
                                                             std::string_view practice_id,
                                                             std::string_view patient_id,
                                                             std::string_view reason) {
  const std::string text(core::trim(reason));
  if (!core::valid_utf8(text) || core::utf8_length(text) < 10 || core::utf8_length(text) > 500) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Bitte den Grund nennen (10–500 Zeichen). / Please state the reason "
                               "(10–500 characters).");
    e.fields.push_back({"reason", "length", "10–500"});
    return tl::unexpected(e);
  }
  const auto now = clock_.now();
  store::BreakGlassRow row;
  auto r = store::with_practice_transaction(
      store_, practice_id, store::TxMode::read_write,
      [&](store::Transaction& tx) -> core::Result<void> {
        auto patient = tx.patients().find(practice_id, patient_id);
        if (!patient) return tl::unexpected(patient.error());
        if (!*patient) {
          return core::fail(ErrorCode::not_found, "Patient nicht gefunden. / Patient not found.");
        }
        if (!(*patient)->restricted) {
          return core::fail(ErrorCode::conflict,
                            "Dieser Datensatz ist nicht gesperrt; ein Notfallzugriff ist nicht "
                            "nötig. / This record is not restricted; no break-glass needed.");
        }
        row.practice_id = std::string(practice_id);
        row.id = core::random_hex(random_, 16);
        row.user_id = context.actor.id;
        row.patient_id = std::string(patient_id);
        auto sealed = trail_.seal(tx, practice_id, "break_glass", row.id, text);
        if (!sealed) return tl::unexpected(sealed.error());
        row.reason = std::move(*sealed);
        row.created_at = core::to_iso8601(now);
        row.expires_at = core::to_iso8601(now + break_glass_);
        if (auto ins = tx.audit().insert_break_glass(row); !ins) return ins;
        Context flagged = context;
        flagged.break_glass_id = row.id;
        flagged.purpose = "emergency";
        auto a = trail_.record(tx, practice_id, flagged,
                               {"patient.break_glass", "patient", row.patient_id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return row;
}

core::Result<std::vector<BreakGlassView>> AuditService::break_glass_list(
    std::string_view practice_id, bool unreviewed_only) {
  std::vector<BreakGlassView> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, store::TxMode::read_only,
      [&](store::Transaction& tx) -> core::Result<void> {
        out.clear();
        auto rows = tx.audit().list_break_glass(practice_id, unreviewed_only);
        if (!rows) return tl::unexpected(rows.error());
        auto users = tx.users().list(practice_id);
        if (!users) return tl::unexpected(users.error());
        for (auto& row : *rows) {
          auto reason = trail_.open(tx, practice_id, "break_glass", row.id, row.reason);
          if (!reason) return tl::unexpected(reason.error());
          BreakGlassView v{std::move(row), std::move(*reason), {}, {}};
          for (const auto& u : *users) {
            if (u.id == v.row.user_id) {
              v.user_name = u.display_name.empty() ? u.email : u.display_name;
              v.user_role = u.role;
            }
          }
          out.push_back(std::move(v));
        }
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<void> AuditService::review(const Context& context, std::string_view practice_id,
                                        std::string_view id) {
  return store::with_practice_transaction(
      store_, practice_id, store::TxMode::read_write,
      [&](store::Transaction& tx) -> core::Result<void> {
        auto done = tx.audit().review_break_glass(practice_id, id, context.actor.id,
                                                  core::to_iso8601(clock_.now()));
        if (!done) return tl::unexpected(done.error());
        if (!*done) {
          return core::fail(ErrorCode::not_found,
                            "Kein offener Notfallzugriff. / No unreviewed "
                            "break-glass access.");
        }
        auto a = trail_.record(tx, practice_id, context,
                               {"break_glass.review", "break_glass", std::string(id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

}  // namespace praxis::audit
