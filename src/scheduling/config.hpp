#pragma once
// The scheduling configuration documents (issue #7) a practice's owner edits:
// practitioners, resources, appointment types, working plans and booking settings.
// Each parses from the API's JSON with every field error at once and serialises back;
// the store keeps the serialised form.

#include <boost/json/object.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "scheduling/holidays.hpp"
#include "scheduling/slots.hpp"

namespace praxis::scheduling {

struct PractitionerDoc {
  std::string name;     // as patients see it, e.g. "Dr. Anna Berg"
  std::string lanr;     // optional; a wrong check digit is a warning
  std::string user_id;  // optional: the staff account of this practitioner
};

struct ResourceDoc {
  std::string name;
  std::string kind;  // room, device
};

struct TypeDoc {
  std::string name_de;
  std::string name_en;
  std::int64_t duration_minutes = 15;
  std::int64_t buffer_before_minutes = 0;
  std::int64_t buffer_after_minutes = 0;
  std::vector<std::string> practitioners;
  std::vector<std::string> resources;
  bool online_bookable = false;
  bool new_patients = true;
  bool existing_patients = true;
  std::vector<std::string> insurance_kinds;  // gkv, pkv, self_pay, bg; empty: all
  std::string instructions_de;
  std::string instructions_en;
};

struct PlanDoc {
  std::vector<WeeklyRule> rules;
};

struct SettingsDoc {
  std::int64_t horizon_days = 90;
  std::int64_t min_notice_minutes = 120;
  std::int64_t cancellation_deadline_hours = 24;
  std::int64_t grid_minutes = 15;
  std::set<date::local_days> closing_days;
  RegionalHolidays regional;
  std::int64_t max_future_online_bookings = 3;  // per phone number or e-mail address
  // Web sites that may embed the booking widget ("https://www.praxis-berg.de"): the
  // booking page allows them as frame ancestors. https only (http for loopback hosts).
  std::vector<std::string> embed_origins;
};

inline constexpr std::size_t kMaxEmbedOrigins = 10;

// "https://Www.Example.de/" → "https://www.example.de"; nullopt for anything but a
// scheme, host and optional port (no path, query, user, wildcard), or for plain http
// to a host that is not loopback.
std::optional<std::string> normalize_web_origin(std::string_view text);

[[nodiscard]] core::Result<PractitionerDoc> parse_practitioner(
    const boost::json::object& o, std::vector<core::FieldError>* warnings = nullptr);
[[nodiscard]] core::Result<ResourceDoc> parse_resource(const boost::json::object& o);
[[nodiscard]] core::Result<TypeDoc> parse_type(const boost::json::object& o);
[[nodiscard]] core::Result<PlanDoc> parse_plan(const boost::json::object& o);
[[nodiscard]] core::Result<SettingsDoc> parse_settings(const boost::json::object& o);

boost::json::object to_json(const PractitionerDoc& d);
boost::json::object to_json(const ResourceDoc& d);
boost::json::object to_json(const TypeDoc& d);
boost::json::object to_json(const PlanDoc& d);
boost::json::object to_json(const SettingsDoc& d);

// "2026-06-08" → local date; nullopt if malformed.
std::optional<date::local_days> parse_local_date(std::string_view text);
std::string format_local_date(date::local_days d);

}  // namespace praxis::scheduling
