#pragma once
// Paths inside the repository: "a/b/c", relative to the backing root, no
// leading or trailing slash, "" for the root. The one home of the rules for
// names that may be stored in git and for paths that come out of it: every
// path read from a tree that histfs did not write itself (a pull, a merge, a
// restore, a connect import, .history) passes check_tree_path before it is
// used, so no remote can make the daemon write outside the mount.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace histfs::gitstore {

// The name of the read-only history view at the mount root; never stored in git.
inline constexpr std::string_view kHistoryDirName = ".history";

std::vector<std::string_view> split_path(std::string_view path);
std::string join_path(std::string_view dir, std::string_view name);
// "a/b" -> "a"; "a" -> "".
std::string parent_path(std::string_view path);
// "a/b" -> "b".
std::string_view base_name(std::string_view path);
// "a/b" is at or below "a"; "ab" is not; everything is below "" (the root).
bool is_same_or_below(std::string_view path, std::string_view dir);

// A name git can hold and stock git accepts (fsck): not empty, ".", "..", ".git" in any case
// or its NTFS short name, and without '/' or NUL.
bool is_safe_git_name(std::string_view name);
// Every component is a safe name, and the path is not the root ".history" or below it.
bool is_storable_path(std::string_view path);

// A tree from elsewhere holds a path histfs refuses to write: the whole commit is refused.
struct UnsafePathError : std::runtime_error {
  UnsafePathError(const std::string& shown_path, const std::string& why);
  std::string path;  // shown escaped; see printable_path
  std::string why;
};

// Throws UnsafePathError unless is_storable_path(path).
void check_tree_path(std::string_view path);

// The path as text that is safe to print and to put in JSON: the one printable form,
// gitstore::printable (gitstore/printable.hpp; lossless, documented in docs/user-guide.md).
std::string printable_path(std::string_view path);

}  // namespace histfs::gitstore
