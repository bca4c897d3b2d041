#include "audit/merkle.hpp"

#include <openssl/evp.h>

#include <bit>
#include <stdexcept>

namespace praxis::audit {

namespace {

// The largest power of two smaller than n (n > 1).
std::uint64_t split_point(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// RFC 6962 PATH(m, D[begin:end]); false when a subtree hash is unavailable.
bool path(const SubtreeHash& mth, std::uint64_t begin, std::uint64_t end, std::uint64_t m,
          std::vector<Hash>& out) {
  const std::uint64_t n = end - begin;
  if (n <= 1) return true;
  const std::uint64_t k = split_point(n);
  std::optional<Hash> sibling;
  if (m < k) {
    if (!path(mth, begin, begin + k, m, out)) return false;
    sibling = mth(begin + k, end);
  } else {
    if (!path(mth, begin + k, end, m - k, out)) return false;
    sibling = mth(begin, begin + k);
  }
  if (!sibling) return false;
  out.push_back(*sibling);
  return true;
}

// RFC 6962 SUBPROOF(m, D[begin:end], b).
bool subproof(const SubtreeHash& mth, std::uint64_t begin, std::uint64_t end, std::uint64_t m,
              bool b, std::vector<Hash>& out) {
  const std::uint64_t n = end - begin;
  if (m == n) {
    if (b) return true;
    auto h = mth(begin, end);
    if (!h) return false;
    out.push_back(*h);
    return true;
  }
  const std::uint64_t k = split_point(n);
  std::optional<Hash> sibling;
  if (m <= k) {
    if (!subproof(mth, begin, begin + k, m, b, out)) return false;
    sibling = mth(begin + k, end);
  } else {
    if (!subproof(mth, begin + k, end, m - k, false, out)) return false;
    sibling = mth(begin, begin + k);
  }
  if (!sibling) return false;
  out.push_back(*sibling);
  return true;
}

SubtreeHash over(std::span<const Hash> leaves) {
  return [leaves](std::uint64_t begin, std::uint64_t end) -> std::optional<Hash> {
    return root(leaves.subspan(begin, end - begin));
  };
}

bool lsb(std::uint64_t x) { return (x & 1U) != 0; }

}  // namespace

namespace {

// SHA-256 through OpenSSL, which uses the CPU's SHA extensions where present
// (libsodium's SHA-256 is portable C, about five times slower here); `audit verify`
// hashes every entry and node. One context per thread, reused.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("SHA-256 unavailable");
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Hash digest(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {}) {
    Hash out{};
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, a.data(), a.size()) != 1 ||
        (!b.empty() && EVP_DigestUpdate(ctx_, b.data(), b.size()) != 1) ||
        EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) {
      throw std::runtime_error("SHA-256 failed");
    }
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

Sha256& sha256() {
  thread_local Sha256 instance;
  return instance;
}

}  // namespace

Hash leaf_hash(std::span<const std::uint8_t> entry) {
  static constexpr std::uint8_t kLeaf = 0x00;
  return sha256().digest(std::span(&kLeaf, 1), entry);
}

Hash node_hash(const Hash& left, const Hash& right) {
  std::array<std::uint8_t, 65> buffer{};
  buffer[0] = 0x01;
  std::copy(left.begin(), left.end(), buffer.begin() + 1);
  std::copy(right.begin(), right.end(), buffer.begin() + 33);
  return sha256().digest(buffer);
}

Hash empty_root() { return sha256().digest({}); }

Hash root(std::span<const Hash> leaves) {
  if (leaves.empty()) return empty_root();
  if (leaves.size() == 1) return leaves.front();
  const std::uint64_t k = split_point(leaves.size());
  return node_hash(root(leaves.first(k)), root(leaves.subspan(k)));
}

std::optional<std::vector<Hash>> inclusion_proof(std::uint64_t size, std::uint64_t index,
                                                 const SubtreeHash& mth) {
  if (index >= size) return std::nullopt;
  std::vector<Hash> out;
  if (!path(mth, 0, size, index, out)) return std::nullopt;
  return out;
}

std::optional<std::vector<Hash>> consistency_proof(std::uint64_t size, std::uint64_t old_size,
                                                   const SubtreeHash& mth) {
  if (old_size == 0 || old_size > size) return std::nullopt;
  std::vector<Hash> out;
  if (!subproof(mth, 0, size, old_size, true, out)) return std::nullopt;
  return out;
}

std::optional<std::vector<Hash>> inclusion_proof(std::span<const Hash> leaves,
                                                 std::uint64_t index) {
  return inclusion_proof(leaves.size(), index, over(leaves));
}

std::optional<std::vector<Hash>> consistency_proof(std::span<const Hash> leaves,
                                                   std::uint64_t old_size) {
  return consistency_proof(leaves.size(), old_size, over(leaves));
}

std::optional<Hash> subtree_from_nodes(std::uint64_t begin, std::uint64_t end,
                                       const NodeHash& node) {
  const std::uint64_t n = end - begin;
  if (n == 0) return empty_root();
  // A complete, aligned subtree is stored as one node.
  if ((n & (n - 1)) == 0 && begin % n == 0) {
    const auto level = static_cast<unsigned>(std::countr_zero(n));
    return node(level, begin >> level);
  }
  const std::uint64_t k = split_point(n);
  auto left = subtree_from_nodes(begin, begin + k, node);
  if (!left) return std::nullopt;
  auto right = subtree_from_nodes(begin + k, end, node);
  if (!right) return std::nullopt;
  return node_hash(*left, *right);
}

std::vector<Frontier::Completed> Frontier::append(const Hash& leaf) {
  std::vector<Completed> completed;
  Hash carry = leaf;
  unsigned level = 0;
  while (((size_ >> level) & 1U) != 0) {
    carry = node_hash(nodes_.back(), carry);
    nodes_.pop_back();
    ++level;
    completed.push_back({level, ((size_ + 1) >> level) - 1, carry});
  }
  nodes_.push_back(carry);
  ++size_;
  return completed;
}

Hash Frontier::root() const {
  if (nodes_.empty()) return empty_root();
  Hash r = nodes_.back();
  for (auto it = nodes_.rbegin() + 1; it != nodes_.rend(); ++it) r = node_hash(*it, r);
  return r;
}

std::optional<Frontier> Frontier::restore(std::uint64_t size, std::span<const Hash> nodes) {
  if (static_cast<std::size_t>(std::popcount(size)) != nodes.size()) return std::nullopt;
  Frontier f;
  f.size_ = size;
  f.nodes_.assign(nodes.begin(), nodes.end());
  return f;
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
