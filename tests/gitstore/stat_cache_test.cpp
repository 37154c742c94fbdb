// The stat cache's table against std::unordered_map, and its file.
#include "gitstore/stat_cache.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <unordered_map>

#include "gitstore/git_handle.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

// The stat data of a file last changed a day ago (old enough to be remembered).
struct stat old_stat(std::uint64_t ino, std::int64_t size) {
  struct stat st;
  std::memset(&st, 0, sizeof st);
  st.st_ino = ino;
  st.st_size = size;
  st.st_mode = S_IFREG | 0644;
  static const std::time_t day_ago = std::time(nullptr) - 86400;  // the same for every call
  st.st_mtim.tv_sec = day_ago;
  st.st_ctim = st.st_mtim;
  return st;
}

git_oid oid_of(unsigned n) {
  git_oid oid;
  std::memset(&oid, 0, sizeof oid);
  std::memcpy(oid.id, &n, sizeof n);
  return oid;
}

}  // namespace

TEST_CASE("the stat cache answers as a map would through inserts, updates and forgets", "[stat_cache]") {
  StatCache cache;
  std::unordered_map<std::string, unsigned> oracle;
  std::mt19937 random(12345);
  // Few distinct names, so that the same paths are added, changed and forgotten again and again,
  // through the table's growth and the compactions that drop forgotten entries.
  auto path_of = [](unsigned n) { return "dir-" + std::to_string(n % 97) + "/note-" + std::to_string(n) + ".md"; };
  for (unsigned step = 0; step < 200000; ++step) {
    const unsigned n = random() % 6000;
    const std::string path = path_of(n);
    switch (random() % 4) {
      case 0:
      case 1:
        cache.remember(path, old_stat(n, step), oid_of(step));
        oracle[path] = step;
        break;
      case 2:
        cache.forget(path);
        oracle.erase(path);
        break;
      default: {
        auto expected = oracle.find(path);
        auto found = expected == oracle.end() ? cache.lookup(path, old_stat(n, 0))
                                              : cache.lookup(path, old_stat(n, expected->second));
        REQUIRE(found.has_value() == (expected != oracle.end()));
        if (found) REQUIRE(same_oid(*found, oid_of(expected->second)));
      }
    }
  }
  REQUIRE(cache.size() == oracle.size());
  for (const auto& [path, step] : oracle) {
    const unsigned n = unsigned(std::stoul(path.substr(path.find("note-") + 5)));
    auto found = cache.lookup(path, old_stat(n, step));
    REQUIRE(found);
    CHECK(same_oid(*found, oid_of(step)));
  }
}

TEST_CASE("the stat cache answers only for the same stat data", "[stat_cache]") {
  StatCache cache;
  cache.remember("a.md", old_stat(7, 100), oid_of(1));
  CHECK(cache.lookup("a.md", old_stat(7, 100)));
  CHECK_FALSE(cache.lookup("a.md", old_stat(7, 101)));  // size
  CHECK_FALSE(cache.lookup("a.md", old_stat(8, 100)));  // another inode
  struct stat touched = old_stat(7, 100);
  touched.st_mtim.tv_nsec = 1;
  CHECK_FALSE(cache.lookup("a.md", touched));
  CHECK_FALSE(cache.lookup("b.md", old_stat(7, 100)));
}

TEST_CASE("a file changed within the racy window is not remembered, and forgets what was", "[stat_cache]") {
  StatCache cache;
  cache.remember("a.md", old_stat(7, 100), oid_of(1));
  struct stat now = old_stat(7, 120);
  now.st_mtim.tv_sec = std::time(nullptr);
  now.st_ctim = now.st_mtim;
  cache.remember("a.md", now, oid_of(2));
  CHECK_FALSE(cache.lookup("a.md", now));
  CHECK_FALSE(cache.lookup("a.md", old_stat(7, 100)));
  CHECK(cache.size() == 0);
}

TEST_CASE("forget_blobs forgets the paths cached with those blobs", "[stat_cache]") {
  StatCache cache;
  for (unsigned n = 0; n < 3000; ++n) cache.remember("f" + std::to_string(n), old_stat(n, n), oid_of(n % 10));
  cache.forget_blobs({oid_of(3), oid_of(7)});
  CHECK(cache.size() == 2400);
  for (unsigned n = 0; n < 3000; ++n)
    REQUIRE(cache.lookup("f" + std::to_string(n), old_stat(n, n)).has_value() == (n % 10 != 3 && n % 10 != 7));
}

TEST_CASE("the stat cache file keeps every entry, and a damaged one loads as empty", "[stat_cache]") {
  test::TempDir dir;
  const std::string file = (dir / "cache").string();
  StatCache cache;
  for (unsigned n = 0; n < 5000; ++n) cache.remember("d/" + std::to_string(n), old_stat(n, n), oid_of(n));
  for (unsigned n = 0; n < 5000; n += 3) cache.forget("d/" + std::to_string(n));
  cache.save(file);

  StatCache loaded;
  loaded.load(file);
  CHECK(loaded.size() == cache.size());
  for (unsigned n = 0; n < 5000; ++n) {
    auto found = loaded.lookup("d/" + std::to_string(n), old_stat(n, n));
    REQUIRE(found.has_value() == (n % 3 != 0));
    if (found) CHECK(same_oid(*found, oid_of(n)));
  }

  // Cut short: everything is rehashed once rather than half trusted.
  const std::string whole = test::read_file(file);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 2);
  StatCache truncated;
  truncated.load(file);
  CHECK(truncated.size() == 0);
  CHECK_FALSE(truncated.lookup("d/1", old_stat(1, 1)));

  // A count no file could hold reserves nothing it cannot use.
  std::string huge = whole;
  const std::uint64_t count = ~std::uint64_t(0);
  std::memcpy(huge.data() + 8, &count, sizeof count);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << huge;
  StatCache claimed;
  claimed.load(file);
  CHECK(claimed.size() == 0);
}

