#pragma once
// A work tree that stock git made in a temp dir (branch main, an identity of its own), with
// libgit2 up: for tests that check what gitstore reads from history stock git wrote.
#include <string>

#include "gitstore/git_handle.hpp"
#include "support/temp_dir.hpp"

namespace histfs::test {

struct StockGitWorkTree {
  TempDir dir;
  gitstore::LibGit2 libgit2;
  std::string work = (dir / "w").string();

  StockGitWorkTree() {
    run("git init -q -b main '" + work + "' && cd '" + work +
        "' && git config user.name t && git config user.email t@t");
  }
  // Runs a shell command line in the work tree; returns its stdout.
  std::string run_in_work(const std::string& command) const { return run("cd '" + work + "' && " + command); }
};

}  // namespace histfs::test
