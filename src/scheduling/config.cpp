#include "scheduling/config.hpp"

#include <algorithm>
#include <boost/json/value_from.hpp>
#include <cctype>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "core/validation.hpp"

namespace praxis::scheduling {

namespace json = boost::json;
using core::ErrorCode;
using core::FieldError;

namespace {

constexpr std::string_view kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Reads the fields of one document and collects every error; unknown fields are errors
// too, so a typo is not silently ignored.
class Reader {
 public:
  explicit Reader(const json::object& o) : o_(o) {}

  std::string text(std::string_view key, bool required, std::size_t max_chars) {
    seen_.emplace_back(key);
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) {
      if (required) error(key, "required", "Pflichtfeld. / Required.");
      return {};
    }
    if (!v->is_string()) {
      error(key, "type", "Text erwartet. / Expected text.");
      return {};
    }
    std::string s(core::trim(std::string_view(v->as_string())));
    if (!core::valid_utf8(s) || core::utf8_length(s) > max_chars) {
      error(key, "length",
            "Höchstens " + std::to_string(max_chars) + " Zeichen. / At most " +
                std::to_string(max_chars) + " characters.");
      return {};
    }
    if (required && s.empty()) error(key, "required", "Pflichtfeld. / Required.");
    return s;
  }

  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max,
                       std::int64_t fallback) {
    seen_.emplace_back(key);
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return fallback;
    if (!v->is_int64() || v->as_int64() < min || v->as_int64() > max) {
      error(key, "range", std::to_string(min) + "–" + std::to_string(max));
      return fallback;
    }
    return v->as_int64();
  }

  bool flag(std::string_view key, bool fallback) {
    seen_.emplace_back(key);
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return fallback;
    if (!v->is_bool()) {
      error(key, "type", "true oder false. / true or false.");
      return fallback;
    }
    return v->as_bool();
  }

  std::vector<std::string> strings(std::string_view key, std::size_t max_items) {
    seen_.emplace_back(key);
    std::vector<std::string> out;
    const auto* v = o_.if_contains(key);
    if (!v || v->is_null()) return out;
    if (!v->is_array() || v->as_array().size() > max_items) {
      error(key, "type",
            "Liste von höchstens " + std::to_string(max_items) +
                " Einträgen. / A list of at most " + std::to_string(max_items) + ".");
      return out;
    }
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const auto& item = v->as_array()[i];
      if (!item.is_string() || item.as_string().empty() || item.as_string().size() > 64) {
        error(std::string(key) + "[" + std::to_string(i) + "]", "type",
              "Kennung erwartet. / "
              "Expected an id.");
        continue;
      }
      std::string s(item.as_string());
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
  }

  const json::value* raw(std::string_view key) {
    seen_.emplace_back(key);
    const auto* v = o_.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }

  void error(std::string_view field, std::string code, std::string message) {
    fields_.push_back({std::string(field), std::move(code), std::move(message)});
  }

  core::Result<void> finish(std::string message) {
    for (const auto& [key, _] : o_) {
      if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
        error(key, "unknown", "Unbekanntes Feld. / Unknown field.");
      }
    }
    if (fields_.empty()) return {};
    auto e = core::Error::make(ErrorCode::invalid_input, std::move(message));
    e.fields = std::move(fields_);
    return tl::unexpected(e);
  }

 private:
  const json::object& o_;
  std::vector<std::string> seen_;
  std::vector<FieldError> fields_;
};

std::string clock_text(std::chrono::minutes m) {
  const auto total = m.count();
  std::string out(5, '0');
  out[0] = static_cast<char>('0' + total / 600);
  out[1] = static_cast<char>('0' + total / 60 % 10);
  out[2] = ':';
  out[3] = static_cast<char>('0' + total % 60 / 10);
  out[4] = static_cast<char>('0' + total % 10);
  return out;
}

json::array string_array(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

}  // namespace

std::optional<date::local_days> parse_local_date(std::string_view text) {
  // YYYY-MM-DD, a real calendar date.
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int n[3] = {0, 0, 0};
  const std::pair<std::size_t, std::size_t> parts[3] = {{0, 4}, {5, 2}, {8, 2}};
  for (int k = 0; k < 3; ++k) {
    for (std::size_t c = parts[k].first; c < parts[k].first + parts[k].second; ++c) {
      if (text[c] < '0' || text[c] > '9') return std::nullopt;
      n[k] = n[k] * 10 + (text[c] - '0');
    }
  }
  const date::year_month_day ymd{date::year(n[0]), date::month(static_cast<unsigned>(n[1])),
                                 date::day(static_cast<unsigned>(n[2]))};
  if (!ymd.ok()) return std::nullopt;
  return date::local_days(ymd);
}

std::string format_local_date(date::local_days d) { return date::format("%F", d); }

