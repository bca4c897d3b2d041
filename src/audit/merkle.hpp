#pragma once
// The Merkle tree of the audit trail (issue #8), exactly as RFC 6962 §2.1 / RFC 9162
// §2.1 define it, so that any CT-style tool can check praxis' proofs:
//
//   leaf hash  = SHA-256(0x00 || entry)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//
// Proof generation works on the leaf hashes of a tree (the audit store keeps them);
// verification needs only the proof, the sizes and the roots (RFC 9162 §2.1.3.2 and
// §2.1.4.2), as an auditor outside praxis would run it.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace praxis::audit {

using Hash = std::array<std::uint8_t, 32>;

Hash leaf_hash(std::span<const std::uint8_t> entry);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();

// MTH over the given leaf hashes.
Hash root(std::span<const Hash> leaves);

// The audit path of leaf `index` in the tree of `leaves` (RFC 6962 PATH); nullopt if
// index is out of range.
std::optional<std::vector<Hash>> inclusion_proof(std::span<const Hash> leaves, std::uint64_t index);
// The proof that the tree of the first `old_size` leaves is a prefix of the tree of all
// `leaves` (RFC 6962 PROOF); nullopt unless 0 < old_size <= leaves.size().
std::optional<std::vector<Hash>> consistency_proof(std::span<const Hash> leaves,
                                                   std::uint64_t old_size);

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& root);
bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                        const Hash& new_root, std::span<const Hash> proof);

}  // namespace praxis::audit
