#include "gitstore/local_transfer.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "support/stock_git_work_tree.hpp"

namespace histfs::gitstore {
namespace {

using test::run;

struct TwoRepos : test::StockGitWorkTree {
  std::string target = (dir / "target.git").string();
  RepositoryPtr from, to;
  TwoRepos() {
    run_in_work(
        "mkdir -p a/b/c && echo one > a/b/c/deep.md && echo top > top.md && printf 'x\\xff\\n' > 'bytes-\\xfe.bin' && "
        "echo '#!/bin/sh' > run.sh && chmod +x run.sh && ln -s a/b link && git add -A && git commit -qm first && "
        "echo two >> top.md && git commit -qam second && git tag -a v1 -m 'a tag' && git tag light HEAD~1");
    run("git init -q --bare -b main '" + target + "'");
    from = open_bare_repository(work + "/.git", "open the source");
    to = open_bare_repository(target, "open the target");
  }
  git_oid id_of(const std::string& rev) const {
    git_oid id;
    const std::string hex = run_in_work("git rev-parse " + rev);
    check(git_oid_fromstrn(&id, hex.data(), 40), "parse");
    return id;
  }
  std::string target_git(const std::string& args) const { return run("git --git-dir '" + target + "' " + args); }
};

}  // namespace

TEST_CASE("copy_missing_objects copies what the tips reach, once, into one pack git reads", "[local_transfer]") {
  TwoRepos r;
  std::vector<std::pair<std::size_t, std::size_t>> reports;
  const LocalCopy copied =
      copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main"), r.id_of("v1")},
                           [&](std::size_t objects, std::size_t bytes) { reports.emplace_back(objects, bytes); });
  // 2 commits, the annotated tag, 5 trees of the first commit (root, a, a/b, a/b/c) and the
  // second root, 5 blobs and the second top.md.
  const std::string listed = r.run_in_work("git rev-list --objects main v1 | wc -l");
  CHECK(std::to_string(copied.objects) + "\n" == listed);
  CHECK(copied.pack.rfind("pack-", 0) == 0);
  REQUIRE(!reports.empty());
  CHECK(reports.back().first == copied.objects);
  CHECK(reports.back().second == copied.bytes);

  r.target_git("update-ref refs/heads/main " + gitstore::oid_hex(r.id_of("main")));
  r.target_git("update-ref refs/tags/v1 " + gitstore::oid_hex(r.id_of("v1")));
  r.target_git("fsck --strict --no-dangling");
  CHECK(r.target_git("rev-list --objects main v1 | wc -l") == listed);
  CHECK(r.target_git("cat-file -p main:a/b/c/deep.md") == "one\n");
  CHECK(r.target_git("cat-file -t v1") == "tag\n");
  // libgit2 sees the pack at once (the copy told the target's object database).
  git_commit* raw = nullptr;
  const git_oid main = r.id_of("main");
  REQUIRE(git_commit_lookup(&raw, r.to.get(), &main) == 0);
  git_commit_free(raw);

  SECTION("nothing missing: nothing copied, no pack") {
    const LocalCopy again = copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main"), r.id_of("light")});
    CHECK(again.objects == 0);
    CHECK(again.pack.empty());
    CHECK(r.target_git("count-objects -v").find("packs: 1\n") != std::string::npos);
  }
  SECTION("a later commit: only what it adds") {
    r.run_in_work("echo three > a/b/new.md && git add -A && git commit -qm third");
    const LocalCopy later = copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main")});
    CHECK(later.objects == 5);  // the commit, trees root, a and a/b, the new blob
    r.target_git("update-ref refs/heads/main " + gitstore::oid_hex(r.id_of("main")));
    r.target_git("fsck --strict --no-dangling");
    CHECK(r.target_git("cat-file -p main:a/b/new.md") == "three\n");
  }
}

TEST_CASE("copy_missing_objects fails on a missing object and leaves nothing", "[local_transfer]") {
  TwoRepos r;
  // The source loses a blob (packed objects would hide it: these are loose).
  const std::string blob = r.run_in_work("git rev-parse main:a/b/c/deep.md").substr(0, 40);
  run("rm -f '" + r.work + "/.git/objects/" + blob.substr(0, 2) + "/" + blob.substr(2) + "'");
  CHECK_THROWS(copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main")}));
  CHECK(run("ls -A '" + r.target + "/objects/pack'").empty());
}

TEST_CASE("copy_missing_objects refuses an object whose content does not match its id", "[local_transfer]") {
  TwoRepos r;
  // The source's deep.md is swapped for top.md's object file: a valid object under the wrong id.
  auto loose = [&](const std::string& rev) {
    const std::string id = r.run_in_work("git rev-parse " + rev).substr(0, 40);
    return r.work + "/.git/objects/" + id.substr(0, 2) + "/" + id.substr(2);
  };
  run("cp -f '" + loose("main~1:top.md") + "' '" + loose("main:a/b/c/deep.md") + "'");
  CHECK_THROWS(copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main")}));
  CHECK(run("ls -A '" + r.target + "/objects/pack'").empty());
}

}  // namespace histfs::gitstore
