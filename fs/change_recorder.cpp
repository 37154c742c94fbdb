#include "fs/change_recorder.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace histfs::fs {

ChangeRecorder::ChangeRecorder(gitstore::ChangeSet* changes, std::string backing_root)
    : changes_(changes),
      order_mutex_(changes ? &changes->order_mutex() : &unrecorded_order_),
      root_(std::move(backing_root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_ == "/") root_.clear();
}

bool ChangeRecorder::path_of(const Inode& inode, std::string& path) const {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", inode.fd);
  char target[PATH_MAX + 1];
  ssize_t n = readlink(link, target, PATH_MAX);
  if (n <= 0) return false;
  std::string_view full(target, static_cast<size_t>(n));
  if (full.size() < root_.size() || full.compare(0, root_.size(), root_) != 0) return false;
  full.remove_prefix(root_.size());
  if (full.empty()) {
    path.clear();
    return true;
  }
  if (full.front() != '/') return false;
  full.remove_prefix(1);
  // An unlinked file reads as "name (deleted)"; its removal was recorded by unlink.
  if (full.ends_with(" (deleted)")) {
    struct stat st;
    if (fstat(inode.fd, &st) != 0 || st.st_nlink == 0) return false;
  }
  path.assign(full);
  return true;
}

bool ChangeRecorder::child_path(const Inode& parent, const char* name, std::string& path) const {
  if (!path_of(parent, path)) return false;
  if (!path.empty()) path += '/';
  path += name;
  return true;
}

void ChangeRecorder::created(fuse_req_t req, Inode& parent, const char* name) {
  std::string path;
  if (!changes_ || !child_path(parent, name, path)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->dirty(path, ctx->uid, ctx->pid);
}

void ChangeRecorder::removed(fuse_req_t req, Inode& parent, const char* name) {
  std::string path;
  if (!changes_ || !child_path(parent, name, path)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->removed(path, ctx->uid, ctx->pid);
}

void ChangeRecorder::renamed(fuse_req_t req, Inode& parent, const char* name, Inode& new_parent,
                             const char* new_name, unsigned flags) {
  std::string from, to;
  if (!changes_ || !child_path(parent, name, from) || !child_path(new_parent, new_name, to)) return;
  // A rename onto itself, or onto another link of the same file, succeeds and does nothing
  // (the old name stays): recorded as a move it would drop what stands at the new name.
  struct stat st;
  if (!(flags & RENAME_EXCHANGE) && fstatat(parent.fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  if (flags & RENAME_EXCHANGE)
    changes_->exchanged(from, to, ctx->uid, ctx->pid);
  else
    changes_->moved(from, to, ctx->uid, ctx->pid);
}

void ChangeRecorder::record_content(fuse_req_t req, Inode& inode, unsigned generation) {
  // Shared with other writes, exclusive with namespace changes: no rename can land between
  // reading the path and recording it (the batch would move "a/x" to "b/x" before our
  // "a/x" arrived, and b/x would keep its old content).
  std::shared_lock order(*order_mutex_);
  std::string path;
  if (!path_of(inode, path) || path.empty()) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->dirty(path, ctx->uid, ctx->pid);
  rescan_if_linked(inode);
  inode.recorded_generation.store(generation, std::memory_order_relaxed);
}

void ChangeRecorder::changed(fuse_req_t req, Inode& inode) {
  if (!changes_) return;
  record_content(req, inode, changes_->generation());
}

void ChangeRecorder::written(fuse_req_t req, Inode& inode) {
  if (!changes_) return;
  // Read after the data reached the backing file: if the batch had already been
  // taken, the generation has moved on and we record again. Equal: the file is dirty in
  // the batch not yet cut, under whatever name renames gave it since.
  const unsigned generation = changes_->generation();
  if (inode.recorded_generation.load(std::memory_order_relaxed) == generation) return;
  record_content(req, inode, generation);
}

void ChangeRecorder::rescan_if_linked(const Inode& inode) {
  // Other names of a hard-linked file changed too, and /proc gives only one of them:
  // compare the whole tree (the stat cache keeps that cheap).
  struct stat st;
  if (inode.file_type == S_IFREG && fstat(inode.fd, &st) == 0 && st.st_nlink > 1) changes_->rescan("");
}

}  // namespace histfs::fs
