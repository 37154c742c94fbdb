#pragma once
// Sends each FUSE operation where it belongs: the read-only .history view
// for its own (odd) inode numbers and for the name ".history" in the mount
// root, the passthrough for everything else. Mutations that touch history
// fail with EROFS here, in one place.
#include "fs/history_view.hpp"
#include "fs/op_stats.hpp"
#include "fs/passthrough.hpp"

namespace histfs::fs {

enum class HistoryMode { Hidden, Visible, Off };

class Router {
 public:
  // history may be null (no git, or --history=off).
  Router(Passthrough& real, HistoryView* history, HistoryMode mode);

  void init(fuse_conn_info* conn) { real_.init(conn); }
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

  // Calls and error replies by operation (the dispatcher in fuse_ops.cpp counts them).
  OpStats& op_stats() { return op_stats_; }

 private:
  bool virtual_ino(fuse_ino_t ino) const { return history_ && HistoryView::is_history(ino); }
  // True for the ".history" name in the mount root (or any name inside history).
  bool history_name(fuse_ino_t parent, const char* name) const;

  Passthrough& real_;
  HistoryView* history_;
  OpStats op_stats_;
};

}  // namespace histfs::fs
