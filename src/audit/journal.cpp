#include "audit/journal.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>

#include "core/bytes.hpp"
#include "core/thread_name.hpp"
#include "crypto/encoding.hpp"

namespace praxis::audit {

using core::ErrorCode;

// File: a header of 32 bytes — the magic "PXAJRNL1", the journal id (16 bytes) and the
// seq the file's first record will have (8 bytes, little-endian) — then records.
// Record: body length (4 bytes), CRC-32 of the body (4 bytes), body. Body: seq (8 bytes),
// practice id, entry count (4 bytes), then per entry the 13 fields of an AuditEntryRow
// but practice id, seq and leaf; a field is its length (4 bytes) and its bytes.
// All integers little-endian.

namespace {

constexpr std::string_view kMagic = "PXAJRNL1";
constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kHeaderBytes = 8 + kIdBytes + 8;
constexpr std::size_t kFrameBytes = 8;  // length and CRC
constexpr std::uint32_t kMaxBody = 64U << 20U;
constexpr std::uint32_t kMaxEntries = 1U << 20U;

// The file a move works on, and the one a new file is written as before its rename.
std::filesystem::path moving_file(const std::filesystem::path& path) {
  return path.string() + ".moving";
}
std::filesystem::path next_file(const std::filesystem::path& path) {
  return path.string() + ".next";
}

using core::get_u32;
using core::get_u64;
using core::put_text;
using core::put_u32;
using core::put_u64;

std::uint32_t crc_of(std::span<const std::uint8_t> body) {
  return static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), body.data(), static_cast<z_size_t>(body.size())));
}

// The fields of an entry the journal keeps, in order.
template <typename Row>
auto fields_of(Row& e) {
  return std::array{&e.at,      &e.actor_kind,    &e.actor_id,    &e.actor_role,
                    &e.action,  &e.resource_type, &e.resource_id, &e.purpose,
                    &e.outcome, &e.request_id,    &e.client,      &e.break_glass_id,
                    &e.subjects};
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool u32(std::uint32_t& v) {
    if (bytes_.size() - pos_ < 4) return false;
    v = get_u32(bytes_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v) {
    if (bytes_.size() - pos_ < 8) return false;
    v = get_u64(bytes_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool field(std::string& s) {
    std::uint32_t n = 0;
    if (!u32(n) || bytes_.size() - pos_ < n) return false;
    s.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

core::Error io_error(std::string_view what, const std::filesystem::path& path, int err) {
  return core::Error::make(
      ErrorCode::internal, "",
      "audit journal: " + std::string(what) + " " + path.string() + ": " + core::errno_text(err));
}

// 0 or the errno of the failed write.
int write_all_at(int fd, std::span<const std::uint8_t> bytes, std::uint64_t at) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

struct FileContents {
  bool exists = false;
  std::vector<std::uint8_t> id;  // empty without a header
  std::uint64_t first_seq = 1;
  std::vector<JournalRecord> records;
  std::uint64_t dropped_bytes = 0;
};

core::Result<FileContents> read_file(const std::filesystem::path& path) {
  FileContents out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  out.exists = true;
  std::ifstream in(path, std::ios::binary);
  if (!in) return tl::unexpected(io_error("open", path, errno));
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  if (in.bad()) return tl::unexpected(io_error("read", path, errno));
  const std::span<const std::uint8_t> all(bytes);
  if (all.size() < kHeaderBytes) {
    // Created but its header never completed: nothing was ever appended to it.
    out.dropped_bytes = all.size();
    return out;
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), all.begin())) {
    return core::fail(ErrorCode::internal, "",
                      "audit journal: " + path.string() + " is not an audit journal");
  }
  out.id.assign(all.begin() + 8, all.begin() + 8 + kIdBytes);
  out.first_seq = get_u64(all.data() + 8 + kIdBytes);
  std::size_t pos = kHeaderBytes;
  while (pos + kFrameBytes <= all.size()) {
    const auto length = get_u32(all.data() + pos);
    if (length > kMaxBody || all.size() - pos - kFrameBytes < length) break;
    auto record = decode_journal_record(all.subspan(pos, kFrameBytes + length));
    if (!record) break;
    out.records.push_back(std::move(*record));
    pos += kFrameBytes + length;
  }
  out.dropped_bytes = all.size() - pos;
  return out;
}

std::vector<std::uint8_t> header(std::span<const std::uint8_t> id, std::uint64_t first_seq) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderBytes);
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  out.insert(out.end(), id.begin(), id.end());
  put_u64(out, first_seq);
  return out;
}

}  // namespace

