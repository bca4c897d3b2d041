#pragma once
// Authenticated encryption of long streams (backups) with libsodium's
// crypto_secretstream_xchacha20poly1305: a stream is cut into chunks, each
// authenticated in sequence, the last one tagged FINAL. Truncation (no FINAL),
// reordered, dropped or repeated chunks, and flipped bits are all detected.
//
// Framing written by encrypt_stream:
//   "PRXSTRM1" | 24-byte secretstream header | { u32 LE length | chunk ciphertext }*
// Chunks carry up to 64 KiB of plaintext each.

#include <sodium.h>

#include <array>
#include <cstdint>
#include <istream>
#include <ostream>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::crypto {

inline constexpr std::size_t kStreamChunkBytes = std::size_t{64} * 1024;

class StreamEncryptor {
 public:
  explicit StreamEncryptor(const SecretKey& key);
  const std::array<std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES>& header()
      const {
    return header_;
  }
  // Encrypts one chunk; `final` marks the last one of the stream.
  std::vector<std::uint8_t> push(std::span<const std::uint8_t> plaintext, bool final);

 private:
  crypto_secretstream_xchacha20poly1305_state state_;
  std::array<std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES> header_{};
};

class StreamDecryptor {
 public:
  StreamDecryptor(
      const SecretKey& key,
      std::span<const std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES> header);
  struct Chunk {
    std::vector<std::uint8_t> data;
    bool final = false;
  };
  // authentication_failed for a tampered, reordered or foreign chunk; malformed after FINAL.
  CryptoResult<Chunk> pull(std::span<const std::uint8_t> ciphertext);
  bool finished() const { return finished_; }

 private:
  crypto_secretstream_xchacha20poly1305_state state_;
  bool header_ok_ = true;
  bool finished_ = false;
};

// Whole streams with the framing above. Errors name what went wrong
// ("truncated", "tampered", "not a praxis stream", "trailing data").
[[nodiscard]] core::Result<void> encrypt_stream(std::istream& in, std::ostream& out,
                                                const SecretKey& key);
[[nodiscard]] core::Result<void> decrypt_stream(std::istream& in, std::ostream& out,
                                                const SecretKey& key);

}  // namespace praxis::crypto
