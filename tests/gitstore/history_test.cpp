#include "gitstore/history.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "gitstore/repository.hpp"
#include "support/stock_git_work_tree.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::run;

// A repository made by stock git: three commits touching a.md, one tag.
struct History : test::StockGitWorkTree {
  std::string git_dir = (dir / "r.git").string();
  History() {
    run_in_work(
        "echo 1 > a.md && mkdir d && echo x > d/x.md && git add -A && GIT_COMMITTER_DATE=2026-11-20T10:00:00Z git "
        "commit -qm one"
        " && echo 2 > a.md && git add -A && GIT_COMMITTER_DATE=2026-11-21T10:00:00Z git commit -qm two"
        " && git tag -a -m 'first tag' snap HEAD"
        " && echo 3 > a.md && git rm -q d/x.md && git add -A && GIT_COMMITTER_DATE=2026-11-22T10:00:00Z git commit -qm "
        "three"
        " && git clone -q --bare . '" +
        git_dir + "'");
  }
  std::string rev(const std::string& what) {
    std::string out = run("git --git-dir '" + git_dir + "' rev-parse " + what);
    return out.substr(0, 40);
  }
};

TEST_CASE("revisions resolve like git's", "[history]") {
  History h;
  HistoryReader reader(h.git_dir);
  CHECK(oid_hex(reader.resolve("HEAD").id) == h.rev("HEAD"));
  CHECK(oid_hex(reader.resolve("HEAD~2").id) == h.rev("HEAD~2"));
  CHECK(oid_hex(reader.resolve("snap").id) == h.rev("snap^{commit}"));
  CHECK(oid_hex(reader.resolve(h.rev("HEAD~1").substr(0, 6)).id) == h.rev("HEAD~1"));
  CHECK(oid_hex(reader.resolve("2026-11-21").id) == h.rev("HEAD~1"));        // end of that day
  CHECK(oid_hex(reader.resolve("2026-11-21T09:00").id) == h.rev("HEAD~2"));  // between commits
  CHECK_THROWS_WITH(reader.resolve("2026-01-01"), Catch::Contains("no commit at or before"));
  CHECK_THROWS_WITH(reader.resolve("nope"), Catch::Contains("unknown revision nope"));
  CHECK_THROWS_WITH(reader.resolve("abc"), Catch::Contains("too short"));
}

TEST_CASE("log, versions and tags", "[history]") {
  History h;
  HistoryReader reader(h.git_dir);
  CHECK(reader.commits()->size() == 3);
  CHECK(reader.log("", 2).size() == 2);
  CHECK(reader.log("d/x.md", 10).size() == 2);  // added, then removed
  auto versions = reader.versions("a.md");
  REQUIRE(versions.size() == 3);
  CHECK(versions.front().commit.subject == "one");
  CHECK(reader.blob_content(versions.back().entry.oid) == "3\n");
  CHECK(reader.kind_in_history("d") == GIT_FILEMODE_TREE);
  CHECK_FALSE(reader.kind_in_history("never"));
  auto tags = reader.tags();
  REQUIRE(tags.size() == 1);
  CHECK(tags[0].message == "first tag\n");
  CHECK(oid_hex(tags[0].commit) == h.rev("HEAD~1"));
}

TEST_CASE("snapshot names are checked", "[history]") {
  History h;
  HistoryReader reader(h.git_dir);
  CHECK(reader.snapshot("release-1", "").name == "release-1");
  CHECK_THROWS_WITH(reader.snapshot("release-1", ""), Catch::Contains("already exists"));
  for (const char* bad : {"bad name", "a/b", "..", "-x", "commits", "a..b", ""})
    CHECK_THROWS_AS(reader.snapshot(bad, ""), HistoryError);
  CHECK(reader.tags().size() == 2);
}

TEST_CASE("trees and blobs for the .history view", "[history]") {
  History h;
  HistoryReader reader(h.git_dir);
  h.run_in_work(
      "printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh && ln -s a.md link && git add -A"
      " && git commit -qm four && git push -q '" +
      h.git_dir + "' main");
  const auto tree = reader.resolve("HEAD").tree;
  std::vector<std::pair<std::string, EntryKind>> names;
  for (const auto& item : reader.list_tree(tree)) names.emplace_back(item.name, item.kind);
  CHECK(names == std::vector<std::pair<std::string, EntryKind>>{
                     {"a.md", EntryKind::File}, {"link", EntryKind::Link}, {"run.sh", EntryKind::Executable}});
  auto a = reader.tree_item(tree, "a.md");
  REQUIRE(a);
  CHECK(oid_hex(a->oid) == h.rev("HEAD:a.md"));
  CHECK_FALSE(reader.tree_item(tree, "nope"));
  CHECK(reader.object_size(a->oid) == 2);
  auto bytes = reader.read_blob(a->oid);
  CHECK(bytes->bytes() == "3\n");
  CHECK(reader.blob_content(reader.tree_item(tree, "link")->oid) == "a.md");
  CHECK_THROWS_AS(reader.read_blob(tree), GitError);       // a tree is no blob
  CHECK(entry_kind(GIT_FILEMODE_COMMIT) == std::nullopt);  // submodules hold no files here
}

TEST_CASE("many threads read history at once", "[history]") {
  History h;
  HistoryReader reader(h.git_dir);
  const std::string head = h.rev("HEAD"), blob = h.rev("HEAD~2:a.md");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (oid_hex(reader.resolve("HEAD").id) != head) ++wrong;
        if (reader.versions("a.md").size() != 3) ++wrong;
        auto item = reader.tree_item(reader.resolve("HEAD~2").tree, "a.md");
        if (!item || oid_hex(item->oid) != blob || reader.read_blob(item->oid)->bytes() != "1\n") ++wrong;
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
}

}  // namespace
}  // namespace histfs::gitstore