std::size_t rows_of(const JournalRecord& record) {
  std::size_t n = 0;
  for (const auto& e : record.entries) {
    n += 1 + (e.subjects.empty() ? 0 : 1 + std::count(e.subjects.begin(), e.subjects.end(), ' '));
  }
  return n;
}

namespace {

// The frame of `record` with its length, but seq and CRC still to be set (seal): the
// bytes are made outside the journal's lock, the seq is only known under it.
std::vector<std::uint8_t> unsealed_frame(const JournalRecord& record) {
  std::vector<std::uint8_t> out;
  out.reserve(kFrameBytes + 8 + 64 + record.entries.size() * 256);
  put_u32(out, 0);  // length and CRC, set below
  put_u32(out, 0);
  put_u64(out, 0);  // seq
  put_text(out, record.practice_id);
  put_u32(out, static_cast<std::uint32_t>(record.entries.size()));
  for (const auto& e : record.entries) {
    for (const std::string* f : fields_of(e)) put_text(out, *f);
  }
  core::set_u32(out.data(), static_cast<std::uint32_t>(out.size() - kFrameBytes));
  return out;
}

void seal(std::vector<std::uint8_t>& frame, std::uint64_t seq) {
  core::set_u64(frame.data() + kFrameBytes, seq);
  core::set_u32(frame.data() + 4,
                crc_of(std::span<const std::uint8_t>(frame).subspan(kFrameBytes)));
}

}  // namespace

std::vector<std::uint8_t> encode_journal_record(const JournalRecord& record) {
  auto out = unsealed_frame(record);
  seal(out, record.seq);
  return out;
}

std::optional<JournalRecord> decode_journal_record(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kFrameBytes) return std::nullopt;
  const auto length = get_u32(bytes.data());
  if (length != bytes.size() - kFrameBytes) return std::nullopt;
  const auto body = bytes.subspan(kFrameBytes);
  if (crc_of(body) != get_u32(bytes.data() + 4)) return std::nullopt;
  Reader r(body);
  JournalRecord out;
  std::uint32_t count = 0;
  if (!r.u64(out.seq) || !r.field(out.practice_id) || !r.u32(count) || count > kMaxEntries) {
    return std::nullopt;
  }
  out.entries.resize(count);
  for (auto& e : out.entries) {
    e.practice_id = out.practice_id;
    for (std::string* f : fields_of(e)) {
      if (!r.field(*f)) return std::nullopt;
    }
  }
  if (!r.done()) return std::nullopt;
  return out;
}

Journal::Journal(std::filesystem::path path, Mover mover, JournalOptions options)
    : path_(std::move(path)), mover_(std::move(mover)), options_(std::move(options)) {}

core::Result<std::unique_ptr<Journal>> Journal::open(std::filesystem::path path, Mover mover,
                                                     JournalOptions options) {
  std::unique_ptr<Journal> j(new Journal(std::move(path), std::move(mover), std::move(options)));
  if (auto r = j->recover(); !r) return tl::unexpected(r.error());
  j->mover_thread_ = std::thread([p = j.get()] {
    core::name_this_thread("praxis-journal");
    p->run();
  });
  return j;
}

