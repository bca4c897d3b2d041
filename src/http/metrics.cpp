#include "http/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace praxis::http {
namespace {

// 15 significant digits: counters in the millions and Unix timestamps print exactly
// (six digits turned 1795790056 into 1.79579e+09), while 0.1 stays 0.1.
void append_double(std::string& out, double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.15g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

Metrics::Metrics() { set_routes(Router()); }

void Metrics::set_routes(const Router& router) {
  slots_.clear();
  for (const auto& route : router.routes()) {
    auto slot = std::make_unique<Slot>();
    slot->method = std::string(method_name(route.method));
    slot->route = route.pattern;
    slots_.push_back(std::move(slot));
  }
  auto unmatched = std::make_unique<Slot>();
  unmatched->method = "-";
  unmatched->route = "unmatched";
  slots_.push_back(std::move(unmatched));
}

void Metrics::observe_request(const Route* route, int status, double seconds) {
  Slot& slot = *slots_[route ? route->index : slots_.size() - 1];
  const int clamped = std::clamp(status, kMinStatus, kMaxStatus);
  slot.by_status[static_cast<std::size_t>(clamped - kMinStatus)].fetch_add(
      1, std::memory_order_relaxed);
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin());
  slot.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  slot.sum_micros.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::register_value(std::string name, std::string help, Kind kind,
                             std::function<double()> read) {
  external_.push_back(External{std::move(name), std::move(help), kind, std::move(read)});
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  append_header(out, "praxis_http_requests_total", "HTTP requests by route and status.", "counter");
  for (const auto& slot : slots_) {
    for (std::size_t i = 0; i < slot->by_status.size(); ++i) {
      const auto n = slot->by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.append("praxis_http_requests_total{method=\"").append(slot->method);
      out.append("\",route=\"").append(slot->route).append("\",status=\"");
      out.append(std::to_string(static_cast<int>(i) + kMinStatus)).append("\"} ");
      out.append(std::to_string(n)).append("\n");
    }
  }
  append_header(out, "praxis_http_request_duration_seconds",
                "Time from a complete request header to the response being written.", "histogram");
  for (const auto& slot : slots_) {
    std::uint64_t cumulative = 0;
    std::string labels = "method=\"" + slot->method + "\",route=\"" + slot->route + "\"";
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += slot->buckets[b].load(std::memory_order_relaxed);
      if (b == kBuckets.size() && cumulative == 0) break;  // never used: keep the output short
      out.append("praxis_http_request_duration_seconds_bucket{").append(labels).append(",le=\"");
      if (b < kBuckets.size())
        append_double(out, kBuckets[b]);
      else
        out.append("+Inf");
      out.append("\"} ").append(std::to_string(cumulative)).append("\n");
    }
    if (cumulative == 0) continue;
    out.append("praxis_http_request_duration_seconds_sum{").append(labels).append("} ");
    append_double(out, static_cast<double>(slot->sum_micros.load()) / 1e6);
    out.append("\npraxis_http_request_duration_seconds_count{").append(labels).append("} ");
    out.append(std::to_string(cumulative)).append("\n");
  }
  append_header(out, "praxis_http_requests_in_flight", "Requests being handled now.", "gauge");
  out.append("praxis_http_requests_in_flight ")
      .append(std::to_string(in_flight_.load()))
      .append("\n");
  append_header(out, "praxis_http_open_connections", "Open client connections.", "gauge");
  out.append("praxis_http_open_connections ")
      .append(std::to_string(open_connections_.load()))
      .append("\n");
  append_header(out, "praxis_http_rejected_connections_total",
                "Connections closed at once because max_connections was reached.", "counter");
  out.append("praxis_http_rejected_connections_total ")
      .append(std::to_string(rejected_connections_.load()))
      .append("\n");
  for (const auto& e : external_) {
    append_header(out, e.name, e.help, e.kind == Kind::counter ? "counter" : "gauge");
    out.append(e.name).append(" ");
    append_double(out, e.read());
    out.append("\n");
  }
  return out;
}

}  // namespace praxis::http
