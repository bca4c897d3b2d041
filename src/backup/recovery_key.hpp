#pragma once
// The recovery key of an installation's backups (issue #9, DESIGN.md §7).
//
// An X25519 key pair: backups seal their file key to the public half
// (crypto_box_seal), which the installation keeps; the secret half exists only on the
// recovery sheet printed at `praxis init` and kept offline. A thief with the server
// and all its backups still cannot read a backup.
//
// Printed form: the 32 secret bytes and a 3-byte BLAKE2b checksum in base32, as 14
// groups of four characters ("ABCD-EFGH-…"). The checksum catches a mistyped group
// before anything is decrypted.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::backup {

using RecipientKey = std::array<std::uint8_t, 32>;  // X25519 public key

struct RecoveryKey {
  crypto::SecretKey secret;
  RecipientKey public_key{};
};

RecoveryKey generate_recovery_key();

// The public half of a secret (crypto_scalarmult_base).
RecipientKey public_half(const crypto::SecretKey& secret);

// "ABCD-EFGH-…-WXYZ": 14 groups of 4 base32 characters.
std::string format_recovery_key(const crypto::SecretKey& secret);

// Accepts the printed form in upper or lower case, with or without hyphens, spaces
// and line breaks. invalid_input names the problem (length, character, checksum).
[[nodiscard]] core::Result<RecoveryKey> parse_recovery_key(std::string_view text);

// Reads a file holding the printed form; lines starting with '#' are ignored.
[[nodiscard]] core::Result<RecoveryKey> read_recovery_key_file(const std::filesystem::path& file);

// A printable A4 page (SVG): what the key is for, the groups, a QR code of the
// printed form, and the instruction to keep it offline (German, then English).
[[nodiscard]] core::Result<std::string> recovery_sheet_svg(std::string_view printed,
                                                           std::string_view installation_id,
                                                           std::string_view created_at);

// The public key as text (base64) for the database's meta table, and back.
std::string recipient_to_text(const RecipientKey& key);
[[nodiscard]] core::Result<RecipientKey> recipient_from_text(std::string_view text);

}  // namespace praxis::backup
