#include "audit/merkle.hpp"

#include <sodium.h>

namespace praxis::audit {

namespace {

// The largest power of two smaller than n (n > 1).
std::uint64_t split_point(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// RFC 6962 PATH(m, D[n]) over leaf hashes.
void path(std::span<const Hash> d, std::uint64_t m, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (m < k) {
    path(d.first(k), m, out);
    out.push_back(root(d.subspan(k)));
  } else {
    path(d.subspan(k), m - k, out);
    out.push_back(root(d.first(k)));
  }
}

// RFC 6962 SUBPROOF(m, D[n], b).
void subproof(std::span<const Hash> d, std::uint64_t m, bool b, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (m == n) {
    if (!b) out.push_back(root(d));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(d.first(k), m, b, out);
    out.push_back(root(d.subspan(k)));
  } else {
    subproof(d.subspan(k), m - k, false, out);
    out.push_back(root(d.first(k)));
  }
}

bool lsb(std::uint64_t x) { return (x & 1U) != 0; }

}  // namespace

Hash leaf_hash(std::span<const std::uint8_t> entry) {
  Hash out{};
  crypto_hash_sha256_state state;
  const std::uint8_t prefix = 0x00;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, &prefix, 1);
  crypto_hash_sha256_update(&state, entry.data(), entry.size());
  crypto_hash_sha256_final(&state, out.data());
  return out;
}

Hash node_hash(const Hash& left, const Hash& right) {
  std::array<std::uint8_t, 65> buffer{};
  buffer[0] = 0x01;
  std::copy(left.begin(), left.end(), buffer.begin() + 1);
  std::copy(right.begin(), right.end(), buffer.begin() + 33);
  Hash out{};
  crypto_hash_sha256(out.data(), buffer.data(), buffer.size());
  return out;
}

Hash empty_root() {
  Hash out{};
  crypto_hash_sha256(out.data(), nullptr, 0);
  return out;
}

Hash root(std::span<const Hash> leaves) {
  if (leaves.empty()) return empty_root();
  if (leaves.size() == 1) return leaves.front();
  const std::uint64_t k = split_point(leaves.size());
  return node_hash(root(leaves.first(k)), root(leaves.subspan(k)));
}

std::optional<std::vector<Hash>> inclusion_proof(std::span<const Hash> leaves,
                                                 std::uint64_t index) {
  if (index >= leaves.size()) return std::nullopt;
  std::vector<Hash> out;
  path(leaves, index, out);
  return out;
}

std::optional<std::vector<Hash>> consistency_proof(std::span<const Hash> leaves,
                                                   std::uint64_t old_size) {
  if (old_size == 0 || old_size > leaves.size()) return std::nullopt;
  std::vector<Hash> out;
  subproof(leaves, old_size, true, out);
  return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& expected_root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      r = node_hash(p, r);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1U;
        sn >>= 1U;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1U;
    sn >>= 1U;
  }
  return sn == 0 && r == expected_root;
}

bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                        const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();  // the empty tree is a prefix of every tree
  std::vector<Hash> path(proof.begin(), proof.end());
  // If the old tree is a complete subtree, its root is the first node of the path.
  if ((old_size & (old_size - 1)) == 0) path.insert(path.begin(), old_root);
  if (path.empty()) return false;
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while (lsb(fn)) {
    fn >>= 1U;
    sn >>= 1U;
  }
  Hash fr = path.front();
  Hash sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1U;
        sn >>= 1U;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1U;
    sn >>= 1U;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace praxis::audit
