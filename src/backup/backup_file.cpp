#include "backup/backup_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/bytes.hpp"
#include "crypto/encoding.hpp"
#include "crypto/stream.hpp"

namespace praxis::backup {

namespace json = boost::json;
using core::ErrorCode;

namespace {

constexpr std::array<char, 8> kFileMagic = {'P', 'R', 'A', 'X', 'I', 'S', 'B', 'K'};
constexpr std::array<char, 8> kStreamMagic = {'P', 'R', 'X', 'S', 'T', 'R', 'M', '1'};
constexpr std::array<char, 8> kSignatureMagic = {'P', 'R', 'X', 'S', 'I', 'G', '0', '1'};
constexpr std::array<char, 8> kPlainMagic = {'P', 'R', 'X', 'B', 'K', 'P', 'L', '1'};
constexpr std::uint8_t kFormat = 1;
constexpr std::string_view kSignatureContext = "praxis backup v1\n";
constexpr std::size_t kStreamHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t kABytes = crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr std::size_t kMaxChunkCiphertext = crypto::kStreamChunkBytes + kABytes;
constexpr std::size_t kTrailerBytes = kSignatureMagic.size() + crypto_sign_BYTES;
constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxManifestBytes = std::size_t{64} * 1024 * 1024;
constexpr std::size_t kSealedKeyBytes = crypto_box_SEALBYTES + crypto::kKeyBytes;
constexpr std::size_t kIoBytes = 1 << 20;

core::Error bad_file(const std::filesystem::path& file, const std::string& what) {
  return core::Error::make(ErrorCode::invalid_input, file.string() + ": " + what);
}

using core::get_u32;
using core::put_u32;

// An open file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

bool write_all(int fd, const std::uint8_t* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly `len` bytes at `offset`; false at end of file or on error.
bool read_at(int fd, std::uint64_t offset, std::uint8_t* out, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::pread(fd, out, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    offset += static_cast<std::uint64_t>(n);
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string b64(std::span<const std::uint8_t> bytes) { return crypto::base64_encode(bytes); }

template <std::size_t N>
bool from_b64(const json::object& o, std::string_view field, std::array<std::uint8_t, N>& out) {
  const auto* v = o.if_contains(field);
  if (!v || !v->is_string()) return false;
  auto raw = crypto::base64_decode(v->as_string());
  if (!raw || raw->size() != N) return false;
  std::copy(raw->begin(), raw->end(), out.begin());
  return true;
}

std::string header_json(const BackupHeader& h) {
  json::object o;
  o["format"] = h.format;
  o["created_at"] = h.created_at;
  o["installation_id"] = h.installation_id;
  o["praxis_version"] = h.praxis_version;
  o["schema_version"] = h.schema_version;
  o["recipient"] = b64(h.recipient);
  o["sealed_key"] = b64(h.sealed_key);
  o["signer"] = b64(h.signer);
  o["compression"] = "zstd";
  return json::serialize(o);
}

std::optional<BackupHeader> parse_header(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  BackupHeader h;
  try {
    h.format = static_cast<int>(o.at("format").to_number<std::int64_t>());
    h.created_at = std::string(o.at("created_at").as_string());
    h.installation_id = std::string(o.at("installation_id").as_string());
    h.praxis_version = std::string(o.at("praxis_version").as_string());
    h.schema_version = static_cast<int>(o.at("schema_version").to_number<std::int64_t>());
    if (o.at("compression").as_string() != "zstd") return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::array<std::uint8_t, kSealedKeyBytes> sealed{};
  if (!from_b64(o, "recipient", h.recipient) || !from_b64(o, "signer", h.signer) ||
      !from_b64(o, "sealed_key", sealed)) {
    return std::nullopt;
  }
  h.sealed_key.assign(sealed.begin(), sealed.end());
  return h;
}

// The file being written: buffered, hashed for the signature, counted.
class FileWriter {
 public:
  explicit FileWriter(int fd) : fd_(fd) {
    crypto_generichash_init(&hash_, nullptr, 0, crypto_generichash_BYTES_MAX);
    buffer_.reserve(kIoBytes);
  }
  void write(std::span<const std::uint8_t> bytes) {
    crypto_generichash_update(&hash_, bytes.data(), bytes.size());
    written_ += bytes.size();
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    if (buffer_.size() >= kIoBytes) flush();
  }
  void write(std::string_view text) {
    write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  void flush() {
    if (ok_ && !buffer_.empty()) ok_ = write_all(fd_, buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  // The signature's message: context || BLAKE2b-512 of everything written so far.
  std::vector<std::uint8_t> signed_message() {
    std::vector<std::uint8_t> msg(kSignatureContext.begin(), kSignatureContext.end());
    std::array<std::uint8_t, crypto_generichash_BYTES_MAX> digest{};
    crypto_generichash_final(&hash_, digest.data(), digest.size());
    msg.insert(msg.end(), digest.begin(), digest.end());
    return msg;
  }
  // Written without hashing (the trailer).
  void write_unhashed(std::span<const std::uint8_t> bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    written_ += bytes.size();
  }
  bool ok() const { return ok_; }
  std::uint64_t written() const { return written_; }

 private:
  int fd_;
  bool ok_ = true;
  std::uint64_t written_ = 0;
  std::vector<std::uint8_t> buffer_;
  crypto_generichash_state hash_{};
};

// Cuts compressed bytes into secretstream chunks; the last one is tagged FINAL.
class EncryptingSink {
 public:
  EncryptingSink(const crypto::SecretKey& key, FileWriter& out) : enc_(key), out_(out) {
    out_.write(
        std::span(reinterpret_cast<const std::uint8_t*>(kStreamMagic.data()), kStreamMagic.size()));
    out_.write(enc_.header());
    pending_.reserve(crypto::kStreamChunkBytes);
  }
  void add(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      if (pending_.size() == crypto::kStreamChunkBytes) emit(false);
      const std::size_t take = std::min(bytes.size(), crypto::kStreamChunkBytes - pending_.size());
      pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
      bytes = bytes.subspan(take);
    }
  }
  void finish() { emit(true); }

 private:
  void emit(bool final) {
    auto sealed = enc_.push(pending_, final);
    std::vector<std::uint8_t> prefix;
    put_u32(prefix, static_cast<std::uint32_t>(sealed.size()));
    out_.write(prefix);
    out_.write(sealed);
    pending_.clear();
  }
  crypto::StreamEncryptor enc_;
  FileWriter& out_;
  std::vector<std::uint8_t> pending_;
};

// zstd in front of the encryption.
class CompressingSink {
 public:
  explicit CompressingSink(EncryptingSink& next) : next_(next), out_(ZSTD_CStreamOutSize()) {
    ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(ctx_.get(), ZSTD_c_checksumFlag, 1);
  }
  core::Result<void> add(std::span<const std::uint8_t> bytes) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    while (in.pos < in.size) {
      if (auto r = step(in, ZSTD_e_continue); !r) return tl::unexpected(r.error());
    }
    return {};
  }
  core::Result<void> finish() {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      auto remaining = step(in, ZSTD_e_end);
      if (!remaining) return tl::unexpected(remaining.error());
      if (*remaining == 0) break;
    }
    next_.finish();
    return {};
  }

 private:
  core::Result<std::size_t> step(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const std::size_t r = ZSTD_compressStream2(ctx_.get(), &out, &in, mode);
    if (ZSTD_isError(r)) {
      return core::fail(ErrorCode::internal, "compression failed", ZSTD_getErrorName(r));
    }
    next_.add(std::span(out_.data(), out.pos));
    return r;
  }
  struct Free {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  EncryptingSink& next_;
  std::unique_ptr<ZSTD_CCtx, Free> ctx_{ZSTD_createCCtx()};
  std::vector<std::uint8_t> out_;
};

std::string manifest_json(const BackupSource& source, std::uint64_t db_bytes) {
  json::array keys;
  for (const auto& k : *source.keys) {
    json::object o;
    o["owner"] = k.owner;
    o["key_id"] = std::to_string(k.key_id);
    o["version"] = k.version;
    o["secret"] = b64(k.secret.bytes());
    keys.push_back(std::move(o));
  }
  json::object m;
  m["keys"] = std::move(keys);
  m["config"] = source.config_text;
  m["database_bytes"] = db_bytes;
  return json::serialize(m);
}

// The database is read once: hashed while it streams, the hash after its last byte.
core::Result<void> write_body(const BackupSource& source, int db_fd, std::uint64_t db_bytes,
                              CompressingSink& sink) {
  std::string manifest = manifest_json(source, db_bytes);
  std::vector<std::uint8_t> prefix(kPlainMagic.begin(), kPlainMagic.end());
  put_u32(prefix, static_cast<std::uint32_t>(manifest.size()));
  auto r = sink.add(prefix);
  if (r) {
    r = sink.add(
        std::span(reinterpret_cast<const std::uint8_t*>(manifest.data()), manifest.size()));
  }
  sodium_memzero(manifest.data(), manifest.size());  // it holds the keys
  if (!r) return r;
  crypto_generichash_state hash;
  crypto_generichash_init(&hash, nullptr, 0, crypto_generichash_BYTES);
  std::vector<std::uint8_t> buf(kIoBytes);
  std::uint64_t offset = 0;
  while (offset < db_bytes) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), db_bytes - offset));
    if (!read_at(db_fd, offset, buf.data(), want)) {
      return core::fail(ErrorCode::internal, "the snapshot changed while it was written");
    }
    crypto_generichash_update(&hash, buf.data(), want);
    if (auto a = sink.add(std::span(buf.data(), want)); !a) return a;
    offset += want;
  }
  std::array<std::uint8_t, crypto_generichash_BYTES> digest{};
  crypto_generichash_final(&hash, digest.data(), digest.size());
  if (auto a = sink.add(digest); !a) return a;
  return sink.finish();
}

}  // namespace

core::Result<void> sync_directory(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok() || ::fsync(fd.get()) != 0) {
    return core::fail(ErrorCode::internal, "cannot sync directory " + dir.string(),
                      core::errno_text(errno));
  }
  return {};
}

core::Result<void> write_private_file(const std::filesystem::path& file, std::string_view text) {
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.ok()) {
    return core::fail(ErrorCode::conflict,
                      "cannot create " + file.string() + ": " + core::errno_text(errno));
  }
  if (!write_all(fd.get(), reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) ||
      ::fsync(fd.get()) != 0) {
    const int err = errno;
    ::unlink(file.c_str());
    return core::fail(ErrorCode::internal,
                      "cannot write " + file.string() + ": " + core::errno_text(err));
  }
  return {};
}

