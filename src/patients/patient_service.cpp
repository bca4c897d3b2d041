#include "patients/patient_service.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/text.hpp"
#include "core/validation.hpp"
#include "crypto/field_cipher.hpp"
#include "patients/stored_record.hpp"

namespace praxis::patients {

namespace json = boost::json;
using core::ErrorCode;
using store::Transaction;
using store::TxMode;

namespace {

constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kMaxNote = 4000;
constexpr std::size_t kMaxPhones = 5;

core::Error not_found() {
  return core::Error::make(ErrorCode::not_found, "Patient nicht gefunden. / Patient not found.");
}

crypto::FieldContext record_context(const store::PatientRow& row) {
  return {row.practice_id, "patients", "record", row.id};
}

crypto::WrappedKey wrapped_of(const store::PatientRow& row) {
  return {row.key_id, row.key_version, row.wrapping_key_id, row.sealed_key};
}

// RFC 7386: objects merge recursively, null removes, anything else replaces.
void merge_patch(json::object& target, const json::object& patch) {
  for (const auto& [key, value] : patch) {
    if (value.is_null()) {
      target.erase(key);
    } else if (value.is_object() && target.contains(key) && target.at(key).is_object()) {
      merge_patch(target.at(key).as_object(), value.get_object());
    } else {
      target[key] = value;
    }
  }
}

// What makes two records the same patient: each key names its reason, and two records
// with a key in common are duplicates (the first of one record's keys the other shares
// gives the reason). A key carries its reason, so keys of different kinds never match.
// Name and birth date count together, and only with both known.
std::vector<std::pair<std::string_view, std::string>> identity_keys(const Record& r) {
  std::vector<std::pair<std::string_view, std::string>> out;
  auto add = [&](std::string_view reason, std::string_view value) {
    out.emplace_back(reason, std::string(reason) + '\x1f' + std::string(value));
  };
  if (!r.family_name.empty() && !r.birth_date.empty()) {
    add("name_birth_date",
        core::normalize_name(r.family_name + " " + r.given_names) + '\x1f' + r.birth_date);
  }
  if (!r.insurance.kvnr.empty()) add("kvnr", r.insurance.kvnr);
  if (!r.email.empty()) add("email", r.email);
  for (const auto& phone : r.phones) {
    if (!phone.number.empty()) add("phone", phone.number);
  }
  return out;
}

}  // namespace

PatientService::PatientService(store::Store& store, crypto::KeyRing& keys, audit::Trail& trail,
                               core::Clock& clock, core::Random& random, PatientOptions options)
    : store_(store),
      keys_(keys),
      trail_(trail),
      clock_(clock),
      random_(random),
      options_(options) {}

core::Result<audit::Context> PatientService::access(Transaction& tx, const audit::Context& context,
                                                    const store::PatientRow& row) {
  if (!row.restricted || context.restricted_access) return context;
  auto grant = tx.audit().active_break_glass(row.practice_id, context.actor.id, row.id,
                                             core::to_iso8601(clock_.now()));
  if (!grant) return tl::unexpected(grant.error());
  if (!*grant) {
    auto e = core::Error::make(ErrorCode::forbidden,
                               "Dieser Datensatz ist gesperrt. Zugriff nur im Notfall mit "
                               "Begründung (Notfallzugriff). / This record is restricted; open it "
                               "in an emergency with a stated reason (break-glass).");
    e.fields.push_back({"patient", "break_glass_required", "POST /api/v1/audit/break-glass"});
    return tl::unexpected(e);
  }
  audit::Context flagged = context;
  flagged.break_glass_id = (*grant)->id;
  return flagged;
}

core::Result<void> PatientService::record_shown(const audit::Context& context,
                                                std::string_view practice_id,
                                                const audit::Event& shown) {
  if (shown.resource_id.empty() && shown.subjects.empty()) return {};  // an empty list
  auto r = trail_.record(store_, practice_id, context, std::span<const audit::Event>(&shown, 1));
  if (!r) return tl::unexpected(r.error());
  return {};
}

audit::Event PatientService::list_of(std::vector<std::string> ids) {
  // Everyone shown at once is one entry naming them all (audit::Event::subjects).
  return {"patient.list", "patient", "", "success", std::move(ids)};
}

std::string PatientService::today() const { return core::to_iso8601(clock_.now()).substr(0, 10); }

core::Result<PatientService::PracticeKeys> PatientService::practice_keys(
    Transaction& tx, std::string_view practice_id) {
  // A practice key never changes while the server runs (a master-key rotation only
  // rewraps it, with the server stopped), so it is looked up once per practice.
  {
    std::lock_guard lock(mutex_);
    if (auto it = practices_.find(std::string(practice_id)); it != practices_.end()) {
      return it->second;
    }
  }
  auto row = tx.master_wrapped_keys().find("practice:" + std::string(practice_id));
  if (!row) return tl::unexpected(row.error());
  if (!*row) return tl::unexpected(not_found());  // no such practice
  auto key = keys_.practice_key(
      practice_id, {(*row)->key_id, (*row)->version, (*row)->wrapping_key_id, (*row)->sealed});
  if (!key) {
    return core::fail(ErrorCode::internal, "",
                      "practice key: " + std::string(crypto::crypto_error_name(key.error())));
  }
  PracticeKeys out{*key, std::make_shared<const PracticeIndex>(**key)};
  std::lock_guard lock(mutex_);
  return practices_.try_emplace(std::string(practice_id), std::move(out)).first->second;
}

core::Result<Patient> PatientService::decrypt(const PracticeKeys& keys, store::PatientRow row) {
  auto patient_key = keys_.patient_key(*keys.key, row.practice_id, row.id, wrapped_of(row));
  if (!patient_key) {
    return core::fail(
        ErrorCode::internal, "",
        "patient key: " + std::string(crypto::crypto_error_name(patient_key.error())));
  }
  auto text = crypto::decrypt_field_text(**patient_key, record_context(row), row.record);
  if (!text) {
    return core::fail(ErrorCode::internal, "",
                      "patient record: " + std::string(crypto::crypto_error_name(text.error())));
  }
  // Built where the caller receives it: a Patient is two dozen strings to move.
  core::Result<Patient> p;  // a default Patient
  if (auto decoded = decode_record(*text, p->record); !decoded) {
    return tl::unexpected(decoded.error());
  }
  p->row = std::move(row);
  return p;
}

core::Result<std::vector<std::uint8_t>> PatientService::encrypt(const PracticeKeys& keys,
                                                                const store::PatientRow& row,
                                                                const Record& r) {
  auto patient_key = keys_.patient_key(*keys.key, row.practice_id, row.id, wrapped_of(row));
  if (!patient_key) {
    return core::fail(
        ErrorCode::internal, "",
        "patient key: " + std::string(crypto::crypto_error_name(patient_key.error())));
  }
  return crypto::encrypt_field(**patient_key, record_context(row), encode_record(r));
}

void PatientService::stamp_consents(Record& r, const Record* before) const {
  const std::string now = core::to_iso8601(clock_.now());
  auto stamp = [&](Consent& c, const Consent* old) {
    if (!c.given) {
      c.at.clear();
    } else if (!old || !old->given) {
      c.at = now;  // given now
    } else {
      c.at = old->at;  // unchanged
    }
  };
  stamp(r.email_reminders, before ? &before->email_reminders : nullptr);
  stamp(r.sms_reminders, before ? &before->sms_reminders : nullptr);
}

core::Result<std::vector<Duplicate>> PatientService::duplicates(Transaction& tx,
                                                                const PracticeKeys& keys,
                                                                std::string_view practice_id,
                                                                const Record& r) {
  std::set<std::string> ids;
  auto hits = [&](TermKind kind, std::string_view value) -> core::Result<std::set<std::string>> {
    std::set<std::string> out;
    if (value.empty()) return out;
    const store::IndexTerm term{static_cast<std::int64_t>(kind), keys.index->hash(kind, value)};
    auto found = tx.patients().match(practice_id, std::span<const store::IndexTerm>(&term, 1));
    if (!found) return tl::unexpected(found.error());
    for (auto& hit : *found) out.insert(std::move(hit.patient_id));
    return out;
  };
  const auto family = family_words(r);
  if (!family.empty() && !r.birth_date.empty()) {
    // Same birth date and first family-name word: the database intersects, starting from
    // the (selective) birth date, so a common name in a large practice costs no more than
    // a rare one.
    const store::IndexTerm both[] = {{static_cast<std::int64_t>(TermKind::birth_date),
                                      keys.index->hash(TermKind::birth_date, r.birth_date)},
                                     {static_cast<std::int64_t>(TermKind::family),
                                      keys.index->hash(TermKind::family, family.front())}};
    auto found = tx.patients().match_all(practice_id, both);
    if (!found) return tl::unexpected(found.error());
    ids.insert(found->begin(), found->end());
  }
  for (auto [kind, value] : {std::pair{TermKind::kvnr, std::string_view(r.insurance.kvnr)},
                             std::pair{TermKind::email, std::string_view(r.email)}}) {
    auto found = hits(kind, value);
    if (!found) return tl::unexpected(found.error());
    ids.insert(found->begin(), found->end());
  }
  for (const auto& phone : r.phones) {
    auto found = hits(TermKind::phone, phone.number);
    if (!found) return tl::unexpected(found.error());
    ids.insert(found->begin(), found->end());
  }
  std::vector<Duplicate> out;
  if (ids.empty()) return out;
  const std::vector<std::string> list(ids.begin(), ids.end());
  auto rows = tx.patients().find_many(practice_id, list);
  if (!rows) return tl::unexpected(rows.error());
  const auto mine = identity_keys(r);
  for (auto& row : *rows) {
    if (row.status == "merged" || row.status == "deleted") continue;
    auto other = decrypt(keys, std::move(row));
    if (!other) return tl::unexpected(other.error());
    const Record& o = other->record;
    const auto theirs = identity_keys(o);
    std::string_view reason;
    for (const auto& key : mine) {
      if (std::find(theirs.begin(), theirs.end(), key) != theirs.end()) {
        reason = key.first;
        break;
      }
    }
    if (reason.empty()) continue;  // a blind-index false positive
    out.push_back({other->row.id, o.family_name, o.given_names, o.birth_date, std::string(reason),
                   other->row.restricted});
  }
  return out;
}

store::PatientRow PatientService::new_row(const PracticeKeys& keys, std::string_view practice_id,
                                          std::string_view status, const Record& record,
                                          const std::string& now) {
  store::PatientRow row;
  row.id = core::random_hex(random_, kIdBytes);
  row.practice_id = std::string(practice_id);
  row.status = std::string(status);
  auto patient_key = keys_.create_patient_key(*keys.key, practice_id, row.id);
  row.key_id = patient_key.wrapped.key_id;
  row.key_version = patient_key.wrapped.version;
  row.wrapping_key_id = patient_key.wrapped.wrapping_key_id;
  row.sealed_key = std::move(patient_key.wrapped.sealed);
  row.record = crypto::encrypt_field(*patient_key.key, record_context(row), encode_record(record));
  row.created_at = now;
  row.updated_at = now;
  return row;
}

core::Result<CreateOutcome> PatientService::create(const audit::Context& context,
                                                   std::string_view practice_id,
                                                   const json::object& body,
                                                   std::string_view status) {
  auto parsed = parse_record(body, today());
  bool confirm_new = false;
  if (const auto* c = body.if_contains("confirm_new")) {
    if (!c->is_bool()) {
      auto e = core::Error::make(ErrorCode::invalid_input, "confirm_new: true oder false.");
      e.fields.push_back(
          {"confirm_new", "type", "true oder false erwartet. / Expected a boolean."});
      if (!parsed) {
        for (auto& f : parsed.error().fields) e.fields.push_back(f);
      }
      return tl::unexpected(e);
    }
    confirm_new = c->get_bool();
  }
  if (!parsed) return tl::unexpected(parsed.error());
  Record record = std::move(parsed->record);
  stamp_consents(record, nullptr);

  CreateOutcome outcome;
  PracticeKeys keys;
  auto checked = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto k = practice_keys(tx, practice_id);
        if (!k) return tl::unexpected(k.error());
        keys = *k;
        if (confirm_new) return {};
        auto d = duplicates(tx, keys, practice_id, record);
        if (!d) return tl::unexpected(d.error());
        outcome.duplicates = std::move(*d);
        return {};
      });
  if (!checked) return tl::unexpected(checked.error());
  if (!outcome.duplicates.empty()) {
    std::vector<std::string> shown;
    for (auto& d : outcome.duplicates) {
      if (d.restricted && !context.restricted_access) {
        d.family_name.clear();
        d.given_names.clear();
        d.birth_date.clear();
        continue;
      }
      shown.push_back(d.id);
    }
    if (auto a = record_shown(context, practice_id, list_of(shown)); !a) {
      return tl::unexpected(a.error());
    }
    return outcome;
  }

  const std::string now = core::to_iso8601(clock_.now());
  store::PatientRow row = new_row(keys, practice_id, status, record, now);
  const auto terms = keys.index->terms(record);
  auto written = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        if (auto ins = tx.patients().insert(row, terms); !ins) return ins;
        auto a = trail_.record(tx, practice_id, context, {"patient.create", "patient", row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!written) return tl::unexpected(written.error());
  outcome.created = Patient{std::move(row), std::move(record), std::move(parsed->warnings)};
  return outcome;
}

