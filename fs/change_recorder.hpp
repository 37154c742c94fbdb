#pragma once
// Tells the ChangeSet what a FUSE operation changed, in paths relative to the
// backing root. Paths come from the kernel's own record of each O_PATH fd
// (/proc/self/fd), so they are right even after renames we never saw, including
// a rename of the backing dir itself: the root's path is read again from its fd.
#include <mutex>
#include <shared_mutex>
#include <string>

#include "fs/inode_table.hpp"
#include "gitstore/change_set.hpp"

namespace histfs::fs {

// Where the directory `fd` refers to is now, from the kernel's record of it; "" when it
// was removed (or /proc cannot say).
std::string current_path_of(int fd);

// "" while the backing dir (open as `root_fd`) is still at `mounted_from`; otherwise what
// became of it, for `histfs status` and the log.
std::string backing_root_problem(int root_fd, const std::string& mounted_from);

class ChangeRecorder {
 public:
  // changes may be null: versioning is off and nothing is recorded. root_fd: the backing
  // dir (kept open by the caller), whose path backing_root is when mounting.
  ChangeRecorder(gitstore::ChangeSet* changes, int root_fd, std::string backing_root);

  void created(fuse_req_t req, Inode& parent, const char* name);  // create, symlink, link
  // The current batch's generation (0 when nothing is recorded): a new file's inode
  // takes it, so its first write need not record again.
  unsigned generation() const { return changes_ ? changes_->generation() : 0; }
  void removed(fuse_req_t req, Inode& parent, const char* name);
  void renamed(fuse_req_t req, Inode& parent, const char* name, Inode& new_parent, const char* new_name,
               unsigned flags);
  void changed(fuse_req_t req, Inode& inode);  // mode or size changed
  // Content written: records once per batch per inode (cheap on the write path).
  void written(fuse_req_t req, Inode& inode);

  // Held from a namespace syscall until its change is recorded, so that the
  // ChangeSet sees creates, removes and renames in the order they happened. The
  // slow path of written() and changed() holds it shared (ChangeSet::order_mutex).
  std::unique_lock<std::shared_mutex> ordered() { return std::unique_lock(*order_mutex_); }

  // The path of an inode relative to the backing root ("" for the root);
  // false when it has no name any more (unlinked) or lies outside the root.
  bool path_of(const Inode& inode, std::string& path) const;

 private:
  // path_of; `too_long` when the kernel would not name it (deeper than PATH_MAX).
  bool resolve(const Inode& inode, std::string& path, bool& too_long) const;
  // child_path failed for a parent with no name short enough: rescan_too_deep records it.
  bool child_path(fuse_req_t req, const Inode& parent, const char* name, std::string& path) const;
  // A change by the caller of `req` that no path names: the whole tree is compared, and the
  // caller still authors the commit.
  void rescan_too_deep(fuse_req_t req) const;
  void rescan_if_linked(fuse_req_t req, const Inode& inode);

  void record_content(fuse_req_t req, Inode& inode, unsigned generation);
  // A path fell outside root_: if the backing dir was renamed, root_ follows it; a rename
  // or a removal is logged once.
  void follow_root() const;

  gitstore::ChangeSet* changes_;
  std::shared_mutex unrecorded_order_;  // ordered() when nothing is recorded
  std::shared_mutex* order_mutex_;
  const int root_fd_;
  mutable std::shared_mutex root_mutex_;  // guards root_ and removed_logged_; a leaf
  mutable std::string root_;              // absolute, no trailing slash; "" for "/"
  mutable bool removed_logged_ = false;
};

}  // namespace histfs::fs
