#pragma once
// What the files should be after merging the remote's history into ours.
// Never loses a side: a path both sides changed keeps our content and gets
// theirs beside it as `name (conflict from <branch>, <time>).ext`; a path one
// side deleted and the other modified keeps the modified side.
#include <git2.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gitstore/tree_overlay.hpp"

namespace histfs::gitstore {

struct MergePlan {
  std::map<std::string, TreeEntryInfo> files;                  // every file of the merged tree
  std::vector<std::pair<std::string, std::string>> conflicts;  // path, conflict copy
};

// base may be null (unrelated histories).
MergePlan plan_merge(git_repository* repo, const git_oid* base_tree, const git_oid& ours_tree,
                     const git_oid& theirs_tree, const std::string& branch, std::int64_t now);

// "notes/a.md" -> "notes/a (conflict from main, 2026-11-24T10-00-00Z).md"
std::string conflict_copy_name(const std::string& path, const std::string& branch, std::int64_t now);

// Every file and symlink of a tree by path.
std::map<std::string, TreeEntryInfo> files_of_tree(git_repository* repo, const git_oid& tree);

}  // namespace histfs::gitstore
