#include "scheduling/scheduling_service.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>
#include <map>

#include "core/random.hpp"

namespace praxis::scheduling {

namespace json = boost::json;
using core::ErrorCode;
using store::ConfigKind;
using store::Transaction;
using store::TxMode;

namespace {

constexpr std::size_t kIdBytes = 16;
constexpr std::string_view kSettingsId = "booking";

core::Error not_found(const std::string& what) {
  return core::Error::make(ErrorCode::not_found, what + " nicht gefunden. / Not found.");
}

core::Error bad_field(std::string message, std::string field, std::string detail) {
  auto e = core::Error::make(ErrorCode::invalid_input, std::move(message));
  e.fields.push_back({std::move(field), "invalid", std::move(detail)});
  return e;
}

std::string_view what(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::practitioner:
      return "practitioner";
    case ConfigKind::resource:
      return "resource";
    case ConfigKind::appointment_type:
      return "appointment_type";
    case ConfigKind::working_plan:
      return "working_plan";
    case ConfigKind::settings:
      return "booking_rules";
    case ConfigKind::notification_template:
      return "notification_template";
  }
  return "config";
}

std::int64_t seconds(Instant t) { return t.time_since_epoch().count(); }
Instant instant(std::int64_t s) { return Instant(std::chrono::seconds(s)); }

core::Result<SettingsDoc> load_settings(Transaction& tx, std::string_view practice_id) {
  auto row = tx.scheduling().find_config(ConfigKind::settings, practice_id, kSettingsId);
  if (!row) return tl::unexpected(row.error());
  if (!*row) return SettingsDoc{};
  return parse_settings(json::parse((*row)->data).as_object());
}

// Everything the slot engine needs about a practice for the local dates [from, to].
struct Inputs {
  PracticeCalendar calendar;
  std::vector<PractitionerPlan> plans;
  std::vector<ResourceUse> resources;
  SettingsDoc settings;
  // Whose busy times were read, and for which span (seconds): what a cached answer
  // depends on (AvailabilityCache).
  std::vector<std::string> owners;
  std::int64_t window_from = 0;
  std::int64_t window_to = 0;
};

}  // namespace

// What the slot engine needs about a practice that changes only with its configuration:
// read once and kept (SchedulingService::snapshot) for the availability hot path.
struct SchedulingService::Snapshot {
  std::string state;  // Bundesland
  SettingsDoc settings;
  std::vector<PractitionerPlan> plans;  // active plans, without busy times
  std::map<std::string, std::pair<TypeDoc, bool>, std::less<>> types;  // by id: doc, active
  std::uint64_t generation = 0;
  std::chrono::steady_clock::time_point loaded;
};

namespace {

core::Result<std::shared_ptr<SchedulingService::Snapshot>> load_snapshot(
    Transaction& tx, std::string_view practice_id) {
  auto out = std::make_shared<SchedulingService::Snapshot>();
  auto practice = tx.practices().find(practice_id);
  if (!practice) return tl::unexpected(practice.error());
  if (!*practice) return tl::unexpected(not_found("Praxis"));
  out->state = (*practice)->state;
  auto settings = load_settings(tx, practice_id);
  if (!settings) return tl::unexpected(settings.error());
  out->settings = std::move(*settings);
  auto plans = tx.scheduling().list_config(ConfigKind::working_plan, practice_id);
  if (!plans) return tl::unexpected(plans.error());
  for (const auto& row : *plans) {
    if (!row.active) continue;
    auto plan = parse_plan(json::parse(row.data).as_object());
    if (!plan) return tl::unexpected(plan.error());
    out->plans.push_back({row.id, std::move(plan->rules), {}});
  }
  auto types = tx.scheduling().list_config(ConfigKind::appointment_type, practice_id);
  if (!types) return tl::unexpected(types.error());
  for (const auto& row : *types) {
    auto type = parse_type(json::parse(row.data).as_object());
    if (!type) return tl::unexpected(type.error());
    out->types.try_emplace(row.id, std::move(*type), row.active);
  }
  return out;
}

// The snapshot's plans and calendar for the local dates [from, to].
Inputs inputs_from(const SchedulingService::Snapshot& snap, const date::time_zone* zone,
                   date::local_days from, date::local_days to) {
  Inputs in;
  in.calendar.zone = zone;
  in.settings = snap.settings;
  for (int y = int(date::year_month_day(from).year()); y <= int(date::year_month_day(to).year());
       ++y) {
    for (const auto& h : holidays(y, snap.state, in.settings.regional)) {
      in.calendar.closed.insert(date::local_days(h.day.time_since_epoch()));
    }
  }
  in.calendar.closed.insert(in.settings.closing_days.begin(), in.settings.closing_days.end());
  in.plans = snap.plans;
  return in;
}

// Appointments, absences and resource use around [from, to] as busy times: of the
// practitioners that can take `type` (only `practitioner` when given) and of the
// resources it needs, each read through its own index range.
core::Result<void> add_busy(Transaction& tx, std::string_view practice_id,
                            const date::time_zone* zone, date::local_days from, date::local_days to,
                            const TypeDoc& type, const std::optional<std::string>& practitioner,
                            Inputs& in) {
  // A day on either side covers every offset of the zone.
  const auto lo = seconds(zone->to_sys(from - date::days(1), date::choose::earliest));
  const auto hi = seconds(zone->to_sys(to + date::days(2), date::choose::earliest));
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < in.plans.size(); ++i) {
    const auto& id = in.plans[i].id;
    const bool offers = std::find(type.practitioners.begin(), type.practitioners.end(), id) !=
                        type.practitioners.end();
    if (offers && (!practitioner || *practitioner == id)) index[id] = i;
  }
  in.window_from = lo;
  in.window_to = hi;
  for (const auto& [id, at] : index) {
    in.owners.push_back(id);
    auto busy = tx.scheduling().practitioner_busy(practice_id, id, lo, hi);
    if (!busy) return tl::unexpected(busy.error());
    for (const auto& b : *busy) in.plans[at].busy.push_back({instant(b.start), instant(b.end)});
  }
  auto absent = tx.scheduling().list_absences(practice_id, lo, hi);
  if (!absent) return tl::unexpected(absent.error());
  for (const auto& a : *absent) {
    if (auto it = index.find(a.practitioner_id); it != index.end()) {
      in.plans[it->second].busy.push_back({instant(a.starts_at), instant(a.ends_at)});
    }
  }
  for (const auto& resource : type.resources) {
    in.owners.push_back(resource);
    auto used = tx.scheduling().resource_busy(practice_id, resource, lo, hi);
    if (!used) return tl::unexpected(used.error());
    ResourceUse use{resource, {}};
    for (const auto& u : *used) use.busy.push_back({instant(u.start), instant(u.end)});
    in.resources.push_back(std::move(use));
  }
  return {};
}