core::Result<WriteReport> write_backup(const BackupSource& source, const RecipientKey& recipient,
                                       const crypto::SigningKey& signer,
                                       const std::filesystem::path& target) {
  crypto::init_sodium();
  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    return core::fail(ErrorCode::conflict,
                      target.string() + " exists; a backup never overwrites a file");
  }
  Fd db(::open(source.database.c_str(), O_RDONLY | O_CLOEXEC));
  if (!db.ok()) {
    return core::fail(ErrorCode::internal, "cannot open the snapshot " + source.database.string(),
                      core::errno_text(errno));
  }
  struct stat db_stat {};
  if (::fstat(db.get(), &db_stat) != 0) {
    return core::fail(ErrorCode::internal, "cannot stat the snapshot", core::errno_text(errno));
  }
  const auto db_bytes = static_cast<std::uint64_t>(db_stat.st_size);

  const auto file_key = crypto::SecretKey::random();
  BackupHeader header = source.header;
  header.format = kFormat;
  header.recipient = recipient;
  header.signer = signer.public_key();
  header.sealed_key.assign(kSealedKeyBytes, 0);
  crypto_box_seal(header.sealed_key.data(), file_key.data(), crypto::kKeyBytes, recipient.data());

  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  const auto temp = dir / ("." + target.filename().string() + ".partial");
  Fd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.ok()) {
    return core::fail(ErrorCode::internal, "cannot create " + temp.string(),
                      core::errno_text(errno));
  }
  struct RemoveOnError {
    const std::filesystem::path& path;
    bool armed = true;
    ~RemoveOnError() {
      if (armed) ::unlink(path.c_str());
    }
  } cleanup{temp};

  FileWriter writer(out.get());
  const std::string head = header_json(header);
  writer.write(std::string_view(kFileMagic.data(), kFileMagic.size()));
  writer.write(std::span(&kFormat, 1));
  std::vector<std::uint8_t> len;
  put_u32(len, static_cast<std::uint32_t>(head.size()));
  writer.write(len);
  writer.write(head);
  {
    EncryptingSink encrypt(file_key, writer);
    CompressingSink compress(encrypt);
    if (auto r = write_body(source, db.get(), db_bytes, compress); !r) {
      return tl::unexpected(r.error());
    }
  }
  const auto message = writer.signed_message();
  const auto signature = signer.sign(message);
  writer.write_unhashed(std::span(reinterpret_cast<const std::uint8_t*>(kSignatureMagic.data()),
                                  kSignatureMagic.size()));
  writer.write_unhashed(signature);
  writer.flush();
  if (!writer.ok() || ::fsync(out.get()) != 0) {
    return core::fail(ErrorCode::unavailable, "cannot write " + temp.string(),
                      core::errno_text(errno));
  }
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    return core::fail(ErrorCode::conflict, "cannot move the backup to " + target.string(),
                      core::errno_text(errno));
  }
  cleanup.armed = false;
  if (auto r = sync_directory(dir); !r) return tl::unexpected(r.error());
  return WriteReport{db_bytes, writer.written()};
}

