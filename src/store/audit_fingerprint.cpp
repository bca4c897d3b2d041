#include <algorithm>

#include "store/store.hpp"

namespace praxis::store {

// FNV-1a over the id's bytes, then the splitmix64 finalizer so that every output bit
// depends on every input bit (FNV's high bits alone mix poorly). Stored in the database:
// changing it needs a migration that rebuilds audit_subject_filters.
AuditFingerprint audit_fingerprint(std::string_view resource_id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : resource_id) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return {static_cast<std::int64_t>(h >> (64 - kAuditFilterPartBits)),
          static_cast<std::uint32_t>(h >> (64 - kAuditFilterPartBits - kAuditFingerprintBits)) &
              ((std::uint32_t{1} << kAuditFingerprintBits) - 1)};
}

void append_audit_filter_value(std::vector<std::uint8_t>& row, std::uint32_t value) {
  row.insert(row.end(),
             {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
              static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
}

std::vector<std::uint32_t> audit_filter_values(std::span<const std::uint8_t> row) {
  std::vector<std::uint32_t> out;
  out.reserve(row.size() / 4);
  for (std::size_t i = 0; i + 4 <= row.size(); i += 4) {
    out.push_back((std::uint32_t{row[i]} << 24) | (std::uint32_t{row[i + 1]} << 16) |
                  (std::uint32_t{row[i + 2]} << 8) | std::uint32_t{row[i + 3]});
  }
  return out;
}

void audit_filter_entries(std::span<const std::uint8_t> row, std::int64_t block, AuditFingerprint f,
                          std::vector<std::int64_t>& seqs) {
  // The values with this fingerprint are one run of the sorted row.
  const auto values = audit_filter_values(row);
  const std::uint32_t first = audit_filter_value(f, 0);
  const std::uint32_t offsets = (std::uint32_t{1} << kAuditBlockBits) - 1;
  for (auto it = std::lower_bound(values.begin(), values.end(), first);
       it != values.end() && (*it & ~offsets) == first; ++it) {
    seqs.push_back(audit_filter_entry(block, *it));
  }
}

}  // namespace praxis::store