core::Result<PractitionerDoc> parse_practitioner(const json::object& o,
                                                 std::vector<FieldError>* warnings) {
  Reader r(o);
  PractitionerDoc d;
  d.name = r.text("name", true, 120);
  d.lanr = r.text("lanr", false, 9);
  d.user_id = r.text("user_id", false, 64);
  if (!d.lanr.empty()) {
    if (!core::lanr_format_ok(d.lanr)) {
      r.error("lanr", "format", "Die LANR hat 9 Ziffern. / The LANR has 9 digits.");
    } else if (!core::lanr_check_digit_ok(d.lanr) && warnings) {
      warnings->push_back({"lanr", "check_digit",
                           "Die Prüfziffer stimmt nicht; bitte prüfen. / The check digit does "
                           "not match; please check."});
    }
  }
  if (auto ok = r.finish("Die Angaben zur Behandlerin / zum Behandler sind fehlerhaft. / The "
                         "practitioner is invalid.");
      !ok) {
    return tl::unexpected(ok.error());
  }
  return d;
}

core::Result<ResourceDoc> parse_resource(const json::object& o) {
  Reader r(o);
  ResourceDoc d;
  d.name = r.text("name", true, 120);
  d.kind = r.text("kind", false, 16);
  if (d.kind.empty()) d.kind = "room";
  if (d.kind != "room" && d.kind != "device") r.error("kind", "invalid", "room, device");
  if (auto ok = r.finish("Die Ressource ist fehlerhaft. / The resource is invalid."); !ok) {
    return tl::unexpected(ok.error());
  }
  return d;
}

core::Result<TypeDoc> parse_type(const json::object& o) {
  Reader r(o);
  TypeDoc d;
  d.name_de = r.text("name_de", true, 120);
  d.name_en = r.text("name_en", false, 120);
  d.duration_minutes = r.integer("duration_minutes", 5, 480, 15);
  d.buffer_before_minutes = r.integer("buffer_before_minutes", 0, 120, 0);
  d.buffer_after_minutes = r.integer("buffer_after_minutes", 0, 120, 0);
  d.practitioners = r.strings("practitioners", 50);
  d.resources = r.strings("resources", 10);
  d.online_bookable = r.flag("online_bookable", false);
  d.new_patients = r.flag("new_patients", true);
  d.existing_patients = r.flag("existing_patients", true);
  d.insurance_kinds = r.strings("insurance_kinds", 4);
  for (std::size_t i = 0; i < d.insurance_kinds.size(); ++i) {
    const auto& k = d.insurance_kinds[i];
    if (k != "gkv" && k != "pkv" && k != "self_pay" && k != "bg") {
      r.error("insurance_kinds[" + std::to_string(i) + "]", "invalid", "gkv, pkv, self_pay, bg");
    }
  }
  d.instructions_de = r.text("instructions_de", false, 2000);
  d.instructions_en = r.text("instructions_en", false, 2000);
  if (!d.new_patients && !d.existing_patients) {
    r.error("new_patients", "none",
            "Neue oder bekannte Patienten (oder beide). / New or "
            "existing patients (or both).");
  }
  if (auto ok = r.finish("Der Termintyp ist fehlerhaft. / The appointment type is invalid."); !ok) {
    return tl::unexpected(ok.error());
  }
  return d;
}