core::Result<void> Journal::recover() {
  const auto moving = moving_file(path_);
  const auto next = next_file(path_);
  std::vector<JournalRecord> left;
  for (const auto& file : {moving, path_, next}) {
    auto contents = read_file(file);
    if (!contents) return tl::unexpected(contents.error());
    if (!contents->id.empty()) {
      if (!raw_id_.empty() && raw_id_ != contents->id) {
        return core::fail(ErrorCode::internal, "",
                          "audit journal: " + file.string() + " belongs to another journal");
      }
      raw_id_ = contents->id;
      next_seq_ = std::max(next_seq_, contents->first_seq);
    }
    stats_.dropped_bytes += contents->dropped_bytes;
    std::move(contents->records.begin(), contents->records.end(), std::back_inserter(left));
  }
  std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  left.erase(std::unique(left.begin(), left.end(),
                         [](const auto& a, const auto& b) { return a.seq == b.seq; }),
             left.end());
  if (!left.empty()) next_seq_ = std::max(next_seq_, left.back().seq + 1);
  if (raw_id_.empty()) {
    raw_id_.resize(kIdBytes);
    randombytes_buf(raw_id_.data(), raw_id_.size());
  }
  id_ = crypto::hex_encode(raw_id_);
  if (!left.empty()) {
    // What the previous run appended but did not move (or moved without deleting it:
    // the mover skips what the store has) goes into the trees before anything new.
    if (auto r = mover_(id_, left); !r) return r;
    stats_.recovered = left.size();
    stats_.moved = left.size();
    ++stats_.moves;
  }
  moved_seq_ = next_seq_ - 1;
  auto prepared = prepare_file();
  if (!prepared) return tl::unexpected(prepared.error());
  if (auto r = install_file(*prepared, next_seq_, false); !r) return tl::unexpected(r.error());
  std::error_code ec;
  std::filesystem::remove(moving, ec);
  if (ec) return tl::unexpected(io_error("remove", moving, ec.value()));
  return {};
}

