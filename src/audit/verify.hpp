#pragma once
// `praxis audit verify` (issue #8): recomputes a practice's tree from its entries and
// checks it against everything stored about it. Every entry's leaf hash is recomputed
// from its fields, the leaf indexes must run 0, 1, 2, … without gaps, every stored
// subtree node must equal the recomputed one, every checkpoint signature must hold and
// its root equal the root recomputed at its size (so each checkpoint is consistent with
// every earlier one: all are prefixes of the one recomputed sequence), and the tree
// head must match. The first problem found is reported with the leaf index it concerns.
// Leaf hashes are recomputed by several readers at once (each in its own snapshot of
// the append-only entries), the tree is then built in order.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/trail.hpp"
#include "core/error.hpp"
#include "store/store.hpp"

namespace praxis::audit {

struct VerifyResult {
  std::string practice_id;
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;
  bool ok = true;
  std::optional<std::uint64_t> first_bad;  // leaf index of the first bad entry
  std::string problem;                     // for the operator; empty when ok
};

struct VerifyOptions {
  std::int64_t chunk = 2000;         // entries read per query (larger: more time in malloc)
  std::uint64_t window = 1U << 16U;  // entries hashed in parallel while the window before
                                     // is appended to the tree
  unsigned threads = 0;              // readers hashing leaves at once; 0: the CPU's cores
  std::uint64_t min_part = 4096;     // fewer entries than this per reader: fewer readers
};

[[nodiscard]] core::Result<VerifyResult> verify_practice(store::Store& store, Trail& trail,
                                                         std::string_view practice_id,
                                                         VerifyOptions options = {});
[[nodiscard]] core::Result<std::vector<VerifyResult>> verify_all(store::Store& store, Trail& trail,
                                                                 VerifyOptions options = {});

}  // namespace praxis::audit
