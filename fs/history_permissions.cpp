#include "fs/history_permissions.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace histfs::fs {
namespace {

constexpr mode_t kRead = 0444;

// r bits moved onto the x bits of the same class (owner, group, others).
mode_t x_where_readable(mode_t bits) { return (bits & kRead) | ((bits & kRead) >> 2); }

// A name a walk may take: "", "." and ".." would leave the path (trees from a remote may hold them).
bool plain_name(const std::string& name) { return !name.empty() && name != "." && name != ".."; }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace

HistoryAccess history_access(const struct stat& source, bool exact, ShownAs shown) {
  mode_t bits = source.st_mode & 0555;  // no write bit, no setuid, setgid or sticky bit
  if (!exact) bits &= ~mode_t(0007);    // borrowed from an ancestor: nothing for others
  switch (shown) {
    case ShownAs::Folder:
      if (!S_ISDIR(source.st_mode)) bits = x_where_readable(bits);
      break;
    case ShownAs::File:
      bits &= kRead;
      break;
    case ShownAs::Executable:
      bits = x_where_readable(bits);
      break;
    case ShownAs::Link:
      bits = 0777;
      break;
  }
  return {source.st_uid, source.st_gid, bits};
}

LivePermissions::LivePermissions(int backing_root_fd) : root_fd_(fcntl(backing_root_fd, F_DUPFD_CLOEXEC, 0)) {
  if (root_fd_ < 0) throw std::system_error(errno, std::generic_category(), "duplicate the backing root fd");
}

LivePermissions::~LivePermissions() { close(root_fd_); }

struct stat LivePermissions::root() const {
  struct stat st;
  if (fstat(root_fd_, &st) != 0) throw std::system_error(errno, std::generic_category(), "stat the backing root");
  return st;
}

bool LivePermissions::source_of(const std::string& path, struct stat& out) const {
  out = root();
  if (path.empty()) return true;
  int dir = root_fd_;
  Fd held;
  for (size_t start = 0;;) {
    const size_t slash = path.find('/', start);
    const std::string name = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!plain_name(name)) return false;
    if (slash == std::string::npos) {
      struct stat st;
      // Symlinks, devices, fifos and sockets say nothing about who may read a file's past.
      if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
        return false;
      out = st;
      return true;
    }
    // One component at a time, never through a symlink: the folder reached so far is the
    // nearest live ancestor when the next one is gone, a file or a symlink (or unreadable).
    const int next = openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return false;
    held.reset(next);
    dir = next;
    struct stat st;
    if (fstat(dir, &st) != 0) return false;
    out = st;
    start = slash + 1;
  }
}

HistoryAccess LivePermissions::of(const std::string& path, ShownAs shown) {
  struct stat source;
  const bool exact = source_of(path, source);
  return history_access(source, exact, shown);
}

}  // namespace histfs::fs
