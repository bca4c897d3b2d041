#pragma once
// The staff scheduling API (issue #7, DESIGN.md's endpoint map): practitioners,
// resources, appointment types, working plans, absences, booking rules, availability and
// the calendar (appointments).

#include "http/router.hpp"
#include "scheduling/scheduling_service.hpp"

namespace praxis::api {

void add_scheduling_routes(http::Router& router, scheduling::SchedulingService& scheduling);

}  // namespace praxis::api
