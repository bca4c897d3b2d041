#pragma once
// A 32-byte secret key in guarded memory.
//
// Key bytes live in slabs allocated with sodium_malloc (guard pages before and after,
// a canary, mlock so they are not swapped out, excluded from core dumps) and are
// wiped with sodium_memzero when the key is destroyed. A slab holds many keys, so
// caching tens of thousands of patient keys costs 32 bytes each, not pages.
// SecretKey is move-only; its bytes are never copied into ordinary memory by this
// library. Thread-safe (the slab pool is locked; a key itself is immutable).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace praxis::crypto {

inline constexpr std::size_t kKeyBytes = 32;

class SecretKey {
 public:
  // A fresh random key (libsodium's CSPRNG).
  static SecretKey random();
  // Copies `bytes` into guarded memory. The caller wipes its own copy.
  static SecretKey from_bytes(std::span<const std::uint8_t, kKeyBytes> bytes);

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  const std::uint8_t* data() const { return bytes_; }
  std::span<const std::uint8_t, kKeyBytes> bytes() const {
    return std::span<const std::uint8_t, kKeyBytes>(bytes_, kKeyBytes);
  }

  // A key whose bytes `fill(std::uint8_t* out)` writes in place (derivations, file
  // reads), so they never pass through ordinary memory.
  template <typename Fill>
  static SecretKey generate(Fill&& fill) {
    SecretKey key(acquire_slot());
    fill(key.bytes_);
    return key;
  }

 private:
  explicit SecretKey(std::uint8_t* bytes) : bytes_(bytes) {}
  static std::uint8_t* acquire_slot();
  std::uint8_t* bytes_ = nullptr;
};

// Initialises libsodium; safe to call more than once and from several threads.
// Throws if the library cannot be initialised.
void init_sodium();

}  // namespace praxis::crypto
