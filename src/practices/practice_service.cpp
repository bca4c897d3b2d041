#include "practices/practice_service.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "core/validation.hpp"

namespace praxis::practices {

using core::ErrorCode;

namespace {

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxAddressPart = 200;
constexpr std::size_t kIdBytes = 16;

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace

std::vector<core::FieldError> validate(const NewPractice& input) {
  std::vector<core::FieldError> errors;
  const std::string name = std::string(core::trim(input.name));
  if (name.empty())
    errors.push_back({"name", "required", "Bitte einen Namen angeben. / A name is required."});
  if (name.size() > kMaxName || has_control(name)) {
    errors.push_back({"name", "invalid",
                      "Höchstens 200 Zeichen, keine Steuerzeichen. / At most 200 characters."});
  }
  if (!core::valid_slug(input.slug)) {
    errors.push_back(
        {"slug", "invalid", "3–40 Zeichen a–z, 0–9 und '-'. / 3–40 characters a–z, 0–9 and '-'."});
  }
  if (std::none_of(std::begin(kKinds), std::end(kKinds),
                   [&](const char* k) { return input.kind == k; })) {
    errors.push_back({"kind", "invalid", "arztpraxis, zahnarztpraxis oder psychotherapie."});
  }
  if (!core::valid_bundesland(input.state)) {
    errors.push_back(
        {"state", "invalid", "Bundesland als Kürzel, z. B. BY. / Federal state code, e.g. BY."});
  }
  if (input.bsnr && !core::valid_bsnr(*input.bsnr)) {
    errors.push_back({"bsnr", "invalid", "Die BSNR hat 9 Ziffern. / The BSNR has 9 digits."});
  }
  if (!input.postcode.empty() &&
      (input.postcode.size() != 5 || !std::all_of(input.postcode.begin(), input.postcode.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; }))) {
    errors.push_back(
        {"postcode", "invalid", "Die Postleitzahl hat 5 Ziffern. / The postcode has 5 digits."});
  }
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"street", &input.street},
        {"city", &input.city}}) {
    if (value->size() > kMaxAddressPart || has_control(*value)) {
      errors.push_back({field, "invalid", "Höchstens 200 Zeichen. / At most 200 characters."});
    }
  }
  return errors;
}

PracticeService::PracticeService(store::Store& store, crypto::KeyRing& keys, audit::Trail& trail,
                                 core::Clock& clock, core::Random& random)
    : store_(store), keys_(keys), trail_(trail), clock_(clock), random_(random) {}

core::Result<store::PracticeRow> PracticeService::create(const audit::Context& context,
                                                         const NewPractice& input,
                                                         const AlsoInTransaction& also) {
  if (auto errors = validate(input); !errors.empty()) {
    auto e = core::Error::make(ErrorCode::invalid_input,
                               "Die Angaben zur Praxis sind unvollständig oder fehlerhaft. / The "
                               "practice data is incomplete or invalid.");
    e.fields = std::move(errors);
    return tl::unexpected(e);
  }
  store::PracticeRow row{core::random_hex(random_, kIdBytes),
                         input.slug,
                         std::string(core::trim(input.name)),
                         input.kind,
                         std::string(core::trim(input.street)),
                         input.postcode,
                         std::string(core::trim(input.city)),
                         input.bsnr,
                         input.state,
                         core::to_iso8601(clock_.now()),
                         1};
  auto key = keys_.create_practice_key(row.id);
  auto r = store::with_transaction(
      store_, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto existing = tx.practices().find_by_slug(row.slug);
        if (!existing) return tl::unexpected(existing.error());
        if (*existing) {
          auto e = core::Error::make(ErrorCode::conflict,
                                     "Diese Adresse ist vergeben. / This address is taken.");
          e.fields.push_back({"slug", "taken",
                              "/book/" + row.slug + " ist bereits vergeben. / is already taken."});
          return tl::unexpected(e);
        }
        if (auto inserted = tx.practices().insert(row); !inserted) return inserted;
        if (auto keyed = tx.master_wrapped_keys().insert(
                store::WrappedKeyRow{"practice:" + row.id, key.wrapped.key_id, key.wrapped.version,
                                     key.wrapped.wrapping_key_id, key.wrapped.sealed});
            !keyed) {
          return keyed;
        }
        auto a = trail_.record(tx, row.id, context, {"practice.create", "practice", row.id});
        if (!a) return tl::unexpected(a.error());
        return also ? also(tx, row) : core::Result<void>();
      });
  if (!r) return tl::unexpected(r.error());
  return row;
}

core::Result<std::vector<store::PracticeRow>> PracticeService::list() {
  std::vector<store::PracticeRow> out;
  auto r = store::with_transaction(store_, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto rows = tx.practices().list();
                                     if (!rows) return tl::unexpected(rows.error());
                                     out = std::move(*rows);
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<store::PracticeRow> PracticeService::find(std::string_view id) {
  std::optional<store::PracticeRow> found;
  auto r = store::with_transaction(store_, store::TxMode::read_only,
                                   [&](store::Transaction& tx) -> core::Result<void> {
                                     auto p = tx.practices().find(id);
                                     if (!p) return tl::unexpected(p.error());
                                     found = *p;
                                     return {};
                                   });
  if (!r) return tl::unexpected(r.error());
  if (!found)
    return core::fail(ErrorCode::not_found, "Praxis nicht gefunden. / Practice not found.");
  return *found;
}

core::Result<store::PracticeRow> PracticeService::update(const audit::Context& context,
                                                         std::string_view id,
                                                         const PracticeChange& change) {
  store::PracticeRow updated;
  auto r = store::with_transaction(
      store_, store::TxMode::read_write, [&](store::Transaction& tx) -> core::Result<void> {
        auto found = tx.practices().find(id);
        if (!found) return tl::unexpected(found.error());
        if (!*found)
          return core::fail(ErrorCode::not_found, "Praxis nicht gefunden. / Practice not found.");
        store::PracticeRow row = **found;
        if (change.expected_version && *change.expected_version != row.version) {
          return core::fail(ErrorCode::precondition_failed,
                            "Die Praxisdaten wurden inzwischen geändert; bitte neu laden. / The "
                            "practice was changed meanwhile; please reload.");
        }
        NewPractice merged{
            change.name.value_or(row.name),         row.slug,
            change.kind.value_or(row.kind),         change.state.value_or(row.state),
            change.bsnr.value_or(row.bsnr),         change.street.value_or(row.street),
            change.postcode.value_or(row.postcode), change.city.value_or(row.city)};
        if (auto errors = validate(merged); !errors.empty()) {
          auto e = core::Error::make(ErrorCode::invalid_input,
                                     "Die Praxisdaten sind fehlerhaft. / The practice data is "
                                     "invalid.");
          e.fields = std::move(errors);
          return tl::unexpected(e);
        }
        row.name = std::string(core::trim(merged.name));
        row.kind = merged.kind;
        row.state = merged.state;
        row.bsnr = merged.bsnr;
        row.street = std::string(core::trim(merged.street));
        row.postcode = merged.postcode;
        row.city = std::string(core::trim(merged.city));
        if (change.reception_second_factor_optional) {
          row.reception_second_factor_optional = *change.reception_second_factor_optional;
        }
        if (auto u = tx.practices().update(row); !u) return u;
        ++row.version;
        updated = row;
        auto a = trail_.record(tx, row.id, context, {"practice.update", "practice", row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return updated;
}

}  // namespace praxis::practices