core::Result<int> Journal::prepare_file() const {
  // The new file is written as <path>.next and renamed into place by install_file, so
  // <path> is always either the old file or a complete new one. Its header's first seq
  // is only known under the lock: 0 until then (a file left with 0 is an empty one).
  const auto next = next_file(path_);
  const int fd = ::open(next.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected(io_error("create", next, errno));
  if (const int err = write_all_at(fd, header(raw_id_, 0), 0); err != 0) {
    ::close(fd);
    ::unlink(next.c_str());
    return tl::unexpected(io_error("write", next, err));
  }
  return fd;
}

core::Result<int> Journal::install_file(int fd, std::uint64_t first_seq, bool keep_old) {
  const auto next = next_file(path_);
  const auto moving = moving_file(path_);
  auto fail = [&](std::string_view what, const std::filesystem::path& p, int err) {
    ::close(fd);
    ::unlink(next.c_str());
    return tl::unexpected(io_error(what, p, err));
  };
  // Rewritten in place: the file does not grow, so this stays a write to the page cache.
  const auto head = header(raw_id_, first_seq);
  if (const int err = write_all_at(fd, head, 0); err != 0) return fail("write", next, err);
  if (keep_old && ::rename(path_.c_str(), moving.c_str()) != 0) {
    return fail("rename", path_, errno);
  }
  if (::rename(next.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    if (keep_old) (void)::rename(moving.c_str(), path_.c_str());
    return fail("rename", next, err);
  }
  const int old = fd_;
  fd_ = fd;
  offset_ = head.size();
  torn_ = false;
  directory_unsynced_ = true;  // its name is durable once the directory is synced
  return old;
}

core::Result<int> Journal::rotate(int prepared) {
  auto old = install_file(prepared, next_seq_, true);
  if (!old) return old;
  moving_ = std::move(pending_);
  pending_.clear();
  return old;
}

void Journal::file_work(std::string_view step) const {
  if (options_.file_work) options_.file_work(step);
}

bool Journal::sync_file(std::unique_lock<std::mutex>& lock) {
  // Only this thread replaces or closes fd_ (rotations, close after the join).
  const int fd = fd_;
  const std::uint64_t upto = next_seq_ - 1;
  const bool directory = directory_unsynced_;
  lock.unlock();
  bool ok = true;
  if (directory) {
    // A synced file whose directory entry is not would vanish in a power cut.
    const int dir = ::open(path_.parent_path().empty() ? "." : path_.parent_path().c_str(),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok = dir >= 0 && ::fsync(dir) == 0;
    if (dir >= 0) ::close(dir);
  }
  ok = ok && ::fdatasync(fd) == 0;
  lock.lock();
  if (!ok) return false;
  if (directory) directory_unsynced_ = false;
  synced_seq_ = std::max(synced_seq_, upto);
  ++stats_.syncs;
  // Records appended during the sync found the journal not yet durable and left the
  // clock alone: theirs starts now.
  if (unsynced()) first_unsynced_at_ = std::chrono::steady_clock::now();
  return true;
}

Journal::~Journal() { (void)close(); }

core::Result<void> Journal::append(std::string practice_id,
                                   std::vector<store::AuditEntryRow> entries) {
  if (entries.empty()) return {};
  JournalRecord record{0, std::move(practice_id), std::move(entries)};
  auto bytes = unsealed_frame(record);
  const std::size_t n = rows_of(record);
  std::unique_lock lock(mutex_);
  // More than the mover keeps up with: the caller waits for room (back-pressure), unless
  // moves fail — then nobody would make room.
  if (pending_entries_ + n > options_.max_pending && !stats_.last_error) {
    work_cv_.notify_one();
    done_cv_.wait_for(lock, options_.max_wait, [&] {
      return pending_entries_ + n <= options_.max_pending || closing_ || stats_.last_error;
    });
  }
  if (closing_ || fd_ < 0 || torn_) {
    return core::fail(ErrorCode::unavailable,
                      "Der Server wird beendet. / The server is shutting down.",
                      "audit journal closed");
  }
  if (pending_entries_ + n > options_.max_pending && n <= options_.max_pending) {
    return core::fail(ErrorCode::unavailable,
                      "Das Zugriffsprotokoll ist im Rückstand; bitte gleich erneut versuchen. / "
                      "The audit trail is behind; please try again shortly.",
                      "audit journal: " + std::to_string(pending_entries_) +
                          " rows wait to be moved" +
                          (stats_.last_error ? ": " + stats_.last_error->internal : ""));
  }
  record.seq = next_seq_;
  seal(bytes, record.seq);
  if (const int err = write_all_at(fd_, bytes, offset_); err != 0) {
    // Whatever part reached the file is cut off, so the next record follows a whole one.
    if (::ftruncate(fd_, static_cast<off_t>(offset_)) != 0) {
      // A part of a record stays at the end; it would hide what follows, so this file
      // takes no more appends (the next rotation starts a new one).
      torn_ = true;
      work_cv_.notify_one();
    }
    return tl::unexpected(io_error("write", path_, err));
  }
  offset_ += bytes.size();
  const bool first_unsynced = !unsynced();
  ++next_seq_;
  ++stats_.appended;
  if (first_unsynced) {
    first_unsynced_at_ = std::chrono::steady_clock::now();
    work_cv_.notify_one();
  }
  if (pending_.empty()) first_pending_at_ = std::chrono::steady_clock::now();
  pending_.push_back(std::move(record));
  pending_entries_ += n;
  if (pending_.size() == 1 || pending_entries_ >= options_.batch) work_cv_.notify_one();
  return {};
}

core::Result<void> Journal::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = next_seq_ - 1;
  if (moved_seq_ >= target) return {};
  const std::uint64_t failures = stats_.failures;
  flush_to_ = std::max(flush_to_, target);
  work_cv_.notify_one();
  done_cv_.wait(lock,
                [&] { return moved_seq_ >= target || stats_.failures != failures || closed_; });
  if (moved_seq_ >= target) return {};
  if (stats_.last_error) return tl::unexpected(*stats_.last_error);
  return core::fail(ErrorCode::unavailable,
                    "Der Server wird beendet. / The server is shutting down.",
                    "audit journal closed before the flush");
}

core::Result<void> Journal::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_ && !mover_thread_.joinable()) return {};
    closing_ = true;
  }
  work_cv_.notify_all();
  if (mover_thread_.joinable()) mover_thread_.join();
  std::lock_guard lock(mutex_);
  closed_ = true;
  done_cv_.notify_all();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (pending_entries_ > 0) {
    // Left in the files for the next open.
    if (stats_.last_error) return tl::unexpected(*stats_.last_error);
    return core::fail(ErrorCode::internal, "", "audit journal: closed with entries not moved");
  }
  return {};
}

