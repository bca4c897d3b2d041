#pragma once
// Little helpers for building authenticated data and binary formats. Internal to crypto.

#include <cstdint>
#include <string_view>
#include <vector>

namespace praxis::crypto::detail {

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline std::uint64_t get_u64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}
// Length-prefixed (32 bits), so ("ab","c") and ("a","bc") never give the same bytes.
inline void put_text(std::vector<std::uint8_t>& out, std::string_view text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

}  // namespace praxis::crypto::detail
