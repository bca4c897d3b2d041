#include "core/clock.hpp"

namespace praxis::core {

Instant SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

}  // namespace praxis::core
