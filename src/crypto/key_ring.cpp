#include "crypto/key_ring.hpp"

#include <sodium.h>

#include "core/bytes.hpp"

namespace praxis::crypto {
namespace {

constexpr std::string_view kWrapLabel = "praxis.wrap.v1";
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kSealedBytes = kNonceBytes + kKeyBytes + kTagBytes;
constexpr std::uint64_t kIndexSubkey = 1;
constexpr std::uint64_t kAuditSubkey = 2;

std::vector<std::uint8_t> wrap_aad(std::uint64_t key_id, std::uint32_t version,
                                   std::uint64_t parent_id, const KeyOwner& owner) {
  std::vector<std::uint8_t> aad(kWrapLabel.begin(), kWrapLabel.end());
  aad.reserve(64 + owner.practice_id.size() + owner.subject.size());
  aad.push_back(static_cast<std::uint8_t>(owner.kind));
  core::put_u64(aad, key_id);
  core::put_u32(aad, version);
  core::put_u64(aad, parent_id);
  core::put_text(aad, owner.practice_id);
  core::put_text(aad, owner.subject);
  return aad;
}

std::uint64_t random_key_id() {
  std::uint64_t id = 0;
  while (id == 0) randombytes_buf(&id, sizeof id);
  return id;
}

}  // namespace

std::string_view crypto_error_name(CryptoError e) {
  switch (e) {
    case CryptoError::malformed:
      return "malformed";
    case CryptoError::unknown_key:
      return "unknown_key";
    case CryptoError::authentication_failed:
      return "authentication_failed";
  }
  return "unknown";
}

WrappedKey wrap_key(const SecretKey& parent, std::uint64_t parent_id, const Key& child,
                    const KeyOwner& owner) {
  WrappedKey w;
  w.key_id = child.id;
  w.version = child.version;
  w.wrapping_key_id = parent_id;
  w.sealed.resize(kSealedBytes);
  randombytes_buf(w.sealed.data(), kNonceBytes);
  const auto aad = wrap_aad(child.id, child.version, parent_id, owner);
  crypto_aead_xchacha20poly1305_ietf_encrypt(w.sealed.data() + kNonceBytes, nullptr,
                                             child.secret.data(), kKeyBytes, aad.data(), aad.size(),
                                             nullptr, w.sealed.data(), parent.data());
  return w;
}

CryptoResult<SecretKey> unwrap_key(const SecretKey& parent, std::uint64_t parent_id,
                                   const WrappedKey& wrapped, const KeyOwner& owner) {
  if (wrapped.sealed.size() != kSealedBytes) return tl::unexpected(CryptoError::malformed);
  if (wrapped.wrapping_key_id != parent_id) return tl::unexpected(CryptoError::unknown_key);
  const auto aad = wrap_aad(wrapped.key_id, wrapped.version, parent_id, owner);
  bool ok = false;
  SecretKey key = SecretKey::generate([&](std::uint8_t* out) {
    ok = crypto_aead_xchacha20poly1305_ietf_decrypt(
             out, nullptr, nullptr, wrapped.sealed.data() + kNonceBytes, kKeyBytes + kTagBytes,
             aad.data(), aad.size(), wrapped.sealed.data(), parent.data()) == 0;
  });
  if (!ok) return tl::unexpected(CryptoError::authentication_failed);
  return key;
}

KeyRing::KeyRing(std::vector<MasterKey> masters, std::size_t cache_capacity)
    : masters_(std::move(masters)) {
  if (masters_.empty()) throw std::invalid_argument("KeyRing needs a master key");
  // Every shard holds at least one key and all of them together at most the capacity.
  const std::size_t capacity = std::max<std::size_t>(1, cache_capacity);
  shard_count_ = std::min(kMaxShards, capacity);
  shard_capacity_ = capacity / shard_count_;
  shards_ = std::make_unique<Shard[]>(shard_count_);
  init_sodium();
}

KeyRing::Shard& KeyRing::shard_of(const CacheId& id) const {
  // Key ids are random (create_under), so the cache's hash spreads them over the shards;
  // each shard's map has a prime number of buckets, which the shard does not bias.
  return shards_[CacheIdHash{}(id) % shard_count_];
}

const MasterKey* KeyRing::master_by_id(std::uint64_t id) const {
  for (const auto& m : masters_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

KeyPtr KeyRing::lookup(const WrappedKey& wrapped, const KeyOwner& owner) {
  const CacheId id{wrapped.key_id, wrapped.version};
  Shard& shard = shard_of(id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(id);
  if (it == shard.index.end()) return nullptr;
  const CacheEntry& e = *it->second;
  if (e.kind != owner.kind || e.practice_id != owner.practice_id || e.subject != owner.subject) {
    return nullptr;  // same id presented for another owner: unwrap (and fail) the hard way
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return e.key;
}

void KeyRing::remember(const KeyOwner& owner, KeyPtr key) {
  const CacheId id{key->id, key->version};
  Shard& shard = shard_of(id);
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(id); it != shard.index.end()) {
    shard.lru.erase(it->second);
    shard.index.erase(it);
  }
  shard.lru.push_front(CacheEntry{key->id, key->version, owner.kind, std::string(owner.practice_id),
                                  std::string(owner.subject), std::move(key)});
  shard.index[id] = shard.lru.begin();
  while (shard.lru.size() > shard_capacity_) {
    shard.index.erase(CacheId{shard.lru.back().key_id, shard.lru.back().version});
    shard.lru.pop_back();
  }
}

CryptoResult<KeyPtr> KeyRing::unwrap_cached(const SecretKey& parent, std::uint64_t parent_id,
                                            const WrappedKey& wrapped, const KeyOwner& owner) {
  if (KeyPtr hit = lookup(wrapped, owner)) return hit;
  auto secret = unwrap_key(parent, parent_id, wrapped, owner);
  if (!secret) return tl::unexpected(secret.error());
  auto key = std::make_shared<const Key>(Key{std::move(*secret), wrapped.key_id, wrapped.version});
  remember(owner, key);
  return key;
}

KeyRing::NewKey KeyRing::create_under(const SecretKey& parent, std::uint64_t parent_id,
                                      const KeyOwner& owner) {
  auto key = std::make_shared<const Key>(Key{SecretKey::random(), random_key_id(), 1});
  WrappedKey wrapped = wrap_key(parent, parent_id, *key, owner);
  remember(owner, key);
  return NewKey{std::move(key), std::move(wrapped)};
}

KeyRing::NewKey KeyRing::create_practice_key(std::string_view practice_id) {
  const auto& m = masters_.front();
  return create_under(m.key, m.id, KeyOwner{KeyKind::practice, practice_id, {}});
}

CryptoResult<KeyPtr> KeyRing::practice_key(std::string_view practice_id,
                                           const WrappedKey& wrapped) {
  const MasterKey* m = master_by_id(wrapped.wrapping_key_id);
  if (!m) return tl::unexpected(CryptoError::unknown_key);
  return unwrap_cached(m->key, m->id, wrapped, KeyOwner{KeyKind::practice, practice_id, {}});
}

CryptoResult<WrappedKey> KeyRing::rewrap_practice_key(std::string_view practice_id,
                                                      const WrappedKey& wrapped) {
  auto key = practice_key(practice_id, wrapped);
  if (!key) return tl::unexpected(key.error());
  const auto& m = masters_.front();
  return wrap_key(m.key, m.id, **key, KeyOwner{KeyKind::practice, practice_id, {}});
}

KeyRing::NewKey KeyRing::create_patient_key(const Key& practice_key, std::string_view practice_id,
                                            std::string_view patient_id) {
  return create_under(practice_key.secret, practice_key.id,
                      KeyOwner{KeyKind::patient, practice_id, patient_id});
}

CryptoResult<KeyPtr> KeyRing::patient_key(const Key& practice_key, std::string_view practice_id,
                                          std::string_view patient_id, const WrappedKey& wrapped) {
  return unwrap_cached(practice_key.secret, practice_key.id, wrapped,
                       KeyOwner{KeyKind::patient, practice_id, patient_id});
}

KeyRing::NewKey KeyRing::create_signing_seed(std::string_view purpose) {
  const auto& m = masters_.front();
  return create_under(m.key, m.id, KeyOwner{KeyKind::signing, {}, purpose});
}

CryptoResult<KeyPtr> KeyRing::signing_seed(std::string_view purpose, const WrappedKey& wrapped) {
  const MasterKey* m = master_by_id(wrapped.wrapping_key_id);
  if (!m) return tl::unexpected(CryptoError::unknown_key);
  return unwrap_cached(m->key, m->id, wrapped, KeyOwner{KeyKind::signing, {}, purpose});
}

CryptoResult<WrappedKey> KeyRing::rewrap_signing_seed(std::string_view purpose,
                                                      const WrappedKey& wrapped) {
  auto key = signing_seed(purpose, wrapped);
  if (!key) return tl::unexpected(key.error());
  const auto& m = masters_.front();
  return wrap_key(m.key, m.id, **key, KeyOwner{KeyKind::signing, {}, purpose});
}

SecretKey KeyRing::index_key(const Key& practice_key) {
  return SecretKey::generate([&](std::uint8_t* out) {
    crypto_kdf_derive_from_key(out, kKeyBytes, kIndexSubkey, "prxindex",
                               practice_key.secret.data());
  });
}

SecretKey KeyRing::column_key(const SecretKey& index_key, std::string_view column) {
  std::uint8_t digest[8];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(column.data()),
                     column.size(), nullptr, 0);
  const std::uint64_t subkey = core::get_u64(digest);
  return SecretKey::generate([&](std::uint8_t* out) {
    crypto_kdf_derive_from_key(out, kKeyBytes, subkey, "prxcolmn", index_key.data());
  });
}

SecretKey KeyRing::audit_seed(const Key& practice_key) {
  return SecretKey::generate([&](std::uint8_t* out) {
    crypto_kdf_derive_from_key(out, kKeyBytes, kAuditSubkey, "prxaudit",
                               practice_key.secret.data());
  });
}

std::size_t KeyRing::cached() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].lru.size();
  }
  return n;
}

}  // namespace praxis::crypto
