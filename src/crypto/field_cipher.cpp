#include "crypto/field_cipher.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

#include "core/bytes.hpp"

namespace praxis::crypto {
namespace {

constexpr std::size_t kHeaderBytes = 1 + 8;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kFieldOverhead == kHeaderBytes + kNonceBytes + kTagBytes);

// The AAD fits a stack buffer for every realistic context; longer ones use the heap.
class Aad {
 public:
  Aad(std::uint64_t key_id, const FieldContext& where) {
    const std::size_t need = kHeaderBytes + 16 + where.practice_id.size() + where.table.size() +
                             where.column.size() + where.row_id.size();
    if (need > inline_.size()) heap_.resize(need);
    data_ = heap_.empty() ? inline_.data() : heap_.data();
    data_[size_++] = kFieldFormatVersion;
    for (int i = 0; i < 8; ++i) data_[size_++] = static_cast<std::uint8_t>(key_id >> (8 * i));
    put(where.practice_id);
    put(where.table);
    put(where.column);
    put(where.row_id);
  }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void put(std::string_view text) {
    const auto n = static_cast<std::uint32_t>(text.size());
    for (int i = 0; i < 4; ++i) data_[size_++] = static_cast<std::uint8_t>(n >> (8 * i));
    std::memcpy(data_ + size_, text.data(), text.size());
    size_ += text.size();
  }

  std::array<std::uint8_t, 256> inline_;
  std::vector<std::uint8_t> heap_;
  std::uint8_t* data_;
  std::size_t size_ = 0;
};

}  // namespace

std::vector<std::uint8_t> encrypt_field(const Key& key, const FieldContext& where,
                                        std::span<const std::uint8_t> plaintext) {
  std::vector<std::uint8_t> out(kFieldOverhead + plaintext.size());
  out[0] = kFieldFormatVersion;
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<std::uint8_t>(key.id >> (8 * i));
  std::uint8_t* nonce = out.data() + kHeaderBytes;
  randombytes_buf(nonce, kNonceBytes);
  const Aad aad(key.id, where);
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceBytes, nullptr, plaintext.data(),
                                             plaintext.size(), aad.data(), aad.size(), nullptr,
                                             nonce, key.secret.data());
  return out;
}

std::vector<std::uint8_t> encrypt_field(const Key& key, const FieldContext& where,
                                        std::string_view plaintext) {
  return encrypt_field(
      key, where,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(plaintext.data()),
                                    plaintext.size()));
}

std::optional<std::uint64_t> field_key_id(std::span<const std::uint8_t> ciphertext) {
  if (ciphertext.size() < kFieldOverhead || ciphertext[0] != kFieldFormatVersion)
    return std::nullopt;
  return core::get_u64(ciphertext.data() + 1);
}

namespace {

template <typename Out>
CryptoResult<Out> decrypt_into(const Key& key, const FieldContext& where,
                               std::span<const std::uint8_t> ciphertext) {
  const auto id = field_key_id(ciphertext);
  if (!id) return tl::unexpected(CryptoError::malformed);
  if (*id != key.id) return tl::unexpected(CryptoError::unknown_key);
  const std::uint8_t* nonce = ciphertext.data() + kHeaderBytes;
  const std::size_t sealed = ciphertext.size() - kHeaderBytes - kNonceBytes;
  Out out;
  out.resize(sealed - kTagBytes);
  const Aad aad(key.id, where);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<std::uint8_t*>(out.data()), nullptr, nullptr, nonce + kNonceBytes,
          sealed, aad.data(), aad.size(), nonce, key.secret.data()) != 0) {
    return tl::unexpected(CryptoError::authentication_failed);
  }
  return out;
}

}  // namespace

CryptoResult<std::vector<std::uint8_t>> decrypt_field(const Key& key, const FieldContext& where,
                                                      std::span<const std::uint8_t> ciphertext) {
  return decrypt_into<std::vector<std::uint8_t>>(key, where, ciphertext);
}

CryptoResult<std::string> decrypt_field_text(const Key& key, const FieldContext& where,
                                             std::span<const std::uint8_t> ciphertext) {
  return decrypt_into<std::string>(key, where, ciphertext);
}

}  // namespace praxis::crypto
