// Open files: the fd of the backing file is the FUSE file handle, or kSharedReadHandle for
// an open that only reads (shared_reads.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "fs/op_stats.hpp"
#include "fs/passthrough.hpp"
#include "fs/proc_path.hpp"

namespace histfs::fs {
namespace {

bool writes(int flags) { return (flags & O_ACCMODE) != O_RDONLY; }

// Page cache stays valid across opens: only this mount changes the files, and the
// daemon invalidates the kernel's cache when it changes them itself. No FLUSH on
// close: writes are already in the backing file (no writeback cache) and POSIX locks
// are the kernel's own, so a FLUSH would only cost a round trip.
void set_cache_flags(fuse_file_info* fi) {
  fi->keep_cache = 1;
  fi->noflush = 1;
}

}  // namespace

void Passthrough::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Inode& inode = inodes_.get(ino);
  if (may_share_read(fi->flags)) {
    if (!shared_reads_.begin(inode)) return (void)reply_err(req, errno);
    fi->fh = kSharedReadHandle;
    set_cache_flags(fi);
    return (void)fuse_reply_open(req, fi);
  }
  const int fd = open_again(inodes_, inode, (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC);
  if (fd < 0) return (void)reply_err(req, errno);
  fi->fh = static_cast<uint64_t>(fd);
  set_cache_flags(fi);
  if (writes(fi->flags)) ++inode.writers;
  if ((fi->flags & O_TRUNC) && writes(fi->flags)) recorder_.changed(req, inode);
  fuse_reply_open(req, fi);
}

void Passthrough::create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Inode& dir = inodes_.get(parent);
  auto order = recorder_.ordered();
  const int fd = openat(fd_of(dir), name, (fi->flags | O_CREAT) & ~O_NOFOLLOW, mode);
  if (fd < 0) return (void)reply_err(req, errno);
  const fuse_ctx* ctx = fuse_req_ctx(req);
  if (geteuid() == 0 && (ctx->uid != 0 || ctx->gid != 0)) {
    // As in mknod: the caller owns what it creates (a setgid parent already chose the group).
    struct stat parent_st;
    const bool setgid = fstatat(fd_of(dir), "", &parent_st, AT_EMPTY_PATH) == 0 && (parent_st.st_mode & S_ISGID);
    if (ctx->uid != 0 || !setgid) (void)fchown(fd, ctx->uid, setgid ? gid_t(-1) : ctx->gid);
  }
  const unsigned generation = recorder_.generation();
  recorder_.created(req, dir, name);
  // Looked up before the order lock is released: a rename could otherwise put another file
  // at `name`, which would be marked as recorded and its writes of this batch never committed.
  fuse_entry_param e;
  if (int error = do_lookup(dir, name, &e)) {
    close(fd);
    return (void)reply_err(req, error);
  }
  order.unlock();
  Inode& created = inodes_.get(e.ino);
  created.recorded_generation.store(generation, std::memory_order_relaxed);
  if (writes(fi->flags)) ++created.writers;
  fi->fh = static_cast<uint64_t>(fd);
  set_cache_flags(fi);
  fuse_reply_create(req, &e, fi);
}

int Passthrough::file_fd(fuse_ino_t ino, const fuse_file_info* fi) {
  if (fi->fh != kSharedReadHandle) return static_cast<int>(fi->fh);
  return shared_reads_.fd(inodes_.get(ino));
}

void Passthrough::read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  const int fd = file_fd(ino, fi);
  if (fd < 0) return (void)reply_err(req, errno);
  // Reply straight from the backing fd: libfuse splices it when it can.
  fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
  buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  buf.buf[0].fd = fd;
  buf.buf[0].pos = off;
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void Passthrough::write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in_buf, off_t off, fuse_file_info* fi) {
  fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in_buf));
  out.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  out.buf[0].fd = static_cast<int>(fi->fh);
  out.buf[0].pos = off;
  ssize_t written = fuse_buf_copy(&out, in_buf, fuse_buf_copy_flags(0));
  if (written < 0) return (void)reply_err(req, static_cast<int>(-written));
  recorder_.written(req, inodes_.get(ino));
  fuse_reply_write(req, static_cast<size_t>(written));
}

void Passthrough::flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  // (Not sent while noflush is set.) A handle that only reads has no write error to report.
  if (fi->fh == kSharedReadHandle) return (void)reply_err(req, 0);
  // Closing a duplicate reports delayed write errors and drops POSIX locks, as close() would.
  int result = close(dup(static_cast<int>(fi->fh)));
  reply_err(req, result == 0 ? 0 : errno);
}

void Passthrough::release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (fi->fh == kSharedReadHandle) {
    shared_reads_.end(inodes_.get(ino));
    return (void)reply_err(req, 0);
  }
  if (writes(fi->flags)) --inodes_.get(ino).writers;
  close(static_cast<int>(fi->fh));
  reply_err(req, 0);
}

bool Passthrough::open_for_writing(const std::string& path) {
  struct stat st;
  if (fstatat(fd_of(inodes_.root()), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  Inode* inode = inodes_.find(st.st_dev, st.st_ino);
  return inode && inode->writers.load() > 0;
}

void Passthrough::fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  const int fd = file_fd(ino, fi);
  if (fd < 0) return (void)reply_err(req, errno);
  int result = datasync ? fdatasync(fd) : ::fsync(fd);
  reply_err(req, result == 0 ? 0 : errno);
}

void Passthrough::fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  const int fd = file_fd(ino, fi);  // (the kernel sends none for a read-only handle)
  if (fd < 0) return (void)reply_err(req, errno);
  if (::fallocate(fd, mode, offset, length) != 0) return (void)reply_err(req, errno);
  recorder_.changed(req, inodes_.get(ino));
  reply_err(req, 0);
}

void Passthrough::copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                                  fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len, int flags) {
  const int in = file_fd(ino_in, fi_in);
  if (in < 0) return (void)reply_err(req, errno);
  ssize_t copied =
      ::copy_file_range(in, &off_in, static_cast<int>(fi_out->fh), &off_out, len, static_cast<unsigned>(flags));
  if (copied < 0) return (void)reply_err(req, errno);
  recorder_.written(req, inodes_.get(ino_out));
  fuse_reply_write(req, static_cast<size_t>(copied));
}

void Passthrough::lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi) {
  const int fd = file_fd(ino, fi);
  if (fd < 0) return (void)reply_err(req, errno);
  off_t result = ::lseek(fd, off, whence);
  if (result < 0) return (void)reply_err(req, errno);
  fuse_reply_lseek(req, result);
}

}  // namespace histfs::fs
