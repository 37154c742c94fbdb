#pragma once
// The second, independent path to a tree id: what stock `git add -A && git
// write-tree` makes of a directory, computed with a throwaway index and object
// dir so the repository under test is never touched.
#include <string>

#include "support/temp_dir.hpp"

namespace histfs::test {

inline std::string git_tree_of(const std::string& worktree, const std::string& git_dir) {
  TempDir scratch;
  const std::string env = "GIT_DIR='" + git_dir + "' GIT_WORK_TREE='" + worktree + "' GIT_INDEX_FILE='" +
                          (scratch / "index").string() + "' GIT_OBJECT_DIRECTORY='" + (scratch / "objects").string() +
                          "' GIT_ALTERNATE_OBJECT_DIRECTORIES='" + git_dir + "/objects' ";
  run("mkdir -p '" + (scratch / "objects").string() + "'");
  run(env + "git add -A");
  std::string tree = run(env + "git write-tree");
  while (!tree.empty() && tree.back() == '\n') tree.pop_back();
  return tree;
}

}  // namespace histfs::test
