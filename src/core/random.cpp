#include "core/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>
#include <vector>

namespace praxis::core {

void SystemRandom::fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed");  // broken invariant: no entropy source
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_hex(Random& random, std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::vector<std::uint8_t> buf(bytes);
  random.fill(buf);
  std::string out;
  out.reserve(bytes * 2);
  for (auto b : buf) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

}  // namespace praxis::core
