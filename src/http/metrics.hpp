#pragma once
// Request metrics in Prometheus text format (exposition format 0.0.4).
//
// Counters are lock-free atomics in fixed slots (one per route plus one for
// requests that matched no route), so recording costs a few atomic adds on the hot
// path. Labels are route patterns, never raw paths (a path may carry personal data).
// Other components register their own gauges/counters as callbacks.
// Thread-safe, except register_value, which happens before serving.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/router.hpp"

namespace praxis::http {

class Metrics {
 public:
  Metrics();
  // Creates one slot per route of `router`. Called by Server::start, before serving.
  void set_routes(const Router& router);

  // `route` is null for requests that matched no route.
  void observe_request(const Route* route, int status, double seconds);

  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_rejected() { rejected_connections_.fetch_add(1, std::memory_order_relaxed); }
  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  std::int64_t open_connections() const { return open_connections_.load(); }
  std::int64_t in_flight() const { return in_flight_.load(); }

  enum class Kind { counter, gauge };
  // Adds a metric whose value is read when /metrics is rendered.
  void register_value(std::string name, std::string help, Kind kind, std::function<double()> read);

  std::string render() const;

  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

 private:
  static constexpr int kMinStatus = 100;
  static constexpr int kMaxStatus = 599;
  struct Slot {
    std::string method;
    std::string route;
    std::array<std::atomic<std::uint64_t>, kMaxStatus - kMinStatus + 1> by_status{};
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets{};  // last is +Inf
    std::atomic<std::uint64_t> sum_micros{0};
  };
  struct External {
    std::string name;
    std::string help;
    Kind kind;
    std::function<double()> read;
  };

  std::vector<std::unique_ptr<Slot>> slots_;  // routes in table order, then "unmatched"
  std::vector<External> external_;
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::uint64_t> rejected_connections_{0};
};

}  // namespace praxis::http
