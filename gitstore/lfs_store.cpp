#include "gitstore/lfs_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "gitstore/digest.hpp"
#include "gitstore/dir_walk.hpp"
#include "gitstore/errno_error.hpp"
#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {
namespace {

constexpr std::size_t kChunk = 1 << 20;
// Written data is handed to the disk every this many bytes, so a large import neither
// piles up dirty pages nor ends in one long fsync.
constexpr std::uint64_t kWriteBehind = 16ull << 20;

// Reads up to `length` bytes at `offset`; fewer only at the end of the file.
std::size_t read_some(int fd, char* buffer, std::size_t length, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = pread(fd, buffer + done, length - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read");
    if (n == 0) break;
    done += std::size_t(n);
  }
  return done;
}

void write_all(int fd, const char* data, std::size_t length) {
  while (length > 0) {
    const ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write LFS object");
    data += n;
    length -= std::size_t(n);
  }
}

// Hashes `size` bytes of `in`, writing them to `out` too when it is not -1; nullopt when the
// file does not hold exactly `size` bytes, or when `keep_going` (asked before each piece) says no.
std::optional<LfsPointer> stream(int in, std::uint64_t size, int out, const std::function<bool()>& keep_going = {}) {
  Digest sha(Digest::Algorithm::Sha256);
  std::vector<char> buffer(kChunk);
  std::uint64_t done = 0, flushed = 0;
  while (done < size) {
    if (keep_going && !keep_going()) return std::nullopt;
    const std::size_t want = std::size_t(std::min<std::uint64_t>(kChunk, size - done));
    const std::size_t got = read_some(in, buffer.data(), want, done);
    if (got < want) return std::nullopt;  // shrank underway
    sha.update(buffer.data(), got);
    if (out >= 0) {
      write_all(out, buffer.data(), got);
      if (done + got - flushed >= kWriteBehind) {
        sync_file_range(out, off_t(flushed), off_t(done + got - flushed), SYNC_FILE_RANGE_WRITE);
        flushed = done + got;
      }
    }
    done += got;
  }
  char extra;
  if (pread(in, &extra, 1, off_t(size)) > 0) return std::nullopt;  // grew underway
  return LfsPointer{sha.hex(), size};
}

void fsync_dir(const std::string& dir) {
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) fsync(fd.get());
}

void make_dir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("create " + dir);
}

}  // namespace

std::optional<LfsPointer> hash_lfs_content(int fd, std::uint64_t size) { return stream(fd, size, -1); }

bool file_has_lfs_content(int root_fd, const std::string& path, const LfsPointer& pointer) {
  UniqueFd fd(open_at(root_fd, path, O_RDONLY | O_NOFOLLOW));
  struct stat st;
  if (fd.get() < 0 || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || std::uint64_t(st.st_size) != pointer.size)
    return false;
  auto got = hash_lfs_content(fd.get(), pointer.size);
  return got && *got == pointer;
}

LfsStore::LfsStore(std::string lfs_dir) : dir_(std::move(lfs_dir)) {}

LfsStore LfsStore::of_git_dir(const std::string& git_dir) { return LfsStore(git_dir + "/lfs"); }

std::string LfsStore::object_path(const std::string& oid) const {
  if (!is_lfs_oid(oid)) throw LfsError("not an LFS object id: " + oid.substr(0, 80));
  return dir_ + "/objects/" + oid.substr(0, 2) + "/" + oid.substr(2, 2) + "/" + oid;
}

bool LfsStore::has(const LfsPointer& pointer) const {
  struct stat st;
  return stat(object_path(pointer.oid).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         std::uint64_t(st.st_size) == pointer.size;
}

std::string LfsStore::new_temp_file() {
  make_dir(dir_);
  make_dir(dir_ + "/tmp");
  std::string name = dir_ + "/tmp/histfs-XXXXXX";
  const int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw_errno("create a temp file in " + dir_ + "/tmp");
  close(fd);
  return name;
}

void LfsStore::place(const std::string& temp, const std::string& oid) const {
  const std::string path = object_path(oid);
  make_dir(dir_ + "/objects");
  make_dir(dir_ + "/objects/" + oid.substr(0, 2));
  const std::string folder = dir_ + "/objects/" + oid.substr(0, 2) + "/" + oid.substr(2, 2);
  make_dir(folder);
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    errno = error;
    throw_errno("store LFS object " + oid);
  }
  fsync_dir(folder);
}

