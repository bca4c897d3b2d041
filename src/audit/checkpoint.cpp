#include "audit/checkpoint.hpp"

#include <sodium.h>

#include <charconv>
#include <stdexcept>

#include "crypto/encoding.hpp"

namespace praxis::audit {

namespace {

constexpr std::string_view kEmDash = "\xE2\x80\x94";

bool printable_line(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

core::Error bad(const std::string& why) {
  return core::Error::make(core::ErrorCode::invalid_input, "invalid checkpoint: " + why);
}

}  // namespace

std::string checkpoint_body(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + crypto::base64_encode(c.root) + "\n";
}

std::uint32_t note_key_id(std::string_view key_name, const crypto::PublicKey& key) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(key_name.data()),
                            key_name.size());
  const std::uint8_t separator[2] = {0x0A, 0x01};  // newline, then signature type Ed25519
  crypto_hash_sha256_update(&state, separator, sizeof separator);
  crypto_hash_sha256_update(&state, key.data(), key.size());
  std::uint8_t digest[32];
  crypto_hash_sha256_final(&state, digest);
  return (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
         (std::uint32_t{digest[2]} << 8) | std::uint32_t{digest[3]};
}

std::string sign_checkpoint(const Checkpoint& c, std::string_view key_name,
                            const crypto::SigningKey& key) {
  if (!printable_line(c.origin) || !printable_line(key_name) ||
      key_name.find_first_of(" +") != std::string_view::npos) {
    throw std::invalid_argument("checkpoint origin or key name not usable in a signed note");
  }
  const std::string body = checkpoint_body(c);
  const auto signature =
      key.sign(std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  const std::uint32_t id = note_key_id(key_name, key.public_key());
  std::vector<std::uint8_t> blob = {
      static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
      static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
  blob.insert(blob.end(), signature.begin(), signature.end());
  return body + "\n" + std::string(kEmDash) + " " + std::string(key_name) + " " +
         crypto::base64_encode(blob) + "\n";
}

core::Result<Checkpoint> open_checkpoint(std::string_view note, std::string_view key_name,
                                         const crypto::PublicKey& key) {
  const auto split = note.find("\n\n");
  if (split == std::string_view::npos) return tl::unexpected(bad("no signature block"));
  const std::string_view body = note.substr(0, split + 1);
  std::string_view signatures = note.substr(split + 2);
  // The body: origin, size, root (further lines are extensions, ignored but signed).
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < body.size();) {
    const auto end = body.find('\n', start);
    lines.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3 || !printable_line(lines[0])) return tl::unexpected(bad("body"));
  Checkpoint c;
  c.origin = std::string(lines[0]);
  auto [p, ec] = std::from_chars(lines[1].data(), lines[1].data() + lines[1].size(), c.size);
  if (ec != std::errc() || p != lines[1].data() + lines[1].size() ||
      (lines[1].size() > 1 && lines[1][0] == '0')) {
    return tl::unexpected(bad("tree size"));
  }
  auto root = crypto::base64_decode(lines[2]);
  if (!root || root->size() != c.root.size()) return tl::unexpected(bad("root hash"));
  std::copy(root->begin(), root->end(), c.root.begin());

  const std::uint32_t expected_id = note_key_id(key_name, key);
  bool verified = false;
  while (!signatures.empty()) {
    const auto end = signatures.find('\n');
    if (end == std::string_view::npos) return tl::unexpected(bad("signature line"));
    const std::string_view line = signatures.substr(0, end);
    signatures.remove_prefix(end + 1);
    const std::string prefix = std::string(kEmDash) + " ";
    if (!line.starts_with(prefix)) return tl::unexpected(bad("signature line"));
    const std::string_view rest = line.substr(prefix.size());
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) return tl::unexpected(bad("signature line"));
    if (rest.substr(0, space) != key_name) continue;  // another signer
    auto blob = crypto::base64_decode(rest.substr(space + 1));
    if (!blob || blob->size() != 4 + 64) continue;
    const std::uint32_t id = (std::uint32_t{(*blob)[0]} << 24) | (std::uint32_t{(*blob)[1]} << 16) |
                             (std::uint32_t{(*blob)[2]} << 8) | std::uint32_t{(*blob)[3]};
    if (id != expected_id) continue;  // same name, another key
    crypto::Signature signature{};
    std::copy(blob->begin() + 4, blob->end(), signature.begin());
    if (!crypto::verify_signature(
            key, std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
            signature)) {
      return tl::unexpected(bad("signature does not verify"));
    }
    verified = true;
  }
  if (!verified) return tl::unexpected(bad("not signed by " + std::string(key_name)));
  return c;
}

}  // namespace praxis::audit