TEST_CASE("a loaded cache answers in any order, and takes new entries without a second slot", "[stat_cache]") {
  test::TempDir dir;
  const std::string file = (dir / "cache").string();
  {
    StatCache cache;
    for (unsigned n = 0; n < 3000; ++n) cache.remember("d/" + std::to_string(n), old_stat(n, n), oid_of(n));
    cache.save(file);
  }
  StatCache loaded;
  loaded.load(file);
  // Backwards, so that no lookup is the one after the last (the index is built for them).
  for (unsigned n = 3000; n-- > 0;) REQUIRE(loaded.lookup("d/" + std::to_string(n), old_stat(n, n)));
  StatCache built;  // as the committer's thread does once the mount is up
  built.load(file);
  built.build_index();
  CHECK(built.size() == 3000);
  for (unsigned n = 0; n < 3000; n += 7) REQUIRE(built.lookup("d/" + std::to_string(n), old_stat(n, n)));
  StatCache updated;
  updated.load(file);
  updated.remember("d/1500", old_stat(1500, 7), oid_of(7));  // before any lookup
  updated.remember("d/new", old_stat(9999, 1), oid_of(9999));
  CHECK(updated.size() == 3001);
  CHECK_FALSE(updated.lookup("d/1500", old_stat(1500, 1500)));
  CHECK(updated.lookup("d/1500", old_stat(1500, 7)));
  updated.forget("d/1500");
  CHECK_FALSE(updated.lookup("d/1500", old_stat(1500, 7)));
  CHECK(updated.size() == 3000);
}

TEST_CASE("a path saved twice in a damaged file is one entry, the later one", "[stat_cache]") {
  test::TempDir dir;
  const std::string first = (dir / "first").string(), second = (dir / "second").string();
  {
    StatCache cache;
    cache.remember("a.md", old_stat(1, 1), oid_of(1));
    cache.remember("b.md", old_stat(2, 2), oid_of(2));
    cache.save(first);
    StatCache again;
    again.remember("a.md", old_stat(1, 1), oid_of(3));
    again.save(second);
  }
  // Both files' entries under one header that counts them all.
  std::string both = test::read_file(first) + test::read_file(second).substr(16);
  const std::uint64_t count = 3;
  std::memcpy(both.data() + 8, &count, sizeof count);
  const std::string file = (dir / "both").string();
  test::write_file(file, both);

  StatCache loaded;
  loaded.load(file);
  REQUIRE(loaded.lookup("b.md", old_stat(2, 2)));  // not the first slot: builds the index
  CHECK(loaded.size() == 2);
  auto found = loaded.lookup("a.md", old_stat(1, 1));
  REQUIRE(found);
  CHECK(same_oid(*found, oid_of(3)));
  loaded.forget("a.md");  // no earlier copy comes back
  CHECK_FALSE(loaded.lookup("a.md", old_stat(1, 1)));
  CHECK(loaded.size() == 1);
  loaded.save(file);
  StatCache reloaded;
  reloaded.load(file);
  CHECK(reloaded.size() == 1);
  CHECK_FALSE(reloaded.lookup("a.md", old_stat(1, 1)));
}

}  // namespace histfs::gitstore

namespace histfs::gitstore {

TEST_CASE("save_if_changed writes the file only when an entry changed since the load", "[stat_cache]") {
  test::TempDir dir;
  const std::string file = (dir / "cache").string();
  {
    StatCache cache;
    for (unsigned n = 0; n < 100; ++n) cache.remember("d/" + std::to_string(n), old_stat(n, n), oid_of(n));
    cache.save_if_changed(file);
  }
  const std::string saved = test::read_file(file);
  REQUIRE(!saved.empty());
  StatCache cache;
  cache.load(file);
  // A marker instead of the file: a save would replace it.
  test::write_file(file, "marker");
  for (unsigned n = 0; n < 100; ++n) REQUIRE(cache.lookup("d/" + std::to_string(n), old_stat(n, n)));
  cache.remember("d/7", old_stat(7, 7), oid_of(7));  // the same entry again
  cache.save_if_changed(file);
  CHECK(test::read_file(file) == "marker");
  cache.remember("d/7", old_stat(7, 70), oid_of(70));
  cache.save_if_changed(file);
  CHECK(test::read_file(file) != "marker");
  test::write_file(file, "marker");
  cache.save_if_changed(file);  // saved just now
  CHECK(test::read_file(file) == "marker");
  cache.forget("d/8");
  cache.save_if_changed(file);
  StatCache reloaded;
  reloaded.load(file);
  CHECK(reloaded.size() == 99);
  CHECK(same_oid(*reloaded.lookup("d/7", old_stat(7, 70)), oid_of(70)));

  // A damaged file loads as empty and is written again even if nothing is remembered.
  test::write_file(file, "damaged");
  StatCache damaged;
  damaged.load(file);
  damaged.save_if_changed(file);
  CHECK(test::read_file(file) != "damaged");
  std::filesystem::remove(file);
  StatCache empty;
  empty.save_if_changed(file);  // a missing file is written
  CHECK(std::filesystem::exists(file));
}

}  // namespace histfs::gitstore
