// RFC 6962 Merkle trees: the reference vectors of Certificate Transparency (the eight
// leaves and tree heads used by every CT implementation's tests), and properties over
// random trees: every inclusion and consistency proof verifies, and changing any node,
// size, index or root makes verification fail.

#include "audit/merkle.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <map>
#include <string>

#include "crypto/encoding.hpp"

namespace praxis::audit {
namespace {

std::vector<std::uint8_t> unhex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Hash h(std::string_view hex) {
  Hash out{};
  const auto bytes = unhex(hex);
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

const char* kLeaves[] = {"",
                         "00",
                         "10",
                         "2021",
                         "3031",
                         "40414243",
                         "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f"};
const char* kRoots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

std::vector<Hash> reference_leaves() {
  std::vector<Hash> out;
  for (auto hex : kLeaves) out.push_back(leaf_hash(unhex(hex)));
  return out;
}

TEST(Merkle, ReferenceTreeHeads) {
  EXPECT_EQ(empty_root(), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_EQ(root({}), empty_root());
  const auto leaves = reference_leaves();
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    EXPECT_EQ(root(std::span(leaves).first(n)), h(kRoots[n - 1])) << "size " << n;
  }
}

TEST(Merkle, ReferenceInclusionProof) {
  const auto leaves = reference_leaves();
  const auto proof = inclusion_proof(leaves, 0);
  ASSERT_TRUE(proof);
  const std::vector<Hash> expected = {
      h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")};
  EXPECT_EQ(*proof, expected);
  EXPECT_TRUE(verify_inclusion(0, 8, leaves[0], *proof, h(kRoots[7])));
  EXPECT_FALSE(inclusion_proof(leaves, 8)) << "out of range";
}

TEST(Merkle, EveryProofInTheReferenceTreeVerifies) {
  const auto leaves = reference_leaves();
  for (std::uint64_t n = 1; n <= 8; ++n) {
    const auto d = std::span(leaves).first(n);
    const Hash r = root(d);
    for (std::uint64_t i = 0; i < n; ++i) {
      auto p = inclusion_proof(d, i);
      ASSERT_TRUE(p);
      EXPECT_TRUE(verify_inclusion(i, n, d[i], *p, r)) << i << "/" << n;
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      auto p = consistency_proof(d, m);
      ASSERT_TRUE(p);
      EXPECT_TRUE(verify_consistency(m, n, root(d.first(m)), r, *p)) << m << "->" << n;
    }
  }
}

std::vector<Hash> random_leaves(std::size_t n, std::uint64_t seed) {
  std::vector<Hash> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string entry = "entry-" + std::to_string(seed) + "-" + std::to_string(i);
    out.push_back(
        leaf_hash(std::span(reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size())));
  }
  return out;
}

RC_GTEST_PROP(MerkleProperty, InclusionProofsVerifyAndTamperingFails, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 300);
  const auto leaves = random_leaves(n, *rc::gen::arbitrary<std::uint32_t>());
  const auto index = *rc::gen::inRange<std::uint64_t>(0, n);
  const Hash r = root(leaves);
  auto proof = inclusion_proof(leaves, index);
  RC_ASSERT(proof.has_value());
  RC_ASSERT(verify_inclusion(index, n, leaves[index], *proof, r));
  if (!proof->empty()) {
    const auto node = *rc::gen::inRange<std::size_t>(0, proof->size());
    const auto byte = *rc::gen::inRange<std::size_t>(0, 32);
    auto bad = *proof;
    bad[node][byte] ^= 0x01;
    RC_ASSERT(!verify_inclusion(index, n, leaves[index], bad, r));
    auto shorter = *proof;
    shorter.pop_back();
    RC_ASSERT(!verify_inclusion(index, n, leaves[index], shorter, r));
  }
  if (n > 1) {
    const auto other = (index + 1) % n;
    RC_ASSERT(!verify_inclusion(index, n, leaves[other], *proof, r));
  }
  Hash wrong_root = r;
  wrong_root[0] ^= 0x80;
  RC_ASSERT(!verify_inclusion(index, n, leaves[index], *proof, wrong_root));
  // (A different tree size can share the path shape, e.g. index 0 in 3 and 4 leaves;
  // the signed checkpoint binds size and root together, so that is not a weakness.)
  RC_ASSERT(!verify_inclusion(index, index, leaves[index], *proof, r));  // index beyond size
}

RC_GTEST_PROP(MerkleProperty, ConsistencyProofsVerifyAndTamperingFails, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 300);
  const auto leaves = random_leaves(n, *rc::gen::arbitrary<std::uint32_t>());
  const auto m = *rc::gen::inRange<std::size_t>(1, n + 1);
  const Hash old_root = root(std::span(leaves).first(m));
  const Hash new_root = root(leaves);
  auto proof = consistency_proof(leaves, m);
  RC_ASSERT(proof.has_value());
  RC_ASSERT(verify_consistency(m, n, old_root, new_root, *proof));
  if (!proof->empty()) {
    const auto node = *rc::gen::inRange<std::size_t>(0, proof->size());
    const auto byte = *rc::gen::inRange<std::size_t>(0, 32);
    auto bad = *proof;
    bad[node][byte] ^= 0x01;
    RC_ASSERT(!verify_consistency(m, n, old_root, new_root, bad));
  }
  Hash wrong = old_root;
  wrong[31] ^= 0x01;
  RC_ASSERT(!verify_consistency(m, n, wrong, new_root, *proof));
  if (m < n) {
    // A tree whose history was rewritten: change one of the first m leaves.
    auto rewritten = leaves;
    rewritten[*rc::gen::inRange<std::size_t>(0, m)][0] ^= 0x01;
    RC_ASSERT(!verify_consistency(m, n, old_root, root(rewritten), *proof));
  }
}

// The frontier that appends keep (and the complete subtrees it closes) describes the
// same tree as the leaves; proofs from those stored subtrees equal the proofs from the
// leaves, at every size up to the current one.
RC_GTEST_PROP(MerkleProperty, FrontierAndStoredSubtreesAgreeWithTheLeaves, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 200);
  const auto leaves = random_leaves(n, *rc::gen::arbitrary<std::uint32_t>());
  std::map<std::pair<unsigned, std::uint64_t>, Hash> stored;
  Frontier frontier;
  for (std::size_t i = 0; i < n; ++i) {
    stored[{0U, i}] = leaves[i];
    for (const auto& c : frontier.append(leaves[i])) {
      const std::uint64_t first = c.index << c.level;
      RC_ASSERT(c.hash == root(std::span(leaves).subspan(first, std::uint64_t{1} << c.level)));
      stored[{c.level, c.index}] = c.hash;
    }
    RC_ASSERT(frontier.root() == root(std::span(leaves).first(i + 1)));
    auto restored = Frontier::restore(frontier.size(), frontier.nodes());
    RC_ASSERT(restored.has_value());
    RC_ASSERT(restored->root() == frontier.root());
  }
  RC_ASSERT(!Frontier::restore(n, std::vector<Hash>(std::popcount(n) + 1)).has_value());

