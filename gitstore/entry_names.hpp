#pragma once
// Which paths libgit2 will put in a tree. Some names a Linux filesystem holds are refused:
// ".git." or ".git " are ".git" on Windows and macOS, so libgit2 (core.protectNTFS, on by
// default) will not write them into a tree, and a tree write failing there would fail the
// whole commit, again at every retry. Asked of libgit2 itself, per path before it enters the
// overlay, so that its rule and histfs's cannot drift apart; see is_storable_path for the
// names histfs never stores at all.
#include <git2.h>

#include <string>
#include <string_view>

#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {

class EntryNameCheck {
 public:
  explicit EntryNameCheck(git_repository* repo);

  // Empty when libgit2 takes every component of `path` as a tree entry name; otherwise why
  // not. `blob` is any object of the repository (libgit2 checks that an entry's object exists).
  std::string refusal(std::string_view path, const git_oid& blob);

 private:
  bool takes(const std::string& name, const git_oid& blob);
  TreeBuilderPtr scratch_;
  std::string plain_folder_;  // the folder of the last path found plainly taken, when known
  bool plain_folder_known_ = false;
};

}  // namespace histfs::gitstore
