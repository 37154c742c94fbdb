#pragma once
// Finding the Git LFS pointers that history holds: those a push must upload first, and
// those among a set of files (a pulled tree) that must be in the local store before the
// files are written.
#include <git2.h>

#include <map>
#include <string>
#include <vector>

#include "gitstore/lfs_pointer.hpp"
#include "gitstore/tree_overlay.hpp"

namespace histfs::gitstore {

// Every pointer in the trees of the commits reachable from `head` but not from any of
// `remote_has` (what the remote already has), each object once. Subtrees the remote's
// commits hold already are not read again.
std::vector<LfsPointer> lfs_pointers_to_push(git_repository* repo, const git_oid& head,
                                             const std::vector<git_oid>& remote_has);

// The regular files among `files` whose blob is an LFS pointer, by path.
std::map<std::string, LfsPointer> lfs_files(git_repository* repo, const std::map<std::string, TreeEntryInfo>& files);

}  // namespace histfs::gitstore