core::Result<PlanDoc> parse_plan(const json::object& o) {
  Reader r(o);
  PlanDoc d;
  const auto* rules = r.raw("rules");
  if (!rules || !rules->is_array() || rules->as_array().size() > 70) {
    r.error("rules", "type", "Eine Liste von Wochenregeln. / A list of weekly rules.");
  } else {
    for (std::size_t i = 0; i < rules->as_array().size(); ++i) {
      const std::string at = "rules[" + std::to_string(i) + "]";
      const auto& v = rules->as_array()[i];
      if (!v.is_object()) {
        r.error(at, "type", "Objekt erwartet. / Expected an object.");
        continue;
      }
      const auto& rule = v.as_object();
      WeeklyRule w{date::Monday, {}, {}, {}};
      const auto* wd = rule.if_contains("weekday");
      const auto it = wd && wd->is_string() ? std::find(std::begin(kWeekdays), std::end(kWeekdays),
                                                        std::string_view(wd->as_string()))
                                            : std::end(kWeekdays);
      if (it == std::end(kWeekdays)) {
        r.error(at + ".weekday", "invalid", "mon, tue, wed, thu, fri, sat, sun");
      } else {
        w.weekday = date::weekday(static_cast<unsigned>(it - std::begin(kWeekdays)));
      }
      const auto* intervals = rule.if_contains("intervals");
      if (!intervals || !intervals->is_array() || intervals->as_array().empty() ||
          intervals->as_array().size() > 8) {
        r.error(at + ".intervals", "type",
                "1–8 Zeitspannen wie [\"08:00\", \"12:00\"]. / 1–8 "
                "spans like [\"08:00\", \"12:00\"].");
      } else {
        for (std::size_t j = 0; j < intervals->as_array().size(); ++j) {
          const auto& span = intervals->as_array()[j];
          const std::string here = at + ".intervals[" + std::to_string(j) + "]";
          std::optional<std::chrono::minutes> from;
          std::optional<std::chrono::minutes> to;
          if (span.is_array() && span.as_array().size() == 2 && span.as_array()[0].is_string() &&
              span.as_array()[1].is_string()) {
            from = core::parse_clock_time(span.as_array()[0].as_string());
            to = core::parse_clock_time(span.as_array()[1].as_string());
          }
          if (!from || !to || *from >= *to || *from >= std::chrono::hours(24)) {
            r.error(here, "invalid",
                    "Von < bis, z. B. [\"08:00\", \"12:00\"]. / From < to, e.g. "
                    "[\"08:00\", \"12:00\"].");
            continue;
          }
          w.intervals.push_back({*from, *to});
        }
      }
      for (const char* key : {"valid_from", "valid_to"}) {
        const auto* v2 = rule.if_contains(key);
        if (!v2 || v2->is_null()) continue;
        auto day = v2->is_string() ? parse_local_date(v2->as_string()) : std::nullopt;
        if (!day) {
          r.error(at + "." + key, "invalid", "JJJJ-MM-TT / YYYY-MM-DD");
          continue;
        }
        (std::string_view(key) == "valid_from" ? w.valid_from : w.valid_to) = day;
      }
      for (const auto& [key, _] : rule) {
        if (key != "weekday" && key != "intervals" && key != "valid_from" && key != "valid_to") {
          r.error(at + "." + std::string(key), "unknown", "Unbekanntes Feld. / Unknown field.");
        }
      }
      if (w.valid_from && w.valid_to && *w.valid_to < *w.valid_from) {
        r.error(at + ".valid_to", "range", "Nicht vor valid_from. / Not before valid_from.");
      }
      d.rules.push_back(std::move(w));
    }
  }
  if (auto ok = r.finish("Der Arbeitsplan ist fehlerhaft. / The working plan is invalid."); !ok) {
    return tl::unexpected(ok.error());
  }
  return d;
}