// The practitioner and resources an appointment holds.
std::vector<std::string> owners_of(const store::AppointmentRow& row) {
  std::vector<std::string> out{row.practitioner_id};
  out.insert(out.end(), row.resources.begin(), row.resources.end());
  return out;
}

SlotType slot_type(const TypeDoc& t) {
  SlotType s;
  s.duration = std::chrono::minutes(t.duration_minutes);
  s.buffer_before = std::chrono::minutes(t.buffer_before_minutes);
  s.buffer_after = std::chrono::minutes(t.buffer_after_minutes);
  s.practitioners = t.practitioners;
  s.resources = t.resources;
  return s;
}

bool known_status(std::string_view s) {
  return s == "booked" || s == "arrived" || s == "fulfilled" || s == "noshow" || s == "cancelled";
}

// FHIR Appointment statuses as a practice uses them: booked → arrived → fulfilled,
// booked → noshow, and cancelled from any status that still holds the time.
bool allowed(std::string_view from, std::string_view to) {
  if (from == to) return true;
  if (to == "cancelled") return from == "booked" || from == "arrived";
  if (from == "booked") return to == "arrived" || to == "noshow";
  if (from == "arrived") return to == "fulfilled" || to == "booked";
  return false;
}

}  // namespace

SchedulingService::SchedulingService(store::Store& store, audit::Trail& trail, core::Clock& clock,
                                     core::Random& random)
    : store_(store),
      trail_(trail),
      clock_(clock),
      random_(random),
      zone_(date::locate_zone("Europe/Berlin")) {}

core::Result<ConfigView> SchedulingService::view(ConfigKind kind, store::ConfigRow row) const {
  ConfigView v;
  v.doc = json::parse(row.data).as_object();
  if (kind == ConfigKind::practitioner) (void)parse_practitioner(v.doc, &v.warnings);
  v.row = std::move(row);
  return v;
}

// Parses and cross-checks a document against the practice's other configuration:
// a type's practitioners and resources, a practitioner's user account must exist.
core::Result<json::object> SchedulingService::normalise(Transaction& tx,
                                                        std::string_view practice_id,
                                                        ConfigKind kind, const json::object& body,
                                                        std::vector<core::FieldError>& warnings) {
  auto exists = [&](ConfigKind k, const std::string& id) -> core::Result<bool> {
    auto row = tx.scheduling().find_config(k, practice_id, id);
    if (!row) return tl::unexpected(row.error());
    return row->has_value();
  };
  switch (kind) {
    case ConfigKind::practitioner: {
      auto d = parse_practitioner(body, &warnings);
      if (!d) return tl::unexpected(d.error());
      if (!d->user_id.empty()) {
        auto user = tx.users().find(practice_id, d->user_id);
        if (!user) return tl::unexpected(user.error());
        if (!*user) {
          return tl::unexpected(
              bad_field("Unbekanntes Konto. / Unknown account.", "user_id",
                        "kein Konto dieser Praxis / no account of this practice"));
        }
      }
      return to_json(*d);
    }
    case ConfigKind::resource: {
      auto d = parse_resource(body);
      if (!d) return tl::unexpected(d.error());
      return to_json(*d);
    }
    case ConfigKind::appointment_type: {
      auto d = parse_type(body);
      if (!d) return tl::unexpected(d.error());
      auto e = core::Error::make(ErrorCode::invalid_input,
                                 "Der Termintyp verweist auf Unbekanntes. / The appointment type "
                                 "refers to something unknown.");
      for (std::size_t i = 0; i < d->practitioners.size(); ++i) {
        auto ok = exists(ConfigKind::practitioner, d->practitioners[i]);
        if (!ok) return tl::unexpected(ok.error());
        if (!*ok) e.fields.push_back({"practitioners[" + std::to_string(i) + "]", "unknown", "?"});
      }
      for (std::size_t i = 0; i < d->resources.size(); ++i) {
        auto ok = exists(ConfigKind::resource, d->resources[i]);
        if (!ok) return tl::unexpected(ok.error());
        if (!*ok) e.fields.push_back({"resources[" + std::to_string(i) + "]", "unknown", "?"});
      }
      if (!e.fields.empty()) return tl::unexpected(e);
      return to_json(*d);
    }
    case ConfigKind::working_plan: {
      auto d = parse_plan(body);
      if (!d) return tl::unexpected(d.error());
      return to_json(*d);
    }
    case ConfigKind::settings: {
      auto d = parse_settings(body);
      if (!d) return tl::unexpected(d.error());
      return to_json(*d);
    }
    case ConfigKind::notification_template:
      break;  // the notification service's (src/notify/)
  }
  return tl::unexpected(core::Error::make(ErrorCode::internal, "", "unknown config kind"));
}

