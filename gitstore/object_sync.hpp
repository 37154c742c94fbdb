#pragma once
// Makes the loose objects of one commit durable with one flush, as git's
// core.fsyncMethod=batch does, instead of an fsync per object: each new
// object file is written out to the disk, then a single fsync flushes the
// journal and the disk cache. Above a few thousand objects one syncfs is
// cheaper still. Used by the committer thread only.
#include <git2.h>

#include <string>
#include <vector>

namespace histfs::gitstore {

class ObjectSync {
 public:
  explicit ObjectSync(std::string git_dir) : git_dir_(std::move(git_dir)) {}
  void add(const git_oid& oid) { written_.push_back(oid); }
  size_t size() const { return written_.size(); }
  // Throws std::system_error when the flush fails (the objects may not be durable).
  void sync();
  // fsync of one file of the git dir (a ref, a reflog) and of its directory.
  static void sync_file(const std::string& path);

 private:
  std::string object_path(const git_oid& oid) const;
  std::string git_dir_;
  std::vector<git_oid> written_;
};

}  // namespace histfs::gitstore
