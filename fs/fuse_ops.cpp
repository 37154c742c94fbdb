#include "fs/fuse_ops.hpp"

#include <cerrno>
#include <new>
#include <system_error>

#include <spdlog/spdlog.h>

#include "fs/op_stats.hpp"

namespace histfs::fs {
namespace {

Router& fs_of(fuse_req_t req) { return *static_cast<Router*>(fuse_req_userdata(req)); }

int errno_of_current_exception() {
  try {
    throw;
  } catch (const std::system_error& error) {
    return error.code().value();
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (const std::exception& error) {
    spdlog::error("filesystem operation failed: {}", error.what());
    return EIO;
  } catch (...) {
    return EIO;
  }
}

// Calls one Router method, counted as `Kind`; an exception (thrown before the method replied)
// becomes an error reply. forget replies with nothing: it cannot fail in a way the kernel could
// hear about.
template <Op Kind, auto Method, typename... Args>
void call(fuse_req_t req, Args... args) {
  Router& router = fs_of(req);
  router.op_stats().begin(Kind);
  serving(&router.op_stats(), Kind);
  try {
    (router.*Method)(req, args...);
  } catch (...) {
    const int error = errno_of_current_exception();
    if constexpr (Kind == Op::forget)
      fuse_reply_none(req);
    else
      reply_err(req, error);
  }
}

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = [](void* userdata, fuse_conn_info* conn) { static_cast<Router*>(userdata)->init(conn); };
  ops.lookup = call<Op::lookup, &Router::lookup, fuse_ino_t, const char*>;
  ops.forget = call<Op::forget, &Router::forget, fuse_ino_t, uint64_t>;
  ops.forget_multi = call<Op::forget, &Router::forget_multi, size_t, fuse_forget_data*>;
  ops.getattr = call<Op::getattr, &Router::getattr, fuse_ino_t, fuse_file_info*>;
  ops.setattr = call<Op::setattr, &Router::setattr, fuse_ino_t, struct stat*, int, fuse_file_info*>;
  ops.readlink = call<Op::readlink, &Router::readlink, fuse_ino_t>;
  ops.mknod = call<Op::mknod, &Router::mknod, fuse_ino_t, const char*, mode_t, dev_t>;
  ops.mkdir = call<Op::mkdir, &Router::mkdir, fuse_ino_t, const char*, mode_t>;
  ops.symlink = call<Op::symlink, &Router::symlink, const char*, fuse_ino_t, const char*>;
  ops.link = call<Op::link, &Router::link, fuse_ino_t, fuse_ino_t, const char*>;
  ops.unlink = call<Op::unlink, &Router::unlink, fuse_ino_t, const char*>;
  ops.rmdir = call<Op::rmdir, &Router::rmdir, fuse_ino_t, const char*>;
  ops.rename = call<Op::rename, &Router::rename, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned int>;
  ops.open = call<Op::open, &Router::open, fuse_ino_t, fuse_file_info*>;
  ops.create = call<Op::create, &Router::create, fuse_ino_t, const char*, mode_t, fuse_file_info*>;
  ops.read = call<Op::read, &Router::read, fuse_ino_t, size_t, off_t, fuse_file_info*>;
  ops.write_buf = call<Op::write, &Router::write_buf, fuse_ino_t, fuse_bufvec*, off_t, fuse_file_info*>;
  ops.flush = call<Op::flush, &Router::flush, fuse_ino_t, fuse_file_info*>;
  ops.release = call<Op::release, &Router::release, fuse_ino_t, fuse_file_info*>;
  ops.fsync = call<Op::fsync, &Router::fsync, fuse_ino_t, int, fuse_file_info*>;
  ops.opendir = call<Op::opendir, &Router::opendir, fuse_ino_t, fuse_file_info*>;
  ops.readdir = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    call<Op::readdir, &Router::readdir, fuse_ino_t, size_t, off_t, fuse_file_info*, bool>(req, ino, size, off, fi,
                                                                                          false);
  };
  ops.readdirplus = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    call<Op::readdir, &Router::readdir, fuse_ino_t, size_t, off_t, fuse_file_info*, bool>(req, ino, size, off, fi,
                                                                                          true);
  };
  ops.releasedir = call<Op::releasedir, &Router::releasedir, fuse_ino_t, fuse_file_info*>;
  ops.fsyncdir = call<Op::fsyncdir, &Router::fsyncdir, fuse_ino_t, int, fuse_file_info*>;
  ops.statfs = call<Op::statfs, &Router::statfs, fuse_ino_t>;
  ops.setxattr = call<Op::setxattr, &Router::setxattr, fuse_ino_t, const char*, const char*, size_t, int>;
  ops.getxattr = call<Op::getxattr, &Router::getxattr, fuse_ino_t, const char*, size_t>;
  ops.listxattr = call<Op::listxattr, &Router::listxattr, fuse_ino_t, size_t>;
  ops.removexattr = call<Op::removexattr, &Router::removexattr, fuse_ino_t, const char*>;
  ops.fallocate = call<Op::fallocate, &Router::fallocate, fuse_ino_t, int, off_t, off_t, fuse_file_info*>;
  ops.copy_file_range = call<Op::copy_file_range, &Router::copy_file_range, fuse_ino_t, off_t, fuse_file_info*,
                             fuse_ino_t, off_t, fuse_file_info*, size_t, int>;
  ops.lseek = call<Op::lseek, &Router::lseek, fuse_ino_t, off_t, int, fuse_file_info*>;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& fuse_operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

void Passthrough::init(fuse_conn_info* conn) {
  auto want = [conn](unsigned capability) {
    if (conn->capable & capability) conn->want |= capability;
  };
  want(FUSE_CAP_SPLICE_WRITE);
  want(FUSE_CAP_SPLICE_MOVE);
  want(FUSE_CAP_CACHE_SYMLINKS);  // readlink answered once, then from the kernel
  want(FUSE_CAP_PARALLEL_DIROPS);
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  // The kernel keeps ACLs with the inode: `ls -l` then costs no getxattr round trips.
  want(FUSE_CAP_POSIX_ACL);
  // Data is invalidated explicitly when the daemon changes files; no need to drop the
  // page cache whenever attributes are refreshed.
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
  // No writeback cache: an acknowledged write must be in the backing dir even if the daemon dies.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

}  // namespace histfs::fs
