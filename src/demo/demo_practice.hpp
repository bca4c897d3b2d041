#pragma once
// The demo practice that `praxis init --demo` (and so `make run`) creates (issue #7): two
// practitioners with working plans, three appointment types (two bookable online), a
// few hundred synthetic patients and some appointments in the coming two weeks, so the
// booking page shows free times and the calendar is not empty on first start.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/trail.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "patients/patient_service.hpp"
#include "scheduling/scheduling_service.hpp"

namespace praxis::demo {

struct DemoOptions {
  std::uint64_t seed = 2020;
  std::size_t patients = 300;
  std::size_t appointments = 40;
};

struct DemoSummary {
  std::size_t practitioners = 0;
  std::size_t appointment_types = 0;
  std::size_t patients = 0;
  std::size_t appointments = 0;
};

[[nodiscard]] core::Result<DemoSummary> seed_practice(patients::PatientService& patients,
                                                      scheduling::SchedulingService& scheduling,
                                                      core::Clock& clock,
                                                      std::string_view practice_id,
                                                      const DemoOptions& options = {});

}  // namespace praxis::demo
