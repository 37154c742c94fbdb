// Extended attributes, passed through by /proc path (O_PATH fds take no xattr calls).
#include <sys/xattr.h>

#include <cerrno>
#include <vector>

#include "fs/op_stats.hpp"
#include "fs/passthrough.hpp"
#include "fs/proc_path.hpp"

namespace histfs::fs {
namespace {

// getxattr and listxattr share one reply shape: the size when asked for it, else the bytes.
template <typename Call>
void reply_sized(fuse_req_t req, size_t size, Call call) {
  if (size == 0) {
    ssize_t needed = call(nullptr, 0);
    if (needed < 0) return (void)reply_err(req, errno);
    return (void)fuse_reply_xattr(req, static_cast<size_t>(needed));
  }
  std::vector<char> value(size);
  ssize_t length = call(value.data(), size);
  if (length < 0) return (void)reply_err(req, errno);
  fuse_reply_buf(req, value.data(), static_cast<size_t>(length));
}

}  // namespace

void Passthrough::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  if (!options_.xattr) return (void)reply_err(req, ENOSYS);
  const ProcPath proc(fd_of(inodes_.get(ino)));
  reply_sized(req, size, [&](char* out, size_t n) { return ::getxattr(proc.c_str(), name, out, n); });
}

void Passthrough::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  if (!options_.xattr) return (void)reply_err(req, ENOSYS);
  const ProcPath proc(fd_of(inodes_.get(ino)));
  reply_sized(req, size, [&](char* out, size_t n) { return ::listxattr(proc.c_str(), out, n); });
}

void Passthrough::setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                           int flags) {
  if (!options_.xattr) return (void)reply_err(req, ENOSYS);
  const ProcPath proc(fd_of(inodes_.get(ino)));
  reply_err(req, ::setxattr(proc.c_str(), name, value, size, flags) == 0 ? 0 : errno);
}

void Passthrough::removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  if (!options_.xattr) return (void)reply_err(req, ENOSYS);
  const ProcPath proc(fd_of(inodes_.get(ino)));
  reply_err(req, ::removexattr(proc.c_str(), name) == 0 ? 0 : errno);
}

}  // namespace histfs::fs
