// Inode fds are a cache: closed beyond the budget, opened again by handle, never under a pin.
#include "fs/inode_table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace histfs::fs {
namespace {

Inode& look_up(InodeTable& table, const std::string& dir, const std::string& name) {
  const int fd = open((dir + "/" + name).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  REQUIRE(fd >= 0);
  struct stat st;
  REQUIRE(fstat(fd, &st) == 0);
  return table.remember(fd, st);
}

ino_t ino_of(int fd) {
  struct stat st;
  REQUIRE(fstat(fd, &st) == 0);
  return st.st_ino;
}

TEST_CASE("inode fds beyond the budget are closed and open again by handle on their next use", "[inode_table]") {
  test::TempDir temp;
  const std::string dir = temp.path().string();
  for (int i = 0; i < 10; ++i) std::ofstream(dir + "/f" + std::to_string(i)) << i;
  InodeTable table(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), 4);
  if (!table.handles_work()) {
    WARN("no file handles here (not root, or the file system gives none)");
    return;
  }
  std::vector<Inode*> inodes;
  for (int i = 0; i < 10; ++i) inodes.push_back(&look_up(table, dir, "f" + std::to_string(i)));
  CHECK(table.open_fds() == 11);  // the root's too

  table.close_unused(3);
  CHECK(table.open_fds() == 3);
  for (Inode* inode : inodes) {
    const InodeFd fd = fd_of(*inode);
    REQUIRE(fd.get() >= 0);
    CHECK(ino_of(fd) == inode->src_ino);  // the same file, opened again
  }
}

TEST_CASE("a pinned inode fd is never closed", "[inode_table]") {
  test::TempDir temp;
  const std::string dir = temp.path().string();
  std::ofstream(dir + "/a") << "a";
  std::ofstream(dir + "/b") << "b";
  InodeTable table(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), 4);
  if (!table.handles_work()) {
    WARN("no file handles here");
    return;
  }
  Inode& a = look_up(table, dir, "a");
  Inode& b = look_up(table, dir, "b");
  {
    const InodeFd pinned = fd_of(a);
    CHECK(table.close_unused(0) == 1);  // b only: a is pinned, the root has no handle
    CHECK(ino_of(pinned) == a.src_ino);
  }
  CHECK(table.close_unused(0) == 1);  // a, now that the pin is gone
  CHECK(ino_of(fd_of(b)) == b.src_ino);
}

TEST_CASE("a file removed while its fd was closed reads as stale, not as another file", "[inode_table]") {
  test::TempDir temp;
  const std::string dir = temp.path().string();
  std::ofstream(dir + "/gone") << "x";
  InodeTable table(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), 4);
  if (!table.handles_work()) {
    WARN("no file handles here");
    return;
  }
  Inode& gone = look_up(table, dir, "gone");
  table.close_unused(0);
  REQUIRE(unlink((dir + "/gone").c_str()) == 0);
  const InodeFd fd = fd_of(gone);
  CHECK(fd.get() == -1);
}

TEST_CASE("the budget is half the open file limit, and never tiny", "[inode_table]") {
  CHECK(inode_fd_budget(1024) == 512);
  CHECK(inode_fd_budget(20000) == 10000);
  CHECK(inode_fd_budget(50) == 64);
}

}  // namespace
}  // namespace histfs::fs