namespace {

struct Layout {
  BackupHeader header;
  std::uint64_t stream_begin = 0;  // first byte after kStreamMagic + stream header
  std::array<std::uint8_t, kStreamHeaderBytes> stream_header{};
  std::uint64_t stream_end = 0;  // where the trailer starts
  std::uint64_t chunks = 0;
  std::uint64_t file_bytes = 0;
};

// Checks magic, header, chunk framing and the signature.
core::Result<Layout> read_layout(int fd, const std::filesystem::path& file) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return core::fail(ErrorCode::internal, "cannot stat " + file.string());
  }
  Layout layout;
  layout.file_bytes = static_cast<std::uint64_t>(st.st_size);
  std::array<std::uint8_t, 13> start{};
  if (!read_at(fd, 0, start.data(), start.size()) ||
      std::memcmp(start.data(), kFileMagic.data(), kFileMagic.size()) != 0) {
    return tl::unexpected(bad_file(file, "not a praxis backup"));
  }
  if (start[8] != kFormat) {
    return tl::unexpected(bad_file(file, "backup format " + std::to_string(start[8]) +
                                             " is not supported by this version of praxis"));
  }
  const std::uint32_t header_len = get_u32(start.data() + 9);
  const std::uint64_t min_size =
      start.size() + header_len + kStreamMagic.size() + kStreamHeaderBytes + kTrailerBytes;
  if (header_len > kMaxHeaderBytes) return tl::unexpected(bad_file(file, "damaged header"));
  if (layout.file_bytes < min_size) return tl::unexpected(bad_file(file, "truncated"));
  std::string header_text(header_len, '\0');
  if (!read_at(fd, start.size(), reinterpret_cast<std::uint8_t*>(header_text.data()), header_len)) {
    return tl::unexpected(bad_file(file, "truncated"));
  }
  auto header = parse_header(header_text);
  if (!header) return tl::unexpected(bad_file(file, "damaged header"));
  layout.header = std::move(*header);

  std::array<std::uint8_t, kTrailerBytes> trailer{};
  layout.stream_end = layout.file_bytes - kTrailerBytes;
  if (!read_at(fd, layout.stream_end, trailer.data(), trailer.size()) ||
      std::memcmp(trailer.data(), kSignatureMagic.data(), kSignatureMagic.size()) != 0) {
    return tl::unexpected(bad_file(file, "truncated (no signature at the end)"));
  }

  // The signature over everything before the trailer.
  crypto_generichash_state hash;
  crypto_generichash_init(&hash, nullptr, 0, crypto_generichash_BYTES_MAX);
  std::vector<std::uint8_t> buf(kIoBytes);
  for (std::uint64_t off = 0; off < layout.stream_end;) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), layout.stream_end - off));
    if (!read_at(fd, off, buf.data(), want)) return tl::unexpected(bad_file(file, "unreadable"));
    crypto_generichash_update(&hash, buf.data(), want);
    off += want;
  }
  std::vector<std::uint8_t> message(kSignatureContext.begin(), kSignatureContext.end());
  std::array<std::uint8_t, crypto_generichash_BYTES_MAX> digest{};
  crypto_generichash_final(&hash, digest.data(), digest.size());
  message.insert(message.end(), digest.begin(), digest.end());
  crypto::Signature signature{};
  std::copy(trailer.begin() + kSignatureMagic.size(), trailer.end(), signature.begin());
  if (!crypto::verify_signature(layout.header.signer, message, signature)) {
    return tl::unexpected(
        bad_file(file, "the signature does not match: the file was changed, damaged or cut"));
  }

  // The chunk framing must tile the stream exactly.
  std::uint64_t off = start.size() + header_len;
  std::array<std::uint8_t, kStreamMagic.size()> magic{};
  if (!read_at(fd, off, magic.data(), magic.size()) ||
      std::memcmp(magic.data(), kStreamMagic.data(), magic.size()) != 0 ||
      !read_at(fd, off + magic.size(), layout.stream_header.data(), kStreamHeaderBytes)) {
    return tl::unexpected(bad_file(file, "damaged stream header"));
  }
  off += magic.size() + kStreamHeaderBytes;
  layout.stream_begin = off;
  while (off < layout.stream_end) {
    std::array<std::uint8_t, 4> len{};
    if (off + 4 > layout.stream_end || !read_at(fd, off, len.data(), len.size())) {
      return tl::unexpected(bad_file(file, "damaged chunk framing"));
    }
    const std::uint32_t n = get_u32(len.data());
    if (n < kABytes || n > kMaxChunkCiphertext || off + 4 + n > layout.stream_end) {
      return tl::unexpected(bad_file(file, "damaged chunk framing"));
    }
    off += 4 + n;
    ++layout.chunks;
  }
  if (layout.chunks == 0) return tl::unexpected(bad_file(file, "the backup holds no data"));
  return layout;
}

