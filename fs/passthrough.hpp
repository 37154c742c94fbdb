#pragma once
// The FUSE low-level operations: a passthrough to the backing dir that
// records every change for the committer. One method per operation; each
// replies exactly once, and errors are -errno values from the syscall that
// failed. Called from many loop threads at once.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fs/change_recorder.hpp"
#include "fs/inode_fd_closer.hpp"
#include "fs/inode_table.hpp"
#include "fs/kernel_notifier.hpp"
#include "fs/shared_reads.hpp"

namespace histfs::fs {

struct PassthroughOptions {
  double entry_timeout = 86400;  // the backing dir changes only through us (or we invalidate)
  double attr_timeout = 86400;
  // Pass xattrs through. Off, the first call answers ENOSYS and the kernel never asks
  // again: `ls -l` (security.selinux per file) and writes (security.capability) then
  // cost no round trip, and xattr calls fail with EOPNOTSUPP.
  bool xattr = false;
  // How many inode fds may stay open (inode_fd_budget()); 0 = no limit.
  size_t inode_fd_budget = 0;
};

class Passthrough {
 public:
  Passthrough(int root_fd, std::string backing_root, gitstore::ChangeSet* changes, PassthroughOptions options);

  void init(fuse_conn_info* conn);
  void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
  void forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets);
  void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi);
  void readlink(fuse_req_t req, fuse_ino_t ino);
  void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
  void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name);
  void link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name);
  void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
              unsigned int flags);
  void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
  void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  void write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in_buf, off_t off, fuse_file_info* fi);
  void flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
  void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus);
  void releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
  void statfs(fuse_req_t req, fuse_ino_t ino);
  void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags);
  void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
  void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
  void removexattr(fuse_req_t req, fuse_ino_t ino, const char* name);
  void fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, fuse_file_info* fi);
  void copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in, fuse_ino_t ino_out,
                       off_t off_out, fuse_file_info* fi_out, size_t len, int flags);
  void lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi);

  // Where cache invalidations go (live while the mount is).
  void set_notifier(KernelNotifier* notifier) { notifier_ = notifier; }
  // Keeps the inode fds open under options.inode_fd_budget (inode_fd_closer.hpp), on a
  // thread made by start_thread. Stop it before the session ends.
  void start_fd_closer(const std::function<std::thread(std::function<void()>)>& start_thread);
  void stop_fd_closer();
  // Drops the kernel's cached attributes and data of every known inode: for
  // changes that reached the backing dir without passing through the mount.
  // Never call from a FUSE request thread.
  void invalidate_all();
  // Drops the kernel's cached names for these paths (and their parents' entries for
  // each component), so a file replaced or removed behind the mount is looked up anew.
  void invalidate_names(const std::vector<std::string>& paths);
  // True when some program has `path` (relative to the backing root) open for writing.
  bool open_for_writing(const std::string& path);
  // The inodes the kernel holds (looked up and not forgotten) and the fds they keep open.
  std::size_t known_inodes() { return inodes_.size(); }
  std::size_t inode_fds() const { return inodes_.open_fds(); }

  // `hidden` is never listed in the root (it belongs to the history view); when `extra`
  // is set, its entry is listed at the end of the root instead.
  void set_root_listing(std::string hidden, std::function<fuse_entry_param()> extra) {
    hidden_root_name_ = std::move(hidden);
    extra_root_entry_ = std::move(extra);
  }

 private:
  // Looks up `name` in `parent`, filling e (lookup count +1). Returns 0 or an errno.
  int do_lookup(Inode& parent, const char* name, fuse_entry_param* e);
  void reply_new_entry(fuse_req_t req, Inode& parent, const char* name);
  // The backing fd behind an open file handle (shared_reads.hpp); -1 with errno if none.
  int file_fd(fuse_ino_t ino, const fuse_file_info* fi);

  InodeTable inodes_;
  SharedReads shared_reads_{inodes_};
  ChangeRecorder recorder_;
  PassthroughOptions options_;
  KernelNotifier* notifier_ = nullptr;
  std::unique_ptr<InodeFdCloser> fd_closer_;  // after inodes_: stopped and destroyed before them
  std::string hidden_root_name_;
  std::function<fuse_entry_param()> extra_root_entry_;
};

}  // namespace histfs::fs
