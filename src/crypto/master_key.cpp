#include "crypto/master_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace praxis::crypto {

using core::ErrorCode;

namespace {

constexpr std::string_view kKeyIdContext = "praxis.key.id";
constexpr std::string_view kCheckContext = "praxis.master.check";
constexpr std::array<std::uint8_t, 8> kSaltMagic = {'P', 'R', 'X', 'S', 'A', 'L', 'T', '1'};
constexpr std::size_t kSaltBytes = crypto_pwhash_SALTBYTES;  // 16
constexpr std::size_t kCheckBytes = 16;
constexpr std::size_t kSaltFileBytes = kSaltMagic.size() + 8 + 8 + kSaltBytes + kCheckBytes;
constexpr std::size_t kMinPassphraseChars = 12;

core::Result<void> write_private_file(const std::filesystem::path& path,
                                      std::span<const std::uint8_t> bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::fail(ErrorCode::internal, "cannot create " + path.string(),
                      core::errno_text(errno));
  }
  const ssize_t written = ::write(fd, bytes.data(), bytes.size());
  const bool ok = written == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return core::fail(ErrorCode::internal, "cannot write " + path.string(),
                      core::errno_text(saved_errno));
  }
  return {};
}

// A regular file of this user, private, of exactly `size` bytes.
core::Result<void> check_private_file(const std::filesystem::path& path, std::size_t size,
                                      std::string_view what) {
  const std::string name = std::string(what) + " " + path.string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::fail(ErrorCode::invalid_input, name + " is missing (" + core::errno_text(errno) +
                                                    "); restore it from your key backup");
  }
  if (!S_ISREG(st.st_mode))
    return core::fail(ErrorCode::invalid_input, name + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return core::fail(ErrorCode::invalid_input,
                      name + " is accessible by group or others; run: chmod 600 " + path.string());
  }
  if (st.st_uid != ::geteuid()) {
    return core::fail(
        ErrorCode::invalid_input,
        name + " is owned by another user; it must belong to the user that runs praxis");
  }
  if (st.st_size != static_cast<off_t>(size)) {
    return core::fail(ErrorCode::invalid_input, name + " has " + std::to_string(st.st_size) +
                                                    " bytes, expected " + std::to_string(size));
  }
  return {};
}

core::Result<void> read_exact(const std::filesystem::path& path, std::uint8_t* out,
                              std::size_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return core::fail(ErrorCode::internal, "cannot open " + path.string(), core::errno_text(errno));
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done != size) return core::fail(ErrorCode::internal, "cannot read " + path.string());
  return {};
}

void put_u64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_u64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

std::array<std::uint8_t, kCheckBytes> check_value(const SecretKey& key) {
  std::array<std::uint8_t, kCheckBytes> out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(kCheckContext.data()),
                     kCheckContext.size(), key.data(), kKeyBytes);
  return out;
}

core::Result<SecretKey> stretch(std::string_view passphrase, const std::uint8_t* salt,
                                std::uint64_t opslimit, std::size_t memlimit) {
  bool ok = false;
  SecretKey key = SecretKey::generate([&](std::uint8_t* out) {
    ok = crypto_pwhash(out, kKeyBytes, passphrase.data(), passphrase.size(), salt, opslimit,
                       memlimit, crypto_pwhash_ALG_ARGON2ID13) == 0;
  });
  if (!ok) {
    return core::fail(ErrorCode::internal, "Argon2id derivation failed (out of memory?)");
  }
  return key;
}

}  // namespace

std::uint64_t key_id_of(const SecretKey& key) {
  std::array<std::uint8_t, 8> out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(kKeyIdContext.data()),
                     kKeyIdContext.size(), key.data(), kKeyBytes);
  return get_u64(out.data());
}

core::Result<void> create_master_key_file(const std::filesystem::path& path) {
  init_sodium();
  std::array<std::uint8_t, kMasterKeyBytes> key{};
  randombytes_buf(key.data(), key.size());
  auto r = write_private_file(path, key);
  sodium_memzero(key.data(), key.size());
  return r;
}

core::Result<void> check_master_key_file(const std::filesystem::path& path) {
  return check_private_file(path, kMasterKeyBytes, "master key file");
}

core::Result<MasterKey> load_master_key_file(const std::filesystem::path& path) {
  init_sodium();
  if (auto r = check_master_key_file(path); !r) return tl::unexpected(r.error());
  core::Result<void> read;
  SecretKey key = SecretKey::generate(
      [&](std::uint8_t* out) { read = read_exact(path, out, kMasterKeyBytes); });
  if (!read) return tl::unexpected(read.error());
  const std::uint64_t id = key_id_of(key);
  return MasterKey{std::move(key), id};
}

core::Result<MasterKey> create_passphrase_salt_file(const std::filesystem::path& path,
                                                    std::string_view passphrase,
                                                    PassphraseCost cost) {
  init_sodium();
  if (passphrase.size() < kMinPassphraseChars) {
    return core::fail(ErrorCode::invalid_input, "the passphrase must have at least 12 characters");
  }
  std::array<std::uint8_t, kSaltFileBytes> file{};
  std::uint8_t* p = file.data();
  std::copy(kSaltMagic.begin(), kSaltMagic.end(), p);
  put_u64(p + 8, cost.opslimit);
  put_u64(p + 16, cost.memlimit);
  randombytes_buf(p + 24, kSaltBytes);
  auto key = stretch(passphrase, p + 24, cost.opslimit, cost.memlimit);
  if (!key) return tl::unexpected(key.error());
  const auto check = check_value(*key);
  std::copy(check.begin(), check.end(), p + 24 + kSaltBytes);
  if (auto r = write_private_file(path, file); !r) return tl::unexpected(r.error());
  const std::uint64_t id = key_id_of(*key);
  return MasterKey{std::move(*key), id};
}

core::Result<MasterKey> derive_master_key(const std::filesystem::path& salt_path,
                                          std::string_view passphrase) {
  init_sodium();
  if (auto r = check_private_file(salt_path, kSaltFileBytes, "master salt file"); !r) {
    return tl::unexpected(r.error());
  }
  std::array<std::uint8_t, kSaltFileBytes> file{};
  if (auto r = read_exact(salt_path, file.data(), file.size()); !r)
    return tl::unexpected(r.error());
  if (!std::equal(kSaltMagic.begin(), kSaltMagic.end(), file.begin())) {
    return core::fail(ErrorCode::invalid_input,
                      "master salt file " + salt_path.string() + " is damaged (bad header)");
  }
  const std::uint64_t opslimit = get_u64(file.data() + 8);
  const std::uint64_t memlimit = get_u64(file.data() + 16);
  if (opslimit < crypto_pwhash_OPSLIMIT_MIN || opslimit > crypto_pwhash_OPSLIMIT_MAX ||
      memlimit < crypto_pwhash_MEMLIMIT_MIN || memlimit > (1ULL << 42)) {
    return core::fail(ErrorCode::invalid_input,
                      "master salt file " + salt_path.string() + " is damaged (cost parameters)");
  }
  auto key = stretch(passphrase, file.data() + 24, opslimit, static_cast<std::size_t>(memlimit));
  if (!key) return tl::unexpected(key.error());
  const auto check = check_value(*key);
  if (sodium_memcmp(check.data(), file.data() + 24 + kSaltBytes, kCheckBytes) != 0) {
    return core::fail(ErrorCode::invalid_input, "wrong passphrase for the master key");
  }
  const std::uint64_t id = key_id_of(*key);
  return MasterKey{std::move(*key), id};
}

}  // namespace praxis::crypto
