#include "fs/change_recorder.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <utility>

#include <spdlog/spdlog.h>

#include "gitstore/repo_path.hpp"

namespace histfs::fs {
namespace {

constexpr std::string_view kDeleted = " (deleted)";

std::string without_trailing_slashes(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root.clear();
  return root;
}

// The kernel's name of `fd` ("/a/b", "/a/b (deleted)"); "" when it cannot say. `too_long`:
// the name is longer than the kernel will give (ENAMETOOLONG past a page, as PATH_MAX).
std::string proc_name_of(int fd, bool* too_long = nullptr) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char target[PATH_MAX + 1];
  const ssize_t n = readlink(link, target, PATH_MAX);
  if (too_long) *too_long = n < 0 ? errno == ENAMETOOLONG : size_t(n) >= PATH_MAX;
  return n > 0 && size_t(n) < PATH_MAX ? std::string(target, static_cast<size_t>(n)) : std::string();
}

// `full` relative to `root` ("" for the root itself); false when it lies outside.
bool relative_to(std::string_view root, std::string_view full, std::string_view& rest) {
  if (full.size() < root.size() || full.compare(0, root.size(), root) != 0) return false;
  full.remove_prefix(root.size());
  if (!full.empty() && full.front() != '/') return false;
  if (!full.empty()) full.remove_prefix(1);
  rest = full;
  return true;
}

}  // namespace

std::string current_path_of(int fd) {
  std::string name = proc_name_of(fd);
  struct stat st;
  // A removed directory reads as "/a/b (deleted)" and has no links; a live one may end so too.
  if (name.empty() || name.front() != '/' || fstat(fd, &st) != 0 || st.st_nlink == 0) return "";
  return name;
}

std::string backing_root_problem(int root_fd, const std::string& mounted_from) {
  const std::string now = current_path_of(root_fd);
  const std::string shown = gitstore::printable_path(mounted_from);
  if (now.empty())
    return "the backing dir " + shown + " was removed while mounted: nothing written through the mount can be kept";
  if (without_trailing_slashes(now) == without_trailing_slashes(mounted_from)) return "";
  return "the backing dir " + shown + " was moved to " + gitstore::printable_path(now) +
         " while mounted: changes are still committed; remount it from there with --git-dir naming this git dir";
}

ChangeRecorder::ChangeRecorder(gitstore::ChangeSet* changes, int root_fd, std::string backing_root)
    : changes_(changes),
      order_mutex_(changes ? &changes->order_mutex() : &unrecorded_order_),
      root_fd_(root_fd),
      root_(without_trailing_slashes(std::move(backing_root))) {}

void ChangeRecorder::follow_root() const {
  const std::string now = current_path_of(root_fd_);
  std::string before;
  {
    std::unique_lock lock(root_mutex_);
    before = root_;
    if (now.empty()) {
      if (std::exchange(removed_logged_, true)) return;
    } else {
      if (without_trailing_slashes(now) == root_) return;
      root_ = without_trailing_slashes(now);
      removed_logged_ = false;
    }
  }
  if (now.empty())
    spdlog::error("the backing dir {} was removed while mounted: nothing written through the mount can be kept",
                  gitstore::printable_path(before));
  else
    spdlog::warn(
        "the backing dir {} was moved to {} while mounted; its changes are still committed, "
        "but remount it from there with --git-dir naming this git dir",
        gitstore::printable_path(before), gitstore::printable_path(now));
}

bool ChangeRecorder::path_of(const Inode& inode, std::string& path) const {
  bool too_long = false;
  return resolve(inode, path, too_long);
}

bool ChangeRecorder::resolve(const Inode& inode, std::string& path, bool& too_long) const {
  const std::string name = proc_name_of(fd_of(inode), &too_long);
  if (name.empty()) return false;
  std::string_view full = name;
  bool inside;
  {
    std::shared_lock lock(root_mutex_);
    inside = relative_to(root_, name, full);
  }
  if (!inside) {
    // Outside the root we know: the backing dir itself may have been renamed or removed.
    follow_root();
    std::shared_lock lock(root_mutex_);
    if (!relative_to(root_, name, full)) {
      // Still outside: an fd opened again by handle whose dentry the kernel had let go
      // reads as a bare name (inode_table.hpp). Whatever changed there is found by a rescan.
      if (changes_ && root_ == without_trailing_slashes(current_path_of(root_fd_))) changes_->rescan("");
      return false;
    }
  }
  // An unlinked file reads as "name (deleted)"; its removal was recorded by unlink.
  if (full.ends_with(kDeleted)) {
    struct stat st;
    if (fstat(fd_of(inode), &st) != 0 || st.st_nlink == 0) return false;
  }
  path.assign(full);
  return true;
}

bool ChangeRecorder::child_path(fuse_req_t req, const Inode& parent, const char* name, std::string& path) const {
  bool too_long = false;
  if (!resolve(parent, path, too_long)) {
    if (too_long) rescan_too_deep(req);
    return false;
  }
  if (!path.empty()) path += '/';
  path += name;
  return true;
}

void ChangeRecorder::created(fuse_req_t req, Inode& parent, const char* name) {
  std::string path;
  if (!changes_ || !child_path(req, parent, name, path)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->dirty(path, ctx->uid, ctx->pid);
}

void ChangeRecorder::removed(fuse_req_t req, Inode& parent, const char* name) {
  std::string path;
  if (!changes_ || !child_path(req, parent, name, path)) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->removed(path, ctx->uid, ctx->pid);
}

void ChangeRecorder::renamed(fuse_req_t req, Inode& parent, const char* name, Inode& new_parent, const char* new_name,
                             unsigned flags) {
  std::string from, to;
  if (!changes_ || !child_path(req, parent, name, from) || !child_path(req, new_parent, new_name, to)) return;
  // A rename onto itself, or onto another link of the same file, succeeds and does nothing
  // (the old name stays): recorded as a move it would drop what stands at the new name.
  struct stat st;
  if (!(flags & RENAME_EXCHANGE) && fstatat(fd_of(parent), name, &st, AT_SYMLINK_NOFOLLOW) == 0) return;
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
  bool too_long = false;
  if (!resolve(inode, path, too_long) || path.empty()) {
    if (!too_long) return;
    rescan_too_deep(req);
    inode.recorded_generation.store(generation, std::memory_order_relaxed);
    return;
  }
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->dirty(path, ctx->uid, ctx->pid);
  rescan_if_linked(req, inode);
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

void ChangeRecorder::rescan_too_deep(fuse_req_t req) const {
  // The kernel names no path longer than PATH_MAX, and an inode knows no parent to walk up
  // from: compare the whole tree instead (the stat cache keeps that cheap), so a change deep
  // down is committed rather than dropped.
  if (!changes_) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->rescan("", ctx->uid, ctx->pid);
}

void ChangeRecorder::rescan_if_linked(fuse_req_t req, const Inode& inode) {
  // Other names of a hard-linked file changed too, and /proc gives only one of them:
  // compare the whole tree (the stat cache keeps that cheap).
  struct stat st;
  if (inode.file_type != S_IFREG || fstat(fd_of(inode), &st) != 0 || st.st_nlink <= 1) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  changes_->rescan("", ctx->uid, ctx->pid);
}

}  // namespace histfs::fs
