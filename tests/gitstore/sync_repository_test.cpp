#include "gitstore/sync_repository.hpp"

#include <catch2/catch.hpp>

#include "support/stock_git_work_tree.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::run;

// A bare repository whose history stock git writes: base -> local, base -> remote (diverged),
// and local -> ahead (a descendant).
struct History : test::StockGitWorkTree {
  std::string bare = (dir / "b.git").string();
  History() {
    run_in_work(
        "echo a >a && echo b >b && git add -A && git commit -qm base && git branch base"
        " && git checkout -qb remote && echo r >r && git rm -q b && git add -A && git commit -qm remote"
        " && git checkout -q main && echo l >l && git add -A && git commit -qm local"
        " && git checkout -qb ahead && echo m >>l && git commit -qam ahead && git checkout -q main");
    run("git clone -q --bare '" + work + "' '" + bare + "'");
  }
  git_oid id(const std::string& rev) {
    git_oid out;
    git_oid_fromstr(&out, run("git -C '" + bare + "' rev-parse " + rev).substr(0, 40).c_str());
    return out;
  }
};

}  // namespace

TEST_CASE("the remote's relation to ours comes from the commit graph", "[sync_repository]") {
  History h;
  SyncRepository repo(h.bare);
  const git_oid base = h.id("base"), local = h.id("main"), remote = h.id("remote"), ahead = h.id("ahead");
  CHECK(repo.compare(local, local, local).relation == RemoteRelation::Same);
  CHECK(repo.compare(ahead, local, local).relation == RemoteRelation::LocalAhead);
  CHECK(repo.compare(local, ahead, local).relation == RemoteRelation::FastForward);
  CHECK(repo.compare(std::nullopt, remote, std::nullopt).relation == RemoteRelation::FastForward);
  CHECK(repo.compare(local, remote, base).relation == RemoteRelation::Diverged);
  CHECK_FALSE(repo.compare(local, remote, base).rewrote_pushed);
  // We pushed `local`; the remote now has `remote`, which does not contain it: rewritten.
  CHECK(repo.compare(local, remote, local).rewrote_pushed);
  CHECK_FALSE(repo.compare(local, ahead, local).rewrote_pushed);
  const auto found = repo.merge_base(local, remote);
  REQUIRE(found);
  CHECK(git_oid_equal(&*found, &base));
}

TEST_CASE("deletions count the files one commit removed from another", "[sync_repository]") {
  History h;
  SyncRepository repo(h.bare);
  CHECK(repo.deletions(h.id("base"), h.id("remote")) == 1);
  CHECK(repo.deletions(h.id("remote"), h.id("base")) == 1);  // r
  CHECK(repo.deletions(h.id("base"), h.id("main")) == 0);
  CHECK(repo.files_of(h.id("remote")).count("r") == 1);
  CHECK(repo.files_of(std::nullopt).empty());
}

TEST_CASE("refs and tags of the sync repository", "[sync_repository]") {
  History h;
  SyncRepository repo(h.bare);
  CHECK_FALSE(repo.ref("refs/histfs/pushed"));
  repo.set_ref("refs/histfs/pushed", h.id("base"));
  const auto pushed = repo.ref("refs/histfs/pushed");
  const git_oid base = h.id("base");
  REQUIRE(pushed);
  CHECK(git_oid_equal(&*pushed, &base));
  repo.tag_commit("kept", h.id("main"));
  CHECK(repo.tag_names().count("kept") == 1);
  CHECK_THROWS(repo.tag_commit("kept", h.id("base")));
}

}  // namespace histfs::gitstore
