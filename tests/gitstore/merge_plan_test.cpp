#include "gitstore/merge_plan.hpp"

#include <catch2/catch.hpp>

#include "gitstore/repository.hpp"
#include "support/stock_git_work_tree.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

struct Repo : test::StockGitWorkTree {
  RepositoryPtr repo;
  // Commits the given shell edits on a branch; returns the tree id.
  std::string commit(const std::string& branch, const std::string& edits) {
    run_in_work("git checkout -q " + branch + " 2>/dev/null || git checkout -q -b " + branch);
    run_in_work(edits + " && git add -A && git commit -q --allow-empty -m x");
    return run_in_work("git rev-parse HEAD^{tree}").substr(0, 40);
  }
  // Trees that went two ways: `base` on main, then `ours` on main and `theirs` on a branch from base.
  struct Sides {
    std::string base, ours, theirs;
  };
  Sides diverge(const std::string& base_edits, const std::string& our_edits, const std::string& their_edits) {
    Sides sides;
    sides.base = commit("main", base_edits);
    sides.ours = commit("main", our_edits);
    run_in_work("git checkout -q -b theirs HEAD~1");
    sides.theirs = commit("theirs", their_edits);
    return sides;
  }
  git_repository* open() {
    git_repository* raw = nullptr;
    check(git_repository_open(&raw, work.c_str()), "open");
    repo.reset(raw);
    return raw;
  }
};

git_oid oid(const std::string& hex) {
  git_oid out;
  git_oid_fromstr(&out, hex.c_str());
  return out;
}

TEST_CASE("a clean three-way merge takes both sides", "[merge]") {
  Repo r;
  const auto [base, ours, theirs] =
      r.diverge("echo a > a.md && echo b > b.md", "echo a2 > a.md", "echo b2 > b.md && echo c > c.md");
  const git_oid base_id = oid(base);
  auto plan = plan_merge(r.open(), &base_id, oid(ours), oid(theirs), "main", 0);
  CHECK(plan.conflicts.empty());
  CHECK(plan.files.size() == 3);
}

TEST_CASE("both sides changed a file: ours stays, theirs goes beside it", "[merge]") {
  Repo r;
  const auto [base, ours, theirs] = r.diverge("echo a > a.md && echo x > gone.md && echo y > kept.md",
                                              "echo ours > a.md && rm gone.md && echo y2 > kept.md",
                                              "echo theirs > a.md && echo x2 > gone.md && rm kept.md");
  auto* repo = r.open();
  const git_oid base_id = oid(base);
  auto plan = plan_merge(repo, &base_id, oid(ours), oid(theirs), "main", 1795428000);
  REQUIRE(plan.conflicts.size() == 1);
  CHECK(plan.conflicts[0].first == "a.md");
  CHECK(plan.conflicts[0].second == "a (conflict from main, 2026-11-23T10-00-00Z).md");
  auto blob_text = [&](const std::string& path) {
    git_blob* blob = nullptr;
    check(git_blob_lookup(&blob, repo, &plan.files.at(path).oid), "blob");
    std::string text(static_cast<const char*>(git_blob_rawcontent(blob)), git_blob_rawsize(blob));
    git_blob_free(blob);
    return text;
  };
  CHECK(blob_text("a.md") == "ours\n");
  CHECK(blob_text(plan.conflicts[0].second) == "theirs\n");
  CHECK(blob_text("gone.md") == "x2\n");  // we deleted, they modified: theirs stays
  CHECK(blob_text("kept.md") == "y2\n");  // they deleted, we modified: ours stays
}

TEST_CASE("conflict copy names", "[merge]") {
  CHECK(conflict_copy_name("notes/a.md", "main", 1795428000) ==
        "notes/a (conflict from main, 2026-11-23T10-00-00Z).md");
  CHECK(conflict_copy_name("README", "main", 0) == "README (conflict from main, 1970-01-01T00-00-00Z)");
  CHECK(conflict_copy_name(".env", "main", 0) == ".env (conflict from main, 1970-01-01T00-00-00Z)");
}

}  // namespace
}  // namespace histfs::gitstore
