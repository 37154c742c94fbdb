#include "gitstore/tree_overlay.hpp"

#include <catch2/catch.hpp>

#include "gitstore/git_handle.hpp"
#include "gitstore/repository.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

struct Repo {
  test::TempDir dir;
  LibGit2 libgit2;
  Repository repo = Repository::open_or_create((dir / "r.git").string());
  git_oid blob(const std::string& text) {
    git_oid oid;
    check(git_blob_create_from_buffer(&oid, repo.get(), text.data(), text.size()), "blob");
    return oid;
  }
  std::string ls(const git_oid& tree) {
    return test::run("git --git-dir '" + repo.git_dir() + "' ls-tree -r --name-only " + oid_hex(tree) +
                     " | tr '\\n' ' '");
  }
};

TEST_CASE("the overlay edits only what it is told", "[tree_overlay]") {
  Repo r;
  TreeOverlay start(r.repo.get(), nullptr);
  start.upsert("a/b/c.md", r.blob("c"), GIT_FILEMODE_BLOB);
  start.upsert("a/d.md", r.blob("d"), GIT_FILEMODE_BLOB);
  start.upsert("e.md", r.blob("e"), GIT_FILEMODE_BLOB_EXECUTABLE);
  const git_oid base = start.write();
  CHECK(r.ls(base) == "a/b/c.md a/d.md e.md ");

  TreeOverlay overlay(r.repo.get(), &base);
  SECTION("nothing changed, same tree") { CHECK(oid_hex(overlay.write()) == oid_hex(base)); }
  SECTION("moving a subtree keeps its entries") {
    CHECK(overlay.move("a", "z/y"));
    CHECK(r.ls(overlay.write()) == "e.md z/y/b/c.md z/y/d.md ");
  }
  SECTION("moving something absent reports it") { CHECK_FALSE(overlay.move("nope", "x")); }
  SECTION("an emptied directory disappears") {
    overlay.remove("a/b/c.md");
    CHECK(r.ls(overlay.write()) == "a/d.md e.md ");
  }
  SECTION("a file becomes a directory") {
    overlay.upsert("e.md/inner", r.blob("i"), GIT_FILEMODE_BLOB);
    CHECK(r.ls(overlay.write()) == "a/b/c.md a/d.md e.md/inner ");
  }
  SECTION("a directory becomes a file") {
    auto before = overlay.upsert("a", r.blob("f"), GIT_FILEMODE_BLOB);
    REQUIRE(before);
    CHECK(before->mode == GIT_FILEMODE_TREE);
    CHECK(r.ls(overlay.write()) == "a e.md ");
  }
  SECTION("exchange swaps a file and a directory") {
    overlay.exchange("a", "e.md");
    CHECK(r.ls(overlay.write()) == "a e.md/b/c.md e.md/d.md ");
  }
  SECTION("names git refuses are refused") {
    CHECK_THROWS_AS(overlay.upsert("x/.git/config", r.blob("x"), GIT_FILEMODE_BLOB), std::invalid_argument);
    CHECK_THROWS_AS(overlay.upsert("x/../y", r.blob("x"), GIT_FILEMODE_BLOB), std::invalid_argument);
    CHECK(oid_hex(overlay.write()) == oid_hex(base));
  }
}

TEST_CASE("a folder listed without being loaded lists as a loaded one does", "[tree_overlay]") {
  Repo r;
  TreeOverlay start(r.repo.get(), nullptr);
  // In the tree, git's order: "n/a-b", "n/a" (a folder sorts as "a/"), "n/a.md"; byte order
  // puts "a" first.
  for (const char* path : {"n/a-b", "n/a/x.md", "n/a.md", "n/b", "n/\xff"})
    start.upsert(path, r.blob(path), GIT_FILEMODE_BLOB);
  const git_oid base = start.write();
  auto names = [](const std::vector<std::pair<std::string, TreeEntryInfo>>& entries) {
    std::string out;
    for (const auto& [name, info] : entries) out += name + (info.mode == GIT_FILEMODE_TREE ? "/ " : " ");
    return out;
  };
  TreeOverlay fresh(r.repo.get(), &base);
  const auto unloaded = fresh.list("n");
  CHECK(names(unloaded) == "a/ a-b a.md b \xff ");
  CHECK(fresh.loaded_entries() == 1);                   // the root only: "n" was read, not loaded
  fresh.upsert("n/c", r.blob("c"), GIT_FILEMODE_BLOB);  // loads it
  CHECK(names(fresh.list("n")) == "a/ a-b a.md b c \xff ");

  // A tree that names an entry twice (git fsck refuses it; a remote may still serve it): listed
  // once, the first, as the loaded map keeps it.
  const git_oid one = r.blob("one"), two = r.blob("two");
  std::string raw;
  for (const git_oid* oid : {&one, &two})
    raw += std::string("100644 same") + '\0' + std::string(reinterpret_cast<const char*>(oid->id), GIT_OID_RAWSZ);
  git_odb* odb = nullptr;
  check(git_repository_odb(&odb, r.repo.get()), "odb");
  git_oid twice;
  check(git_odb_write(&twice, odb, raw.data(), raw.size(), GIT_OBJECT_TREE), "write tree");
  git_odb_free(odb);
  TreeOverlay root_of_twice(r.repo.get(), nullptr);
  root_of_twice.upsert("t", twice, GIT_FILEMODE_TREE);
  const git_oid holder = root_of_twice.write();
  TreeOverlay read_back(r.repo.get(), &holder);
  const auto listed = read_back.list("t");
  REQUIRE(listed.size() == 1);
  CHECK(git_oid_equal(&listed[0].second.oid, &one));
}

