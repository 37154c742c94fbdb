#include "tools/histfs/daemon/no_follow_writer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gitstore/repo_path.hpp"

namespace histfs::daemon {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int value) : fd(value) {}
  Fd(Fd&& other) noexcept : fd(other.fd) { other.fd = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd, other.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw std::runtime_error("cannot " + what + " " + gitstore::printable_path(path) + ": " + strerror(error));
}

// Permission bits a new entry in `parent` gets: what its owner's mkdir there would give.
mode_t inherited(mode_t parent_mode, mode_t base) { return base & parent_mode & 0777 & ~mode_t(0002); }

void set_owner_and_mode(int fd, uid_t uid, gid_t gid, mode_t mode, const std::string& path) {
  if (fchown(fd, uid, gid) != 0 && errno != EPERM) fail("set the owner of", path, errno);
  if (fchmod(fd, mode) != 0) fail("set the mode of", path, errno);
}

// Removes everything below the folder `fd`, never following a symlink.
void empty_folder(int fd, const std::string& path) {
  Fd listing(dup(fd));
  DIR* dir = fdopendir(listing.fd);
  if (!dir) fail("list", path, errno);
  listing.fd = -1;  // owned by dir now
  std::vector<std::pair<std::string, bool>> entries;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    entries.emplace_back(name, entry->d_type == DT_DIR);
  }
  closedir(dir);
  for (const auto& [name, is_dir] : entries) {
    const std::string child = gitstore::join_path(path, name);
    if (unlinkat(fd, name.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR && errno != EPERM) fail("remove", child, errno);
    Fd sub(openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub.fd < 0) fail("open", child, errno);
    empty_folder(sub.fd, child);
    if (unlinkat(fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) fail("remove", child, errno);
  }
}

}  // namespace

void NoFollowWriter::remove_entry(int dir_fd, const std::string& name, const std::string& path) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    fail("inspect", path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) fail("remove", path, errno);
    return;
  }
  Fd folder(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (folder.fd < 0) fail("open", path, errno);
  empty_folder(folder.fd, path);
  {
    const std::lock_guard lock(mutex_);
    removed_folders_[path] = {st.st_mode & 07777, st.st_uid, st.st_gid};
    folders_.erase(path);
  }
  if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) fail("remove", path, errno);
}

