// Name-space operations: lookup, attributes, and everything that creates,
// removes or renames a directory entry.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "fs/op_stats.hpp"
#include "fs/passthrough.hpp"
#include "fs/proc_path.hpp"

namespace histfs::fs {
namespace {

// A daemon running as root creates files as root; give them to the caller, as a
// plain directory would. A setgid parent already chose the group.
void give_to_caller(fuse_req_t req, int dirfd, const char* name, bool parent_setgid) {
  if (geteuid() != 0) return;
  const fuse_ctx* ctx = fuse_req_ctx(req);
  if (ctx->uid == 0 && (ctx->gid == 0 || parent_setgid)) return;
  fchownat(dirfd, name, ctx->uid, parent_setgid ? gid_t(-1) : ctx->gid, AT_SYMLINK_NOFOLLOW);
}

bool is_setgid_dir(int fd) {
  struct stat st;
  return fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && (st.st_mode & S_ISGID);
}

}  // namespace

Passthrough::Passthrough(int root_fd, std::string backing_root, gitstore::ChangeSet* changes,
                         PassthroughOptions options)
    : inodes_(root_fd, options.inode_fd_budget),
      recorder_(changes, root_fd, std::move(backing_root)),
      options_(options) {}

int Passthrough::do_lookup(Inode& parent, const char* name, fuse_entry_param* e) {
  *e = fuse_entry_param{};
  e->attr_timeout = options_.attr_timeout;
  e->entry_timeout = options_.entry_timeout;
  int fd = openat(fd_of(parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && inodes_.made_room(errno))
    fd = openat(fd_of(parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);  // room made: once more
  if (fd < 0) return errno;
  if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
    int error = errno;
    close(fd);
    return error;
  }
  Inode& inode = inodes_.remember(fd, e->attr);
  e->ino = inodes_.number_of(inode);
  return 0;
}

void Passthrough::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_entry_param e;
  int error = do_lookup(inodes_.get(parent), name, &e);
  if (error == ENOENT) {
    // A negative entry: the kernel remembers the name is absent until we create it.
    e.ino = 0;
    e.entry_timeout = options_.entry_timeout;
    fuse_reply_entry(req, &e);
  } else if (error) {
    reply_err(req, error);
  } else {
    fuse_reply_entry(req, &e);
  }
}

void Passthrough::reply_new_entry(fuse_req_t req, Inode& parent, const char* name) {
  fuse_entry_param e;
  int error = do_lookup(parent, name, &e);
  if (error)
    reply_err(req, error);
  else
    fuse_reply_entry(req, &e);
}

void Passthrough::forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  inodes_.forget(inodes_.get(ino), nlookup);
  fuse_reply_none(req);
}

void Passthrough::forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) inodes_.forget(inodes_.get(forgets[i].ino), forgets[i].nlookup);
  fuse_reply_none(req);
}

void Passthrough::getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  if (fstatat(fd_of(inodes_.get(ino)), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
    return (void)reply_err(req, errno);
  fuse_reply_attr(req, &st, options_.attr_timeout);
}

void Passthrough::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi) {
  Inode& inode = inodes_.get(ino);
  const ProcPath proc(fd_of(inode));
  const int fh = fi && fi->fh != kSharedReadHandle ? static_cast<int>(fi->fh) : -1;
  int result = 0;
  if (valid & FUSE_SET_ATTR_MODE) {
    result = fh >= 0 ? fchmod(fh, attr->st_mode) : chmod(proc.c_str(), attr->st_mode);
    if (result != 0) return (void)reply_err(req, errno);
  }
  if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
    uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : uid_t(-1);
    gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : gid_t(-1);
    if (fchownat(fd_of(inode), "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
      return (void)reply_err(req, errno);
  }
  if (valid & FUSE_SET_ATTR_SIZE) {
    result = fh >= 0 ? ftruncate(fh, attr->st_size) : truncate(proc.c_str(), attr->st_size);
    if (result != 0) return (void)reply_err(req, errno);
  }
  if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
    struct timespec times[2];
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_nsec = UTIME_OMIT;
    if (valid & FUSE_SET_ATTR_ATIME_NOW)
      times[0].tv_nsec = UTIME_NOW;
    else if (valid & FUSE_SET_ATTR_ATIME)
      times[0] = attr->st_atim;
    if (valid & FUSE_SET_ATTR_MTIME_NOW)
      times[1].tv_nsec = UTIME_NOW;
    else if (valid & FUSE_SET_ATTR_MTIME)
      times[1] = attr->st_mtim;
    result = fh >= 0 ? futimens(fh, times) : utimensat(AT_FDCWD, proc.c_str(), times, 0);
    if (result != 0) return (void)reply_err(req, errno);
  }
  // Only content and the executable bit reach git.
  if (valid & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_SIZE)) recorder_.changed(req, inode);
  getattr(req, ino, fi);
}

