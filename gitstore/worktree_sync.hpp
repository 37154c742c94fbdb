#pragma once
// Brings part of a TreeOverlay in line with what the backing dir holds now:
// used for the start-up reconcile, `histfs reconcile`, and directories whose
// ignore rules changed. Files whose stat matches the stat cache are not reread.
#include <git2.h>

#include <sys/stat.h>

#include <map>
#include <set>
#include <string>

#include "gitstore/commit_message.hpp"
#include "gitstore/entry_names.hpp"
#include "gitstore/ignore_rules.hpp"
#include "gitstore/lfs_importer.hpp"
#include "gitstore/lfs_policy.hpp"
#include "gitstore/stat_cache.hpp"
#include "gitstore/tree_overlay.hpp"

namespace histfs::gitstore {

// A file as the committer read it: its stat then and the entry it stored.
struct SeenFile {
  struct stat st;
  TreeEntryInfo entry;
};

struct WorktreeContext {
  git_odb* odb;
  int root_fd;  // the backing dir
  const IgnoreRules& ignore;
  StatCache& cache;
  ObjectSync* written = nullptr;                    // collects new objects for one flush at commit time
  std::map<std::string, SeenFile>* seen = nullptr;  // when given, every file stored, for the self-check
  // When given, a path the backing dir will not give up (unreadable, a name too long for the
  // filesystem) is left as it stands in the overlay and named here with why, so that one bad
  // path cannot stop every commit; without it, such a failure throws.
  std::map<std::string, std::string>* skipped = nullptr;
  // When given, a path whose name git refuses is skipped as above instead of failing the tree write.
  EntryNameCheck* names = nullptr;
  // When given, files it selects are stored as Git LFS pointers, and named in `lfs_stored`.
  LfsPolicy* lfs = nullptr;
  std::set<std::string>* lfs_stored = nullptr;
  // When given (with `deferred`), large LFS files are imported in the background: until one is,
  // its path keeps its entry in the overlay and is named in `deferred`.
  LfsImporter* importer = nullptr;
  std::set<std::string>* deferred = nullptr;
};

// Makes the overlay's entry at `path` ("" = the root) equal the backing dir's, whatever it
// is now: a file, a symlink, a directory (compared recursively), or nothing. Ignored paths
// and names git cannot store leave the tree. Records every change in `summary`.
void sync_path(TreeOverlay& overlay, const std::string& path, const WorktreeContext& context, ChangeSummary& summary);

// What the backing dir holds at or below `path` now, as git would store it (ignored paths
// left out), hashed without writing anything to the object database.
std::map<std::string, TreeEntryInfo> hash_worktree(int root_fd, const IgnoreRules& ignore, const std::string& path);

// The files and symlinks git would track at or below `path` now, with their stat (not hashed).
std::map<std::string, struct stat> list_worktree(int root_fd, const IgnoreRules& ignore, const std::string& path);

// Removes `path` (a file or a whole subtree) from the overlay, recording each file removed.
void remove_path(TreeOverlay& overlay, const std::string& path, ChangeSummary& summary);

}  // namespace histfs::gitstore