void NoFollowWriter::make_folder(int parent_fd, const std::string& name, const std::string& path) {
  struct stat parent;
  if (fstat(parent_fd, &parent) != 0) fail("inspect the folder of", path, errno);
  Kept want{mode_t((inherited(parent.st_mode, 0777)) | (parent.st_mode & S_ISGID)), parent.st_uid, parent.st_gid};
  {
    const std::lock_guard lock(mutex_);
    if (auto kept = removed_folders_.find(path); kept != removed_folders_.end()) want = kept->second;
  }
  if (mkdirat(parent_fd, name.c_str(), 0700) != 0 && errno != EEXIST) fail("create the folder", path, errno);
  Fd folder(openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (folder.fd < 0) fail("open", path, errno);
  set_owner_and_mode(folder.fd, want.uid, want.gid, want.mode, path);
  const std::lock_guard lock(mutex_);
  folders_[path] = want;
}

NoFollowWriter::Kept NoFollowWriter::folder_owner(int dir_fd, const std::string& path) {
  {
    const std::lock_guard lock(mutex_);
    if (auto known = folders_.find(path); known != folders_.end()) return known->second;
  }
  struct stat st;
  if (fstat(dir_fd, &st) != 0) fail("inspect the folder of", path, errno);
  const Kept folder{st.st_mode & 07777, st.st_uid, st.st_gid};
  const std::lock_guard lock(mutex_);
  folders_.emplace(path, folder);
  return folder;
}

namespace {
thread_local bool exact_modes = false;  // this thread's umask is 0 (create_with_exact_modes)
}  // namespace

bool NoFollowWriter::create_with_exact_modes() {
  if (!exact_modes && unshare(CLONE_FS) == 0) {
    umask(0);
    exact_modes = true;
  }
  return exact_modes;
}

int NoFollowWriter::open_parent(const std::string& path, std::string& name) {
  gitstore::check_tree_path(path);
  const auto parts = gitstore::split_path(path);
  Fd dir(dup(root_fd_));
  if (dir.fd < 0) fail("open the folder of", path, errno);
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string part(parts[i]);
    walked = gitstore::join_path(walked, part);
    Fd next(openat(dir.fd, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.fd < 0) {
      if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) fail("open", walked, errno);
      // Missing, or a file or symlink where a folder must go: it makes way.
      if (errno != ENOENT) remove_entry(dir.fd, part, walked);
      make_folder(dir.fd, part, walked);
      next = Fd(openat(dir.fd, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (next.fd < 0) fail("open", walked, errno);
    }
    dir = std::move(next);
  }
  name.assign(parts.back());
  const int out = dir.fd;
  dir.fd = -1;
  return out;
}

void NoFollowWriter::make_parents(const std::string& path) {
  std::string name;
  const Fd dir(open_parent(path, name));
}

void NoFollowWriter::remove_file(const std::string& path) {
  gitstore::check_tree_path(path);
  const auto parts = gitstore::split_path(path);
  // Walk down without creating anything; a missing or non-folder parent means nothing to remove.
  std::vector<Fd> dirs;
  dirs.emplace_back(dup(root_fd_));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd next(openat(dirs.back().fd, std::string(parts[i]).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.fd < 0) return;
    dirs.push_back(std::move(next));
  }
  const std::string name(parts.back());
  if (unlinkat(dirs.back().fd, name.c_str(), 0) != 0 && errno != ENOENT && errno != EISDIR && errno != EPERM)
    fail("remove", path, errno);
  // Leave no folder behind that only held removed files (ENOTEMPTY and the like stop it).
  for (size_t i = parts.size() - 1; i > 0; --i) {
    const std::string folder(parts[i - 1]);
    dirs.pop_back();
    if (unlinkat(dirs.back().fd, folder.c_str(), AT_REMOVEDIR) != 0) break;
  }
}

bool NoFollowWriter::rename_file(const std::string& from, const std::string& to) {
  gitstore::check_tree_path(from);
  const auto parts = gitstore::split_path(from);
  Fd source_dir(dup(root_fd_));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd next(openat(source_dir.fd, std::string(parts[i]).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.fd < 0) return false;
    source_dir = std::move(next);
  }
  const std::string source_name(parts.back());
  struct stat st;
  if (fstatat(source_dir.fd, source_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) return false;
  std::string name;
  Fd target_dir(open_parent(to, name));
  struct stat there;
  if (fstatat(target_dir.fd, name.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(there.st_mode))
    remove_entry(target_dir.fd, name, to);
  if (renameat(source_dir.fd, source_name.c_str(), target_dir.fd, name.c_str()) != 0) fail("move", from, errno);
  // Folders above `from` that only held it go too, as after a delete.
  std::vector<Fd> dirs;
  dirs.emplace_back(dup(root_fd_));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Fd next(openat(dirs.back().fd, std::string(parts[i]).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.fd < 0) return true;
    dirs.push_back(std::move(next));
  }
  for (size_t i = parts.size() - 1; i > 0; --i) {
    dirs.pop_back();
    if (unlinkat(dirs.back().fd, std::string(parts[i - 1]).c_str(), AT_REMOVEDIR) != 0) break;
  }
  return true;
}

void NoFollowWriter::write_symlink(const std::string& path, const std::string& target) {
  std::string name;
  Fd dir(open_parent(path, name));
  remove_entry(dir.fd, name, path);
  if (symlinkat(target.c_str(), dir.fd, name.c_str()) != 0) fail("create the symlink", path, errno);
  struct stat parent;
  if (fstat(dir.fd, &parent) == 0) fchownat(dir.fd, name.c_str(), parent.st_uid, parent.st_gid, AT_SYMLINK_NOFOLLOW);
}

void NoFollowWriter::write_file(const std::string& path, std::string_view content, bool executable) {
  std::string name;
  Fd dir(open_parent(path, name));
  struct stat st;
  bool existed = fstatat(dir.fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (existed && !S_ISREG(st.st_mode)) {
    remove_entry(dir.fd, name, path);
    existed = false;
  }
  const auto slash = path.rfind('/');
  const Kept folder = folder_owner(dir.fd, slash == std::string::npos ? std::string() : path.substr(0, slash));
  const mode_t new_mode = inherited(folder.mode, executable ? 0777 : 0666);
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
  Fd file(openat(dir.fd, name.c_str(), flags, existed ? 0600 : new_mode));
  if (file.fd < 0 && errno == ELOOP) {  // became a symlink just now: it makes way too
    remove_entry(dir.fd, name, path);
    existed = false;
    file = Fd(openat(dir.fd, name.c_str(), flags, new_mode));
  }
  if (file.fd < 0) fail("write", path, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(file.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write", path, errno);
    done += size_t(n);
  }
  if (existed) {
    // A rewritten file keeps its owner and mode; only the executable bits follow git.
    const mode_t mode = executable ? (st.st_mode | ((st.st_mode & 0444) >> 2)) : (st.st_mode & ~mode_t(0111));
    if ((mode & 07777) != (st.st_mode & 07777) && fchmod(file.fd, mode & 07777) != 0)
      fail("set the mode of", path, errno);
  } else {
    // Created by this (root) thread: its owner is ours, its group ours or the folder's
    // (setgid); with a umask of 0 its mode is already new_mode.
    const bool owner_right = folder.uid == geteuid() && (folder.gid == getegid() || (folder.mode & S_ISGID) != 0);
    if (!owner_right && fchown(file.fd, folder.uid, folder.gid) != 0 && errno != EPERM)
      fail("set the owner of", path, errno);
    // A chown clears the setuid and setgid bits only, which new_mode never has.
    if (!exact_modes && fchmod(file.fd, new_mode) != 0) fail("set the mode of", path, errno);
  }
  if (close(file.fd) != 0) {
    file.fd = -1;
    fail("write", path, errno);
  }
  file.fd = -1;
}

}  // namespace histfs::daemon