core::Result<crypto::KeyPtr> PatientService::practice_key(Transaction& tx,
                                                          std::string_view practice_id) {
  auto keys = practice_keys(tx, practice_id);
  if (!keys) return tl::unexpected(keys.error());
  return keys->key;
}

core::Result<PatientService::PreparedLink> PatientService::prepare_link(
    std::string_view practice_id, Record record) {
  PreparedLink out;
  PracticeKeys keys;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto k = practice_keys(tx, practice_id);
        if (!k) return tl::unexpected(k.error());
        keys = *k;
        auto found = duplicates(tx, keys, practice_id, record);
        if (!found) return tl::unexpected(found.error());
        for (const auto& d : *found) {
          if (d.reason == "name_birth_date" || d.reason == "kvnr") {
            out.patient_id = d.id;
            out.existing = true;
            return {};
          }
        }
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  if (out.existing) return out;
  stamp_consents(record, nullptr);
  out.row = new_row(keys, practice_id, "new", record, core::to_iso8601(clock_.now()));
  out.patient_id = out.row->id;
  out.terms = keys.index->terms(record);
  return out;
}

core::Result<PatientService::Linked> PatientService::link(Transaction& tx,
                                                          const PreparedLink& prepared,
                                                          std::vector<audit::Event>& events) {
  if (prepared.existing) {
    events.push_back({"patient.link", "patient", prepared.patient_id});
    return Linked{prepared.patient_id, false};
  }
  if (auto ins = tx.patients().insert(*prepared.row, prepared.terms); !ins) {
    return tl::unexpected(ins.error());
  }
  events.push_back({"patient.create", "patient", prepared.patient_id});
  return Linked{prepared.patient_id, true};
}

