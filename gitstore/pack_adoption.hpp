#pragma once
// Takes another repository's pack as it is, the way `git clone` keeps the pack it receives:
// the bytes are copied and git_indexer reads every object in them, computing each id from its
// content and writing our own index. Copying object by object (local_transfer) inflates each
// object and deflates it again, which was most of a first sync from a remote on this machine.
// Nothing from the other side is trusted but the pack's bytes: its index is only used to
// guess whether the pack is worth taking, and what we then hold is read from our own index.
#include <git2.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {

// One pack of a repository's objects/pack, read through its index.
class PackContents {
 public:
  // Opens the pack whose index is `idx_path`. Throws GitError when libgit2 refuses the index.
  explicit PackContents(const std::string& idx_path);
  bool contains(const git_oid& id) const;
  // How many objects the index lists.
  std::size_t count() const { return count_; }

 private:
  OdbPtr odb_;
  std::size_t count_ = 0;
};

// The indexes (`*.idx` with their `.pack` beside them) in `pack_dir`, sorted; none when it
// cannot be read.
std::vector<std::string> pack_indexes(const std::string& pack_dir);

// Makes the pack `base` + ".pack" and its ".idx" in `pack_dir` durable: both files, then the
// folder (libgit2's indexer and packbuilder do not fsync: GIT_OPT_ENABLE_FSYNC_GITDIR is off).
// Throws std::system_error.
void fsync_pack(const std::string& base, const std::string& pack_dir);

// Copies the pack `pack_path` into `pack_dir` through git_indexer, which checks every object
// and the pack's checksum and writes the index; then fsyncs both files and the folder.
// `progress` (may be empty) is told the objects and bytes indexed so far. Returns the path of
// the new index. Throws GitError or std::system_error; then nothing new is left in `pack_dir`.
std::string adopt_pack(const std::string& pack_path, const std::string& pack_dir,
                       const std::function<void(std::size_t objects, std::size_t bytes)>& progress = {});

}  // namespace histfs::gitstore
