// The *at helpers reach paths at any depth, and never follow a symlink on the way down.
#include "gitstore/dir_walk.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gitstore/unique_fd.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::TempDir;
using test::write_file;
namespace stdfs = std::filesystem;

// A chain of `levels` folders of `width`-byte names below `root_fd`, made one level at a time
// (the whole path is too long for mkdir); returns its relative path.
std::string make_chain(int root_fd, int levels, size_t width) {
  std::string path;
  int dir = dup(root_fd);
  for (int i = 0; i < levels; ++i) {
    std::string name(width, char('a' + i % 26));
    REQUIRE(mkdirat(dir, name.c_str(), 0755) == 0);
    int next = openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(next >= 0);
    close(dir);
    dir = next;
    path += (path.empty() ? "" : "/") + name;
  }
  close(dir);
  return path;
}

// Creates the file `path` holding `text` (through a walk, whatever its depth).
void write_at(int root_fd, const std::string& path, const std::string& text) {
  AtPath at(root_fd, path);
  REQUIRE(at.ok());
  UniqueFd fd(openat(at.dir(), at.name(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  REQUIRE(fd.get() >= 0);
  REQUIRE(write(fd.get(), text.data(), text.size()) == ssize_t(text.size()));
}

// std::filesystem::remove_all gives up past PATH_MAX; rm walks by fd.
struct RemoveDeep {
  const TempDir& dir;
  ~RemoveDeep() { std::system(("rm -rf '" + dir.path().string() + "'").c_str()); }
};

TEST_CASE("short paths and walked paths reach the same files", "[dir_walk]") {
  TempDir tmp;
  write_file(tmp / "a/b/c.txt", "hello");
  stdfs::create_symlink("c.txt", tmp / "a/b/link");
  UniqueFd root(open(tmp.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (size_t limit : {kDirectPathLimit, size_t(1)}) {
    CAPTURE(limit);
    struct stat st;
    REQUIRE(stat_at(root.get(), "a/b/c.txt", st, limit) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK(st.st_size == 5);
    REQUIRE(stat_at(root.get(), "", st, limit) == 0);
    CHECK(S_ISDIR(st.st_mode));
    REQUIRE(stat_at(root.get(), "a/b/link", st, limit) == 0);
    CHECK(S_ISLNK(st.st_mode));  // not followed

    char target[16];
    CHECK(readlink_at(root.get(), "a/b/link", target, sizeof target, limit) == 5);
    UniqueFd file(open_at(root.get(), "a/b/c.txt", O_RDONLY, limit));
    REQUIRE(file.get() >= 0);
    char text[8];
    CHECK(read(file.get(), text, sizeof text) == 5);
    CHECK((fcntl(file.get(), F_GETFD) & FD_CLOEXEC) != 0);
    UniqueFd dir(open_dir_at(root.get(), "a/b", limit));
    CHECK(dir.get() >= 0);
    UniqueFd top(open_dir_at(root.get(), "", limit));
    CHECK(top.get() >= 0);

    errno = 0;
    CHECK(stat_at(root.get(), "a/missing/c.txt", st, limit) == -1);
    CHECK(errno == ENOENT);
    CHECK(stat_at(root.get(), "a/b/c.txt/x", st, limit) == -1);
    CHECK(errno == ENOTDIR);
  }
}

TEST_CASE("a walk does not follow a symlinked folder", "[dir_walk]") {
  TempDir tmp;
  write_file(tmp / "outside/secret", "x");
  stdfs::create_directories(tmp / "root");
  stdfs::create_directory_symlink("../outside", tmp / "root/escape");
  UniqueFd root(open((tmp / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  struct stat st;
  errno = 0;
  CHECK(stat_at(root.get(), "escape/secret", st, 1) == -1);
  CHECK(errno == ENOTDIR);  // "not a folder": callers treat it as missing
  CHECK(open_at(root.get(), "escape/secret", O_RDONLY, 1) == -1);
  AtPath at(root.get(), "escape/secret", 1);
  CHECK_FALSE(at.ok());
}

TEST_CASE("a short path is not opened through a symlinked folder either", "[dir_walk]") {
  // A folder swapped for a symlink between the listing and the open: the daemon (root) must
  // not read what the link points to.
  TempDir tmp;
  write_file(tmp / "outside/secret", "x");
  write_file(tmp / "root/real/file", "y");
  stdfs::create_directory_symlink("../outside", tmp / "root/escape");
  stdfs::create_directory_symlink((tmp / "outside").string(), tmp / "root/absolute");
  UniqueFd root(open((tmp / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (const char* path : {"escape/secret", "absolute/secret", "real/../escape/secret"}) {
    CAPTURE(path);
    errno = 0;
    CHECK(open_file_at(root.get(), path) == -1);
    CHECK(errno == ELOOP);
  }
  CHECK(open_dir_at(root.get(), "escape") == -1);
  CHECK(open_dir_at(root.get(), "../outside") == -1);  // and never above the root
  UniqueFd fine(open_file_at(root.get(), "real/file"));
  CHECK(fine.get() >= 0);
  UniqueFd dir(open_dir_at(root.get(), "real"));
  CHECK(dir.get() >= 0);
}

TEST_CASE("a folder chain deeper than PATH_MAX is reached", "[dir_walk]") {
  TempDir tmp;
  RemoveDeep cleanup{tmp};
  UniqueFd root(open(tmp.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  const std::string deep = make_chain(root.get(), 40, 120);
  REQUIRE(deep.size() > PATH_MAX);
  const std::string file = deep + "/bottom.txt";
  struct stat st;
  // The full path is beyond any single syscall...
  CHECK(fstatat(root.get(), deep.c_str(), &st, AT_SYMLINK_NOFOLLOW) == -1);
  CHECK(errno == ENAMETOOLONG);
  // ...and within reach of the walk.
  REQUIRE(stat_at(root.get(), deep, st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  write_at(root.get(), file, "deep");
  REQUIRE(stat_at(root.get(), file, st) == 0);
  CHECK(st.st_size == 4);
  UniqueFd dir(open_dir_at(root.get(), deep));
  CHECK(dir.get() >= 0);
  CHECK(stat_at(root.get(), deep + "/missing", st) == -1);
  CHECK(errno == ENOENT);
  // A single name longer than any filesystem takes still fails, as the syscall says.
  CHECK(stat_at(root.get(), deep + "/" + std::string(300, 'n'), st) == -1);
  CHECK(errno == ENAMETOOLONG);
}

}  // namespace
}  // namespace histfs::gitstore
