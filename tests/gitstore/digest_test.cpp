#include "gitstore/digest.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

// What stock git calls `data` as an object of `type`.
std::string git_hash_object(const test::TempDir& dir, const std::string& type, const std::string& data) {
  test::write_file(dir / "object", data);
  const std::string out = test::run("git hash-object --literally -t " + type + " '" + (dir / "object").string() + "'");
  return out.substr(0, 40);
}

}  // namespace

TEST_CASE("object_id is the id stock git gives each object", "[digest]") {
  test::TempDir dir;
  LibGit2 libgit2;
  std::string large(3 << 20, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 2654435761u >> 13);
  const std::vector<std::pair<git_object_t, std::string>> objects = {
      {GIT_OBJECT_BLOB, ""},
      {GIT_OBJECT_BLOB, "hello\n"},
      {GIT_OBJECT_BLOB, std::string("bytes \xff\x00 and NUL", 16)},
      {GIT_OBJECT_BLOB, large},
      {GIT_OBJECT_TREE, std::string("100644 a\0", 9) + std::string(20, '\x11')},
      {GIT_OBJECT_COMMIT,
       "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor a <a> 1 +0000\ncommitter a <a> 1 +0000\n\nm\n"},
  };
  for (const auto& [type, data] : objects) {
    INFO(git_object_type2string(type) << " of " << data.size() << " bytes");
    CHECK(oid_hex(object_id(type, data.data(), data.size())) ==
          git_hash_object(dir, git_object_type2string(type), data));
    git_oid by_libgit2;
    REQUIRE(git_odb_hash(&by_libgit2, data.data(), data.size(), type) == 0);
    CHECK(same_oid(object_id(type, data.data(), data.size()), by_libgit2));
  }
}

TEST_CASE("object_id gives the same ids on many threads at once", "[digest]") {
  LibGit2 libgit2;
  std::vector<std::string> data;
  std::vector<git_oid> want;
  for (int i = 0; i < 64; ++i) {
    data.push_back(std::string(static_cast<std::size_t>(i) * 1000, static_cast<char>('a' + i % 26)));
    git_oid id;
    REQUIRE(git_odb_hash(&id, data.back().data(), data.back().size(), GIT_OBJECT_BLOB) == 0);
    want.push_back(id);
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round)
        for (std::size_t i = 0; i < data.size(); ++i)
          if (!same_oid(object_id(GIT_OBJECT_BLOB, data[i].data(), data[i].size()), want[i])) ++wrong[t];
    });
  for (auto& thread : threads) thread.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

}  // namespace histfs::gitstore