JournalStats Journal::stats() const {
  std::lock_guard lock(mutex_);
  JournalStats out = stats_;
  out.pending = pending_entries_;
  return out;
}

void Journal::run() {
  const auto moving = moving_file(path_);
  std::unique_lock lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return closing_ || torn_ || !pending_.empty() || !moving_.empty(); });
    if (pending_.empty() && moving_.empty() && !torn_) break;  // closing with nothing left
    if (moving_.empty()) {
      // The first entry waits up to `delay` for company, unless a batch is full, someone
      // flushes or the journal closes; meanwhile what is appended is synced every `sync`.
      const auto move_at = first_pending_at_ + options_.delay;
      auto move_now = [&] {
        return closing_ || flush_to_ > moved_seq_ || pending_entries_ >= options_.batch;
      };
      auto to_sync = [&] { return options_.sync.count() > 0 && unsynced(); };
      while (!move_now() && std::chrono::steady_clock::now() < move_at) {
        const bool waiting = to_sync();
        const auto sync_at = first_unsynced_at_ + options_.sync;
        work_cv_.wait_until(lock, waiting ? std::min(move_at, sync_at) : move_at,
                            [&] { return move_now() || to_sync() != waiting; });
        if (to_sync() && std::chrono::steady_clock::now() >= first_unsynced_at_ + options_.sync &&
            !sync_file(lock)) {
          break;  // the move makes them durable instead
        }
      }
      // The file work without the lock (journal.hpp, "Files"): appends go on meanwhile.
      lock.unlock();
      file_work("create");
      auto prepared = prepare_file();
      lock.lock();
      auto r = prepared ? rotate(*prepared) : prepared;
      if (r && *r >= 0) {
        lock.unlock();
        file_work("close");
        ::close(*r);
        lock.lock();
      }
      if (!r) {
        ++stats_.failures;
        stats_.last_error = r.error();
        done_cv_.notify_all();
        if (closing_) break;
        work_cv_.wait_for(lock, options_.retry, [&] { return closing_; });
        continue;
      }
      if (moving_.empty()) continue;  // a torn file replaced, nothing in it
    }
    lock.unlock();
    core::Result<void> moved = core::fail(ErrorCode::internal, "", "audit journal: move threw");
    try {
      moved = mover_(id_, moving_);
    } catch (const std::exception& e) {
      moved = core::fail(ErrorCode::internal, "",
                         std::string("audit journal: move threw: ") + e.what());
    }
    lock.lock();
    if (moved) {
      moved_seq_ = moving_.back().seq;
      for (const auto& r : moving_) pending_entries_ -= rows_of(r);
      stats_.moved += moving_.size();
      ++stats_.moves;
      stats_.last_error.reset();
      moving_.clear();
      done_cv_.notify_all();
      lock.unlock();
      file_work("remove");
      std::error_code ec;
      std::filesystem::remove(moving, ec);  // if this fails, the next rotation replaces it
      lock.lock();
      continue;
    }
    ++stats_.failures;
    stats_.last_error = moved.error();
    done_cv_.notify_all();
    if (closing_) break;  // the files keep the entries for the next open
    work_cv_.wait_for(lock, options_.retry, [&] { return closing_; });
  }
  closed_ = true;
  done_cv_.notify_all();
}

std::uint64_t journal_bytes_waiting(const std::filesystem::path& path) {
  std::uint64_t bytes = 0;
  for (const auto& file : {path, moving_file(path)}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (!ec && size > kHeaderBytes) bytes += size - kHeaderBytes;
  }
  return bytes;
}

}  // namespace praxis::audit
