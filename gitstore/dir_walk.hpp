#pragma once
// The *at syscalls on a path below a directory fd, at any depth. A path of PATH_MAX bytes
// or more makes every syscall fail with ENAMETOOLONG, yet any user can make a folder chain
// that deep through the mount; the committer must still read it. Short paths go to the
// syscall as they are (one call, as before); a longer one is walked to its parent directory
// one component at a time (openat O_PATH|O_DIRECTORY|O_NOFOLLOW), so no syscall ever sees
// more than one name of it. Each function returns what its syscall would, errno included.
#include <sys/stat.h>
#include <sys/types.h>

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>

namespace histfs::gitstore {

// Paths at least this long are walked; shorter ones go to the syscall directly.
inline constexpr size_t kDirectPathLimit = PATH_MAX - 1;

// `path` relative to `root_fd`, as a directory fd and one name for an *at syscall.
// "" stands for root_fd itself (name() is "." then).
class AtPath {
 public:
  // `direct_limit` is for tests, to walk short paths too.
  AtPath(int root_fd, std::string_view path, size_t direct_limit = kDirectPathLimit);
  ~AtPath();
  AtPath(const AtPath&) = delete;
  AtPath& operator=(const AtPath&) = delete;

  // False when a parent could not be opened; error() is its errno (ENOTDIR for a symlink).
  bool ok() const { return dir_ >= 0; }
  int error() const { return error_; }
  int dir() const { return dir_; }
  const char* name() const { return name_.c_str(); }

 private:
  int dir_ = -1;
  bool owned_ = false;
  int error_ = 0;
  std::string name_;
};

// fstatat(AT_SYMLINK_NOFOLLOW); 0 or -1 with errno.
int stat_at(int root_fd, std::string_view path, struct stat& st, size_t direct_limit = kDirectPathLimit);
// openat(`flags` | O_CLOEXEC), following no symlink on the way (openat2's
// RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH: ELOOP), short paths included; the fd or -1 with errno.
int open_at(int root_fd, std::string_view path, int flags, size_t direct_limit = kDirectPathLimit);
// readlinkat; the length or -1 with errno.
ssize_t readlink_at(int root_fd, std::string_view path, char* buffer, size_t size,
                    size_t direct_limit = kDirectPathLimit);
// A file opened for reading its content (O_RDONLY|O_NOFOLLOW), without touching its atime
// when the caller may (O_NOATIME needs the file's owner or CAP_FOWNER).
int open_file_at(int root_fd, std::string_view path);
// A directory opened for reading (O_RDONLY|O_DIRECTORY|O_NOFOLLOW); "" is root_fd's directory.
int open_dir_at(int root_fd, std::string_view dir, size_t direct_limit = kDirectPathLimit);

}  // namespace histfs::gitstore