core::Result<std::vector<ImportResult>> PatientService::import_batch(
    const audit::Context& context, std::string_view practice_id,
    const std::vector<ImportRow>& rows) {
  std::vector<ImportResult> results(rows.size());
  std::vector<std::optional<Record>> records(rows.size());
  const std::string day = today();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    results[i].line = rows[i].line;
    auto parsed = parse_record(rows[i].data, day);
    if (!parsed) {
      results[i].kind = ImportResult::Kind::rejected;
      results[i].errors = parsed.error().fields;
      continue;
    }
    stamp_consents(parsed->record, nullptr);
    records[i] = std::move(parsed->record);
  }
  const std::string now = core::to_iso8601(clock_.now());
  // Encrypt and index every row before the write transaction: the store has one writer,
  // and this is most of the work (a row that turns out to be a duplicate is dropped).
  PracticeKeys keys;
  auto looked_up = store::with_practice_transaction(store_, practice_id, TxMode::read_only,
                                                    [&](Transaction& tx) -> core::Result<void> {
                                                      auto k = practice_keys(tx, practice_id);
                                                      if (!k) return tl::unexpected(k.error());
                                                      keys = *k;
                                                      return {};
                                                    });
  if (!looked_up) return tl::unexpected(looked_up.error());
  struct Prepared {
    store::PatientRow row;
    std::vector<store::IndexTerm> terms;
  };
  std::vector<std::optional<Prepared>> prepared(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!records[i]) continue;
    prepared[i] = Prepared{new_row(keys, practice_id, "active", *records[i], now),
                           keys.index->terms(*records[i])};
  }
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        std::vector<audit::Event> created;
        std::vector<store::NewPatient> accepted;
        // The identity keys of the rows accepted so far: a file may name a patient twice.
        std::unordered_set<std::string> batch_keys;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (!records[i]) continue;
          auto dup = duplicates(tx, keys, practice_id, *records[i]);
          if (!dup) return tl::unexpected(dup.error());
          const auto identity = identity_keys(*records[i]);
          if (!dup->empty() || std::any_of(identity.begin(), identity.end(), [&](const auto& k) {
                return batch_keys.contains(k.second);
              })) {
            results[i].kind = ImportResult::Kind::already_present;
            continue;
          }
          for (const auto& k : identity) batch_keys.insert(k.second);
          accepted.push_back({&prepared[i]->row, prepared[i]->terms});
          results[i].kind = ImportResult::Kind::created;
          created.push_back({"patient.create", "patient", prepared[i]->row.id});
        }
        // All at once: the index entries of the whole batch in key order.
        if (auto ins = tx.patients().insert_many(accepted); !ins) return ins;
        auto a = trail_.record(tx, practice_id, context, created);
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return results;
}

