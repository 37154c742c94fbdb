#include "gitstore/dir_walk.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

namespace histfs::gitstore {
namespace {

// openat that follows no symlink in any component of `path` and never leaves `dir` (openat2
// with RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH): a folder swapped for a symlink while the
// committer (root) reads cannot lead it out of the backing dir. A symlink anywhere on the way
// fails with ELOOP. Plain openat on a kernel without openat2 (before 5.6).
int open_beneath(int dir, const char* path, int flags) {
  static std::atomic<bool> missing{false};
  if (!missing.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
    const long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
    missing.store(true, std::memory_order_relaxed);
  }
  return openat(dir, path, flags);
}

}  // namespace

AtPath::AtPath(int root_fd, std::string_view path, size_t direct_limit) {
  if (path.empty()) {
    dir_ = root_fd;
    name_ = ".";
    return;
  }
  const size_t slash = path.rfind('/');
  if (path.size() < direct_limit || slash == std::string_view::npos) {
    dir_ = root_fd;
    name_.assign(path);  // a single over-long name fails in the syscall, as it should
    return;
  }
  name_.assign(path.substr(slash + 1));
  const std::string_view parent = path.substr(0, slash);
  int current = root_fd;
  size_t start = 0;
  while (start <= parent.size()) {
    size_t end = parent.find('/', start);
    if (end == std::string_view::npos) end = parent.size();
    const std::string component(parent.substr(start, end - start));
    // No symlink is followed on the way down: the walk stays inside the backing dir.
    const int next = openat(current, component.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int saved = errno;
    if (current != root_fd) close(current);
    if (next < 0) {
      error_ = saved == ELOOP ? ENOTDIR : saved;
      return;
    }
    current = next;
    start = end + 1;
  }
  dir_ = current;
  owned_ = current != root_fd;
}

AtPath::~AtPath() {
  if (owned_) close(dir_);
}

namespace {

// Runs `call(dir_fd, name)` for `path`; errno is the call's (or the walk's), not the close's.
template <typename Call>
auto call_at(int root_fd, std::string_view path, size_t direct_limit, Call call) -> decltype(call(0, "")) {
  decltype(call(0, "")) result = -1;
  int saved = 0;
  {
    AtPath at(root_fd, path, direct_limit);
    if (!at.ok()) {
      saved = at.error();
    } else {
      result = call(at.dir(), at.name());
      saved = errno;
    }
  }
  errno = saved;
  return result;
}

}  // namespace

int stat_at(int root_fd, std::string_view path, struct stat& st, size_t direct_limit) {
  if (path.empty()) return fstat(root_fd, &st);
  return call_at(root_fd, path, direct_limit,
                 [&](int dir, const char* name) { return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW); });
}

int open_at(int root_fd, std::string_view path, int flags, size_t direct_limit) {
  return call_at(root_fd, path, direct_limit,
                 [&](int dir, const char* name) { return open_beneath(dir, name, flags | O_CLOEXEC); });
}

ssize_t readlink_at(int root_fd, std::string_view path, char* buffer, size_t size, size_t direct_limit) {
  return call_at(root_fd, path, direct_limit,
                 [&](int dir, const char* name) { return readlinkat(dir, name, buffer, size); });
}

int open_file_at(int root_fd, std::string_view path) {
  const int fd = open_at(root_fd, path, O_RDONLY | O_NOFOLLOW | O_NOATIME);
  if (fd < 0 && errno == EPERM) return open_at(root_fd, path, O_RDONLY | O_NOFOLLOW);
  return fd;
}

int open_dir_at(int root_fd, std::string_view dir, size_t direct_limit) {
  return open_at(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, direct_limit);
}

}  // namespace histfs::gitstore
