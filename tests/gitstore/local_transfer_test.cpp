#include "gitstore/local_transfer.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/repository.hpp"
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
  REQUIRE(copied.packs.size() == 1);  // loose objects in the source: copied one by one
  CHECK(copied.packs[0].rfind("pack-", 0) == 0);
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
    CHECK(again.packs.empty());
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

TEST_CASE("copy_missing_objects adopts a pack of only missing objects as it is", "[local_transfer]") {
  TwoRepos r;
  r.run_in_work("git repack -q -a -d && git prune-packed");
  const std::string source_pack = r.run_in_work("cd .git/objects/pack && ls *.pack");
  const LocalCopy copied = copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main"), r.id_of("v1")});
  const std::string listed = r.run_in_work("git rev-list --objects main v1 | wc -l");
  CHECK(std::to_string(copied.objects) + "\n" == listed);
  REQUIRE(copied.packs.size() == 1);
  // The same bytes, so the same name: git names a pack by its checksum.
  CHECK(copied.packs[0] + ".pack\n" == source_pack);
  run("cmp '" + r.work + "/.git/objects/pack/" + copied.packs[0] + ".pack' '" + r.target + "/objects/pack/" +
      copied.packs[0] + ".pack'");
  r.target_git("update-ref refs/heads/main " + gitstore::oid_hex(r.id_of("main")));
  r.target_git("update-ref refs/tags/v1 " + gitstore::oid_hex(r.id_of("v1")));
  r.target_git("fsck --strict --no-dangling");
  CHECK(r.target_git("cat-file -p main:a/b/c/deep.md") == "one\n");
  git_commit* raw = nullptr;
  const git_oid main = r.id_of("main");
  REQUIRE(git_commit_lookup(&raw, r.to.get(), &main) == 0);  // seen at once
  git_commit_free(raw);
}

TEST_CASE("copy_missing_objects copies one by one from a pack that holds more than is missing", "[local_transfer]") {
  TwoRepos r;
  SECTION("objects the tips do not reach") {
    r.run_in_work(
        "git checkout -q -b side && echo side > side.md && git add side.md && git commit -qm side && "
        "git checkout -q main && git repack -q -a -d && git prune-packed");
    const LocalCopy copied = copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main")});
    CHECK(std::to_string(copied.objects) + "\n" == r.run_in_work("git rev-list --objects main | wc -l"));
    REQUIRE(copied.packs.size() == 1);
    CHECK(copied.packs[0] + ".pack\n" != r.run_in_work("cd .git/objects/pack && ls *.pack"));
    r.target_git("update-ref refs/heads/main " + gitstore::oid_hex(r.id_of("main")));
    r.target_git("fsck --strict");
    // Nothing of the side branch came along.
    CHECK(r.target_git("cat-file -e " + gitstore::oid_hex(r.id_of("side")) + " 2>/dev/null || echo absent") ==
          "absent\n");
  }
  SECTION("objects the target has") {
    copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main~1")});
    r.run_in_work("git repack -q -a -d && git prune-packed");
    const LocalCopy later = copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main")});
    CHECK(later.objects == 3);  // the second commit, its root tree, the new top.md
    r.target_git("update-ref refs/heads/main " + gitstore::oid_hex(r.id_of("main")));
    r.target_git("fsck --strict --no-dangling");
  }
}

TEST_CASE("copy_missing_objects refuses a corrupt pack and leaves nothing", "[local_transfer]") {
  TwoRepos r;
  r.run_in_work("git repack -q -a -d && git prune-packed");
  const std::string pack = r.work + "/.git/objects/pack/" + r.run_in_work("cd .git/objects/pack && ls *.pack");
  // A byte in the middle of a blob's zlib stream: the walk reads no blob, the indexer reads all.
  const std::string blob = r.run_in_work("git rev-parse main:a/b/c/deep.md").substr(0, 40);
  const std::string offset = r.run_in_work("git verify-pack -v " + pack.substr(0, pack.size() - 1) +
                                           " | awk '$1 == \"" + blob + "\" {print $5}'");
  REQUIRE(!offset.empty());
  run("chmod u+w " + pack.substr(0, pack.size() - 1) +
      " && printf '\\377\\377' | dd of=" + pack.substr(0, pack.size() - 1) + " bs=1 seek=$((" +
      offset.substr(0, offset.size() - 1) + " + 4)) conv=notrunc status=none");
  CHECK_THROWS_WITH(copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main"), r.id_of("v1")}),
                    Catch::Contains("index a pack"));
  CHECK(run("ls -A '" + r.target + "/objects/pack'").empty());
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
  configure_libgit2();  // as the daemon runs: libgit2 does not hash what it reads
  CHECK_THROWS_WITH(copy_missing_objects(r.from.get(), r.to.get(), {r.id_of("main")}),
                    Catch::Contains("does not match its content"));
  CHECK(run("ls -A '" + r.target + "/objects/pack'").empty());
}

}  // namespace histfs::gitstore
