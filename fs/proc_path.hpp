#pragma once
// "/proc/self/fd/N": reaches the file an O_PATH fd refers to, for the calls
// that have no *at() form taking an empty path (open, chmod, truncate, xattrs).
// Keeps the inode's fd pinned open while the path is in use.
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

}  // namespace histfs::fs
