#pragma once
// Signed checkpoints of a practice's audit tree in the C2SP formats (tlog-checkpoint
// inside a signed-note), so standard transparency-log tooling can check them:
//
//   <origin>\n            e.g. "praxis.example/audit/<practice id>"
//   <tree size>\n         decimal
//   <root hash>\n         standard base64 of the 32-byte RFC 6962 root
//   \n
//   — <key name> <base64(key id (4 bytes, big-endian) || Ed25519 signature)>\n
//
// key id = SHA-256(key name || 0x0A || 0x01 || public key)[:4]; the signature covers
// the three body lines including the final newline.

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/merkle.hpp"
#include "core/error.hpp"
#include "crypto/signature.hpp"

namespace praxis::audit {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};

  bool operator==(const Checkpoint&) const = default;
};

std::string checkpoint_body(const Checkpoint& c);
std::uint32_t note_key_id(std::string_view key_name, const crypto::PublicKey& key);

// The signed note. The origin and key name must be non-empty single-line printable
// text without spaces or '+' in the key name (std::invalid_argument otherwise: a
// programming error).
std::string sign_checkpoint(const Checkpoint& c, std::string_view key_name,
                            const crypto::SigningKey& key);

// Parses a signed note and checks the signature of `key_name`/`key`: invalid_input for
// anything malformed, a missing signature by that key, or a signature that fails.
[[nodiscard]] core::Result<Checkpoint> open_checkpoint(std::string_view note,
                                                       std::string_view key_name,
                                                       const crypto::PublicKey& key);

}  // namespace praxis::audit
