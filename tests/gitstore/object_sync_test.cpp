#include "gitstore/object_sync.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/repository.hpp"
#include "support/committer_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/watched_repo.hpp"

namespace histfs::gitstore {
namespace {

namespace stdfs = std::filesystem;
using test::run;

struct WatchedRepo : test::WatchedRepo {
  git_oid write(const std::string& text) {
    git_oid oid;
    check(git_odb_write(&oid, repo.odb(), text.data(), text.size(), GIT_OBJECT_BLOB), "write");
    return oid;
  }
  std::string read(const git_oid& oid) {
    git_odb_object* raw = nullptr;
    check(git_odb_read(&raw, repo.odb(), &oid), "read");
    std::string text(static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw));
    git_odb_object_free(raw);
    return text;
  }
  bool exists(const git_oid& oid) { return git_odb_exists(repo.odb(), &oid) == 1; }
  std::vector<std::string> pack_dir() const {
    std::vector<std::string> names;
    for (const auto& entry : stdfs::directory_iterator(git_dir + "/objects/pack"))
      names.push_back(entry.path().filename().string());
    return names;
  }
};

}  // namespace

TEST_CASE("objects past the threshold go to a pack, readable before it is finished", "[object_sync]") {
  test::PackAfter after(2);
  WatchedRepo r;
  std::vector<git_oid> oids;
  {
    ObjectSync sync(r.git_dir);
    for (int i = 0; i < 5; ++i) oids.push_back(r.write("object " + std::to_string(i) + "\n"));
    CHECK(sync.created().size() == 5);
    CHECK(sync.pending_objects() == 3);
    // Written again: libgit2 finds it (in the pack being written) and writes nothing.
    r.write("object 4\n");
    CHECK(sync.created().size() == 5);
    for (int i = 0; i < 5; ++i) {
      CHECK(r.exists(oids[i]));
      CHECK(r.read(oids[i]) == "object " + std::to_string(i) + "\n");
    }
    {
      ObjectSync inner(r.git_dir);  // an attempt inside this one still reads the outer pack
      CHECK(r.exists(oids[4]));
      CHECK(r.read(oids[4]) == "object 4\n");
    }
    sync.write_out();
    CHECK(sync.pending_objects() == 0);
  }
  // The first two loose, the rest in one pack that stock git reads.
  CHECK(r.git("count-objects -v").find("count: 2\n") != std::string::npos);
  CHECK(r.git("count-objects -v").find("in-pack: 3\n") != std::string::npos);
  for (int i = 0; i < 5; ++i) CHECK(r.git("cat-file -p " + oid_hex(oids[i])) == "object " + std::to_string(i) + "\n");
  for (int i = 0; i < 5; ++i) CHECK(r.read(oids[i]) == "object " + std::to_string(i) + "\n");  // libgit2 too
}

TEST_CASE("trees and commits go to a pack of their own, apart from the blobs", "[object_sync]") {
  test::PackAfter after(0);
  WatchedRepo r;
  git_oid blob, tree;
  {
    ObjectSync sync(r.git_dir);
    blob = r.write("a blob\n");
    const std::string entry =
        "100644 a.md" + std::string(1, '\0') + std::string(reinterpret_cast<const char*>(blob.id), 20);
    check(git_odb_write(&tree, r.repo.odb(), entry.data(), entry.size(), GIT_OBJECT_TREE), "write tree");
    REQUIRE(sync.pending_pack(blob));
    REQUIRE(sync.pending_pack(tree));
    CHECK(sync.pending_pack(blob) != sync.pending_pack(tree));
    CHECK(sync.pending_objects() == 2);
    sync.sync();
  }
  CHECK(r.pack_dir().size() == 4);  // two packs, each with its index
  CHECK(r.git("ls-tree " + oid_hex(tree)) == "100644 blob " + oid_hex(blob) + "\ta.md\n");
  CHECK(r.git("count-objects -v").find("in-pack: 2\n") != std::string::npos);
}

TEST_CASE("a pack that was never flushed is taken back with the attempt", "[object_sync]") {
  test::PackAfter after(0);
  WatchedRepo r;
  git_oid kept, dropped;
  SECTION("dropped with the ObjectSync") {
    {
      ObjectSync sync(r.git_dir);
      dropped = r.write("never flushed\n");
      REQUIRE(sync.pending_objects() == 1);
    }
  }
  SECTION("discarded") {
    ObjectSync sync(r.git_dir);
    dropped = r.write("never flushed\n");
    sync.discard();
    CHECK(sync.pending_objects() == 0);
  }
  CHECK(r.pack_dir().empty());
  CHECK_FALSE(r.exists(dropped));
  // The next attempt writes it again, for good.
  {
    ObjectSync sync(r.git_dir);
    kept = r.write("never flushed\n");
    sync.sync();
  }
  CHECK(git_oid_equal(&kept, &dropped));
  CHECK(r.git("cat-file -p " + oid_hex(kept)) == "never flushed\n");
  CHECK(r.pack_dir().size() == 2);  // pack-*.idx and pack-*.pack, nothing temporary
}

TEST_CASE("watching a git dir removes the temporary packs an interrupted commit left", "[object_sync]") {
  test::TempDir dir;
  const std::string git_dir = (dir / "r.git").string();
  LibGit2 libgit2;
  Repository repo = Repository::open_or_create(git_dir);
  const std::string pack_dir = git_dir + "/objects/pack";
  test::write_file(pack_dir + "/tmp_histfs_pack_abc123", "half a pack");
  test::write_file(pack_dir + "/tmp_histfs_idx_abc123", "half an index");
  test::write_file(pack_dir + "/tmp_pack_other", "not ours");  // a temporary file of another tool stays
  ObjectSync::watch(repo.odb(), git_dir + "/objects");
  CHECK(run("ls '" + pack_dir + "'") == "tmp_pack_other\n");
}

}  // namespace histfs::gitstore
