#include "gitstore/stored_object.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include "gitstore/git_handle.hpp"
#include "gitstore/object_sync.hpp"
#include "gitstore/repository.hpp"
#include "support/committer_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/watched_repo.hpp"

namespace histfs::gitstore {
namespace {

namespace stdfs = std::filesystem;
using test::run;

struct Repo : test::WatchedRepo {
  std::string loose_path(const git_oid& oid) const {
    const std::string hex = oid_hex(oid);
    return git_dir + "/objects/" + hex.substr(0, 2) + "/" + hex.substr(2);
  }
};

// The bytes of a tree of `count` files named f0, f1, ... (in git's order: by name).
std::string tree_of(const Repo& r, int count, git_oid& blob) {
  check(git_odb_write(&blob, r.repo.odb(), "x\n", 2, GIT_OBJECT_BLOB), "blob");
  std::set<std::string> names;
  for (int i = 0; i < count; ++i) names.insert("f" + std::to_string(i));
  std::string raw;
  for (const auto& name : names)
    raw += "100644 " + name + std::string(1, '\0') + std::string(reinterpret_cast<const char*>(blob.id), GIT_OID_RAWSZ);
  return raw;
}

}  // namespace

TEST_CASE("a large object is written stored, and git reads it as the same object", "[stored_object]") {
  Repo r;
  git_oid blob;
  const std::string raw = tree_of(r, 4000, blob);  // about 130 KB
  REQUIRE(raw.size() >= kStoredObjectSize);
  git_oid oid;
  {
    ObjectSync sync(r.git_dir);
    oid = write_stored_when_large(r.repo.odb(), r.git_dir + "/objects", GIT_OBJECT_TREE, raw, &sync);
    CHECK(sync.created().size() == 1);  // reported, so a failed attempt would remove it
    sync.add(oid);
    sync.sync();
  }
  // Its id is git's for these bytes; stock git reads and checks it.
  const std::string mktree_id =
      run("git --git-dir '" + r.git_dir + "' ls-tree " + oid_hex(oid) + " | git --git-dir '" + r.git_dir + "' mktree");
  CHECK(mktree_id == oid_hex(oid) + "\n");
  CHECK(r.git("cat-file -t " + oid_hex(oid)) == "tree\n");
  CHECK(r.git("cat-file tree " + oid_hex(oid)) == raw);
  r.git("fsck --strict --no-dangling");
  // Stored: the file is no smaller than the tree itself (ids do not compress anyway).
  CHECK(stdfs::file_size(r.loose_path(oid)) >= raw.size());
  const auto read_only = stdfs::perms::owner_read | stdfs::perms::group_read | stdfs::perms::others_read;
  CHECK((stdfs::status(r.loose_path(oid)).permissions() & stdfs::perms::all) == read_only);
  // Nothing temporary is left beside it.
  CHECK(run("ls '" + r.git_dir + "/objects/" + oid_hex(oid).substr(0, 2) + "' | grep -c tmp_ || true") == "0\n");

  SECTION("written again: nothing new") {
    ObjectSync sync(r.git_dir);
    git_oid again = write_stored_when_large(r.repo.odb(), r.git_dir + "/objects", GIT_OBJECT_TREE, raw, &sync);
    CHECK(git_oid_equal(&again, &oid));
    CHECK(sync.created().empty());
  }
}

TEST_CASE("a small object goes through libgit2, a large one into the pack when one is due", "[stored_object]") {
  Repo r;
  git_oid blob;
  const std::string small = tree_of(r, 10, blob);
  const std::string large = tree_of(r, 4000, blob);
  test::PackAfter after(0);
  ObjectSync sync(r.git_dir);
  const git_oid small_id = write_stored_when_large(r.repo.odb(), r.git_dir + "/objects", GIT_OBJECT_TREE, small, &sync);
  const git_oid large_id = write_stored_when_large(r.repo.odb(), r.git_dir + "/objects", GIT_OBJECT_TREE, large, &sync);
  CHECK(sync.pending_pack(small_id));  // libgit2's write went to the pack through the recording backend
  CHECK(sync.pending_pack(large_id));
  CHECK_FALSE(stdfs::exists(r.loose_path(large_id)));
  sync.sync();
  CHECK(r.git("cat-file tree " + oid_hex(large_id)) == large);
  CHECK(r.git("cat-file tree " + oid_hex(small_id)) == small);
}

}  // namespace histfs::gitstore
