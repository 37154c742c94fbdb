#include "gitstore/entry_names.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/stock_git_work_tree.hpp"

namespace histfs::gitstore {

TEST_CASE("EntryNameCheck refuses exactly the names libgit2 refuses in a tree", "[entry_names]") {
  test::StockGitWorkTree git;
  git.run_in_work("echo x > f && git add f && git commit -qm one");
  const RepositoryPtr repo = open_bare_repository(git.work + "/.git", "open");
  git_oid blob;
  REQUIRE(git_oid_fromstr(&blob, git.run_in_work("git rev-parse HEAD:f").substr(0, 40).c_str()) == 0);
  EntryNameCheck check(repo.get());
  git_treebuilder* raw = nullptr;
  REQUIRE(git_treebuilder_new(&raw, repo.get(), nullptr) == 0);
  const TreeBuilderPtr builder(raw);
  const std::vector<std::string> names = {"note.md",
                                          "digital.md",
                                          "GIT",
                                          ".git",
                                          ".GiT",
                                          ".git.",
                                          ".git ",
                                          "git~1",
                                          "GIT~1",
                                          ".git..",
                                          ".git::$INDEX_ALLOCATION",
                                          "legit",
                                          ".gitignore",
                                          ".gitmodules",
                                          "a.git",
                                          "\xe2\x80\x8c.git",
                                          ".g\xe2\x80\x8cit",
                                          "caf\xc3\xa9",
                                          "bytes-\xfe\xff",
                                          "back\\slash",
                                          "git",
                                          "x.GIT.",
                                          ".git~1",
                                          "dot.",
                                          "space "};
  for (const std::string& name : names) {
    INFO(name);
    const bool libgit2_takes =
        git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &blob, GIT_FILEMODE_BLOB) == 0;
    git_treebuilder_clear(builder.get());
    CHECK(check.refusal("folder/" + name, blob).empty() == libgit2_takes);
    CHECK(check.refusal(name + "/inside.md", blob).empty() == libgit2_takes);
  }
  CHECK(check.refusal("notes/.git./x.md", blob) == "git refuses the name \".git.\" as a tree entry");
  // The folder of the last plain path is not checked again; any other folder is.
  CHECK(check.refusal("notes/a.md", blob).empty());
  CHECK(check.refusal("notes/b.md", blob).empty());
  CHECK_FALSE(check.refusal("notes/.git./c.md", blob).empty());
  CHECK_FALSE(check.refusal("notes/.git.", blob).empty());
  CHECK_FALSE(check.refusal("notes2/.git./c.md", blob).empty());
  CHECK_FALSE(check.refusal("/a.md", blob).empty());
  CHECK_FALSE(check.refusal("notes//a.md", blob).empty());
  CHECK_FALSE(check.refusal("notes/", blob).empty());
  CHECK(check.refusal("notes/c.md", blob).empty());
}

}  // namespace histfs::gitstore