void Passthrough::readlink(fuse_req_t req, fuse_ino_t ino) {
  char target[PATH_MAX + 1];
  ssize_t n = readlinkat(fd_of(inodes_.get(ino)), "", target, sizeof target);
  if (n < 0) return (void)reply_err(req, errno);
  if (n == sizeof target) return (void)reply_err(req, ENAMETOOLONG);
  target[n] = '\0';
  fuse_reply_readlink(req, target);
}

void Passthrough::mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Inode& dir = inodes_.get(parent);
  auto order = recorder_.ordered();
  if (mknodat(fd_of(dir), name, mode, rdev) != 0) return (void)reply_err(req, errno);
  give_to_caller(req, fd_of(dir), name, is_setgid_dir(fd_of(dir)));
  if (S_ISREG(mode)) recorder_.created(req, dir, name);
  reply_new_entry(req, dir, name);
}

void Passthrough::mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Inode& dir = inodes_.get(parent);
  if (mkdirat(fd_of(dir), name, mode) != 0) return (void)reply_err(req, errno);
  give_to_caller(req, fd_of(dir), name, is_setgid_dir(fd_of(dir)));
  // Nothing to record: git holds no empty directories, and files made inside record themselves.
  reply_new_entry(req, dir, name);
}

void Passthrough::symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  Inode& dir = inodes_.get(parent);
  auto order = recorder_.ordered();
  if (symlinkat(link, fd_of(dir), name) != 0) return (void)reply_err(req, errno);
  give_to_caller(req, fd_of(dir), name, is_setgid_dir(fd_of(dir)));
  recorder_.created(req, dir, name);
  reply_new_entry(req, dir, name);
}

void Passthrough::link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  Inode& inode = inodes_.get(ino);
  Inode& dir = inodes_.get(parent);
  fuse_entry_param e{};
  e.attr_timeout = options_.attr_timeout;
  e.entry_timeout = options_.entry_timeout;
  auto order = recorder_.ordered();
  if (linkat(fd_of(inode), "", fd_of(dir), name, AT_EMPTY_PATH) != 0) return (void)reply_err(req, errno);
  if (fstatat(fd_of(inode), "", &e.attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return (void)reply_err(req, errno);
  recorder_.created(req, dir, name);
  inodes_.add_lookup(inode);
  e.ino = inodes_.number_of(inode);
  fuse_reply_entry(req, &e);
}

void Passthrough::unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Inode& dir = inodes_.get(parent);
  auto order = recorder_.ordered();
  if (unlinkat(fd_of(dir), name, 0) != 0) return (void)reply_err(req, errno);
  recorder_.removed(req, dir, name);
  reply_err(req, 0);
}

void Passthrough::rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Inode& dir = inodes_.get(parent);
  auto order = recorder_.ordered();
  if (unlinkat(fd_of(dir), name, AT_REMOVEDIR) != 0) return (void)reply_err(req, errno);
  recorder_.removed(req, dir, name);
  reply_err(req, 0);
}

void Passthrough::rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                         unsigned int flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return (void)reply_err(req, EINVAL);
  Inode& from = inodes_.get(parent);
  Inode& to = inodes_.get(newparent);
  auto order = recorder_.ordered();
  if (renameat2(fd_of(from), name, fd_of(to), newname, flags) != 0) return (void)reply_err(req, errno);
  recorder_.renamed(req, from, name, to, newname, flags);
  reply_err(req, 0);
}

void Passthrough::invalidate_all() {
  if (!notifier_) return;
  for (fuse_ino_t ino : inodes_.numbers())
    notifier_->with_session([&](fuse_session* session) { fuse_lowlevel_notify_inval_inode(session, ino, 0, 0); });
}

void Passthrough::invalidate_names(const std::vector<std::string>& paths) {
  if (!notifier_) return;
  const int root_fd = fd_of(inodes_.root());
  for (const auto& path : paths) {
    // Every component: a directory made or removed behind our back hides the names below it.
    std::string parent;
    size_t start = 0;
    while (start < path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string::npos) slash = path.size();
      const std::string name = path.substr(start, slash - start);
      struct stat st;
      if (fstatat(root_fd, parent.empty() ? "." : parent.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
      if (Inode* dir = inodes_.find(st.st_dev, st.st_ino))
        notifier_->with_session([&](fuse_session* session) {
          fuse_lowlevel_notify_inval_entry(session, inodes_.number_of(*dir), name.c_str(), name.size());
        });
      parent = parent.empty() ? name : parent + "/" + name;
      start = slash + 1;
    }
  }
}

void Passthrough::statfs(fuse_req_t req, fuse_ino_t ino) {
  struct statvfs st;
  if (fstatvfs(fd_of(inodes_.get(ino)), &st) != 0) return (void)reply_err(req, errno);
  fuse_reply_statfs(req, &st);
}

}  // namespace histfs::fs
