// Inode fds are a cache: closed beyond the budget, opened again by handle, never under a pin.
#include "fs/inode_table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/inode_table_fixture.hpp"

namespace histfs::fs {
namespace {

ino_t ino_of(int fd) {
  struct stat st;
  REQUIRE(fstat(fd, &st) == 0);
  return st.st_ino;
}

TEST_CASE("inode fds beyond the budget are closed and open again by handle on their next use", "[inode_table]") {
  test::InodeTableFixture files;
  InodeTable& table = files.table();
  for (int i = 0; i < 10; ++i) files.write("f" + std::to_string(i), std::to_string(i));
  if (!files.handles_work()) return;
  std::vector<Inode*> inodes;
  for (int i = 0; i < 10; ++i) inodes.push_back(&files.look_up("f" + std::to_string(i)));
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
  test::InodeTableFixture files;
  InodeTable& table = files.table();
  files.write("a", "a");
  files.write("b", "b");
  if (!files.handles_work()) return;
  Inode& a = files.look_up("a");
  Inode& b = files.look_up("b");
  {
    const InodeFd pinned = fd_of(a);
    CHECK(table.close_unused(0) == 1);  // b only: a is pinned, the root has no handle
    CHECK(ino_of(pinned) == a.src_ino);
  }
  CHECK(table.close_unused(0) == 1);  // a, now that the pin is gone
  CHECK(ino_of(fd_of(b)) == b.src_ino);
}

TEST_CASE("a file removed while its fd was closed reads as stale, not as another file", "[inode_table]") {
  test::InodeTableFixture files;
  files.write("gone", "x");
  if (!files.handles_work()) return;
  Inode& gone = files.look_up("gone");
  files.table().close_unused(0);
  REQUIRE(unlink(files.path("gone").c_str()) == 0);
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
