#pragma once
// Turns a file or symlink of the backing dir into a git blob, once: the stat
// cache answers for files that did not change since they were last hashed.
#include <git2.h>
#include <sys/stat.h>

#include <optional>
#include <string>

#include "gitstore/lfs_importer.hpp"
#include "gitstore/lfs_policy.hpp"
#include "gitstore/object_sync.hpp"
#include "gitstore/stat_cache.hpp"

namespace histfs::gitstore {

struct StoredEntry {
  git_oid oid;
  git_filemode_t mode;
  bool lfs = false;  // stored just now as a Git LFS pointer (its content in the LFS store)
  // Only with an importer: the file is being imported in the background and has no blob yet
  // (`oid` means nothing); the caller leaves the tree's entry as it is.
  bool pending = false;
};

// The git mode of a stat result; 0 for what git cannot hold (directories, fifos, devices).
git_filemode_t git_mode_of(const struct stat& st);

// Stores `path` (relative to root_fd; not followed if a symlink). nullopt when the path is
// missing or not a file or symlink. Throws GitError or std::system_error on I/O failure.
// With `lfs`, a file it selects goes to its store and the blob is the pointer.
std::optional<StoredEntry> store_path(git_odb* odb, int root_fd, const std::string& path, StatCache& cache,
                                      ObjectSync* written = nullptr, LfsPolicy* lfs = nullptr);

// Same, with a stat result the caller already has.
// New objects are added to `written` so the caller can make them durable in one go.
// With `importer`, an LFS file of LfsImporter::kBackgroundBytes or more is handed to it and
// comes back `pending` until a later call finds it imported.
std::optional<StoredEntry> store_path(git_odb* odb, int root_fd, const std::string& path, const struct stat& st,
                                      StatCache& cache, ObjectSync* written = nullptr, LfsPolicy* lfs = nullptr,
                                      LfsImporter* importer = nullptr);

// The blob id `path` would get, computed without storing anything. nullopt as above.
std::optional<StoredEntry> hash_path(int root_fd, const std::string& path, const struct stat& st,
                                     const LfsPolicy* lfs = nullptr);

}  // namespace histfs::gitstore
