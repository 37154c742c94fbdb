// The committer with Git LFS on: pointers, the store and .gitattributes, against stock git
// with git-lfs's clean filter making the same tree from the same files.
#include "gitstore/lfs_policy.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "gitstore/git_handle.hpp"
#include "gitstore/lfs_store.hpp"
#include "support/committer_fixture.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::read_file;
using test::run;
using test::TempDir;
using test::write_file;
namespace stdfs = std::filesystem;

struct Fixture : test::CommitterFixture {
  void open_with_lfs(LfsOptions options) {
    open();
    committer->enable_lfs(std::move(options));
  }
  std::string git(const std::string& args) const { return run("git --git-dir '" + git_dir + "' " + args); }
  // What stock git with git-lfs's clean filter makes of the backing dir.
  std::string stock_tree() const {
    TempDir scratch;
    const std::string env =
        "GIT_DIR='" + git_dir + "' GIT_WORK_TREE='" + data + "' GIT_INDEX_FILE='" + (scratch / "index").string() + "' ";
    const std::string lfs = "-c filter.lfs.clean='git-lfs clean -- %f' -c filter.lfs.required=true ";
    run(env + "git " + lfs + "add -A");
    std::string tree = run(env + "git write-tree");
    tree.pop_back();
    return tree;
  }
  std::string head_tree() const { return oid_hex(*repo->head_tree()); }
};

TEST_CASE("large, tracked and attributed files are committed as pointers, as git-lfs would", "[lfs]") {
  Fixture f;
  write_file(f.data + "/big.bin", std::string(3000, 'b'));
  write_file(f.data + "/small.txt", "small\n");
  write_file(f.data + "/photo.png", "not really a png\n");
  write_file(f.data + "/empty.png", "");
  write_file(f.data + "/sub/with space.dat", std::string(2048, 's'));
  f.open_with_lfs({1000, {"*.png"}});
  REQUIRE(f.committer->reconcile());

  const std::string attributes = read_file(f.data + "/.gitattributes");
  CHECK(attributes.find("*.png filter=lfs diff=lfs merge=lfs -text\n") != std::string::npos);
  CHECK(attributes.find("/big.bin filter=lfs diff=lfs merge=lfs -text\n") != std::string::npos);
  CHECK(attributes.find("/sub/with[[:space:]]space.dat filter=lfs") != std::string::npos);
  CHECK(f.git("show HEAD:.gitattributes") == attributes);
  const std::string pointer = f.git("show HEAD:big.bin");
  CHECK(pointer.starts_with("version https://git-lfs.github.com/spec/v1\noid sha256:"));
  CHECK(pointer.ends_with("\nsize 3000\n"));
  CHECK(f.git("show HEAD:small.txt") == "small\n");
  CHECK(f.git("show HEAD:empty.png").empty());  // empty files stay ordinary
  CHECK(f.git("show HEAD:photo.png").find("size 17") != std::string::npos);
  const auto object = *parse_lfs_pointer(pointer);
  CHECK(read_file(LfsStore::of_git_dir(f.git_dir).object_path(object.oid)) == std::string(3000, 'b'));
  CHECK(f.head_tree() == f.stock_tree());
  f.git("fsck --strict");
}

TEST_CASE("a tree without LFS files gets no .gitattributes", "[lfs]") {
  Fixture f;
  write_file(f.data + "/notes.md", "small\n");
  f.open_with_lfs({1000, {"*.png"}});
  REQUIRE(f.committer->reconcile());
  CHECK_FALSE(stdfs::exists(f.data + "/.gitattributes"));
  write_file(f.data + "/a.png", "image\n");
  f.changes.dirty("a.png", 0, 0);
  REQUIRE(f.committer->commit_batch(f.changes.take(), ""));
  f.changes.committed();
  CHECK(read_file(f.data + "/.gitattributes").find("*.png filter=lfs") != std::string::npos);
  CHECK(f.head_tree() == f.stock_tree());
}

TEST_CASE("the user's own filter=lfs lines count, and their lines stay", "[lfs]") {
  Fixture f;
  write_file(f.data + "/.gitattributes", "*.psd filter=lfs diff=lfs merge=lfs -text\n*.txt text\n");
  write_file(f.data + "/art.psd", "layers\n");
  f.open_with_lfs({1 << 20, {}});
  REQUIRE(f.committer->reconcile());
  CHECK(f.git("show HEAD:art.psd").find("size 7") != std::string::npos);
  // Nothing for histfs to add: the file is left as the user wrote it.
  CHECK(read_file(f.data + "/.gitattributes") == "*.psd filter=lfs diff=lfs merge=lfs -text\n*.txt text\n");
  CHECK(f.head_tree() == f.stock_tree());
}

TEST_CASE("a file that shrinks below the threshold goes back to git, and its line goes", "[lfs]") {
  Fixture f;
  write_file(f.data + "/notes.md", std::string(5000, 'n'));
  f.open_with_lfs({1000, {}});
  REQUIRE(f.committer->reconcile());
  CHECK(read_file(f.data + "/.gitattributes").find("/notes.md filter=lfs") != std::string::npos);
  write_file(f.data + "/notes.md", "short now\n");
  f.changes.dirty("notes.md", 0, 0);
  REQUIRE(f.committer->commit_batch(f.changes.take(), ""));
  f.changes.committed();
  CHECK(f.git("show HEAD:notes.md") == "short now\n");
  CHECK(read_file(f.data + "/.gitattributes").empty());  // nothing left to say; the file stays
  CHECK(f.head_tree() == f.stock_tree());
}

TEST_CASE("a renamed large file keeps its pointer and its line follows it", "[lfs]") {
  Fixture f;
  write_file(f.data + "/a.bin", std::string(5000, 'a'));
  f.open_with_lfs({1000, {}});
  REQUIRE(f.committer->reconcile());
  stdfs::rename(f.data + "/a.bin", f.data + "/b.bin");
  f.changes.moved("a.bin", "b.bin", 0, 0);
  REQUIRE(f.committer->commit_batch(f.changes.take(), ""));
  f.changes.committed();
  const std::string attributes = read_file(f.data + "/.gitattributes");
  CHECK(attributes.find("/b.bin filter=lfs") != std::string::npos);
  CHECK(attributes.find("/a.bin") == std::string::npos);
  CHECK(f.head_tree() == f.stock_tree());
}

}  // namespace
}  // namespace histfs::gitstore
