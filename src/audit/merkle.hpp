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
#include <functional>
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

// The same proofs from any source of subtree hashes: mth(begin, end) is MTH(D[begin:end])
// of the tree, nullopt if it cannot be had (then the proof is nullopt too). The audit
// store answers it from its stored complete subtrees (subtree_from_nodes).
using SubtreeHash = std::function<std::optional<Hash>(std::uint64_t begin, std::uint64_t end)>;
std::optional<std::vector<Hash>> inclusion_proof(std::uint64_t size, std::uint64_t index,
                                                 const SubtreeHash& mth);
std::optional<std::vector<Hash>> consistency_proof(std::uint64_t size, std::uint64_t old_size,
                                                   const SubtreeHash& mth);

// node(level, index) is the hash of the complete subtree over leaves
// [index·2^level, (index+1)·2^level) (level 0: the leaf hash). MTH(D[begin:end]) from
// at most 2·log2(n) such nodes.
using NodeHash = std::function<std::optional<Hash>(unsigned level, std::uint64_t index)>;
std::optional<Hash> subtree_from_nodes(std::uint64_t begin, std::uint64_t end,
                                       const NodeHash& node);

// The right edge of a growing tree: the roots of its complete subtrees, largest first
// (one per set bit of the size). Appending a leaf yields the complete subtrees it
// closes, which the audit store keeps; the root needs nothing else.
class Frontier {
 public:
  struct Completed {
    unsigned level = 0;
    std::uint64_t index = 0;
    Hash hash{};
  };
  Frontier() = default;
  // nullopt unless nodes has one hash per set bit of size.
  static std::optional<Frontier> restore(std::uint64_t size, std::span<const Hash> nodes);
  std::vector<Completed> append(const Hash& leaf);
  Hash root() const;
  std::uint64_t size() const { return size_; }
  const std::vector<Hash>& nodes() const { return nodes_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> nodes_;
};

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& root);
bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                        const Hash& new_root, std::span<const Hash> proof);

}  // namespace praxis::audit
