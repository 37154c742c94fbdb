#pragma once
// Who may read what under .history: an entry never grants more than the live
// tree does. The mount is allow_other and the kernel checks permissions
// (default_permissions), so these owners and bits are the only thing that
// keeps another user out of the past of a 0600 file or of a 0700 folder.
//
// The rule (docs/user-guide.md, "Who can read .history"):
//   - source: the same path in the backing dir, looked up from the backing
//     root without following any symlink, when it is a folder or a regular
//     file there; otherwise its nearest live ancestor folder, with no bits
//     for others;
//   - owner and group: the source's;
//   - bits: the source's read bits, never a write bit; x bits where the entry
//     is a folder (the source's own x bits when the source is a folder, x
//     wherever r is when it is a file) or an executable blob (x wherever r
//     is); symlinks are 0777 as always (the kernel never checks their bits);
//   - the view's own folders (.history, tags/, commits/, at/, the mount
//     root's counterpart versions/) take the mount root's owner and bits.
#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace histfs::fs {

// What a .history entry is shown as.
enum class ShownAs { Folder, File, Executable, Link };

struct HistoryAccess {
  uid_t uid;
  gid_t gid;
  mode_t bits;  // permission bits only, no file type
};

// The rule itself, on the stat of the source: `exact` when the source is the live path,
// false when it is the nearest live ancestor.
HistoryAccess history_access(const struct stat& source, bool exact, ShownAs shown);

class LivePermissions {
 public:
  // Keeps its own duplicate of `backing_root_fd` (any fd of the backing dir, O_PATH will do).
  explicit LivePermissions(int backing_root_fd);
  ~LivePermissions();
  LivePermissions(const LivePermissions&) = delete;
  LivePermissions& operator=(const LivePermissions&) = delete;

  // The access of the entry at `path` (relative to the backing root, "" = the root).
  HistoryAccess of(const std::string& path, ShownAs shown);
  // The backing root's stat, now (throws errno as std::system_error).
  struct stat root() const;

 private:
  // The live regular file or folder at `path` (true), else its nearest live ancestor (false).
  bool source_of(const std::string& path, struct stat& out) const;

  int root_fd_;
};

}  // namespace histfs::fs
