#pragma once
// Checks history that arrived from elsewhere before anything uses it: every
// tree of every new commit is walked (each tree once) and each name must pass
// check_tree_path (no "..", ".git", root ".history", NUL, '/'), with no
// submodule entries. Like git's transfer.fsckObjects, for the rules that keep
// the daemon's writes inside the mount.
#include <git2.h>

#include <string>
#include <vector>

#include "gitstore/repo_path.hpp"

namespace histfs::gitstore {

// Throws UnsafePathError naming the first offending commit and path. Commits reachable
// from any of `known_refs` (those that exist) are trusted and not walked.
void check_new_history(git_repository* repo, const git_oid& tip, const std::vector<std::string>& known_refs);

}  // namespace histfs::gitstore