core::Result<ConfigView> SchedulingService::written(std::string_view practice_id, ConfigKind kind,
                                                    store::ConfigRow row,
                                                    std::vector<core::FieldError> warnings) {
  changed(practice_id);
  auto v = view(kind, std::move(row));
  if (v) v->warnings = std::move(warnings);
  return v;
}

core::Result<ConfigView> SchedulingService::create(const audit::Context& context,
                                                   std::string_view practice_id, ConfigKind kind,
                                                   const json::object& body) {
  std::vector<core::FieldError> warnings;
  store::ConfigRow row;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        warnings.clear();
        auto doc = normalise(tx, practice_id, kind, body, warnings);
        if (!doc) return tl::unexpected(doc.error());
        const std::string now = core::to_iso8601(clock_.now());
        row = {std::string(practice_id),
               core::random_hex(random_, kIdBytes),
               json::serialize(*doc),
               true,
               now,
               now,
               1};
        if (auto ins = tx.scheduling().insert_config(kind, row); !ins) return ins;
        auto a = trail_.record(tx, practice_id, context,
                               {"scheduling.create", std::string(what(kind)), row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return written(practice_id, kind, std::move(row), std::move(warnings));
}

core::Result<ConfigView> SchedulingService::update(const audit::Context& context,
                                                   std::string_view practice_id, ConfigKind kind,
                                                   std::string_view id,
                                                   std::int64_t expected_version,
                                                   const json::object& patch) {
  std::vector<core::FieldError> warnings;
  store::ConfigRow row;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        warnings.clear();
        auto found = tx.scheduling().find_config(kind, practice_id, id);
        if (!found) return tl::unexpected(found.error());
        if (!*found) return tl::unexpected(not_found("Eintrag"));
        row = **found;
        if (row.version != expected_version) {
          return core::fail(
              ErrorCode::precondition_failed,
              "Der Eintrag wurde inzwischen geändert; bitte neu laden. / The entry was "
              "changed meanwhile; please reload.");
        }
        json::object doc = json::parse(row.data).as_object();
        for (const auto& [key, value] : patch) {
          if (key == "active") continue;
          if (value.is_null()) {
            doc.erase(key);
          } else {
            doc[key] = value;
          }
        }
        if (const auto* active = patch.if_contains("active")) {
          if (!active->is_bool()) {
            return tl::unexpected(bad_field("active: true oder false.", "active", "true / false"));
          }
          row.active = active->as_bool();
        }
        auto normal = normalise(tx, practice_id, kind, doc, warnings);
        if (!normal) return tl::unexpected(normal.error());
        row.data = json::serialize(*normal);
        row.updated_at = core::to_iso8601(clock_.now());
        if (auto u = tx.scheduling().update_config(kind, row); !u) return u;
        ++row.version;
        auto a = trail_.record(tx, practice_id, context,
                               {"scheduling.update", std::string(what(kind)), row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return written(practice_id, kind, std::move(row), std::move(warnings));
}

core::Result<std::optional<store::ConfigRow>> SchedulingService::find(std::string_view practice_id,
                                                                      ConfigKind kind,
                                                                      std::string_view id) {
  std::optional<store::ConfigRow> row;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto found = tx.scheduling().find_config(kind, practice_id, id);
        if (!found) return tl::unexpected(found.error());
        row = std::move(*found);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return row;
}

core::Result<ConfigView> SchedulingService::single(std::string_view practice_id, ConfigKind kind,
                                                   std::string_view id,
                                                   const json::object& fallback) {
  auto row = find(practice_id, kind, id);
  if (!row) return tl::unexpected(row.error());
  // Version 0: not set yet; the defaults apply.
  if (!*row) {
    return ConfigView{
        {std::string(practice_id), std::string(id), json::serialize(fallback), true, "", "", 0},
        fallback,
        {}};
  }
  return view(kind, std::move(**row));
}

core::Result<ConfigView> SchedulingService::get(std::string_view practice_id, ConfigKind kind,
                                                std::string_view id) {
  auto row = find(practice_id, kind, id);
  if (!row) return tl::unexpected(row.error());
  if (!*row) return tl::unexpected(not_found("Eintrag"));
  return view(kind, std::move(**row));
}

core::Result<std::vector<ConfigView>> SchedulingService::list(std::string_view practice_id,
                                                              ConfigKind kind) {
  std::vector<store::ConfigRow> rows;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto listed = tx.scheduling().list_config(kind, practice_id);
        if (!listed) return tl::unexpected(listed.error());
        rows = std::move(*listed);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  std::vector<ConfigView> out;
  for (auto& row : rows) {
    auto v = view(kind, std::move(row));
    if (!v) return tl::unexpected(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

core::Result<ConfigView> SchedulingService::working_plan(std::string_view practice_id,
                                                         std::string_view practitioner_id) {
  auto practitioner = find(practice_id, ConfigKind::practitioner, practitioner_id);
  if (!practitioner) return tl::unexpected(practitioner.error());
  if (!*practitioner) return tl::unexpected(not_found("Behandler"));
  return single(practice_id, ConfigKind::working_plan, practitioner_id, to_json(PlanDoc{}));
}

core::Result<ConfigView> SchedulingService::put_single(const audit::Context& context,
                                                       std::string_view practice_id,
                                                       ConfigKind kind, std::string_view id,
                                                       std::optional<std::int64_t> expected,
                                                       const json::object& body) {
  std::vector<core::FieldError> warnings;
  store::ConfigRow row;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        warnings.clear();
        if (kind == ConfigKind::working_plan) {
          auto p = tx.scheduling().find_config(ConfigKind::practitioner, practice_id, id);
          if (!p) return tl::unexpected(p.error());
          if (!*p) return tl::unexpected(not_found("Behandler"));
        }
        auto doc = normalise(tx, practice_id, kind, body, warnings);
        if (!doc) return tl::unexpected(doc.error());
        auto found = tx.scheduling().find_config(kind, practice_id, id);
        if (!found) return tl::unexpected(found.error());
        const std::int64_t current = *found ? (*found)->version : 0;
        if (expected && *expected != current) {
          return core::fail(ErrorCode::precondition_failed,
                            "Inzwischen geändert; bitte neu laden. / Changed meanwhile; please "
                            "reload.");
        }
        const std::string now = core::to_iso8601(clock_.now());
        if (*found) {
          row = **found;
          row.data = json::serialize(*doc);
          row.updated_at = now;
          if (auto u = tx.scheduling().update_config(kind, row); !u) return u;
          ++row.version;
        } else {
          row = {
              std::string(practice_id), std::string(id), json::serialize(*doc), true, now, now, 1};
          if (auto ins = tx.scheduling().insert_config(kind, row); !ins) return ins;
        }
        auto a = trail_.record(tx, practice_id, context,
                               {"scheduling.update", std::string(what(kind)), std::string(id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return written(practice_id, kind, std::move(row), std::move(warnings));
}

core::Result<ConfigView> SchedulingService::put_working_plan(const audit::Context& context,
                                                             std::string_view practice_id,
                                                             std::string_view practitioner_id,
                                                             std::optional<std::int64_t> expected,
                                                             const json::object& body) {
  return put_single(context, practice_id, ConfigKind::working_plan, practitioner_id, expected,
                    body);
}

core::Result<ConfigView> SchedulingService::settings(std::string_view practice_id) {
  return single(practice_id, ConfigKind::settings, kSettingsId, to_json(SettingsDoc{}));
}

core::Result<ConfigView> SchedulingService::put_settings(const audit::Context& context,
                                                         std::string_view practice_id,
                                                         std::optional<std::int64_t> expected,
                                                         const json::object& body) {
  return put_single(context, practice_id, ConfigKind::settings, kSettingsId, expected, body);
}

core::Result<store::AbsenceRow> SchedulingService::add_absence(const audit::Context& context,
                                                               std::string_view practice_id,
                                                               const json::object& body) {
  auto e = core::Error::make(ErrorCode::invalid_input,
                             "Die Abwesenheit ist fehlerhaft. / The absence is invalid.");
  auto text = [&](const char* key) -> std::string {
    const auto* v = body.if_contains(key);
    if (!v || !v->is_string()) {
      e.fields.push_back({key, "required", "Pflichtfeld. / Required."});
      return {};
    }
    return std::string(v->as_string());
  };
  const std::string practitioner = text("practitioner_id");
  const std::string start_text = text("start");
  const std::string end_text = text("end");
  for (const auto& [key, _] : body) {
    if (key != "practitioner_id" && key != "start" && key != "end") {
      e.fields.push_back({std::string(key), "unknown", "Unbekanntes Feld. / Unknown field."});
    }
  }
  const auto start = parse_instant(start_text);
  const auto end = parse_instant(end_text);
  if (!start_text.empty() && !start) e.fields.push_back({"start", "invalid", "RFC 3339"});
  if (!end_text.empty() && !end) e.fields.push_back({"end", "invalid", "RFC 3339"});
  if (start && end && *end <= *start)
    e.fields.push_back({"end", "range", "nach start / after start"});
  if (!e.fields.empty()) return tl::unexpected(e);
  store::AbsenceRow row{std::string(practice_id),
                        core::random_hex(random_, kIdBytes),
                        practitioner,
                        seconds(*start),
                        seconds(*end),
                        core::to_iso8601(clock_.now())};
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto p = tx.scheduling().find_config(ConfigKind::practitioner, practice_id, practitioner);
        if (!p) return tl::unexpected(p.error());
        if (!*p) {
          return tl::unexpected(
              bad_field("Unbekannte Behandlerin / unbekannter Behandler. / Unknown "
                        "practitioner.",
                        "practitioner_id", "?"));
        }
        if (auto ins = tx.scheduling().insert_absence(row); !ins) return ins;
        busy_changed(tx, practice_id, {row.practitioner_id}, row.starts_at, row.ends_at);
        auto a = trail_.record(tx, practice_id, context, {"scheduling.create", "absence", row.id});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return row;
}

core::Result<void> SchedulingService::remove_absence(const audit::Context& context,
                                                     std::string_view practice_id,
                                                     std::string_view id) {
  return store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto gone = tx.scheduling().delete_absence(practice_id, id);
        if (!gone) return tl::unexpected(gone.error());
        if (!*gone) return tl::unexpected(not_found("Abwesenheit"));
        // Whose and when is not known here: every cached answer of the practice.
        busy_changed(tx, practice_id, {}, std::numeric_limits<std::int64_t>::min(),
                     std::numeric_limits<std::int64_t>::max());
        auto a = trail_.record(tx, practice_id, context,
                               {"scheduling.delete", "absence", std::string(id)});
        if (!a) return tl::unexpected(a.error());
        return {};
      });
}

core::Result<std::vector<store::AbsenceRow>> SchedulingService::absences(
    std::string_view practice_id, Instant from, Instant to) {
  std::vector<store::AbsenceRow> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto rows = tx.scheduling().list_absences(practice_id, seconds(from), seconds(to));
        if (!rows) return tl::unexpected(rows.error());
        out = std::move(*rows);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<const TypeDoc*> SchedulingService::offered_type(const Snapshot& snap,
                                                             std::string_view type_id,
                                                             date::local_days from,
                                                             date::local_days to, bool online) {
  const auto found = snap.types.find(type_id);
  if (found == snap.types.end() || !found->second.second ||
      (online && !found->second.first.online_bookable)) {
    return tl::unexpected(not_found("Termintyp"));
  }
  if (to < from || (to - from).count() + 1 > kMaxQueryDays) {
    return tl::unexpected(bad_field("Höchstens 31 Tage auf einmal. / At most 31 days at once.",
                                    "to", "≤ from + 30 Tage / days"));
  }
  return &found->second.first;
}

core::Result<std::vector<Slot>> SchedulingService::free_starts(
    Transaction& tx, const Snapshot& snap, std::string_view practice_id, const TypeDoc& type,
    std::optional<std::string> practitioner, date::local_days from, date::local_days to,
    const BookingRules& rules, Instant now, FreeStarts* depends) {
  auto in = inputs_from(snap, zone_, from, to);
  if (auto b = add_busy(tx, practice_id, zone_, from, to, type, practitioner, in); !b) {
    return tl::unexpected(b.error());
  }
  if (depends) {
    depends->owners = std::move(in.owners);
    depends->window_from = in.window_from;
    depends->window_to = in.window_to;
  }
  SlotQuery q{from, to, std::move(practitioner), now};
  return free_slots(q, slot_type(type), in.plans, in.resources, rules, in.calendar);
}

namespace {

// The limits of availability for online booking (the practice's rules) or for staff
// (from now on, ten years ahead).
BookingRules rules_of(const SettingsDoc& settings, bool online) {
  BookingRules rules;
  rules.grid = std::chrono::minutes(settings.grid_minutes);
  rules.horizon = online ? date::days(settings.horizon_days) : date::days(3650);
  rules.min_notice =
      online ? std::chrono::minutes(settings.min_notice_minutes) : std::chrono::minutes(0);
  return rules;
}

}  // namespace

core::Result<std::vector<Slot>> SchedulingService::availability(
    std::string_view practice_id, std::string_view type_id, std::optional<std::string> practitioner,
    date::local_days from, date::local_days to, bool online) {
  std::vector<Slot> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto snap = snapshot(tx, practice_id);
        if (!snap) return tl::unexpected(snap.error());
        auto type = offered_type(**snap, type_id, from, to, online);
        if (!type) return tl::unexpected(type.error());
        auto slots = free_starts(tx, **snap, practice_id, **type, std::move(practitioner), from, to,
                                 rules_of((*snap)->settings, online),
                                 std::chrono::floor<std::chrono::seconds>(clock_.now()), nullptr);
        if (!slots) return tl::unexpected(slots.error());
        out = std::move(*slots);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

core::Result<SchedulingService::Offer> SchedulingService::offer(
    std::string_view practice_id, std::string_view type_id, std::optional<std::string> practitioner,
    date::local_days from, date::local_days to, bool online) {
  auto snap = current(practice_id);
  if (!snap) return tl::unexpected(snap.error());
  auto type = offered_type(**snap, type_id, from, to, online);
  if (!type) return tl::unexpected(type.error());
  std::string key;
  key.reserve(practice_id.size() + type_id.size() + 64);
  key.append(practice_id).append(1, '/').append(type_id).append(1, '/');
  key.append(practitioner.value_or("*")).append(1, '/');
  key.append(std::to_string(from.time_since_epoch().count())).append(1, '/');
  key.append(std::to_string(to.time_since_epoch().count())).append(online ? "/o" : "/s");
  const auto steady = std::chrono::steady_clock::now();
  std::shared_ptr<const FreeStarts> entry = cache_.find(key, snap->get(), steady);
  if (!entry) {
    const std::uint64_t sequence = cache_.sequence(practice_id);  // before the reads
    auto fresh = std::make_shared<FreeStarts>();
    const BookingRules limits = rules_of((*snap)->settings, online);
    // Without the clock's limits: notice and horizon are cut per answer (current()).
    BookingRules unlimited = limits;
    unlimited.min_notice = std::chrono::minutes(0);
    unlimited.horizon = date::days(366 * 400);
    auto r = store::with_practice_transaction(
        store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
          auto slots = free_starts(tx, **snap, practice_id, **type, practitioner, from, to,
                                   unlimited, Instant{}, fresh.get());
          if (!slots) return tl::unexpected(slots.error());
          fresh->slots = std::move(*slots);
          return {};
        });
    if (!r) return tl::unexpected(r.error());
    fresh->snapshot = *snap;
    fresh->duration = std::chrono::minutes((*type)->duration_minutes);
    fresh->min_notice = limits.min_notice;
    fresh->horizon = limits.horizon;
    cache_.put(practice_id, key, fresh, sequence, steady);
    entry = std::move(fresh);
  }
  const auto [first, last] = entry->current(std::chrono::floor<std::chrono::seconds>(clock_.now()));
  return Offer{std::move(entry), first, last};
}

void SchedulingService::busy_changed(Transaction& tx, std::string_view practice_id,
                                     std::vector<std::string> owners, std::int64_t from,
                                     std::int64_t to) {
  tx.after_commit([this, practice = std::string(practice_id), owners = std::move(owners), from,
                   to]() mutable { cache_.changed(practice, std::move(owners), from, to); });
}

std::shared_ptr<const SchedulingService::Snapshot> SchedulingService::cached(
    std::string_view practice_id, std::uint64_t* generation) {
  std::lock_guard lock(cache_mutex_);
  const std::uint64_t current = generations_[std::string(practice_id)];
  if (generation) *generation = current;
  if (auto it = snapshots_.find(std::string(practice_id)); it != snapshots_.end()) {
    if (it->second->generation == current &&
        std::chrono::steady_clock::now() - it->second->loaded < kSnapshotTtl) {
      return it->second;
    }
  }
  return nullptr;
}

core::Result<std::shared_ptr<const SchedulingService::Snapshot>> SchedulingService::snapshot(
    Transaction& tx, std::string_view practice_id) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  if (auto hit = cached(practice_id, &generation)) return hit;
  auto loaded = load_snapshot(tx, practice_id);
  if (!loaded) return tl::unexpected(loaded.error());
  (*loaded)->generation = generation;
  (*loaded)->loaded = now;
  std::lock_guard lock(cache_mutex_);
  snapshots_[std::string(practice_id)] = *loaded;
  return std::shared_ptr<const Snapshot>(*loaded);
}

void SchedulingService::changed(std::string_view practice_id) {
  std::lock_guard lock(cache_mutex_);
  ++generations_[std::string(practice_id)];
}

core::Result<std::shared_ptr<const SchedulingService::Snapshot>> SchedulingService::current(
    std::string_view practice_id) {
  if (auto hit = cached(practice_id, nullptr)) return hit;  // no transaction needed
  std::shared_ptr<const Snapshot> out;
  auto r = store::with_practice_transaction(store_, practice_id, TxMode::read_only,
                                            [&](Transaction& tx) -> core::Result<void> {
                                              auto snap = snapshot(tx, practice_id);
                                              if (!snap) return tl::unexpected(snap.error());
                                              out = std::move(*snap);
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  return out;
}

namespace {

core::Result<TypeInfo> type_in(const SchedulingService::Snapshot& snap, std::string_view type_id) {
  const auto found = snap.types.find(type_id);
  if (found == snap.types.end()) return tl::unexpected(not_found("Termintyp"));
  return TypeInfo{found->second.first, found->second.second};
}

}  // namespace

core::Result<TypeInfo> SchedulingService::type(std::string_view practice_id,
                                               std::string_view type_id) {
  auto snap = current(practice_id);
  if (!snap) return tl::unexpected(snap.error());
  return type_in(**snap, type_id);
}

core::Result<TypeInfo> SchedulingService::type(Transaction& tx, std::string_view practice_id,
                                               std::string_view type_id) {
  auto snap = snapshot(tx, practice_id);
  if (!snap) return tl::unexpected(snap.error());
  return type_in(**snap, type_id);
}

core::Result<SettingsDoc> SchedulingService::rules(std::string_view practice_id) {
  auto snap = current(practice_id);
  if (!snap) return tl::unexpected(snap.error());
  return (*snap)->settings;
}

core::Result<SettingsDoc> SchedulingService::rules(Transaction& tx, std::string_view practice_id) {
  auto snap = snapshot(tx, practice_id);
  if (!snap) return tl::unexpected(snap.error());
  return (*snap)->settings;
}

core::Result<std::vector<std::string>> SchedulingService::plan_offers(
    std::string_view practice_id, std::string_view type_id, std::optional<std::string> practitioner,
    Instant start) {
  std::vector<std::string> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto snap = snapshot(tx, practice_id);
        if (!snap) return tl::unexpected(snap.error());
        const auto found = (*snap)->types.find(type_id);
        if (found == (*snap)->types.end()) return tl::unexpected(not_found("Termintyp"));
        const auto day = date::floor<date::days>(zone_->to_local(start));
        auto in = inputs_from(**snap, zone_, day, day);
        BookingRules rules{date::days(3650), std::chrono::minutes(0),
                           std::chrono::minutes(in.settings.grid_minutes)};
        SlotQuery q{day, day, std::move(practitioner), start - std::chrono::minutes(1)};
        auto slots =
            free_slots(q, slot_type(found->second.first), in.plans, {}, rules, in.calendar);
        if (!slots) return tl::unexpected(slots.error());
        for (auto& s : *slots) {
          if (s.start == start) out.push_back(std::move(s.practitioner));
        }
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

// Whether `start` is a start the working plan offers (grid, hours, closing days), with
// appointments left to the store's overlap check (so a taken time answers 409).
core::Result<void> SchedulingService::within_hours(Transaction& tx, std::string_view practice_id,
                                                   const TypeDoc& type, std::string_view,
                                                   std::string_view practitioner_id,
                                                   Instant start) {
  const auto day = date::floor<date::days>(zone_->to_local(start));
  auto snap = snapshot(tx, practice_id);
  if (!snap) return tl::unexpected(snap.error());
  const auto in = inputs_from(**snap, zone_, day, day);
  BookingRules rules{date::days(3650), std::chrono::minutes(0),
                     std::chrono::minutes(in.settings.grid_minutes)};
  SlotQuery q{day, day, std::string(practitioner_id), start - std::chrono::minutes(1)};
  auto slots = free_slots(q, slot_type(type), in.plans, {}, rules, in.calendar);
  if (!slots) return tl::unexpected(slots.error());
  for (const auto& s : *slots) {
    if (s.start == start) return {};
  }
  return tl::unexpected(bad_field(
      "Diese Zeit liegt außerhalb der Sprechzeiten oder nicht im Zeitraster. / This time is "
      "outside the working hours or off the grid.",
      "start", "außerhalb / outside (outside_hours: true zum Überschreiben / to override)"));
}

core::Result<store::AppointmentRow> SchedulingService::book(const audit::Context& context,
                                                            std::string_view practice_id,
                                                            const NewAppointment& input) {
  store::AppointmentRow row;
  auto r = store::with_practice_transaction(store_, practice_id, TxMode::read_write,
                                            [&](Transaction& tx) -> core::Result<void> {
                                              auto booked = book(tx, context, practice_id, input);
                                              if (!booked) return tl::unexpected(booked.error());
                                              row = std::move(*booked);
                                              return {};
                                            });
  if (!r) return tl::unexpected(r.error());
  return row;
}

core::Result<store::AppointmentRow> SchedulingService::book(Transaction& tx,
                                                            const audit::Context& context,
                                                            std::string_view practice_id,
                                                            const NewAppointment& input,
                                                            std::vector<audit::Event>* events) {
  store::AppointmentRow row;
  {
    auto info = type(tx, practice_id, input.type_id);
    if (!info) {
      if (info.error().code == ErrorCode::not_found) {
        return tl::unexpected(
            bad_field("Unbekannter Termintyp. / Unknown appointment type.", "type_id", "?"));
      }
      return tl::unexpected(info.error());
    }
    const TypeDoc* type = &info->doc;
    if (!info->active) {
      return tl::unexpected(
          bad_field("Dieser Termintyp ist abgeschaltet. / This appointment type "
                    "is switched off.",
                    "type_id", "inaktiv / inactive"));
    }
    if (std::find(type->practitioners.begin(), type->practitioners.end(), input.practitioner_id) ==
        type->practitioners.end()) {
      return tl::unexpected(
          bad_field("Diese Behandlerin oder dieser Behandler bietet den Termin "
                    "nicht an. / This practitioner does not offer the type.",
                    "practitioner_id", "?"));
    }
    if (input.patient_id) {
      auto patient = tx.patients().find(practice_id, *input.patient_id);
      if (!patient) return tl::unexpected(patient.error());
      if (!*patient || (*patient)->status == "merged" || (*patient)->status == "deleted") {
        return tl::unexpected(
            bad_field("Unbekannter Patient. / Unknown patient.", "patient_id", "?"));
      }
    }
    if (!input.outside_hours) {
      if (auto ok = within_hours(tx, practice_id, *type, input.type_id, input.practitioner_id,
                                 input.start);
          !ok) {
        return tl::unexpected(ok.error());
      }
    }
    const std::string now = core::to_iso8601(clock_.now());
    row.practice_id = std::string(practice_id);
    row.id = input.id.empty() ? core::random_hex(random_, kIdBytes) : input.id;
    row.practitioner_id = input.practitioner_id;
    row.type_id = input.type_id;
    row.patient_id = input.patient_id;
    row.starts_at = seconds(input.start);
    row.ends_at = row.starts_at + type->duration_minutes * 60;
    row.block_start = row.starts_at - type->buffer_before_minutes * 60;
    row.block_end = row.ends_at + type->buffer_after_minutes * 60;
    row.status = "booked";
    row.active = true;
    row.source = input.source;
    row.resources = type->resources;
    row.details = input.details;
    row.created_at = now;
    row.updated_at = now;
    if (auto ins = tx.scheduling().insert_appointment(row); !ins)
      return tl::unexpected(ins.error());
    busy_changed(tx, practice_id, owners_of(row), row.block_start, row.block_end);
    audit::Event event{"appointment.create", "appointment", row.id};
    if (events) {
      events->push_back(std::move(event));
    } else if (auto a = trail_.record(tx, practice_id, context, event); !a) {
      return tl::unexpected(a.error());
    }
  }
  return row;
}

core::Result<store::AppointmentRow> SchedulingService::change(const audit::Context& context,
                                                              std::string_view practice_id,
                                                              std::string_view id,
                                                              std::int64_t expected_version,
                                                              const AppointmentChange& change) {
  if (change.status && !known_status(*change.status)) {
    return tl::unexpected(bad_field("Unbekannter Status. / Unknown status.", "status",
                                    "booked, arrived, fulfilled, noshow, cancelled"));
  }
  if (change.cancel_reason && *change.cancel_reason != "patient" &&
      *change.cancel_reason != "practice" && *change.cancel_reason != "illness" &&
      *change.cancel_reason != "other") {
    return tl::unexpected(bad_field("Unbekannter Grund. / Unknown reason.", "cancel_reason",
                                    "patient, practice, illness, other"));
  }
  if (delete_guard_ && change.status == "cancelled") {
    if (auto ok = delete_guard_->admit(context, practice_id); !ok)
      return tl::unexpected(ok.error());
  }
  store::AppointmentRow row;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_write, [&](Transaction& tx) -> core::Result<void> {
        auto changed = this->change(tx, context, practice_id, id, expected_version, change);
        if (!changed) return tl::unexpected(changed.error());
        row = std::move(*changed);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return row;
}

core::Result<store::AppointmentRow> SchedulingService::change(
    Transaction& tx, const audit::Context& context, std::string_view practice_id,
    std::string_view id, std::int64_t expected_version, const AppointmentChange& change) {
  if (change.status && !known_status(*change.status)) {
    return tl::unexpected(bad_field("Unbekannter Status. / Unknown status.", "status",
                                    "booked, arrived, fulfilled, noshow, cancelled"));
  }
  store::AppointmentRow row;
  {
    auto found = tx.scheduling().find_appointment(practice_id, id);
    if (!found) return tl::unexpected(found.error());
    if (!*found) return tl::unexpected(not_found("Termin"));
    row = **found;
    const store::AppointmentRow before = row;
    if (row.version != expected_version) {
      return core::fail(ErrorCode::precondition_failed,
                        "Der Termin wurde inzwischen geändert; bitte neu laden. / The appointment "
                        "was changed meanwhile; please reload.");
    }
    std::string action = "appointment.update";
    const bool moves = change.start || change.practitioner_id;
    if (moves) {
      if (row.status != "booked") {
        return core::fail(ErrorCode::conflict,
                          "Nur gebuchte Termine werden verschoben. / Only booked appointments "
                          "move.");
      }
      auto info = type(tx, practice_id, row.type_id);
      if (!info) return tl::unexpected(info.error());
      const TypeDoc* type = &info->doc;
      const std::string practitioner = change.practitioner_id.value_or(row.practitioner_id);
      if (std::find(type->practitioners.begin(), type->practitioners.end(), practitioner) ==
          type->practitioners.end()) {
        return tl::unexpected(
            bad_field("Diese Behandlerin oder dieser Behandler bietet den Termin "
                      "nicht an. / This practitioner does not offer the type.",
                      "practitioner_id", "?"));
      }
      const Instant start = change.start.value_or(instant(row.starts_at));
      if (!change.outside_hours) {
        if (auto ok = within_hours(tx, practice_id, *type, row.type_id, practitioner, start); !ok) {
          return tl::unexpected(ok.error());
        }
      }
      row.practitioner_id = practitioner;
      row.starts_at = seconds(start);
      row.ends_at = row.starts_at + type->duration_minutes * 60;
      row.block_start = row.starts_at - type->buffer_before_minutes * 60;
      row.block_end = row.ends_at + type->buffer_after_minutes * 60;
      action = "appointment.move";
    }
    if (change.status && *change.status != row.status) {
      if (!allowed(row.status, *change.status)) {
        return core::fail(ErrorCode::conflict,
                          "Dieser Statuswechsel ist nicht möglich. / This "
                          "status change is not possible.");
      }
      row.status = *change.status;
      row.active = row.status != "cancelled";
      if (row.status == "cancelled") row.cancel_reason = change.cancel_reason.value_or("other");
      action = row.status == "cancelled" ? "appointment.cancel" : "appointment.status";
    }
    row.updated_at = core::to_iso8601(clock_.now());
    if (auto u = tx.scheduling().update_appointment(row); !u) return tl::unexpected(u.error());
    busy_changed(tx, practice_id, owners_of(before), before.block_start, before.block_end);
    busy_changed(tx, practice_id, owners_of(row), row.block_start, row.block_end);
    ++row.version;
    auto a = trail_.record(tx, practice_id, context, {action, "appointment", row.id});
    if (!a) return tl::unexpected(a.error());
    if (change_listener_) {
      if (auto told = change_listener_(tx, context, before, row); !told) {
        return tl::unexpected(told.error());
      }
    }
  }
  return row;
}

core::Result<store::AppointmentRow> SchedulingService::appointment(std::string_view practice_id,
                                                                   std::string_view id) {
  std::optional<store::AppointmentRow> row;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto found = tx.scheduling().find_appointment(practice_id, id);
        if (!found) return tl::unexpected(found.error());
        row = std::move(*found);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  if (!row) return tl::unexpected(not_found("Termin"));
  return std::move(*row);
}

core::Result<std::vector<store::AppointmentRow>> SchedulingService::appointments(
    std::string_view practice_id, Instant from, Instant to,
    std::optional<std::string> practitioner) {
  if (to <= from || to - from > date::days(kMaxQueryDays)) {
    return tl::unexpected(bad_field("Höchstens 31 Tage auf einmal. / At most 31 days at once.",
                                    "to", "from < to ≤ from + 31 Tage / days"));
  }
  std::vector<store::AppointmentRow> out;
  auto r = store::with_practice_transaction(
      store_, practice_id, TxMode::read_only, [&](Transaction& tx) -> core::Result<void> {
        auto rows = tx.scheduling().list_appointments(
            practice_id, seconds(from), seconds(to),
            practitioner ? std::optional<std::string_view>(*practitioner) : std::nullopt);
        if (!rows) return tl::unexpected(rows.error());
        out = std::move(*rows);
        return {};
      });
  if (!r) return tl::unexpected(r.error());
  return out;
}

std::optional<Instant> parse_instant(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS, an optional fraction that must be zero (instants are whole
  // seconds; "…:00.000Z" is what JavaScript's toISOString() writes), then Z or ±HH:MM.
  if (text.size() < 20) return std::nullopt;
  const auto day = parse_local_date(text.substr(0, 10));
  if (!day || text[10] != 'T' || text[13] != ':' || text[16] != ':') return std::nullopt;
  auto two = [&](std::string_view s, std::size_t at) -> int {
    const char a = s[at];
    const char b = s[at + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    return (a - '0') * 10 + (b - '0');
  };
  const int h = two(text, 11);
  const int m = two(text, 14);
  const int sec = two(text, 17);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return std::nullopt;
  std::string_view zone = text.substr(19);
  if (zone.starts_with('.')) {
    const auto digits = zone.find_first_not_of("0123456789", 1);
    if (digits == 1 || digits == std::string_view::npos) return std::nullopt;
    if (zone.substr(1, digits - 1).find_first_not_of('0') != std::string_view::npos) {
      return std::nullopt;  // not a whole second
    }
    zone.remove_prefix(digits);
  }
  std::chrono::seconds offset{0};
  if (zone != "Z") {
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
      return std::nullopt;
    }
    const int oh = two(zone, 1);
    const int om = two(zone, 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    if (zone[0] == '-') offset = -offset;
  }
  const auto local = day->time_since_epoch() + std::chrono::hours(h) + std::chrono::minutes(m) +
                     std::chrono::seconds(sec);
  return Instant(std::chrono::duration_cast<std::chrono::seconds>(local) - offset);
}

}  // namespace praxis::scheduling
