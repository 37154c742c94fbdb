#pragma once
// A bare repository whose object database reports what it creates (ObjectSync::watch), as the
// committer's does: for tests of the object writers.
#include <string>

#include "gitstore/git_handle.hpp"
#include "gitstore/object_sync.hpp"
#include "gitstore/repository.hpp"
#include "support/temp_dir.hpp"

namespace histfs::test {

struct WatchedRepo {
  TempDir dir;
  std::string git_dir = (dir / "r.git").string();
  gitstore::LibGit2 libgit2;
  gitstore::Repository repo = gitstore::Repository::open_or_create(git_dir);
  WatchedRepo() { gitstore::ObjectSync::watch(repo.odb(), git_dir + "/objects"); }
  std::string git(const std::string& args) const { return run("git --git-dir '" + git_dir + "' " + args); }
};

}  // namespace histfs::test