  const NodeHash node = [&](unsigned level, std::uint64_t index) -> std::optional<Hash> {
    auto it = stored.find({level, index});
    if (it == stored.end()) return std::nullopt;
    return it->second;
  };
  const SubtreeHash mth = [&](std::uint64_t begin, std::uint64_t end) {
    return subtree_from_nodes(begin, end, node);
  };
  const auto size = *rc::gen::inRange<std::uint64_t>(1, n + 1);
  const auto prefix = std::span(leaves).first(size);
  const auto index = *rc::gen::inRange<std::uint64_t>(0, size);
  RC_ASSERT(inclusion_proof(size, index, mth) == inclusion_proof(prefix, index));
  const auto old_size = *rc::gen::inRange<std::uint64_t>(1, size + 1);
  RC_ASSERT(consistency_proof(size, old_size, mth) == consistency_proof(prefix, old_size));

  // Without a needed node there is no proof, rather than a wrong one.
  if (size > 1) {
    const NodeHash gappy = [&](unsigned level, std::uint64_t i) -> std::optional<Hash> {
      if (level == 0 && i == (index ^ 1U)) return std::nullopt;
      return node(level, i);
    };
    const SubtreeHash holes = [&](std::uint64_t begin, std::uint64_t end) {
      return subtree_from_nodes(begin, end, gappy);
    };
    if ((index ^ 1U) < size) RC_ASSERT(!inclusion_proof(size, index, holes).has_value());
  }
}

}  // namespace
}  // namespace praxis::audit