// Parses the decompressed plaintext as it arrives and writes the database.
class PlainParser {
 public:
  PlainParser(int db_fd, OpenedBackup& opened) : db_fd_(db_fd), opened_(opened) {
    crypto_generichash_init(&hash_, nullptr, 0, crypto_generichash_BYTES);
  }
  ~PlainParser() { sodium_memzero(buffer_.data(), buffer_.size()); }

  core::Result<void> add(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      if (stage_ == Stage::database) {
        const auto take = static_cast<std::size_t>(
            std::min<std::uint64_t>(bytes.size(), db_bytes_ - db_written_));
        crypto_generichash_update(&hash_, bytes.data(), take);
        if (!write_all(db_fd_, bytes.data(), take)) {
          return core::fail(ErrorCode::unavailable, "cannot write the restored database",
                            core::errno_text(errno));
        }
        db_written_ += take;
        bytes = bytes.subspan(take);
        if (db_written_ == db_bytes_) stage_ = Stage::hash;
        continue;
      }
      if (stage_ == Stage::done) return fail("data after the end of the database");
      const std::size_t need = stage_ == Stage::prefix     ? kPlainMagic.size() + 4
                               : stage_ == Stage::manifest ? manifest_len_
                                                           : crypto_generichash_BYTES;
      const std::size_t take = std::min(bytes.size(), need - buffer_.size());
      buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
      bytes = bytes.subspan(take);
      if (buffer_.size() < need) continue;
      if (stage_ == Stage::prefix) {
        if (std::memcmp(buffer_.data(), kPlainMagic.data(), kPlainMagic.size()) != 0) {
          return fail("unexpected content");
        }
        manifest_len_ = get_u32(buffer_.data() + kPlainMagic.size());
        if (manifest_len_ == 0 || manifest_len_ > kMaxManifestBytes) {
          return fail("damaged manifest");
        }
        stage_ = Stage::manifest;
      } else if (stage_ == Stage::manifest) {
        if (auto r = parse_manifest(); !r) return r;
        stage_ = db_bytes_ == 0 ? Stage::hash : Stage::database;
      } else {
        stored_hash_.assign(buffer_.begin(), buffer_.end());
        stage_ = Stage::done;
      }
      sodium_memzero(buffer_.data(), buffer_.size());
      buffer_.clear();
    }
    return {};
  }

  core::Result<void> finish() {
    if (stage_ != Stage::done) return fail("incomplete content");
    std::array<std::uint8_t, crypto_generichash_BYTES> digest{};
    crypto_generichash_final(&hash_, digest.data(), digest.size());
    if (sodium_memcmp(digest.data(), stored_hash_.data(), digest.size()) != 0) {
      return fail("the database's hash does not match");
    }
    opened_.database_bytes = db_written_;
    return {};
  }

 private:
  enum class Stage { prefix, manifest, database, hash, done };
  static tl::unexpected<core::Error> fail(const std::string& what) {
    return core::fail(ErrorCode::invalid_input, "backup content: " + what);
  }

  core::Result<void> parse_manifest() {
    json::error_code ec;
    auto v = json::parse(
        std::string_view(reinterpret_cast<const char*>(buffer_.data()), buffer_.size()), ec);
    if (ec || !v.is_object()) return fail("damaged manifest");
    try {
      const auto& o = v.as_object();
      for (const auto& item : o.at("keys").as_array()) {
        const auto& k = item.as_object();
        auto raw = crypto::base64_decode(k.at("secret").as_string());
        if (!raw || raw->size() != crypto::kKeyBytes) return fail("damaged key");
        BackupKey key{
            std::string(k.at("owner").as_string()),
            std::stoull(std::string(k.at("key_id").as_string())),
            static_cast<std::uint32_t>(k.at("version").to_number<std::int64_t>()),
            crypto::SecretKey::from_bytes(
                std::span<const std::uint8_t, crypto::kKeyBytes>(raw->data(), crypto::kKeyBytes))};
        sodium_memzero(raw->data(), raw->size());
        opened_.keys.push_back(std::move(key));
      }
      opened_.config_text = std::string(o.at("config").as_string());
      db_bytes_ = o.at("database_bytes").to_number<std::uint64_t>();
    } catch (const std::exception&) {
      return fail("damaged manifest");
    }
    // The parsed JSON held the keys too; Boost.JSON's storage is freed, not wiped,
    // which is accepted: this process is about to hold them in guarded memory anyway.
    return {};
  }

  int db_fd_;
  OpenedBackup& opened_;
  Stage stage_ = Stage::prefix;
  std::vector<std::uint8_t> buffer_;
  std::size_t manifest_len_ = 0;
  std::uint64_t db_bytes_ = 0;
  std::uint64_t db_written_ = 0;
  std::vector<std::uint8_t> stored_hash_;
  crypto_generichash_state hash_{};
};

