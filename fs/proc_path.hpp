#pragma once
// "/proc/self/fd/N": reaches the file an O_PATH fd refers to, for the calls
// that have no *at() form taking an empty path (open, chmod, truncate, xattrs).
// Keeps the inode's fd pinned open while the path is in use.
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "fs/inode_table.hpp"

namespace histfs::fs {

class ProcPath {
 public:
  explicit ProcPath(InodeFd fd) : fd_(std::move(fd)) { snprintf(text_, sizeof text_, "/proc/self/fd/%d", fd_.get()); }
  const char* c_str() const { return text_; }

 private:
  InodeFd fd_;
  char text_[32];
};

// Opens the inode's file again with `flags` (a real fd, not O_PATH); when the daemon is out
// of fds while the closer thread catches up (a hard limit of 1024), room is made and it tries
// once more. -1 with errno on failure.
inline int open_again(InodeTable& inodes, const Inode& inode, int flags) {
  auto reopen = [&] { return ::open(ProcPath(fd_of(inode)).c_str(), flags); };
  int fd = reopen();
  if (fd < 0 && inodes.made_room(errno)) fd = reopen();
  return fd;
}

}  // namespace histfs::fs
