#pragma once
// Randomness is injected (STYLE.md), so tests can make it deterministic.
// SystemRandom draws from the kernel CSPRNG (getrandom), as ASVS 6.3.1 asks.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace praxis::core {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with random bytes. Thread-safe.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

class SystemRandom final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string random_hex(Random& random, std::size_t bytes);

}  // namespace praxis::core