std::optional<LfsPointer> LfsStore::import_fd(int fd, std::uint64_t size, const std::function<bool()>& keep_going) {
  const std::string temp = new_temp_file();
  std::optional<LfsPointer> pointer;
  try {
    UniqueFd out(open(temp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
    if (out.get() < 0) throw_errno("open " + temp);
    pointer = stream(fd, size, out.get(), keep_going);
    if (pointer && !has(*pointer) && fdatasync(out.get()) != 0) throw_errno("sync LFS object");
  } catch (...) {
    unlink(temp.c_str());
    throw;
  }
  if (!pointer || has(*pointer)) {
    unlink(temp.c_str());
    return pointer;
  }
  place(temp, pointer->oid);
  return pointer;
}

void LfsStore::adopt_temp_file(const std::string& temp, const LfsPointer& pointer) {
  UniqueFd in(open(temp.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st;
  if (in.get() < 0 || fstat(in.get(), &st) != 0) {
    unlink(temp.c_str());
    throw LfsError("LFS object " + pointer.oid + ": the download left no file");
  }
  std::optional<LfsPointer> got;
  if (std::uint64_t(st.st_size) == pointer.size) got = hash_lfs_content(in.get(), pointer.size);
  if (!got || !(*got == pointer)) {
    unlink(temp.c_str());
    throw LfsError("LFS object " + pointer.oid + " is corrupt: " + std::to_string(st.st_size) + " bytes" +
                   (got ? " with sha256 " + got->oid : "") + " arrived, " + std::to_string(pointer.size) +
                   " bytes were expected");
  }
  if (fdatasync(in.get()) != 0) throw_errno("sync LFS object");
  place(temp, pointer.oid);
}

void LfsStore::copy_to(LfsStore& other, const LfsPointer& pointer) const {
  if (other.has(pointer)) return;
  UniqueFd in(open_object(pointer));
  if (in.get() < 0) throw LfsError("LFS object " + pointer.oid + " is missing from " + dir_);
  const std::string temp = other.new_temp_file();
  try {
    UniqueFd out(open(temp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
    if (out.get() < 0) throw_errno("open " + temp);
    auto copied = stream(in.get(), pointer.size, out.get());
    if (!copied || !(*copied == pointer))
      throw LfsError("LFS object " + pointer.oid + " in " + dir_ + " is corrupt; not copied");
    if (fdatasync(out.get()) != 0) throw_errno("sync LFS object");
  } catch (...) {
    unlink(temp.c_str());
    throw;
  }
  other.place(temp, pointer.oid);
}

std::string LfsStore::check(const LfsPointer& pointer) const {
  UniqueFd in(open_object(pointer));
  if (in.get() < 0) return "missing";
  struct stat st;
  if (fstat(in.get(), &st) != 0 || std::uint64_t(st.st_size) != pointer.size)
    return "size " + std::to_string(st.st_size) + ", expected " + std::to_string(pointer.size);
  auto got = hash_lfs_content(in.get(), pointer.size);
  if (!got || got->oid != pointer.oid) return "content does not match its oid";
  return "";
}

int LfsStore::open_object(const LfsPointer& pointer) const {
  return open(object_path(pointer.oid).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

void LfsStore::for_each(const std::function<void(const std::string& oid, std::uint64_t size)>& each) const {
  std::error_code error;
  const std::filesystem::path objects = dir_ + "/objects";
  if (!std::filesystem::is_directory(objects, error)) return;
  for (auto it = std::filesystem::recursive_directory_iterator(objects, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it.depth() != 2 || !it->is_regular_file(error)) continue;
    const std::string oid = it->path().filename().string();
    if (is_lfs_oid(oid)) each(oid, it->file_size(error));
  }
}

LfsStore::Totals LfsStore::totals() const {
  Totals totals;
  for_each([&](const std::string&, std::uint64_t size) {
    ++totals.objects;
    totals.bytes += size;
  });
  return totals;
}

}  // namespace histfs::gitstore
