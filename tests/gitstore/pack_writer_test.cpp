#include "gitstore/pack_writer.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/repository.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

namespace stdfs = std::filesystem;
using test::run;

struct Object {
  git_object_t type;
  std::string content;
  git_oid oid;
};

Object make_object(git_object_t type, std::string content) {
  Object object{type, std::move(content), {}};
  check(git_odb_hash(&object.oid, object.content.data(), object.content.size(), type), "hash");
  return object;
}

struct BareRepo {
  test::TempDir dir;
  std::string git_dir = (dir / "r.git").string();
  std::string pack_dir = git_dir + "/objects/pack";
  LibGit2 libgit2;
  BareRepo() { run("git init -q --bare -b main '" + git_dir + "'"); }
  std::string git(const std::string& args) const { return run("git --git-dir '" + git_dir + "' " + args); }
  std::vector<std::string> pack_files() const {
    std::vector<std::string> names;
    for (const auto& entry : stdfs::directory_iterator(pack_dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

// A blob of random bytes: deflate cannot shrink it, so the object spans several buffers.
std::string random_bytes(std::size_t size) {
  std::mt19937 random(7);
  std::string bytes(size, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random());
  return bytes;
}

std::string tree_with(const std::string& name, const git_oid& blob) {
  return "100644 " + name + std::string(1, '\0') + std::string(reinterpret_cast<const char*>(blob.id), GIT_OID_RAWSZ);
}

}  // namespace

TEST_CASE("a pack written by PackWriter is read by git and libgit2, before and after it is finished", "[pack]") {
  BareRepo repo;
  std::vector<Object> objects;
  objects.push_back(make_object(GIT_OBJECT_BLOB, ""));
  objects.push_back(make_object(GIT_OBJECT_BLOB, "# a note\n\nwith a line\n"));
  objects.push_back(make_object(GIT_OBJECT_BLOB, random_bytes(3 << 20)));            // larger than the buffer
  objects.push_back(make_object(GIT_OBJECT_BLOB, std::string(100000, 'x') + "\n"));  // sizes past 2^14
  objects.push_back(make_object(GIT_OBJECT_BLOB, std::string("bytes \xff\xfe\0 not text", 19)));
  for (int i = 0; i < 300; ++i) objects.push_back(make_object(GIT_OBJECT_BLOB, "note " + std::to_string(i) + "\n"));
  const Object tree = make_object(GIT_OBJECT_TREE, tree_with("note.md", objects[1].oid));
  objects.push_back(tree);
  const std::string tree_hex = oid_hex(tree.oid);
  objects.push_back(make_object(GIT_OBJECT_COMMIT, "tree " + tree_hex +
                                                       "\nauthor A <a@example.com> 1700000000 +0000\n"
                                                       "committer A <a@example.com> 1700000000 +0000\n\nfirst\n"));

  PackWriter pack(repo.pack_dir);
  for (const auto& object : objects) pack.add(object.oid, object.content.data(), object.content.size(), object.type);
  pack.add(objects[1].oid, objects[1].content.data(), objects[1].content.size(), objects[1].type);  // again
  CHECK(pack.count() == objects.size());

  // Before it is finished: known, and read back from the temporary file.
  for (const auto& object : objects) {
    REQUIRE(pack.contains(object.oid));
    auto header = pack.header(object.oid);
    REQUIRE(header);
    CHECK(header->first == object.type);
    CHECK(header->second == object.content.size());
    std::string content;
    git_object_t type;
    REQUIRE(pack.read(object.oid, content, type));
    CHECK(type == object.type);
    CHECK(content == object.content);
  }
  const Object absent = make_object(GIT_OBJECT_BLOB, "never added\n");
  CHECK_FALSE(pack.contains(absent.oid));
  CHECK_FALSE(pack.header(absent.oid));
  CHECK(repo.pack_files().size() == 1);  // the temporary file only: git sees no pack yet
  CHECK(repo.pack_files()[0].rfind("tmp_histfs_pack_", 0) == 0);

  const std::string name = pack.finish(true);
  REQUIRE(name.size() == 5 + 40);
  CHECK(repo.pack_files() == std::vector<std::string>{name + ".idx", name + ".pack"});
  struct stat st;
  REQUIRE(::stat((repo.pack_dir + "/" + name + ".pack").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);

  // Stock git: the checksums and the index, then every object.
  const std::string listing = repo.git("verify-pack -v '" + repo.pack_dir + "/" + name + ".idx'");
  CHECK(listing.find("non delta: " + std::to_string(objects.size()) + " objects") != std::string::npos);
  for (const auto& object : objects) {
    const std::string hex = oid_hex(object.oid);
    CHECK(repo.git("cat-file -s " + hex) == std::to_string(object.content.size()) + "\n");
    if (object.type != GIT_OBJECT_BLOB || object.content.size() < 1000)
      CHECK(repo.git("cat-file " + std::string(git_object_type2string(object.type)) + " " + hex) == object.content);
  }
  repo.git("update-ref refs/heads/main " + oid_hex(objects.back().oid));
  repo.git("fsck --strict --no-dangling");

  // libgit2, as the daemon reads it.
  auto git_repo = open_bare_repository(repo.git_dir, "open");
  git_blob* raw = nullptr;
  check(git_blob_lookup(&raw, git_repo.get(), &objects[2].oid), "read blob");
  BlobPtr blob(raw);
  CHECK(std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), git_blob_rawsize(blob.get())) ==
        objects[2].content);
}

TEST_CASE("trees go into a pack stored (level 0), blobs before and after them deflated", "[pack]") {
  BareRepo repo;
  const Object before = make_object(GIT_OBJECT_BLOB, std::string(50000, 'a'));
  std::string entries;  // a tree of 400 notes, names that would compress well
  for (int i = 0; i < 400; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "note-%04d.md", i);
    entries += tree_with(name, before.oid);
  }
  const Object tree = make_object(GIT_OBJECT_TREE, entries);
  const Object after = make_object(GIT_OBJECT_BLOB, std::string(50000, 'b'));
  PackWriter pack(repo.pack_dir);
  for (const Object* object : {&before, &tree, &after})
    pack.add(object->oid, object->content.data(), object->content.size(), object->type);
  const std::string name = pack.finish(false);

  // verify-pack -v: "<id> <type> <size> <size in the pack> <offset>".
  std::map<std::string, std::pair<long, long>> sizes;
  std::istringstream listing(repo.git("verify-pack -v '" + repo.pack_dir + "/" + name + ".idx'"));
  for (std::string line; std::getline(listing, line);) {
    std::istringstream fields(line);
    std::string id, type;
    long size = 0, packed = 0;
    if (fields >> id >> type >> size >> packed) sizes[id] = {size, packed};
  }
  REQUIRE(sizes.count(oid_hex(tree.oid)));
  CHECK(sizes[oid_hex(tree.oid)].second > sizes[oid_hex(tree.oid)].first);  // stored, with zlib's framing
  CHECK(sizes[oid_hex(before.oid)].second < 1000);
  CHECK(sizes[oid_hex(after.oid)].second < 1000);
  CHECK(repo.git("cat-file tree " + oid_hex(tree.oid)) == entries);
  CHECK(repo.git("cat-file blob " + oid_hex(after.oid)) == after.content);
}

TEST_CASE("a pack never finished, or finished empty, leaves nothing behind", "[pack]") {
  BareRepo repo;
  const Object blob = make_object(GIT_OBJECT_BLOB, "abandoned\n");
  {
    PackWriter pack(repo.pack_dir);
    pack.add(blob.oid, blob.content.data(), blob.content.size(), blob.type);
    CHECK(repo.pack_files().size() == 1);
  }
  CHECK(repo.pack_files().empty());
  {
    PackWriter pack(repo.pack_dir);
    CHECK(pack.finish(false).empty());
    CHECK(repo.pack_files().empty());
  }
  CHECK_THROWS(repo.git("cat-file -e " + oid_hex(blob.oid)));
}

TEST_CASE("a pack index stores offsets of 2 GiB and more in its 64-bit table", "[pack]") {
  CHECK_FALSE(PackWriter::needs_large_offset(0));
  CHECK_FALSE(PackWriter::needs_large_offset(0x7fffffffu));
  CHECK(PackWriter::needs_large_offset(0x80000000u));
  CHECK(PackWriter::needs_large_offset(std::uint64_t(5) << 32));
}

}  // namespace histfs::gitstore
