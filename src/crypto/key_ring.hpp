#pragma once
// The key hierarchy of DESIGN.md §3:
//
//   master key ─┬─ practice key (random, stored wrapped by the master key)
//               │    ├─ index key      derived: crypto_kdf(practice key, "prxindex")
//               │    │    └─ column key derived per indexed column ("prxcolmn")
//               │    ├─ audit seed     derived: Ed25519 seed for audit checkpoints ("prxaudit")
//               │    └─ patient key    random, stored wrapped by the practice key
//               └─ signing keys (server-wide, e.g. backups), stored wrapped by the master key
//
// Wrapping is XChaCha20-Poly1305 with AAD binding the key to its kind, owner (practice
// and patient id), id, version and wrapping key: a wrapped key copied to another
// owner, or presented under another id, does not unwrap.
//
// Unwrapped keys are cached in a bounded LRU (keyed by key id and version, checked
// against the owner), so reading many patients does not unwrap a key twice.
// Keys handed out are shared: eviction never invalidates a key in use.
// Thread-safe.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <unordered_map>
#include <vector>

#include "crypto/master_key.hpp"
#include "crypto/secret_key.hpp"

namespace praxis::crypto {

enum class CryptoError {
  malformed,              // not in the expected format (length, version byte)
  unknown_key,            // sealed under a key id other than the one given / no such master key
  authentication_failed,  // tampered, or moved to another row, column, practice or owner
};

std::string_view crypto_error_name(CryptoError e);

template <typename T>
using CryptoResult = tl::expected<T, CryptoError>;

enum class KeyKind : std::uint8_t { practice = 1, patient = 2, signing = 3 };

// A key as stored in the database.
struct WrappedKey {
  std::uint64_t key_id = 0;           // random; written into every ciphertext made with the key
  std::uint32_t version = 1;          // raised when the key itself is replaced
  std::uint64_t wrapping_key_id = 0;  // the master key id or the practice key id
  std::vector<std::uint8_t> sealed;   // 24-byte nonce || ciphertext || 16-byte tag
};

// The owner a key is bound to. For practice keys subject is empty; for patient keys it
// is the patient id; for signing keys, the key's purpose (e.g. "backup").
struct KeyOwner {
  KeyKind kind;
  std::string_view practice_id;
  std::string_view subject;
};

// An unwrapped key with its identity.
struct Key {
  SecretKey secret;
  std::uint64_t id = 0;
  std::uint32_t version = 1;
};
using KeyPtr = std::shared_ptr<const Key>;

// Seals `child` under `parent` (whose id is recorded as wrapping_key_id).
WrappedKey wrap_key(const SecretKey& parent, std::uint64_t parent_id, const Key& child,
                    const KeyOwner& owner);
CryptoResult<SecretKey> unwrap_key(const SecretKey& parent, std::uint64_t parent_id,
                                   const WrappedKey& wrapped, const KeyOwner& owner);

class KeyRing {
 public:
  static constexpr std::size_t kDefaultCacheCapacity = 16384;

  // `masters`: the current master key first, then older ones still accepted for
  // unwrapping (while a rotation is unfinished). Must not be empty.
  explicit KeyRing(std::vector<MasterKey> masters,
                   std::size_t cache_capacity = kDefaultCacheCapacity);

  std::uint64_t master_id() const { return masters_.front().id; }
  // True if `id` is one of the master keys this ring holds.
  bool knows_master(std::uint64_t id) const { return master_by_id(id) != nullptr; }
  // True if `wrapped` is sealed by an older master key and should be rewrapped.
  bool is_stale(const WrappedKey& wrapped) const { return wrapped.wrapping_key_id != master_id(); }

  struct NewKey {
    KeyPtr key;
    WrappedKey wrapped;
  };

  NewKey create_practice_key(std::string_view practice_id);
  CryptoResult<KeyPtr> practice_key(std::string_view practice_id, const WrappedKey& wrapped);
  // Unwraps with whichever master sealed it and seals again under the current one.
  CryptoResult<WrappedKey> rewrap_practice_key(std::string_view practice_id,
                                               const WrappedKey& wrapped);

  NewKey create_patient_key(const Key& practice_key, std::string_view practice_id,
                            std::string_view patient_id);
  CryptoResult<KeyPtr> patient_key(const Key& practice_key, std::string_view practice_id,
                                   std::string_view patient_id, const WrappedKey& wrapped);

  // A server-wide Ed25519 seed (e.g. for signing backups), wrapped by the master key.
  NewKey create_signing_seed(std::string_view purpose);
  CryptoResult<KeyPtr> signing_seed(std::string_view purpose, const WrappedKey& wrapped);
  CryptoResult<WrappedKey> rewrap_signing_seed(std::string_view purpose, const WrappedKey& wrapped);

  // Derived keys (never stored).
  static SecretKey index_key(const Key& practice_key);
  static SecretKey column_key(const SecretKey& index_key, std::string_view column);
  static SecretKey audit_seed(const Key& practice_key);

  std::size_t cached() const;

 private:
  struct CacheEntry {
    std::uint64_t key_id;
    std::uint32_t version;
    KeyKind kind;
    std::string practice_id;
    std::string subject;
    KeyPtr key;
  };
  struct CacheId {
    std::uint64_t key_id;
    std::uint32_t version;
    bool operator==(const CacheId&) const = default;
  };
  struct CacheIdHash {
    std::size_t operator()(const CacheId& c) const {
      return c.key_id ^ (std::size_t{c.version} << 1);
    }
  };

  const MasterKey* master_by_id(std::uint64_t id) const;
  CryptoResult<KeyPtr> unwrap_cached(const SecretKey& parent, std::uint64_t parent_id,
                                     const WrappedKey& wrapped, const KeyOwner& owner);
  KeyPtr lookup(const WrappedKey& wrapped, const KeyOwner& owner);
  void remember(const KeyOwner& owner, KeyPtr key);
  NewKey create_under(const SecretKey& parent, std::uint64_t parent_id, const KeyOwner& owner);

  // The cache in shards, each with its own lock, least recently used order and part of
  // the capacity: a search takes 21 keys from it, and with one lock the handler threads
  // queued behind each other there (about 500 futex sleeps a second under load,
  // docs/benchmarks.md).
  struct Shard {
    std::mutex mutex;           // reached through shards_, so const members lock it too
    std::list<CacheEntry> lru;  // most recently used first
    std::unordered_map<CacheId, std::list<CacheEntry>::iterator, CacheIdHash> index;
  };
  static constexpr std::size_t kMaxShards = 16;
  Shard& shard_of(const CacheId& id) const;

  std::vector<MasterKey> masters_;
  std::size_t shard_count_ = 1;
  std::size_t shard_capacity_ = 1;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace praxis::crypto
