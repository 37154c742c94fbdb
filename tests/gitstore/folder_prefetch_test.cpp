#include "gitstore/folder_prefetch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "gitstore/unique_fd.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

namespace stdfs = std::filesystem;
using test::TempDir;
using test::write_file;

std::vector<std::string> names(const FolderListing& listing) {
  std::vector<std::string> out;
  for (const auto& entry : listing.entries) out.push_back(entry.name);
  return out;
}

}  // namespace

TEST_CASE("a folder lists its files, links and folders by name, never .git", "[folder_prefetch]") {
  TempDir tmp;
  write_file(tmp / "root/b.md", "b");
  write_file(tmp / "root/a/x.md", "x");
  write_file(tmp / "root/.git/config", "");
  stdfs::create_symlink("b.md", tmp / "root/link");
  UniqueFd root(open((tmp / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const FolderListing listing = list_folder(root.get(), "");
  CHECK(listing.error == 0);
  CHECK(names(listing) == std::vector<std::string>{"a", "b.md", "link"});
  CHECK(S_ISLNK(listing.entries[2].st.st_mode));  // the link itself, not what it names
  CHECK(list_folder(root.get(), "nope").error == ENOENT);
  const int through_link = list_folder(root.get(), "link").error;  // never through a symlink
  CHECK((through_link == ENOTDIR || through_link == ELOOP));
}

TEST_CASE("prefetched listings are the folders' own, taken in any order", "[folder_prefetch]") {
  TempDir tmp;
  std::vector<std::string> dirs;
  for (int i = 0; i < 200; ++i) {
    const std::string dir = "d" + std::to_string(i);
    write_file(tmp / "root" / dir / ("f" + std::to_string(i)), "x");
    dirs.push_back(dir);
  }
  UniqueFd root(open((tmp / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const unsigned workers = GENERATE(1u, 3u);
  INFO(workers << " workers");
  FolderPrefetch prefetch(root.get(), workers);
  prefetch.want(dirs);
  // Taken in the order wished, then out of order, then one never wished: each is its own.
  for (int i = 0; i < 200; i += (i < 100 ? 1 : 7)) {
    const FolderListing listing = prefetch.take(dirs[i]);
    REQUIRE(listing.error == 0);
    CHECK(names(listing) == std::vector<std::string>{"f" + std::to_string(i)});
  }
  for (int i = 199; i >= 100; --i) {
    if ((i - 100) % 7 == 0) continue;
    CHECK(names(prefetch.take(dirs[i])) == std::vector<std::string>{"f" + std::to_string(i)});
  }
  CHECK(prefetch.take("missing").error == ENOENT);
  // Wishes left untaken end with the prefetcher.
  prefetch.want({"d1", "d2", "d3"});
}

TEST_CASE("while a worker lists the folder taken, the walk lists the next: every listing right, none lost",
          "[folder_prefetch]") {
  // Big folders, so that take() often finds the worker still on the folder it wants and lists
  // the next wished ones itself meanwhile (the walk's thread and the worker both list).
  TempDir tmp;
  std::vector<std::string> dirs;
  for (int i = 0; i < 24; ++i) {
    const std::string dir = "d" + std::to_string(i);
    for (int f = 0; f < 300; ++f) write_file(tmp / "root" / dir / ("f" + std::to_string(f)), dir);
    dirs.push_back(dir);
  }
  UniqueFd root(open((tmp / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const int round = GENERATE(range(0, 5));
  INFO("round " << round);
  FolderPrefetch prefetch(root.get(), 1);
  prefetch.want(dirs);
  for (const auto& dir : dirs) {
    const FolderListing listing = prefetch.take(dir);
    REQUIRE(listing.error == 0);
    REQUIRE(listing.entries.size() == 300);
    CHECK(listing.entries.front().name == "f0");
    CHECK(listing.entries.back().name == "f99");  // by name: f0, f1, f10, ... f99
  }
}

}  // namespace histfs::gitstore