core::Result<Patient> PatientService::get(const audit::Context& context,
                                          std::string_view practice_id, std::string_view id) {
  std::optional<Patient> out;
  std::optional<audit::Context> reader;
  auto r = store::with_practice_transaction(store_, practice_id, TxMode::read_only,
                                            [&](Transaction& tx) -> core::Result<void> {
                                              auto row = tx.patients().find(practice_id, id);
                                              if (!row) return tl::unexpected(row.error());
                                              if (!*row) return tl::unexpected(not_found());
                                              auto allowed = access(tx, context, **row);
                                              if (!allowed) return tl::unexpected(allowed.error());
                                              reader = std::move(*allowed);
                                              auto keys = practice_keys(tx, practice_id);
                                              if (!keys) return tl::unexpected(keys.error());
                                              auto p = decrypt(*keys, std::move(**row));
                                              if (!p) return tl::unexpected(p.error());
                                              out = std::move(*p);
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  if (auto a = record_shown(*reader, practice_id, {"patient.read", "patient", std::string(id)});
      !a) {
    return tl::unexpected(a.error());
  }
  // Stored records were valid when written; a KVNR warning is recomputed for display.
  if (!out->record.insurance.kvnr.empty() &&
      !core::kvnr_check_digit_ok(out->record.insurance.kvnr)) {
    out->warnings.push_back({"insurance.kvnr", "check_digit",
                             "Die Prüfziffer stimmt nicht; bitte prüfen. / The check digit does "
                             "not match; please check."});
  }
  return std::move(*out);
}

core::Result<bool> PatientService::exists(std::string_view practice_id, std::string_view id) {
  bool found = false;
  auto r = store::with_practice_transaction(store_, practice_id, TxMode::read_only,
                                            [&](Transaction& tx) -> core::Result<void> {
                                              auto row = tx.patients().find(practice_id, id);
                                              if (!row) return tl::unexpected(row.error());
                                              found = row->has_value();
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  return found;
}

core::Result<Patient> PatientService::update(const audit::Context& context,
                                             std::string_view practice_id, std::string_view id,
                                             std::int64_t expected_version,
                                             const json::object& patch) {
  std::optional<Patient> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto row = tx.patients().find(practice_id, id);
        if (!row) return tl::unexpected(row.error());
        if (!*row) return tl::unexpected(not_found());
        if ((*row)->version != expected_version) {
          return core::fail(
              ErrorCode::precondition_failed,
              "Der Datensatz wurde inzwischen geändert; bitte neu laden. / The record "
              "was changed meanwhile; please reload.");
        }
        if ((*row)->status == "merged" || (*row)->status == "deleted") {
          return core::fail(ErrorCode::conflict,
                            "Gelöschte oder zusammengeführte Patienten werden nicht bearbeitet. / "
                            "Deleted or merged patients cannot be edited.");
        }
        auto writer = access(tx, context, **row);
        if (!writer) return tl::unexpected(writer.error());
        auto keys = practice_keys(tx, practice_id);
        if (!keys) return tl::unexpected(keys.error());
        auto current = decrypt(*keys, std::move(**row));
        if (!current) return tl::unexpected(current.error());
        // "restricted" is a flag on the row, not part of the encrypted record.
        json::object record_patch = patch;
        std::optional<bool> restricted;
        if (const auto* flag = record_patch.if_contains("restricted")) {
          if (!flag->is_bool()) {
            auto e = core::Error::make(ErrorCode::invalid_input, "restricted: true oder false.");
            e.fields.push_back({"restricted", "type", "true oder false / true or false"});
            return tl::unexpected(e);
          }
          restricted = flag->as_bool();
          record_patch.erase("restricted");
        }
        json::object document = to_json(current->record);
        merge_patch(document, record_patch);
        auto parsed = parse_record(document, today());
        if (!parsed) return tl::unexpected(parsed.error());
        Record record = std::move(parsed->record);
        stamp_consents(record, &current->record);
        store::PatientRow updated = current->row;
        updated.updated_at = core::to_iso8601(clock_.now());
        if (restricted) updated.restricted = *restricted;
        auto cipher = encrypt(*keys, updated, record);
        if (!cipher) return tl::unexpected(cipher.error());
        updated.record = std::move(*cipher);
        if (updated.status == "new") updated.status = "active";  // staff have looked at it
        const auto old_terms = keys->index->terms(current->record);
        const auto terms = keys->index->terms(record);
        if (auto u = tx.patients().update(updated, store::IndexChange{old_terms, terms}); !u) {
          return u;
        }
        if (auto a = trail_.record(tx, practice_id, *writer,
                                   {restricted && *restricted != current->row.restricted
                                        ? (*restricted ? "patient.restrict" : "patient.unrestrict")
                                        : "patient.update",
                                    "patient", std::string(id)});
            !a) {
          return tl::unexpected(a.error());
        }
        ++updated.version;
        out = Patient{std::move(updated), std::move(record), std::move(parsed->warnings)};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return std::move(*out);
}

core::Result<Patient> PatientService::remove(const audit::Context& context,
                                             std::string_view practice_id, std::string_view id,
                                             std::optional<std::int64_t> expected_version) {
  if (delete_guard_) {
    if (auto ok = delete_guard_->admit(context, practice_id); !ok)
      return tl::unexpected(ok.error());
  }
  std::optional<Patient> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto row = tx.patients().find(practice_id, id);
        if (!row) return tl::unexpected(row.error());
        if (!*row || (*row)->status == "merged") return tl::unexpected(not_found());
        if (expected_version && *expected_version != (*row)->version) {
          return core::fail(ErrorCode::precondition_failed,
                            "Der Datensatz wurde inzwischen geändert. / The record was changed.");
        }
        auto writer = access(tx, context, **row);
        if (!writer) return tl::unexpected(writer.error());
        store::PatientRow updated = **row;
        if (updated.status != "deleted") {
          // The record's index entries go (deleted records are not found by search).
          auto keys = practice_keys(tx, practice_id);
          if (!keys) return tl::unexpected(keys.error());
          auto current = decrypt(*keys, **row);
          if (!current) return tl::unexpected(current.error());
          const auto old_terms = keys->index->terms(current->record);
          updated.status = "deleted";
          updated.deleted_at = core::to_iso8601(clock_.now());
          updated.updated_at = *updated.deleted_at;
          if (auto u = tx.patients().update(updated, store::IndexChange{old_terms, {}}); !u)
            return u;
          ++updated.version;
          auto a =
              trail_.record(tx, practice_id, *writer, {"patient.delete", "patient", updated.id});
          if (!a) return tl::unexpected(a.error());
        }
        out = Patient{std::move(updated), {}, {}};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return std::move(*out);
}

core::Result<Patient> PatientService::restore(const audit::Context& context,
                                              std::string_view practice_id, std::string_view id) {
  std::optional<Patient> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto row = tx.patients().find(practice_id, id);
        if (!row) return tl::unexpected(row.error());
        if (!*row) return tl::unexpected(not_found());
        if ((*row)->status != "deleted") {
          return core::fail(ErrorCode::conflict,
                            "Der Patient ist nicht gelöscht. / The patient is not deleted.");
        }
        const auto deleted = core::parse_iso8601((*row)->deleted_at.value_or(""));
        if (!deleted || clock_.now() - *deleted > options_.restore_period) {
          return core::fail(ErrorCode::conflict,
                            "Die Frist zur Wiederherstellung ist abgelaufen. / The restore period "
                            "has passed.");
        }
        auto writer = access(tx, context, **row);
        if (!writer) return tl::unexpected(writer.error());
        auto keys = practice_keys(tx, practice_id);
        if (!keys) return tl::unexpected(keys.error());
        auto current = decrypt(*keys, std::move(**row));
        if (!current) return tl::unexpected(current.error());
        store::PatientRow updated = current->row;
        updated.status = "active";
        updated.deleted_at.reset();
        updated.updated_at = core::to_iso8601(clock_.now());
        const auto terms = keys->index->terms(current->record);
        // A deleted record has no index entries.
        if (auto u = tx.patients().update(updated, store::IndexChange{{}, terms}); !u) {
          return u;
        }
        if (auto a = trail_.record(tx, practice_id, *writer,
                                   {"patient.restore", "patient", std::string(id)});
            !a) {
          return tl::unexpected(a.error());
        }
        ++updated.version;
        out = Patient{std::move(updated), std::move(current->record), {}};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return std::move(*out);
}

core::Result<Patient> PatientService::merge(const audit::Context& context,
                                            std::string_view practice_id, std::string_view id,
                                            std::string_view other_id) {
  if (id == other_id) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Ein Patient kann nicht mit sich selbst zusammengeführt werden. / "
                               "A patient cannot be merged into itself.");
    e.fields.push_back({"other", "same", "derselbe Patient / the same patient"});
    return tl::unexpected(e);
  }
  std::optional<Patient> out;
  bool merged_restricted = false;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto keys = practice_keys(tx, practice_id);
        if (!keys) return tl::unexpected(keys.error());
        auto load = [&](std::string_view pid) -> core::Result<Patient> {
          auto row = tx.patients().find(practice_id, pid);
          if (!row) return tl::unexpected(row.error());
          if (!*row || (*row)->status == "merged" || (*row)->status == "deleted") {
            return tl::unexpected(not_found());
          }
          return decrypt(*keys, std::move(**row));
        };
        auto keep = load(id);
        if (!keep) return tl::unexpected(keep.error());
        auto gone = load(other_id);
        if (!gone) return tl::unexpected(gone.error());
        auto writer = access(tx, context, keep->row);
        if (!writer) return tl::unexpected(writer.error());
        if (auto other = access(tx, context, gone->row); !other)
          return tl::unexpected(other.error());
        merged_restricted = keep->row.restricted || gone->row.restricted;
        // The index entries of the kept record as stored, before the merge changes it.
        const auto kept_terms = keys->index->terms(keep->record);
        Record& k = keep->record;
        const Record& g = gone->record;
        for (auto [mine, theirs] :
             {std::pair{&k.title, &g.title}, std::pair{&k.name_prefix, &g.name_prefix},
              std::pair{&k.name_suffix, &g.name_suffix}, std::pair{&k.sex, &g.sex},
              std::pair{&k.email, &g.email},
              std::pair{&k.insurance.insurer_name, &g.insurance.insurer_name},
              std::pair{&k.insurance.ik, &g.insurance.ik},
              std::pair{&k.insurance.kvnr, &g.insurance.kvnr},
              std::pair{&k.insurance.kind, &g.insurance.kind}}) {
          if (mine->empty()) *mine = *theirs;
        }
        if (k.address.street.empty() && k.address.city.empty()) k.address = g.address;
        for (const auto& p : g.phones) {
          const bool known = std::any_of(k.phones.begin(), k.phones.end(),
                                         [&](const Phone& q) { return q.number == p.number; });
          if (!known && k.phones.size() < kMaxPhones) k.phones.push_back(p);
        }
        if (!g.note.empty() && k.note.find(g.note) == std::string::npos) {
          std::string joined = k.note.empty() ? g.note : k.note + "\n" + g.note;
          if (core::utf8_length(joined) <= kMaxNote) k.note = std::move(joined);
        }
        if (!k.email_reminders.given && g.email_reminders.given)
          k.email_reminders = g.email_reminders;
        if (!k.sms_reminders.given && g.sms_reminders.given) k.sms_reminders = g.sms_reminders;

        const std::string now = core::to_iso8601(clock_.now());
        // The other record's appointments (past and future) belong to the one kept.
        auto moved = tx.scheduling().reassign_patient(practice_id, other_id, id, now);
        if (!moved) return tl::unexpected(moved.error());
        store::PatientRow merged = gone->row;
        merged.status = "merged";
        merged.merged_into = std::string(id);
        merged.updated_at = now;
        const auto gone_terms = keys->index->terms(gone->record);
        if (auto u = tx.patients().update(merged, store::IndexChange{gone_terms, {}}); !u) return u;

        store::PatientRow updated = keep->row;
        updated.updated_at = now;
        updated.restricted = merged_restricted;  // a merge never lifts a restriction
        auto cipher = encrypt(*keys, updated, k);
        if (!cipher) return tl::unexpected(cipher.error());
        updated.record = std::move(*cipher);
        const auto terms = keys->index->terms(k);
        if (auto u = tx.patients().update(updated, store::IndexChange{kept_terms, terms}); !u) {
          return u;
        }
        ++updated.version;
        const std::vector<audit::Event> events{{"patient.merge", "patient", std::string(id)},
                                               {"patient.merge", "patient", std::string(other_id)}};
        if (auto a = trail_.record(tx, practice_id, *writer, events); !a) {
          return tl::unexpected(a.error());
        }
        out = Patient{std::move(updated), std::move(k), {}};
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return std::move(*out);
}

namespace {

core::Error bad_cursor() {
  auto e = core::Error::make(ErrorCode::invalid_input, "Ungültiger Cursor. / Invalid cursor.");
  e.fields.push_back({"cursor", "invalid", "Ungültiger Cursor. / Invalid cursor."});
  return e;
}

// The ranks of one query term, best first: which index entries each rank looks up.
std::vector<std::vector<store::IndexTerm>> stages_of(const QueryTerm& term,
                                                     const PracticeIndex& index) {
  auto t = [&](TermKind kind, std::string_view value) {
    return store::IndexTerm{static_cast<std::int64_t>(kind), index.hash(kind, value)};
  };
  std::vector<std::vector<store::IndexTerm>> stages;
  switch (term.type) {
    case QueryTerm::Type::name:
      stages.push_back({t(TermKind::family, term.value), t(TermKind::given, term.value)});
      if (term.value.size() >= kMinPrefix && term.value.size() <= kMaxPrefix) {
        stages.push_back({t(TermKind::prefix, term.value)});
      }
      if (!term.phonetic.empty()) stages.push_back({t(TermKind::phonetic, term.phonetic)});
      break;
    case QueryTerm::Type::birth_date:
      stages.push_back({t(TermKind::birth_date, term.value)});
      break;
    case QueryTerm::Type::birth_year:
      stages.push_back({t(TermKind::birth_year, term.value)});
      break;
    case QueryTerm::Type::phone:
      stages.push_back({t(TermKind::phone, term.value)});
      break;
    case QueryTerm::Type::email:
      stages.push_back({t(TermKind::email, term.value)});
      break;
    case QueryTerm::Type::kvnr:
      stages.push_back({t(TermKind::kvnr, term.value)});
      break;
  }
  return stages;
}

}  // namespace

namespace {

// The decrypted candidates of a page that matched every term, and what orders them.
class Candidates {
 public:
  explicit Candidates(std::size_t expected) {
    patients_.reserve(expected);
    order_.reserve(expected);
  }
  std::size_t size() const { return patients_.size(); }
  // Keeps `p` with its rank for all `terms` (their sum); drops a blind-index false positive.
  void offer(Patient&& p, std::span<const QueryTerm> terms) {
    Names names = names_of(p.record);
    int total = 0;
    for (const auto& term : terms) {
      auto rank = match_rank(p.record, names, term);
      if (!rank) return;
      total += *rank;
    }
    order_.push_back({total, std::move(names.sort_key) + p.record.birth_date, patients_.size()});
    patients_.push_back(std::move(p));
  }
  // Onto the page by rank, then name; each record moved once.
  void fill(SearchPage& page) {
    std::stable_sort(order_.begin(), order_.end(), [](const Order& a, const Order& b) {
      return a.rank != b.rank ? a.rank < b.rank : a.sort_key < b.sort_key;
    });
    page.patients.reserve(page.patients.size() + order_.size());
    for (const auto& o : order_) page.patients.push_back(std::move(patients_[o.index]));
  }

 private:
  struct Order {
    int rank;
    std::string sort_key;
    std::size_t index;  // into patients_
  };
  std::vector<Patient> patients_;
  std::vector<Order> order_;
};

bool searchable(const store::PatientRow& row) {
  return row.status != "merged" && row.status != "deleted";
}

// Offers each searchable one of `rows` to `found`, in the order of `order` (`id_of` gives
// an element's patient id; `open` decrypts a row).
template <typename T, typename IdOf, typename Open>
core::Result<void> offer_in_order(std::vector<store::PatientRow>& rows, std::span<const T> order,
                                  IdOf&& id_of, std::span<const QueryTerm> terms, Candidates& found,
                                  Open&& open) {
  for (const auto& o : order) {
    const std::string& id = id_of(o);
    auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.id == id; });
    if (it == rows.end() || !searchable(*it)) continue;
    auto p = open(std::move(*it));
    if (!p) return tl::unexpected(p.error());
    found.offer(std::move(*p), terms);
  }
  return {};
}

// Reads the rows of `ids` and offers them to `found` in that order. The callers ask for no
// more ids than the page misses.
template <typename Open>
core::Result<void> offer_rows(Transaction& tx, std::string_view practice_id,
                              std::span<const std::string> ids, std::span<const QueryTerm> terms,
                              Candidates& found, Open&& open) {
  auto rows = tx.patients().find_many(practice_id, ids);
  if (!rows) return tl::unexpected(rows.error());
  return offer_in_order(
      *rows, ids, [](const std::string& id) -> const std::string& { return id; }, terms, found,
      open);
}

// The same for the matches of one search rank, read where the index says they lie.
template <typename Open>
core::Result<void> offer_matches(Transaction& tx, std::string_view practice_id,
                                 std::span<const store::IndexMatch> matches,
                                 std::span<const QueryTerm> terms, Candidates& found, Open&& open) {
  auto rows = tx.patients().find_matched(practice_id, matches);
  if (!rows) return tl::unexpected(rows.error());
  return offer_in_order(
      *rows, matches, [](const store::IndexMatch& m) -> const std::string& { return m.patient_id; },
      terms, found, open);
}

}  // namespace

