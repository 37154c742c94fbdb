#include "fs/fuse_ops.hpp"

#include <cerrno>
#include <new>
#include <system_error>

#include <spdlog/spdlog.h>

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

// Calls one Passthrough method; an exception (thrown before the method replied) becomes an error reply.
template <auto Method, typename... Args>
void call(fuse_req_t req, Args... args) {
  try {
    (fs_of(req).*Method)(req, args...);
  } catch (...) {
    fuse_reply_err(req, errno_of_current_exception());
  }
}

// forget replies with nothing; it cannot fail in a way the kernel could hear about.
template <auto Method, typename... Args>
void call_no_reply(fuse_req_t req, Args... args) {
  try {
    (fs_of(req).*Method)(req, args...);
  } catch (...) {
    errno_of_current_exception();
    fuse_reply_none(req);
  }
}

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = [](void* userdata, fuse_conn_info* conn) { static_cast<Router*>(userdata)->init(conn); };
  ops.lookup = call<&Router::lookup, fuse_ino_t, const char*>;
  ops.forget = call_no_reply<&Router::forget, fuse_ino_t, uint64_t>;
  ops.forget_multi = call_no_reply<&Router::forget_multi, size_t, fuse_forget_data*>;
  ops.getattr = call<&Router::getattr, fuse_ino_t, fuse_file_info*>;
  ops.setattr = call<&Router::setattr, fuse_ino_t, struct stat*, int, fuse_file_info*>;
  ops.readlink = call<&Router::readlink, fuse_ino_t>;
  ops.mknod = call<&Router::mknod, fuse_ino_t, const char*, mode_t, dev_t>;
  ops.mkdir = call<&Router::mkdir, fuse_ino_t, const char*, mode_t>;
  ops.symlink = call<&Router::symlink, const char*, fuse_ino_t, const char*>;
  ops.link = call<&Router::link, fuse_ino_t, fuse_ino_t, const char*>;
  ops.unlink = call<&Router::unlink, fuse_ino_t, const char*>;
  ops.rmdir = call<&Router::rmdir, fuse_ino_t, const char*>;
  ops.rename = call<&Router::rename, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned int>;
  ops.open = call<&Router::open, fuse_ino_t, fuse_file_info*>;
  ops.create = call<&Router::create, fuse_ino_t, const char*, mode_t, fuse_file_info*>;
  ops.read = call<&Router::read, fuse_ino_t, size_t, off_t, fuse_file_info*>;
  ops.write_buf = call<&Router::write_buf, fuse_ino_t, fuse_bufvec*, off_t, fuse_file_info*>;
  ops.flush = call<&Router::flush, fuse_ino_t, fuse_file_info*>;
  ops.release = call<&Router::release, fuse_ino_t, fuse_file_info*>;
  ops.fsync = call<&Router::fsync, fuse_ino_t, int, fuse_file_info*>;
  ops.opendir = call<&Router::opendir, fuse_ino_t, fuse_file_info*>;
  ops.readdir = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    call<&Router::readdir, fuse_ino_t, size_t, off_t, fuse_file_info*, bool>(req, ino, size, off, fi, false);
  };
  ops.readdirplus = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    call<&Router::readdir, fuse_ino_t, size_t, off_t, fuse_file_info*, bool>(req, ino, size, off, fi, true);
  };
  ops.releasedir = call<&Router::releasedir, fuse_ino_t, fuse_file_info*>;
  ops.fsyncdir = call<&Router::fsyncdir, fuse_ino_t, int, fuse_file_info*>;
  ops.statfs = call<&Router::statfs, fuse_ino_t>;
  ops.setxattr = call<&Router::setxattr, fuse_ino_t, const char*, const char*, size_t, int>;
  ops.getxattr = call<&Router::getxattr, fuse_ino_t, const char*, size_t>;
  ops.listxattr = call<&Router::listxattr, fuse_ino_t, size_t>;
  ops.removexattr = call<&Router::removexattr, fuse_ino_t, const char*>;
  ops.fallocate = call<&Router::fallocate, fuse_ino_t, int, off_t, off_t, fuse_file_info*>;
  ops.copy_file_range = call<&Router::copy_file_range, fuse_ino_t, off_t, fuse_file_info*, fuse_ino_t, off_t,
                             fuse_file_info*, size_t, int>;
  ops.lseek = call<&Router::lseek, fuse_ino_t, off_t, int, fuse_file_info*>;
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
