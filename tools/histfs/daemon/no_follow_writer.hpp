#pragma once
// Writes files below one directory fd without ever following a symlink: every
// path is walked from the root one component at a time (openat with
// O_NOFOLLOW), so swapping a parent folder for a symlink between two steps
// cannot make the daemon (root) write anywhere else. What stands in the way
// of a wanted file or folder (a symlink, a file where a folder must go, a
// folder where a file must go) is removed, never written through.
//
// Folders it creates get the owner, group and permission bits of the folder
// they are made in (without the write bit for others), as the owner's own
// mkdir there would; a folder that replaces one removed earlier by the same
// writer keeps the removed one's mode and owner. New files get 0644/0755
// masked the same way and the same owner; rewritten files keep theirs.
#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace histfs::daemon {

class NoFollowWriter {
 public:
  // `root_fd` stays owned by the caller and must outlive the writer.
  explicit NoFollowWriter(int root_fd) : root_fd_(root_fd) {}

  // Removes the file or symlink at `path` (a folder there is left alone), then every
  // folder above it that became empty.
  void remove_file(const std::string& path);
  // Creates or replaces a regular file; `executable` sets or clears the x bits.
  void write_file(const std::string& path, std::string_view content, bool executable);
  void write_symlink(const std::string& path, const std::string& target);
  // Moves the regular file at `from` to `to` (replacing a file there; making folders on the
  // way), then removes folders above `from` that became empty. False, with nothing
  // changed, when `from` is not a regular file: the caller writes `to` instead.
  bool rename_file(const std::string& from, const std::string& to);
  // Creates the folders above `path`, as a write there would. Once the folders of a set of
  // paths are made, writes of those paths may run on several threads: none of them has to
  // make way for a folder, which could remove another's.
  void make_parents(const std::string& path);

  // Gives the calling thread a umask of its own, 0, so that a new file is created with its
  // final mode and needs no chmod (one FUSE request less a file). Only for threads that
  // write nothing but through this writer. False when the thread could not get one.
  static bool create_with_exact_modes();

 private:
  struct Kept {
    mode_t mode;
    uid_t uid;
    gid_t gid;
  };
  // An fd (O_PATH) of the folder that holds `path`, creating folders on the way.
  int open_parent(const std::string& path, std::string& name);
  // Removes whatever `name` in `dir_fd` is; remembers a folder's mode and owner under `path`.
  void remove_entry(int dir_fd, const std::string& name, const std::string& path);
  void make_folder(int parent_fd, const std::string& name, const std::string& path);
  // The owner and mode of the folder `dir_fd` at `path`, read once per writer: each file
  // created in a folder changes its times, so the kernel would ask the daemon again at
  // every fstat.
  Kept folder_owner(int dir_fd, const std::string& path);

  int root_fd_;
  // Guards removed_folders_ and folders_; a leaf.
  std::mutex mutex_;
  std::map<std::string, Kept> removed_folders_;
  std::map<std::string, Kept> folders_;
};

}  // namespace histfs::daemon
