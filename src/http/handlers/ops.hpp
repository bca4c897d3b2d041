#pragma once
// Operations endpoints: GET /healthz (the process serves), GET /readyz (it can reach
// its database), GET /metrics (Prometheus text). They carry no personal data.

#include <functional>

#include "core/error.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace praxis::http {

using ReadinessCheck = std::function<core::Result<void>()>;

// `metrics` and whatever `ready` refers to must outlive the router.
void add_ops_routes(Router& router, const Metrics& metrics, ReadinessCheck ready);

}  // namespace praxis::http
