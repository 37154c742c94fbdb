#pragma once
// Which files the committer stores as Git LFS pointers, and the LFS block of the root
// .gitattributes that tells every stock client so. A file goes to LFS when it is not empty
// and: it is over 100 MB (always: GitHub refuses such blobs), or at least
// git.lfs.sizeThreshold, or it matches a git.lfs.track pattern, or the tree's root
// .gitattributes marks it filter=lfs. Used by the committer thread only.
#include <git2.h>
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gitstore/lfs_attributes.hpp"
#include "gitstore/lfs_store.hpp"

namespace histfs::gitstore {

class TreeOverlay;

struct LfsOptions {
  std::uint64_t size_threshold = 10ull << 20;  // git.lfs.sizeThreshold
  std::vector<std::string> track;              // git.lfs.track: gitattributes patterns
};

class LfsPolicy {
 public:
  LfsPolicy(LfsOptions options, const std::string& git_dir);

  // Reads the backing dir's root .gitattributes again when it changed.
  void load_attributes(int root_fd);
  // True when a file of `size` bytes at `path` goes to LFS.
  bool wants(const std::string& path, std::uint64_t size) const;
  LfsStore& store() { return store_; }
  const LfsOptions& options() const { return options_; }

  // Brings the LFS block of the root .gitattributes in step with the tree: the track
  // patterns, and an anchored line for each LFS file of the overlay no pattern or user line
  // covers (`stored`: the files this batch stored as LFS; `moved`: destinations of moves,
  // which keep their blobs). The block is first written with the first LFS file, never for a
  // tree without one. Rewrites the backing dir's file when its text changes (a new file,
  // owned like the folder it is in) and returns true; the caller then stores it.
  bool update_attributes(int root_fd, TreeOverlay& overlay, git_odb* odb, const std::set<std::string>& stored,
                         const std::set<std::string>& moved);

 private:
  LfsOptions options_;
  LfsStore store_;
  LfsAttributes covering_;  // the root .gitattributes without the block's anchored lines
  std::string text_;
  struct stat loaded_ {};
  bool has_file_ = false;
};

// The pointer `oid` holds when it is a blob small enough to be one and is one.
std::optional<LfsPointer> read_lfs_pointer(git_odb* odb, const git_oid& oid);

}  // namespace histfs::gitstore