core::Result<void> decrypt_into(int fd, const std::filesystem::path& file, const Layout& layout,
                                const crypto::SecretKey& file_key, PlainParser& parser) {
  crypto::StreamDecryptor decryptor(file_key, layout.stream_header);
  struct FreeD {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  std::unique_ptr<ZSTD_DCtx, FreeD> dctx(ZSTD_createDCtx());
  std::vector<std::uint8_t> out(ZSTD_DStreamOutSize());
  std::vector<std::uint8_t> chunk(kMaxChunkCiphertext);
  std::size_t zstd_left = 1;  // 0 once the frame is complete
  std::uint64_t off = layout.stream_begin;
  while (off < layout.stream_end) {
    std::array<std::uint8_t, 4> len{};
    (void)read_at(fd, off, len.data(), len.size());  // framing checked by read_layout
    const std::uint32_t n = get_u32(len.data());
    if (!read_at(fd, off + 4, chunk.data(), n)) return tl::unexpected(bad_file(file, "unreadable"));
    off += 4 + n;
    auto plain = decryptor.pull(std::span(chunk.data(), n));
    if (!plain) {
      return tl::unexpected(bad_file(file, "a chunk does not decrypt: the file was changed"));
    }
    if (plain->final != (off == layout.stream_end)) {
      return tl::unexpected(bad_file(file, "the stream ends early or late (truncated)"));
    }
    ZSTD_inBuffer in{plain->data.data(), plain->data.size(), 0};
    while (in.pos < in.size) {
      if (zstd_left == 0) return tl::unexpected(bad_file(file, "data after the content"));
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      zstd_left = ZSTD_decompressStream(dctx.get(), &o, &in);
      if (ZSTD_isError(zstd_left)) {
        return tl::unexpected(bad_file(
            file, std::string("the content does not decompress: ") + ZSTD_getErrorName(zstd_left)));
      }
      if (auto r = parser.add(std::span(out.data(), o.pos)); !r) return r;
    }
    sodium_memzero(plain->data.data(), plain->data.size());
  }
  // Drain what zstd still holds.
  while (zstd_left != 0) {
    ZSTD_inBuffer in{nullptr, 0, 0};
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    zstd_left = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(zstd_left) || o.pos == 0) {
      return tl::unexpected(bad_file(file, "the compressed content is incomplete"));
    }
    if (auto r = parser.add(std::span(out.data(), o.pos)); !r) return r;
  }
  return parser.finish();
}