// A single-term search pages rank by rank in the database: the candidates of rank r are
// those with an entry of r's lookups and none of the better ranks' lookups, in id order.
// The first page of "Müller" in a practice of 100,000 reads about 20 index entries, not
// the thousands that match. Cursor: "s<rank>.<last id shown>".
core::Result<void> PatientService::search_one_term(Transaction& tx, const PracticeKeys& keys,
                                                   std::string_view practice_id,
                                                   const QueryTerm& term, std::string_view cursor,
                                                   std::size_t limit, SearchPage& page) {
  const auto stages = stages_of(term, *keys.index);
  std::size_t stage = 0;
  std::string after;
  if (!cursor.empty()) {
    const auto dot = cursor.find('.');
    if (cursor.front() != 's' || dot == std::string_view::npos) return tl::unexpected(bad_cursor());
    auto [p, ec] = std::from_chars(cursor.data() + 1, cursor.data() + dot, stage);
    if (ec != std::errc() || p != cursor.data() + dot || stage >= stages.size()) {
      return tl::unexpected(bad_cursor());
    }
    after = std::string(cursor.substr(dot + 1));
  }
  // A rank whose lookups found nobody from its start (with the better ranks excluded) needs
  // no exclusion later: whoever has one of its entries is excluded by a better rank anyway.
  // "Schm" has no exact match, so its prefix rank is read without a probe of the two
  // exact lookups per candidate. (A page that starts from a cursor does not know this of
  // the ranks before it and excludes them all.)
  std::vector<bool> found_nobody(stages.size(), false);
  auto excluded = [&](std::size_t upto) {
    std::vector<store::IndexTerm> out;
    for (std::size_t i = 0; i < upto; ++i) {
      if (!found_nobody[i]) out.insert(out.end(), stages[i].begin(), stages[i].end());
    }
    return out;
  };
  Candidates found(limit);
  auto open = [&](store::PatientRow row) { return decrypt(keys, std::move(row)); };
  bool more_in_stage = false;
  while (stage < stages.size() && found.size() < limit) {
    // The ids the page still needs are read and decrypted; one more id tells whether the
    // rank goes on. A blind-index false positive (rare) leaves a gap the next round fills.
    const std::size_t need = limit - found.size();
    const std::size_t want = need + 1;
    const auto exclude = excluded(stage);
    auto matches = tx.patients().next_matches(practice_id, stages[stage], exclude, after,
                                              static_cast<std::int64_t>(want));
    if (!matches) return tl::unexpected(matches.error());
    if (matches->empty() && after.empty()) found_nobody[stage] = true;
    const auto page_matches =
        std::span<const store::IndexMatch>(*matches).first(std::min(need, matches->size()));
    if (auto o = offer_matches(tx, practice_id, page_matches, std::span(&term, 1), found, open);
        !o) {
      return o;
    }
    if (!page_matches.empty()) after = page_matches.back().patient_id;
    more_in_stage = false;
    if (page_matches.size() < matches->size()) {
      more_in_stage = true;  // the page filled up before this batch did
    } else if (matches->size() < want) {
      ++stage;  // this rank is exhausted
      after.clear();
    }
  }
  found.fill(page);
  // Is there anything after this page? The last batch tells for the current rank when
  // it was not used up; otherwise one cheap look per remaining rank.
  if (more_in_stage) {
    page.next_cursor = "s" + std::to_string(stage) + "." + after;
    return {};
  }
  for (std::size_t s = stage; s < stages.size(); ++s) {
    const auto exclude = excluded(s);
    auto more = tx.patients().next_matches(practice_id, stages[s], exclude,
                                           s == stage ? std::string_view(after) : "", 1);
    if (!more) return tl::unexpected(more.error());
    if (!more->empty()) {
      page.next_cursor =
          s == stage ? "s" + std::to_string(s) + "." + after : "s" + std::to_string(s) + ".";
      break;
    }
  }
  return {};
}

