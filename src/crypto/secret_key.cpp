#include "crypto/secret_key.hpp"

#include <sodium.h>

#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

namespace praxis::crypto {
namespace {

constexpr std::size_t kSlotsPerSlab = 1024;  // 32 KiB of key material per slab

// Hands out 32-byte slots from sodium_malloc'd slabs. Slabs live for the process.
class GuardedPool {
 public:
  std::uint8_t* acquire() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) grow();
    std::uint8_t* slot = free_.back();
    free_.pop_back();
    return slot;
  }
  void release(std::uint8_t* slot) {
    sodium_memzero(slot, kKeyBytes);
    std::lock_guard lock(mutex_);
    free_.push_back(slot);
  }

 private:
  void grow() {
    init_sodium();
    auto* slab = static_cast<std::uint8_t*>(sodium_malloc(kSlotsPerSlab * kKeyBytes));
    if (!slab) throw std::bad_alloc();
    free_.reserve(free_.size() + kSlotsPerSlab);
    for (std::size_t i = kSlotsPerSlab; i-- > 0;) free_.push_back(slab + i * kKeyBytes);
  }

  std::mutex mutex_;
  std::vector<std::uint8_t*> free_;
};

GuardedPool& pool() {
  static GuardedPool* instance = new GuardedPool();  // never destroyed: keys may outlive statics
  return *instance;
}

}  // namespace

void init_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialised");
}

SecretKey SecretKey::random() {
  SecretKey key(pool().acquire());
  randombytes_buf(key.bytes_, kKeyBytes);
  return key;
}

SecretKey SecretKey::from_bytes(std::span<const std::uint8_t, kKeyBytes> bytes) {
  SecretKey key(pool().acquire());
  std::copy(bytes.begin(), bytes.end(), key.bytes_);
  return key;
}

std::uint8_t* SecretKey::acquire_slot() { return pool().acquire(); }

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) { other.bytes_ = nullptr; }

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    if (bytes_) pool().release(bytes_);
    bytes_ = other.bytes_;
    other.bytes_ = nullptr;
  }
  return *this;
}

SecretKey::~SecretKey() {
  if (bytes_) pool().release(bytes_);
}

}  // namespace praxis::crypto
