#include "gitstore/blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <vector>

#include "gitstore/digest.hpp"
#include "gitstore/dir_walk.hpp"
#include "gitstore/errno_error.hpp"
#include "gitstore/git_handle.hpp"
#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {
namespace {

// Files up to this size are read in one go; larger ones stream, so memory stays bounded.
constexpr size_t kWholeReadLimit = 8 << 20;
constexpr size_t kChunk = 1 << 20;

bool read_exact(int fd, char* buffer, size_t length, off_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd, buffer + done, length - done, offset + off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read");
    if (n == 0) return false;  // shrank while we read
    done += size_t(n);
  }
  return true;
}

git_oid write_small(git_odb* odb, const char* data, size_t length, ObjectSync* written) {
  git_oid oid = object_id(GIT_OBJECT_BLOB, data, length);
  // No refresh on a miss: only our own packer makes packs, and an object it packed meanwhile
  // is at worst written once more. git_odb_write would hash the data again: a blob for the
  // pack goes there directly.
  if (!git_odb_exists_ext(odb, &oid, GIT_ODB_LOOKUP_NO_REFRESH)) {
    if (!written || !written->write_to_pack(odb, oid, data, length, GIT_OBJECT_BLOB))
      check(git_odb_write(&oid, odb, data, length, GIT_OBJECT_BLOB), "write blob");
    if (written) written->add(oid);
  }
  return oid;
}

// Streams the file into the object database; nullopt when its size changed underway.
std::optional<git_oid> write_large(git_odb* odb, int fd, size_t size) {
  git_odb_stream* raw = nullptr;
  check(git_odb_open_wstream(&raw, odb, size, GIT_OBJECT_BLOB), "open blob stream");
  std::unique_ptr<git_odb_stream, decltype(&git_odb_stream_free)> stream(raw, git_odb_stream_free);
  std::vector<char> buffer(kChunk);
  for (size_t done = 0; done < size;) {
    size_t length = std::min(kChunk, size - done);
    if (!read_exact(fd, buffer.data(), length, off_t(done))) return std::nullopt;
    check(git_odb_stream_write(stream.get(), buffer.data(), length), "write blob stream");
    done += length;
  }
  char extra;
  if (pread(fd, &extra, 1, off_t(size)) > 0) return std::nullopt;  // grew underway
  git_oid oid;
  check(git_odb_stream_finalize_write(&oid, stream.get()), "finish blob");
  return oid;
}

std::optional<git_oid> store_file_content(git_odb* odb, int fd, size_t size, ObjectSync* written) {
  if (size > kWholeReadLimit) {
    auto oid = write_large(odb, fd, size);
    if (oid && written) written->add(*oid);
    return oid;
  }
  std::vector<char> buffer(size);
  if (!read_exact(fd, buffer.data(), size, 0)) return std::nullopt;
  char extra;
  if (pread(fd, &extra, 1, off_t(size)) > 0) return std::nullopt;
  return write_small(odb, buffer.data(), size, written);
}

git_oid write_pointer(git_odb* odb, const LfsPointer& pointer, ObjectSync* written) {
  const std::string text = format_lfs_pointer(pointer);
  return write_small(odb, text.data(), text.size(), written);
}

// The content goes to the LFS store and the pointer to the object database; nullopt when
// the file changed size underway.
std::optional<git_oid> store_lfs_content(git_odb* odb, int fd, size_t size, ObjectSync* written, LfsPolicy& lfs) {
  auto pointer = lfs.store().import_fd(fd, size);
  if (!pointer) return std::nullopt;
  return write_pointer(odb, *pointer, written);
}

}  // namespace

