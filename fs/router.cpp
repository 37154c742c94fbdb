#include "fs/router.hpp"

#include <cerrno>
#include <cstring>

#include "fs/op_stats.hpp"

namespace histfs::fs {

Router::Router(Passthrough& real, HistoryView* history, HistoryMode mode)
    : real_(real), history_(mode == HistoryMode::Off ? nullptr : history) {
  if (!history_) return;
  // A real ".history" in the backing dir is shadowed; the listing shows ours only when visible.
  real_.set_root_listing(kHistoryName, mode == HistoryMode::Visible ? std::function<fuse_entry_param()>(
                                                                          [this] { return history_->root_entry(); })
                                                                    : nullptr);
}

bool Router::history_name(fuse_ino_t parent, const char* name) const {
  return history_ &&
         (HistoryView::is_history(parent) || (parent == FUSE_ROOT_ID && std::strcmp(name, kHistoryName) == 0));
}

void Router::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (virtual_ino(parent)) return history_->lookup(req, parent, name);
  if (history_name(parent, name)) return history_->reply_root_entry(req);
  real_.lookup(req, parent, name);
}

void Router::forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  if (virtual_ino(ino)) return fuse_reply_none(req);  // history inodes live as long as the mount
  real_.forget(req, ino, nlookup);
}

void Router::forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i)
    if (!virtual_ino(forgets[i].ino)) forgets[kept++] = forgets[i];
  real_.forget_multi(req, kept, forgets);
}

void Router::getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (virtual_ino(ino)) return history_->getattr(req, ino);
  real_.getattr(req, ino, fi);
}

void Router::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, EROFS);
  real_.setattr(req, ino, attr, valid, fi);
}

void Router::readlink(fuse_req_t req, fuse_ino_t ino) {
  if (virtual_ino(ino)) return history_->readlink(req, ino);
  real_.readlink(req, ino);
}

void Router::mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  if (history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.mknod(req, parent, name, mode, rdev);
}

void Router::mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.mkdir(req, parent, name, mode);
}

void Router::symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  if (history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.symlink(req, link, parent, name);
}

void Router::link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  if (virtual_ino(ino) || history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.link(req, ino, parent, name);
}

void Router::unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.unlink(req, parent, name);
}

void Router::rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.rmdir(req, parent, name);
}

void Router::rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                    unsigned int flags) {
  if (history_name(parent, name) || history_name(newparent, newname)) return (void)reply_err(req, EROFS);
  real_.rename(req, parent, name, newparent, newname, flags);
}

void Router::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (virtual_ino(ino)) return history_->open(req, ino, fi);
  real_.open(req, ino, fi);
}

void Router::create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  if (history_name(parent, name)) return (void)reply_err(req, EROFS);
  real_.create(req, parent, name, mode, fi);
}

void Router::read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  if (virtual_ino(ino)) return history_->read(req, size, off, fi);
  real_.read(req, ino, size, off, fi);
}

void Router::write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in_buf, off_t off, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, EROFS);
  real_.write_buf(req, ino, in_buf, off, fi);
}

void Router::flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, 0);
  real_.flush(req, ino, fi);
}

void Router::release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (virtual_ino(ino)) return history_->release(req, fi);
  real_.release(req, ino, fi);
}

void Router::fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, 0);
  real_.fsync(req, ino, datasync, fi);
}

void Router::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (virtual_ino(ino)) return history_->opendir(req, ino, fi);
  real_.opendir(req, ino, fi);
}

void Router::readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  if (virtual_ino(ino)) return history_->readdir(req, ino, size, off, fi, plus);
  real_.readdir(req, ino, size, off, fi, plus);
}

void Router::releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (virtual_ino(ino)) return history_->releasedir(req, fi);
  real_.releasedir(req, ino, fi);
}

void Router::fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, 0);
  real_.fsyncdir(req, ino, datasync, fi);
}

void Router::statfs(fuse_req_t req, fuse_ino_t ino) { real_.statfs(req, virtual_ino(ino) ? FUSE_ROOT_ID : ino); }

void Router::setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  if (virtual_ino(ino)) return (void)reply_err(req, EROFS);
  real_.setxattr(req, ino, name, value, size, flags);
}

void Router::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  if (virtual_ino(ino)) return (void)reply_err(req, ENODATA);
  real_.getxattr(req, ino, name, size);
}

void Router::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  if (virtual_ino(ino)) return (void)(size ? fuse_reply_buf(req, nullptr, 0) : fuse_reply_xattr(req, 0));
  real_.listxattr(req, ino, size);
}

void Router::removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  if (virtual_ino(ino)) return (void)reply_err(req, EROFS);
  real_.removexattr(req, ino, name);
}

void Router::fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, EROFS);
  real_.fallocate(req, ino, mode, offset, length, fi);
}

void Router::copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in, fuse_ino_t ino_out,
                             off_t off_out, fuse_file_info* fi_out, size_t len, int flags) {
  if (virtual_ino(ino_out)) return (void)reply_err(req, EROFS);
  // From history to a real file: the kernel falls back to read + write.
  if (virtual_ino(ino_in)) return (void)reply_err(req, EXDEV);
  real_.copy_file_range(req, ino_in, off_in, fi_in, ino_out, off_out, fi_out, len, flags);
}

void Router::lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi) {
  if (virtual_ino(ino)) return (void)reply_err(req, ENXIO);
  real_.lseek(req, ino, off, whence, fi);
}

}  // namespace histfs::fs
