#include "crypto/master_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace praxis::crypto {

using core::ErrorCode;

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

core::Result<void> create_master_key_file(const std::filesystem::path& path) {
  init_sodium();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::fail(ErrorCode::internal, "cannot create the master key file " + path.string(),
                      std::strerror(errno));
  }
  std::array<unsigned char, kMasterKeyBytes> key{};
  randombytes_buf(key.data(), key.size());
  const ssize_t written = ::write(fd, key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  const bool ok = written == static_cast<ssize_t>(kMasterKeyBytes) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return core::fail(ErrorCode::internal, "cannot write the master key file " + path.string(),
                      std::strerror(saved_errno));
  }
  return {};
}

core::Result<void> check_master_key_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::fail(ErrorCode::invalid_input, "master key file " + path.string() +
                                                    " is missing (" + std::strerror(errno) +
                                                    "); restore it from your key backup");
  }
  if (!S_ISREG(st.st_mode)) {
    return core::fail(ErrorCode::invalid_input,
                      "master key file " + path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return core::fail(ErrorCode::invalid_input,
                      "master key file " + path.string() +
                          " is accessible by group or others; run: chmod 600 " + path.string());
  }
  if (st.st_uid != ::geteuid()) {
    return core::fail(ErrorCode::invalid_input, "master key file " + path.string() +
                                                    " is owned by another user; it must belong "
                                                    "to the user that runs praxis");
  }
  if (st.st_size != static_cast<off_t>(kMasterKeyBytes)) {
    return core::fail(ErrorCode::invalid_input,
                      "master key file " + path.string() + " has " + std::to_string(st.st_size) +
                          " bytes, expected " + std::to_string(kMasterKeyBytes));
  }
  return {};
}

}  // namespace praxis::crypto
