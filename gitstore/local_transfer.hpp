#pragma once
// Moves objects between two repositories on this machine (a remote given as a path or a
// file:// URL) without git's pack protocol. libgit2's local transport builds a pack with
// delta compression for every fetch and push, which made a first sync of 300 MiB take a
// minute. Here a pack of the source whose objects are all missing ones is taken as it is
// (pack_adoption: every object checked against its id, no deflate), and each other missing
// object is read and written, as it is (no deltas, like loose objects), into one new pack
// (PackWriter).
#include <git2.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace histfs::gitstore {

struct LocalCopy {
  std::size_t objects = 0;         // missing objects now in `to`
  std::size_t bytes = 0;           // the adopted packs' size, plus the copied objects' inflated size
  std::vector<std::string> packs;  // "pack-<hash>" each, in `to`; none when nothing was missing
};

// Copies every object that `tips` (commits or annotated tags) reach in `from` and `to` does
// not hold: a commit `to` has is taken as complete, with its history. A pack of `from` that
// holds only such objects is adopted whole (so nothing the tips do not reach comes along); the
// rest go into one new pack. Packs are durable (fsynced) and `to`'s object
// database sees them when this returns. `progress` (may be empty) is told the objects and
// bytes copied so far. Throws GitError or std::system_error: then nothing was added to `to`.
LocalCopy copy_missing_objects(git_repository* from, git_repository* to, const std::vector<git_oid>& tips,
                               const std::function<void(std::size_t objects, std::size_t bytes)>& progress = {});

}  // namespace histfs::gitstore
