#pragma once
// "/proc/self/fd/N": reaches the file an O_PATH fd refers to, for the calls
// that have no *at() form taking an empty path (open, chmod, truncate, xattrs).
#include <cstdio>

namespace histfs::fs {

class ProcPath {
 public:
  explicit ProcPath(int fd) { snprintf(text_, sizeof text_, "/proc/self/fd/%d", fd); }
  const char* c_str() const { return text_; }

 private:
  char text_[32];
};

}  // namespace histfs::fs
