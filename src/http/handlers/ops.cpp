#include "http/handlers/ops.hpp"

#include "http/problem.hpp"

namespace praxis::http {

void add_ops_routes(Router& router, const Metrics& metrics, ReadinessCheck ready) {
  RouteOptions probe;
  probe.run_inline = true;  // constant answer; must stay cheap under load
  router.add(
      Method::get, "/healthz", Access::anyone(),
      [](const Request&) { return Response::json(200, R"({"status":"ok"})"); }, probe);

  router.add(Method::get, "/readyz", Access::anyone(),
             [ready = std::move(ready)](const Request& request) {
               if (auto r = ready(); !r) {
                 core::Error error = r.error();
                 error.code = core::ErrorCode::unavailable;
                 error.message = "The database is not reachable.";
                 return problem_response(error, request.request_id);
               }
               return Response::json(200, R"({"status":"ready"})");
             });

  router.add(Method::get, "/metrics", Access::anyone(), [&metrics](const Request&) {
    return Response::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace praxis::http