core::Result<SearchPage> PatientService::search(const audit::Context& context,
                                                std::string_view practice_id, std::string_view q,
                                                std::string_view cursor, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, 100);
  const int year = std::stoi(today().substr(0, 4));
  const auto terms = parse_query(q, year);
  std::size_t offset = 0;
  if (!cursor.empty() && terms.size() > 1) {
    // Several terms: the cursor is a position in the ranked intersection ("o<n>").
    if (cursor.front() != 'o') return tl::unexpected(bad_cursor());
    auto [p, ec] = std::from_chars(cursor.data() + 1, cursor.data() + cursor.size(), offset);
    if (ec != std::errc() || p != cursor.data() + cursor.size()) {
      return tl::unexpected(bad_cursor());
    }
  }
  SearchPage page;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto keys = practice_keys(tx, practice_id);
        if (!keys) return tl::unexpected(keys.error());
        if (terms.empty()) {
          // No query: the practice's patients in id order (the cursor is the last id).
          auto rows = tx.patients().list(practice_id, cursor, static_cast<std::int64_t>(limit + 1));
          if (!rows) return tl::unexpected(rows.error());
          for (auto& row : *rows) {
            if (page.patients.size() == limit) {
              page.next_cursor = page.patients.back().row.id;
              break;
            }
            auto p = decrypt(*keys, std::move(row));
            if (!p) return tl::unexpected(p.error());
            page.patients.push_back(std::move(*p));
          }
          return {};
        }
        if (terms.size() == 1) {
          return search_one_term(tx, *keys, practice_id, terms.front(), cursor, limit, page);
        }
        // 1. Candidates per term with the best rank the index says (exact 0, prefix 1,
        //    phonetic 2); a patient must match every term, ranks add up.
        std::optional<std::unordered_map<std::string, int>> ranks;
        for (const auto& term : terms) {
          std::unordered_map<std::string, int> term_ranks;
          // The index terms this query term looks up, with the rank a hit on each gives.
          std::vector<store::IndexTerm> lookups;
          std::vector<std::pair<std::int64_t, int>> rank_of_kind;
          auto want = [&](TermKind kind, std::string_view value, int rank) {
            if (value.empty()) return;
            lookups.push_back({static_cast<std::int64_t>(kind), keys->index->hash(kind, value)});
            rank_of_kind.emplace_back(static_cast<std::int64_t>(kind), rank);
          };
          switch (term.type) {
            case QueryTerm::Type::name:
              want(TermKind::family, term.value, 0);
              want(TermKind::given, term.value, 0);
              if (term.value.size() >= kMinPrefix && term.value.size() <= kMaxPrefix) {
                want(TermKind::prefix, term.value, 1);
              }
              want(TermKind::phonetic, term.phonetic, 2);
              break;
            case QueryTerm::Type::birth_date:
              want(TermKind::birth_date, term.value, 0);
              break;
            case QueryTerm::Type::birth_year:
              want(TermKind::birth_year, term.value, 0);
              break;
            case QueryTerm::Type::phone:
              want(TermKind::phone, term.value, 0);
              break;
            case QueryTerm::Type::email:
              want(TermKind::email, term.value, 0);
              break;
            case QueryTerm::Type::kvnr:
              want(TermKind::kvnr, term.value, 0);
              break;
          }
          auto hits = tx.patients().match(practice_id, lookups);
          if (!hits) return tl::unexpected(hits.error());
          for (auto& hit : *hits) {
            int rank = 2;
            for (auto [kind, kind_rank] : rank_of_kind) {
              if (kind == hit.kind) rank = kind_rank;
            }
            auto [it, inserted] = term_ranks.emplace(std::move(hit.patient_id), rank);
            if (!inserted) it->second = std::min(it->second, rank);
          }
          if (!ranks) {
            ranks = std::move(term_ranks);
          } else {
            std::unordered_map<std::string, int> both;
            for (auto& [id, rank] : *ranks) {
              if (auto it = term_ranks.find(id); it != term_ranks.end())
                both.emplace(id, rank + it->second);
            }
            ranks = std::move(both);
          }
          if (ranks->empty()) break;
        }
        // 2. Order by rank, then id (random, so no order leaks); only the page is decrypted.
        std::vector<std::pair<int, std::string>> ordered;
        ordered.reserve(ranks->size());
        for (auto& [id, rank] : *ranks) ordered.emplace_back(rank, id);
        if (ordered.size() > options_.max_search_candidates) page.truncated = true;
        std::sort(ordered.begin(), ordered.end());
        // 3. Walk from the cursor, decrypting in small chunks and dropping blind-index false
        //    positives, until the page is full.
        Candidates found(limit);
        auto open = [&](store::PatientRow row) { return decrypt(*keys, std::move(row)); };
        std::size_t position = offset;
        while (position < ordered.size() && found.size() < limit) {
          const std::size_t want = std::min(ordered.size() - position, limit - found.size());
          std::vector<std::string> chunk;
          for (std::size_t i = position; i < position + want; ++i)
            chunk.push_back(ordered[i].second);
          if (auto o = offer_rows(tx, practice_id, chunk, terms, found, open); !o) return o;
          position += want;
        }
        found.fill(page);
        if (position < ordered.size()) page.next_cursor = "o" + std::to_string(position);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  std::vector<std::string> shown;
  shown.reserve(page.patients.size());
  for (auto& p : page.patients) {
    if (p.row.restricted && !context.restricted_access) {
      // A restricted record is listed without its data (and so is not a read): the
      // front desk knows it exists and can break the glass to open it.
      p.record = Record{};
      p.warnings.clear();
      p.masked = true;
      continue;
    }
    shown.push_back(p.row.id);
  }
  if (auto a = record_shown(context, practice_id, list_of(shown)); !a) {
    return tl::unexpected(a.error());
  }
  return page;
}

}  // namespace praxis::patients