std::optional<std::string> normalize_web_origin(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (s.ends_with('/')) s.pop_back();
  bool tls = false;
  std::string_view rest;
  if (s.starts_with("https://")) {
    tls = true;
    rest = std::string_view(s).substr(8);
  } else if (s.starts_with("http://")) {
    rest = std::string_view(s).substr(7);
  } else {
    return std::nullopt;
  }
  std::string_view host = rest;
  std::optional<std::string_view> port;
  if (rest.starts_with('[')) {  // IPv6 literal
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(0, close + 1);
    if (host.find_first_not_of("[]0123456789abcdef:") != std::string_view::npos) {
      return std::nullopt;
    }
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  } else if (host.find_first_of("[]") != std::string_view::npos) {
    return std::nullopt;
  }
  const bool host_ok =
      host.starts_with('[') ||
      (!host.empty() && host.size() <= 253 &&
       host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string_view::npos &&
       !host.starts_with('.') && !host.starts_with('-') && !host.ends_with('.') &&
       host.find("..") == std::string_view::npos);
  if (!host_ok) return std::nullopt;
  if (port) {
    if (port->empty() || port->size() > 5 ||
        port->find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    const int number = std::stoi(std::string(*port));
    if (number < 1 || number > 65535) return std::nullopt;
  }
  const bool loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
  if (!tls && !loopback) return std::nullopt;
  return s;
}

core::Result<SettingsDoc> parse_settings(const json::object& o) {
  Reader r(o);
  SettingsDoc d;
  d.horizon_days = r.integer("horizon_days", 1, 365, 90);
  d.min_notice_minutes = r.integer("min_notice_minutes", 0, 10080, 120);
  d.cancellation_deadline_hours = r.integer("cancellation_deadline_hours", 0, 720, 24);
  d.grid_minutes = r.integer("grid_minutes", 5, 60, 15);
  if (60 % d.grid_minutes != 0) r.error("grid_minutes", "invalid", "5, 10, 15, 20, 30, 60");
  d.max_future_online_bookings = r.integer("max_future_online_bookings", 1, 20, 3);
  if (const auto* days = r.raw("closing_days")) {
    if (!days->is_array() || days->as_array().size() > 366) {
      r.error("closing_days", "type", "Liste von Daten. / A list of dates.");
    } else {
      for (std::size_t i = 0; i < days->as_array().size(); ++i) {
        const auto& v = days->as_array()[i];
        auto day = v.is_string() ? parse_local_date(v.as_string()) : std::nullopt;
        if (!day) {
          r.error("closing_days[" + std::to_string(i) + "]", "invalid", "JJJJ-MM-TT / YYYY-MM-DD");
        } else {
          d.closing_days.insert(*day);
        }
      }
    }
  }
  if (const auto* origins = r.raw("embed_origins")) {
    if (!origins->is_array() || origins->as_array().size() > kMaxEmbedOrigins) {
      r.error("embed_origins", "type",
              "Liste von höchstens " + std::to_string(kMaxEmbedOrigins) +
                  " Web-Adressen. / A list of at most " + std::to_string(kMaxEmbedOrigins) +
                  " web origins.");
    } else {
      for (std::size_t i = 0; i < origins->as_array().size(); ++i) {
        const auto& v = origins->as_array()[i];
        auto origin = v.is_string() && v.as_string().size() <= 300
                          ? normalize_web_origin(v.as_string())
                          : std::nullopt;
        if (!origin) {
          r.error("embed_origins[" + std::to_string(i) + "]", "invalid",
                  "Eine Web-Adresse wie https://www.praxis-beispiel.de (ohne Pfad). / A web "
                  "origin such as https://www.example.org (no path).");
        } else if (std::find(d.embed_origins.begin(), d.embed_origins.end(), *origin) ==
                   d.embed_origins.end()) {
          d.embed_origins.push_back(std::move(*origin));
        }
      }
    }
  }
  if (const auto* regional = r.raw("regional_holidays")) {
    if (!regional->is_object()) {
      r.error("regional_holidays", "type", "Objekt erwartet. / Expected an object.");
    } else {
      Reader inner(regional->as_object());
      d.regional.fronleichnam = inner.flag("fronleichnam", false);
      d.regional.mariae_himmelfahrt = inner.flag("mariae_himmelfahrt", false);
      d.regional.augsburger_friedensfest = inner.flag("augsburger_friedensfest", false);
      if (auto ok = inner.finish(""); !ok) {
        for (const auto& f : ok.error().fields) {
          r.error("regional_holidays." + f.field, f.code, f.message);
        }
      }
    }
  }
  if (auto ok = r.finish("Die Buchungsregeln sind fehlerhaft. / The booking rules are invalid.");
      !ok) {
    return tl::unexpected(ok.error());
  }
  return d;
}

json::object to_json(const PractitionerDoc& d) {
  return {{"name", d.name}, {"lanr", d.lanr}, {"user_id", d.user_id}};
}

json::object to_json(const ResourceDoc& d) { return {{"name", d.name}, {"kind", d.kind}}; }

json::object to_json(const TypeDoc& d) {
  return {{"name_de", d.name_de},
          {"name_en", d.name_en},
          {"duration_minutes", d.duration_minutes},
          {"buffer_before_minutes", d.buffer_before_minutes},
          {"buffer_after_minutes", d.buffer_after_minutes},
          {"practitioners", string_array(d.practitioners)},
          {"resources", string_array(d.resources)},
          {"online_bookable", d.online_bookable},
          {"new_patients", d.new_patients},
          {"existing_patients", d.existing_patients},
          {"insurance_kinds", string_array(d.insurance_kinds)},
          {"instructions_de", d.instructions_de},
          {"instructions_en", d.instructions_en}};
}

json::object to_json(const PlanDoc& d) {
  json::array rules;
  for (const auto& w : d.rules) {
    json::array spans;
    for (const auto& i : w.intervals) {
      spans.push_back(json::array{json::value(clock_text(i.from)), json::value(clock_text(i.to))});
    }
    json::object rule{{"weekday", kWeekdays[w.weekday.c_encoding()]}, {"intervals", spans}};
    if (w.valid_from) rule["valid_from"] = format_local_date(*w.valid_from);
    if (w.valid_to) rule["valid_to"] = format_local_date(*w.valid_to);
    rules.push_back(std::move(rule));
  }
  return {{"rules", std::move(rules)}};
}

json::object to_json(const SettingsDoc& d) {
  json::array days;
  for (const auto& day : d.closing_days) days.emplace_back(format_local_date(day));
  return {{"horizon_days", d.horizon_days},
          {"min_notice_minutes", d.min_notice_minutes},
          {"cancellation_deadline_hours", d.cancellation_deadline_hours},
          {"grid_minutes", d.grid_minutes},
          {"max_future_online_bookings", d.max_future_online_bookings},
          {"closing_days", std::move(days)},
          {"embed_origins", json::value_from(d.embed_origins)},
          {"regional_holidays",
           json::object{{"fronleichnam", d.regional.fronleichnam},
                        {"mariae_himmelfahrt", d.regional.mariae_himmelfahrt},
                        {"augsburger_friedensfest", d.regional.augsburger_friedensfest}}}};
}

}  // namespace praxis::scheduling