git_filemode_t git_mode_of(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return (st.st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
  if (S_ISLNK(st.st_mode)) return GIT_FILEMODE_LINK;
  return GIT_FILEMODE_UNREADABLE;
}

std::optional<StoredEntry> hash_path(int root_fd, const std::string& path, const struct stat& st,
                                     const LfsPolicy* lfs) {
  const git_filemode_t mode = git_mode_of(st);
  if (mode == GIT_FILEMODE_UNREADABLE) return std::nullopt;
  git_oid oid;
  if (mode == GIT_FILEMODE_LINK) {
    std::vector<char> target(size_t(st.st_size) + 2);
    ssize_t n = readlink_at(root_fd, path, target.data(), target.size());
    if (n < 0) return std::nullopt;
    oid = object_id(GIT_OBJECT_BLOB, target.data(), size_t(n));
    return StoredEntry{oid, mode};
  }
  int raw = open_at(root_fd, path, O_RDONLY | O_NOFOLLOW);
  if (raw < 0) return std::nullopt;
  UniqueFd fd(raw);
  if (lfs && lfs->wants(path, std::uint64_t(st.st_size))) {
    auto pointer = hash_lfs_content(fd.get(), std::uint64_t(st.st_size));
    if (!pointer) return std::nullopt;
    const std::string text = format_lfs_pointer(*pointer);
    oid = object_id(GIT_OBJECT_BLOB, text.data(), text.size());
    return StoredEntry{oid, mode, true};
  }
  const std::string proc = "/proc/self/fd/" + std::to_string(fd.get());
  check(git_odb_hashfile(&oid, proc.c_str(), GIT_OBJECT_BLOB), "hash file");
  return StoredEntry{oid, mode};
}

std::optional<StoredEntry> store_path(git_odb* odb, int root_fd, const std::string& path, StatCache& cache,
                                      ObjectSync* written, LfsPolicy* lfs) {
  struct stat st;
  if (stat_at(root_fd, path, st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("stat " + path);
  }
  return store_path(odb, root_fd, path, st, cache, written, lfs);
}

std::optional<StoredEntry> store_path(git_odb* odb, int root_fd, const std::string& path, const struct stat& st,
                                      StatCache& cache, ObjectSync* written, LfsPolicy* lfs, LfsImporter* importer) {
  const git_filemode_t mode = git_mode_of(st);
  if (mode == GIT_FILEMODE_UNREADABLE) return std::nullopt;
  if (auto known = cache.lookup(path, st)) return StoredEntry{*known, mode};

  if (mode == GIT_FILEMODE_LINK) {
    std::vector<char> target(size_t(st.st_size) + 2);
    ssize_t n = readlink_at(root_fd, path, target.data(), target.size());
    if (n < 0) {
      if (errno == ENOENT || errno == EINVAL) return std::nullopt;
      throw_errno("readlink " + path);
    }
    return StoredEntry{write_small(odb, target.data(), size_t(n), written), mode};
  }

  // Retry a few times when the file changes while it is read; the writer's next
  // change marks it dirty again anyway.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int raw = open_file_at(root_fd, path);
    if (raw < 0) {
      if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) return std::nullopt;
      throw_errno("open " + path);
    }
    UniqueFd fd(raw);
    struct stat now;
    if (fstat(fd.get(), &now) != 0) throw_errno("stat " + path);
    if (!S_ISREG(now.st_mode)) return std::nullopt;
    const bool to_lfs = lfs && lfs->wants(path, std::uint64_t(now.st_size));
    std::optional<git_oid> oid;
    if (to_lfs && importer && std::uint64_t(now.st_size) >= LfsImporter::kBackgroundBytes) {
      auto answer = importer->take_or_queue(path, now);
      if (answer.state == LfsImporter::Answer::State::Queued) return StoredEntry{{}, git_mode_of(now), true, true};
      if (answer.state == LfsImporter::Answer::State::Ready) oid = write_pointer(odb, *answer.pointer, written);
      // Failed: imported below, where an I/O error is reported as for any file.
    }
    if (!oid)
      oid = to_lfs ? store_lfs_content(odb, fd.get(), size_t(now.st_size), written, *lfs)
                   : store_file_content(odb, fd.get(), size_t(now.st_size), written);
    if (oid) {
      struct stat after;
      if (fstat(fd.get(), &after) == 0 && after.st_mtim.tv_sec == now.st_mtim.tv_sec &&
          after.st_mtim.tv_nsec == now.st_mtim.tv_nsec && after.st_size == now.st_size)
        cache.remember(path, now, *oid);
      return StoredEntry{*oid, git_mode_of(now), to_lfs};
    }
  }
  throw std::system_error(EAGAIN, std::generic_category(), "file keeps changing while read: " + path);
}

}  // namespace histfs::gitstore
