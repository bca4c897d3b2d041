#include "demo/demo_practice.hpp"

#include <boost/json/parse.hpp>
#include <random>

#include "demo/synthetic.hpp"

namespace praxis::demo {

namespace json = boost::json;
using store::ConfigKind;

namespace {

core::Result<std::string> create(scheduling::SchedulingService& s, const audit::Context& who,
                                 std::string_view practice_id, ConfigKind kind,
                                 std::string_view body) {
  auto made = s.create(who, practice_id, kind, json::parse(body).as_object());
  if (!made) return tl::unexpected(made.error());
  return made->row.id;
}

}  // namespace

core::Result<DemoSummary> seed_practice(patients::PatientService& patients,
                                        scheduling::SchedulingService& scheduling,
                                        core::Clock& clock, std::string_view practice_id,
                                        const DemoOptions& options) {
  const auto who = audit::Context::system("praxis init --demo");
  DemoSummary summary;

  auto berg = create(scheduling, who, practice_id, ConfigKind::practitioner,
                     R"({"name":"Dr. med. Anna Berg"})");
  if (!berg) return tl::unexpected(berg.error());
  auto weber = create(scheduling, who, practice_id, ConfigKind::practitioner,
                      R"({"name":"Dr. med. Jonas Weber"})");
  if (!weber) return tl::unexpected(weber.error());
  summary.practitioners = 2;
  const std::string both_ids = "[\"" + *berg + "\",\"" + *weber + "\"]";

  const std::string types[] = {
      R"({"name_de":"Sprechstunde","name_en":"Consultation","duration_minutes":15,)"
      R"("online_bookable":true,"practitioners":)" +
          both_ids +
          R"(,"instructions_de":"Bitte bringen Sie Ihre Versichertenkarte mit.",)"
          R"("instructions_en":"Please bring your health insurance card."})",
      R"({"name_de":"Erstgespräch","name_en":"First visit","duration_minutes":30,)"
      R"("buffer_after_minutes":5,"online_bookable":true,"existing_patients":false,)"
      R"("practitioners":[")" +
          *berg +
          R"("],"instructions_de":"Bitte kommen Sie 10 Minuten früher für den Anamnesebogen.",)"
          R"("instructions_en":"Please come 10 minutes early to fill in the history form."})",
      R"({"name_de":"Blutabnahme","name_en":"Blood test","duration_minutes":10,)"
      R"("online_bookable":false,"practitioners":)" +
          both_ids + "}"};
  std::vector<std::string> type_ids;
  for (const auto& body : types) {
    auto id = create(scheduling, who, practice_id, ConfigKind::appointment_type, body);
    if (!id) return tl::unexpected(id.error());
    type_ids.push_back(*id);
  }
  summary.appointment_types = type_ids.size();

  const auto plan = [](const char* days_and_hours) {
    return json::parse(days_and_hours).as_object();
  };
  auto p1 = scheduling.put_working_plan(
      who, practice_id, *berg, std::nullopt,
      plan(R"({"rules":[{"weekday":"mon","intervals":[["08:00","12:00"],["14:00","18:00"]]},)"
           R"({"weekday":"tue","intervals":[["08:00","12:00"]]},)"
           R"({"weekday":"wed","intervals":[["08:00","12:00"]]},)"
           R"({"weekday":"thu","intervals":[["08:00","12:00"],["14:00","18:00"]]},)"
           R"({"weekday":"fri","intervals":[["08:00","12:00"]]}]})"));
  if (!p1) return tl::unexpected(p1.error());
  auto p2 = scheduling.put_working_plan(
      who, practice_id, *weber, std::nullopt,
      plan(R"({"rules":[{"weekday":"mon","intervals":[["09:00","13:00"]]},)"
           R"({"weekday":"tue","intervals":[["09:00","13:00"],["15:00","19:00"]]},)"
           R"({"weekday":"wed","intervals":[["09:00","13:00"]]},)"
           R"({"weekday":"thu","intervals":[["09:00","13:00"]]},)"
           R"({"weekday":"fri","intervals":[["09:00","12:00"]]}]})"));
  if (!p2) return tl::unexpected(p2.error());

  std::mt19937_64 rng(options.seed);
  std::vector<std::string> patient_ids;
  for (std::size_t i = 0; i < options.patients; ++i) {
    auto body = person(rng, i);
    body["confirm_new"] = true;
    auto made = patients.create(who, practice_id, body);
    if (!made) return tl::unexpected(made.error());
    if (made->created) patient_ids.push_back(made->created->row.id);
  }
  summary.patients = patient_ids.size();

  // Some appointments in the next two weeks, at free staff times of the consultation.
  const auto today = date::floor<date::days>(scheduling.zone()->to_local(clock.now()));
  auto free = scheduling.availability(practice_id, type_ids[0], std::nullopt, today + date::days(1),
                                      today + date::days(14), false);
  if (!free) return tl::unexpected(free.error());
  for (std::size_t i = 0; i < options.appointments && !free->empty(); ++i) {
    const auto& slot = (*free)[rng() % free->size()];
    scheduling::NewAppointment in;
    in.type_id = type_ids[0];
    in.practitioner_id = slot.practitioner;
    if (!patient_ids.empty()) in.patient_id = patient_ids[rng() % patient_ids.size()];
    in.start = slot.start;
    if (scheduling.book(who, practice_id, in)) ++summary.appointments;  // a taken one is skipped
  }
  return summary;
}

}  // namespace praxis::demo
