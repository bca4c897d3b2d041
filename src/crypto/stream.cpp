#include "crypto/stream.hpp"

#include <cstring>

namespace praxis::crypto {
namespace {

constexpr std::array<char, 8> kMagic = {'P', 'R', 'X', 'S', 'T', 'R', 'M', '1'};
constexpr std::size_t kABytes = crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr std::size_t kMaxChunkCiphertext = kStreamChunkBytes + kABytes;

core::Error stream_error(const std::string& what) {
  return core::Error::make(core::ErrorCode::invalid_input, "encrypted stream: " + what);
}

// Reads up to `len` bytes; returns how many (fewer only at end of stream).
std::size_t read_fully(std::istream& in, std::uint8_t* out, std::size_t len) {
  in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(len));
  return static_cast<std::size_t>(in.gcount());
}

}  // namespace

StreamEncryptor::StreamEncryptor(const SecretKey& key) {
  init_sodium();
  crypto_secretstream_xchacha20poly1305_init_push(&state_, header_.data(), key.data());
}

std::vector<std::uint8_t> StreamEncryptor::push(std::span<const std::uint8_t> plaintext,
                                                bool final) {
  std::vector<std::uint8_t> out(plaintext.size() + kABytes);
  crypto_secretstream_xchacha20poly1305_push(
      &state_, out.data(), nullptr, plaintext.data(), plaintext.size(), nullptr, 0,
      final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
  return out;
}

StreamDecryptor::StreamDecryptor(
    const SecretKey& key,
    std::span<const std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES> header) {
  init_sodium();
  header_ok_ =
      crypto_secretstream_xchacha20poly1305_init_pull(&state_, header.data(), key.data()) == 0;
}

CryptoResult<StreamDecryptor::Chunk> StreamDecryptor::pull(
    std::span<const std::uint8_t> ciphertext) {
  if (!header_ok_) return tl::unexpected(CryptoError::malformed);
  if (finished_) return tl::unexpected(CryptoError::malformed);
  if (ciphertext.size() < kABytes) return tl::unexpected(CryptoError::malformed);
  Chunk chunk;
  chunk.data.resize(ciphertext.size() - kABytes);
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&state_, chunk.data.data(), nullptr, &tag,
                                                 ciphertext.data(), ciphertext.size(), nullptr,
                                                 0) != 0) {
    return tl::unexpected(CryptoError::authentication_failed);
  }
  chunk.final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  finished_ = chunk.final;
  return chunk;
}

core::Result<void> encrypt_stream(std::istream& in, std::ostream& out, const SecretKey& key) {
  StreamEncryptor enc(key);
  out.write(kMagic.data(), kMagic.size());
  out.write(reinterpret_cast<const char*>(enc.header().data()),
            static_cast<std::streamsize>(enc.header().size()));
  std::vector<std::uint8_t> current(kStreamChunkBytes), next(kStreamChunkBytes);
  std::size_t current_len = read_fully(in, current.data(), current.size());
  while (true) {
    // Read ahead one chunk to know whether this one is the last.
    const std::size_t next_len =
        current_len == kStreamChunkBytes ? read_fully(in, next.data(), next.size()) : 0;
    const bool final = next_len == 0;
    const auto sealed = enc.push(std::span(current.data(), current_len), final);
    const auto len = static_cast<std::uint32_t>(sealed.size());
    const std::array<std::uint8_t, 4> prefix = {
        static_cast<std::uint8_t>(len), static_cast<std::uint8_t>(len >> 8),
        static_cast<std::uint8_t>(len >> 16), static_cast<std::uint8_t>(len >> 24)};
    out.write(reinterpret_cast<const char*>(prefix.data()), prefix.size());
    out.write(reinterpret_cast<const char*>(sealed.data()),
              static_cast<std::streamsize>(sealed.size()));
    if (!out) return core::fail(core::ErrorCode::internal, "encrypted stream: write failed");
    if (final) break;
    std::swap(current, next);
    current_len = next_len;
  }
  sodium_memzero(current.data(), current.size());
  sodium_memzero(next.data(), next.size());
  if (in.bad()) return core::fail(core::ErrorCode::internal, "encrypted stream: read failed");
  return {};
}

core::Result<void> decrypt_stream(std::istream& in, std::ostream& out, const SecretKey& key) {
  std::array<std::uint8_t, kMagic.size() + crypto_secretstream_xchacha20poly1305_HEADERBYTES>
      head{};
  if (read_fully(in, head.data(), head.size()) != head.size() ||
      std::memcmp(head.data(), kMagic.data(), kMagic.size()) != 0) {
    return tl::unexpected(stream_error("not a praxis stream"));
  }
  StreamDecryptor dec(
      key, std::span<const std::uint8_t, crypto_secretstream_xchacha20poly1305_HEADERBYTES>(
               head.data() + kMagic.size(), crypto_secretstream_xchacha20poly1305_HEADERBYTES));
  std::vector<std::uint8_t> sealed;
  while (!dec.finished()) {
    std::array<std::uint8_t, 4> prefix{};
    const std::size_t got = read_fully(in, prefix.data(), prefix.size());
    if (got == 0) return tl::unexpected(stream_error("truncated (no final chunk)"));
    if (got != prefix.size()) return tl::unexpected(stream_error("truncated"));
    const std::uint32_t len = prefix[0] | (prefix[1] << 8) | (prefix[2] << 16) |
                              (static_cast<std::uint32_t>(prefix[3]) << 24);
    if (len < kABytes || len > kMaxChunkCiphertext)
      return tl::unexpected(stream_error("damaged chunk length"));
    sealed.resize(len);
    if (read_fully(in, sealed.data(), len) != len) return tl::unexpected(stream_error("truncated"));
    auto chunk = dec.pull(sealed);
    if (!chunk) return tl::unexpected(stream_error("tampered or wrong key"));
    out.write(reinterpret_cast<const char*>(chunk->data.data()),
              static_cast<std::streamsize>(chunk->data.size()));
    sodium_memzero(chunk->data.data(), chunk->data.size());
  }
  if (in.peek() != std::char_traits<char>::eof())
    return tl::unexpected(stream_error("trailing data after the final chunk"));
  if (!out) return core::fail(core::ErrorCode::internal, "encrypted stream: write failed");
  return {};
}

}  // namespace praxis::crypto
