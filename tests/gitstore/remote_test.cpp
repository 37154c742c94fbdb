#include "gitstore/remote.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "gitstore/git_handle.hpp"
#include "gitstore/repository.hpp"
#include "support/stock_git_work_tree.hpp"

namespace histfs::gitstore {
namespace {

using test::run;

// Our repository (a stock git work tree) and a bare remote beside it, given as a path.
struct LocalRemote : test::StockGitWorkTree {
  std::string remote = (dir / "remote.git").string();
  RepositoryPtr ours;
  LocalRemote() {
    run_in_work("echo one > a.md && git add -A && git commit -qm first && git tag snap");
    run("git init -q --bare -b main '" + remote + "'");
    ours = open_bare_repository(work + "/.git", "open ours");
  }
  std::string remote_git(const std::string& args) const { return run("git --git-dir '" + remote + "' " + args); }
  git_oid id(const std::string& hex) const {
    git_oid out;
    check(git_oid_fromstrn(&out, hex.data(), 40), "parse");
    return out;
  }
  git_oid our(const std::string& rev) const { return id(run_in_work("git rev-parse " + rev)); }
};

}  // namespace

TEST_CASE("a push to a local remote copies the objects, moves main by compare-and-swap, never moves a tag",
          "[remote]") {
  LocalRemote r;
  RemoteClient client(r.ours.get(), "file://" + r.remote, "");
  CHECK(client.push().rejected.empty());
  CHECK(r.remote_git("rev-parse main") == r.run_in_work("git rev-parse main"));
  CHECK(r.remote_git("rev-parse snap") == r.run_in_work("git rev-parse snap"));
  r.remote_git("fsck --strict --no-dangling");

  // main moves only from the value we last saw.
  const git_oid first = r.our("main");
  r.run_in_work("echo two >> a.md && git commit -qam second");
  CHECK(client.push().rejected ==
        std::vector<std::string>{"refs/heads/main (the remote moved on since we last saw it)"});
  CHECK(r.remote_git("rev-parse main") != r.run_in_work("git rev-parse main"));
  CHECK(client.push(first).rejected.empty());
  CHECK(r.remote_git("rev-parse main") == r.run_in_work("git rev-parse main"));

  // A tag the remote has under another commit stays theirs, as a server would refuse it.
  r.remote_git("tag mine " + oid_hex(first));
  r.run_in_work("git tag mine main");
  const auto outcome = client.push(r.our("main"));
  CHECK(outcome.rejected == std::vector<std::string>{"refs/tags/mine (already exists)"});
  CHECK(r.remote_git("rev-parse mine") == oid_hex(first) + "\n");
  r.remote_git("fsck --strict --no-dangling");
}

TEST_CASE("a fetch from a local remote brings main and new tags, through quarantine", "[remote]") {
  LocalRemote r;
  RemoteClient client(r.ours.get(), r.remote, "");  // a plain path
  CHECK_FALSE(client.fetch().main);                 // an empty remote
  // The remote gets history of its own: our commit, one more, a tag.
  r.remote_git("fetch -q '" + r.work + "' main:main");
  const std::string other = (r.dir / "other").string();
  run("git clone -q '" + r.remote + "' '" + other + "' && cd '" + other +
      "' && git -c user.name=o -c user.email=o@o commit -q --allow-empty -m theirs && git tag -a theirs -m t && "
      "git push -q origin main theirs");
  const FetchResult fetched = client.fetch();
  REQUIRE(fetched.main);
  CHECK(oid_hex(*fetched.main) + "\n" == r.remote_git("rev-parse main"));
  CHECK(fetched.new_tags == std::vector<std::string>{"theirs"});
  CHECK(r.run_in_work("git rev-parse refs/remotes/origin/main") == r.remote_git("rev-parse main"));
  CHECK(r.run_in_work("git for-each-ref refs/histfs").empty());  // the quarantine refs are gone
  r.run_in_work("git fsck --strict --no-dangling");
  // Again: nothing new, nothing copied.
  const std::string packs = r.run_in_work("ls .git/objects/pack");
  CHECK(client.fetch().new_tags.empty());
  CHECK(r.run_in_work("ls .git/objects/pack") == packs);
}

TEST_CASE("a local remote that is not a repository is a clear error", "[remote]") {
  LocalRemote r;
  RemoteClient client(r.ours.get(), (r.dir / "nowhere").string(), "");
  CHECK_THROWS_WITH(client.fetch(), Catch::StartsWith("cannot fetch from " + (r.dir / "nowhere").string() + ": "));
  CHECK_THROWS_WITH(client.push(), Catch::StartsWith("cannot push to " + (r.dir / "nowhere").string() + ": "));
}

}  // namespace histfs::gitstore
