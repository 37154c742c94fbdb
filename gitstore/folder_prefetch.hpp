#pragma once
// Lists the backing dir's folders on a second thread, ahead of a walk that compares them one
// at a time (worktree_sync): the walk's time is mostly the kernel's (a readdir and an fstatat
// a file), and git status spreads the same lstat calls over several threads. The walk names
// the folders it will visit next (want), in its order; a worker lists them, newest wish
// first, so it follows the walk depth-first; the walk takes each listing when it gets there
// (take), listing it itself when the worker has not started on it, and listing the next
// wished folder instead of waiting while a worker lists the one it takes. Listings of at most
// kAheadEntries entries in all wait (always at least one), so memory stays bounded: a count
// of folders would let the top folders' listings, taken early and used late, use up the
// budget and leave the workers one folder ahead of the walk.
//
// Thread: the walk's thread calls want/take; the worker only lists (no libgit2, no ignore
// rules: those stay with the walk). Lock: mutex_, a leaf, never held across a syscall.
#include <sys/stat.h>

#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace histfs::gitstore {

// One entry of a folder, with its stat (lstat: a symlink is itself).
struct FolderEntry {
  std::string name;
  struct stat st;
};

struct FolderListing {
  int error = 0;  // errno of the open or read that failed; 0 when listed
  // Regular files, symlinks and folders whose path git may store (is_storable_path), by name.
  std::vector<FolderEntry> entries;
};

// Lists `dir` (relative to `root_fd`, "" for the root) as FolderListing describes.
FolderListing list_folder(int root_fd, const std::string& dir);

class FolderPrefetch {
 public:
  static constexpr std::size_t kAheadEntries = 16384;  // some 3 MiB of listings

  // `workers` threads list folders (at least one).
  explicit FolderPrefetch(int root_fd, unsigned workers = 1);
  ~FolderPrefetch();
  FolderPrefetch(const FolderPrefetch&) = delete;
  FolderPrefetch& operator=(const FolderPrefetch&) = delete;

  // Folders the walk will take next, in the order it will take them.
  void want(const std::vector<std::string>& dirs);
  // The listing of `dir`: the worker's when it has one or is making it, else made here.
  FolderListing take(const std::string& dir);

 private:
  void work();
  // Lists the folder on top of wanted_ into ready_; `lock` (on mutex_) is held on entry and
  // exit, released while listing.
  void list_next(std::unique_lock<std::mutex>& lock);

  const int root_fd_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> wanted_;  // a stack: the walk's next folder on top
  std::map<std::string, FolderListing> ready_;
  std::size_t ready_entries_ = 0;     // the entries of the listings in ready_
  std::vector<std::string> listing_;  // the folders the workers list now
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace histfs::gitstore