core::Result<Fd> open_for_reading(const std::filesystem::path& file) {
  crypto::init_sodium();
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) {
    return core::fail(ErrorCode::invalid_input,
                      "cannot open " + file.string() + ": " + core::errno_text(errno));
  }
  return fd;
}

}  // namespace

core::Result<VerifyReport> verify_backup(const std::filesystem::path& file) {
  auto fd = open_for_reading(file);
  if (!fd) return tl::unexpected(fd.error());
  auto layout = read_layout(fd->get(), file);
  if (!layout) return tl::unexpected(layout.error());
  return VerifyReport{std::move(layout->header), layout->file_bytes, layout->chunks};
}

core::Result<OpenedBackup> open_backup(const std::filesystem::path& file, const RecoveryKey& key,
                                       const std::filesystem::path& database_out) {
  auto fd = open_for_reading(file);
  if (!fd) return tl::unexpected(fd.error());
  auto layout = read_layout(fd->get(), file);
  if (!layout) return tl::unexpected(layout.error());
  if (sodium_memcmp(layout->header.recipient.data(), key.public_key.data(),
                    key.public_key.size()) != 0) {
    return core::fail(ErrorCode::invalid_input,
                      "this recovery key does not belong to " + file.string() +
                          " (the backup was made for another recovery key)");
  }
  bool opened_ok = false;
  auto file_key = crypto::SecretKey::generate([&](std::uint8_t* out) {
    opened_ok = crypto_box_seal_open(out, layout->header.sealed_key.data(),
                                     layout->header.sealed_key.size(), key.public_key.data(),
                                     key.secret.data()) == 0;
  });
  if (!opened_ok) {
    return core::fail(ErrorCode::invalid_input, "the recovery key does not open " + file.string());
  }
  Fd db(::open(database_out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!db.ok()) {
    return core::fail(ErrorCode::conflict,
                      "cannot create " + database_out.string() + ": " + core::errno_text(errno));
  }
  OpenedBackup opened;
  opened.header = layout->header;
  PlainParser parser(db.get(), opened);
  auto r = decrypt_into(fd->get(), file, *layout, file_key, parser);
  if (r && ::fsync(db.get()) != 0) {
    r = core::fail(ErrorCode::unavailable, "cannot write " + database_out.string(),
                   core::errno_text(errno));
  }
  if (!r) {
    ::unlink(database_out.c_str());
    return tl::unexpected(r.error());
  }
  return opened;
}

}  // namespace praxis::backup