TEST_CASE("a folder walked and settled is written and let go, the tree the same", "[tree_overlay]") {
  Repo r;
  TreeOverlay start(r.repo.get(), nullptr);
  start.upsert("a/b/c.md", r.blob("c"), GIT_FILEMODE_BLOB);
  start.upsert("a/d.md", r.blob("d"), GIT_FILEMODE_BLOB);
  start.upsert("e.md", r.blob("e"), GIT_FILEMODE_BLOB);
  const git_oid base = start.write();

  TreeOverlay overlay(r.repo.get(), &base);
  const auto root = overlay.list("");
  REQUIRE(root.size() == 2);
  CHECK(root[0].first == "a");
  CHECK(root[0].second.mode == GIT_FILEMODE_TREE);
  CHECK(root[1].first == "e.md");
  CHECK(overlay.list("a").size() == 2);
  CHECK(overlay.list("e.md").empty());    // a file lists nothing
  CHECK(overlay.list("nope/x").empty());  // nor does a missing folder
  CHECK(overlay.loaded_entries() == 2);   // the root's two entries: "a" was read, not loaded
  CHECK(overlay.get("a/d.md"));           // looking into a folder loads it
  const std::size_t loaded = overlay.loaded_entries();
  CHECK(loaded == 4);  // the root's two entries and a's two

  SECTION("an unchanged folder is let go without a write") {
    ObjectSync written(r.repo.git_dir());
    overlay.settle("a", &written);
    CHECK(written.size() == 0);
    CHECK(overlay.loaded_entries() == 2);
    CHECK(oid_hex(overlay.write()) == oid_hex(base));
  }
  SECTION("a changed folder is written at once, and the tree ends the same as without settling") {
    overlay.upsert("a/b/new.md", r.blob("n"), GIT_FILEMODE_BLOB);
    ObjectSync written(r.repo.git_dir());
    overlay.settle("a/b", &written);
    CHECK(written.size() == 1);  // a/b
    overlay.settle("a", &written);
    CHECK(written.size() == 2);  // and a
    // Edits after a settle reload the folder from what was written.
    overlay.upsert("a/b/later.md", r.blob("l"), GIT_FILEMODE_BLOB);
    CHECK(r.ls(overlay.write(&written)) == "a/b/c.md a/b/later.md a/b/new.md a/d.md e.md ");
  }
  SECTION("an emptied folder leaves its parent when settled") {
    overlay.remove("a/b/c.md");
    overlay.remove("a/d.md");
    overlay.settle("a/b", nullptr);
    overlay.settle("a", nullptr);
    CHECK_FALSE(overlay.get("a"));
    CHECK(r.ls(overlay.write()) == "e.md ");
  }
  SECTION("the root is never let go") {
    overlay.settle("", nullptr);
    CHECK(overlay.list("").size() == 2);
  }
}

TEST_CASE("safe names", "[tree_overlay]") {
  CHECK(is_safe_git_name("note.md"));
  CHECK(is_safe_git_name(".gitignore"));
  CHECK_FALSE(is_safe_git_name(".git"));
  CHECK_FALSE(is_safe_git_name(".GIT"));
  CHECK_FALSE(is_safe_git_name("git~1"));
  CHECK_FALSE(is_safe_git_name(".."));
  CHECK_FALSE(is_safe_git_name(""));
  CHECK(is_storable_path("a/b/c"));
  CHECK_FALSE(is_storable_path("a//c"));
}

}  // namespace
TEST_CASE("trees are written byte for byte as git writes them, in git's order", "[tree_overlay]") {
  Repo r;
  const std::string git = "git --git-dir '" + r.repo.git_dir() + "' ";
  // Names that sort differently once a folder's name is read with its '/', every mode, and a
  // submodule's commit (which git does not sort as a folder).
  const std::string file = oid_hex(r.blob("f"));
  const std::string commit = std::string(40, '1');
  const std::string listing = "100644 blob " + file + "\ta-b\n" + "100755 blob " + file + "\ta.b\n" + "120000 blob " +
                              file + "\tlink\n" + "160000 commit " + commit + "\tsub\n" + "100644 blob " + file +
                              "\tsub.md\n" + "100644 blob " + file + "\ta0\n";
  const std::string inner = test::run("printf '100644 blob " + file + "\\tx\\n' | " + git + "mktree");
  const std::string base_hex =
      test::run("printf '%s' '" + listing + "040000 tree " + inner.substr(0, 40) + "\ta\n' | " + git + "mktree");
  git_oid base;
  check(git_oid_fromstrn(&base, base_hex.data(), 40), "parse");

  TreeOverlay overlay(r.repo.get(), &base);
  overlay.upsert("a/y", r.blob("y"), GIT_FILEMODE_BLOB);
  overlay.upsert("a-", r.blob("dash"), GIT_FILEMODE_BLOB);
  const git_oid written = overlay.write();
  // Stock git makes the same change: the same bytes, so the same id.
  const std::string inner2 = test::run("printf '100644 blob " + file + "\\tx\\n100644 blob " + oid_hex(r.blob("y")) +
                                       "\\ty\\n' | " + git + "mktree");
  const std::string expected = test::run("printf '%s' '" + listing + "040000 tree " + inner2.substr(0, 40) +
                                         "\ta\n100644 blob " + oid_hex(r.blob("dash")) + "\ta-\n' | " + git + "mktree");
  CHECK(oid_hex(written) + "\n" == expected);
}

}  // namespace histfs::gitstore
