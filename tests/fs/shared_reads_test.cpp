// Opens that only read share one backing fd per inode, opened on first use, closed with the
// last of them, and the inode's fd stays pinned meanwhile (a removed file still reads).
#include "fs/shared_reads.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/inode_table_fixture.hpp"

namespace histfs::fs {
namespace {

std::string read_all(int fd) {
  char buffer[64];
  const ssize_t n = pread(fd, buffer, sizeof buffer, 0);
  return n < 0 ? "error" : std::string(buffer, static_cast<size_t>(n));
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

TEST_CASE("only plain read-only opens share", "[shared_reads]") {
  CHECK(may_share_read(O_RDONLY));
  CHECK(may_share_read(O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  CHECK(may_share_read(O_RDONLY | 0100000));  // the kernel's O_LARGEFILE on x86-64 (glibc spells it 0)
  CHECK_FALSE(may_share_read(O_WRONLY));
  CHECK_FALSE(may_share_read(O_RDWR));
  CHECK_FALSE(may_share_read(O_RDONLY | O_TRUNC));
  CHECK_FALSE(may_share_read(O_RDONLY | O_DIRECT));
  CHECK_FALSE(may_share_read(O_RDONLY | O_NOATIME));
  CHECK_FALSE(may_share_read(O_RDONLY | O_SYNC));
  CHECK_FALSE(may_share_read(O_RDONLY | O_APPEND));
}

TEST_CASE("the shared fd opens on first use and closes with the last handle", "[shared_reads]") {
  test::InodeTableFixture files;
  files.write("a", "contents of a");
  SharedReads reads(files.table());
  Inode& a = files.look_up("a");

  REQUIRE(reads.begin(a));
  REQUIRE(reads.begin(a));
  CHECK(a.shared_read_fd.load() == -1);  // nothing opened by the opens themselves
  const int fd = reads.fd(a);
  REQUIRE(fd >= 0);
  CHECK(reads.fd(a) == fd);  // one fd for both handles
  CHECK(read_all(fd) == "contents of a");
  CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY);

  reads.end(a);
  CHECK(is_open(fd));  // the other handle still reads
  CHECK(read_all(reads.fd(a)) == "contents of a");
  reads.end(a);
  CHECK(a.shared_read_fd.load() == -1);
  CHECK_FALSE(is_open(fd));
}

TEST_CASE("a file removed after its open still reads, its inode fd pinned past the budget", "[shared_reads]") {
  test::InodeTableFixture files;
  InodeTable& table = files.table();
  files.write("kept", "still here");
  files.write("other", "other");
  if (!files.handles_work()) return;
  SharedReads reads(table);
  Inode& kept = files.look_up("kept");
  Inode& other = files.look_up("other");

  REQUIRE(reads.begin(kept));
  CHECK(table.close_unused(0) == 1);  // other's fd only: kept's is pinned by its open handle
  REQUIRE(unlink(files.path("kept").c_str()) == 0);
  const int fd = reads.fd(kept);
  REQUIRE(fd >= 0);
  CHECK(read_all(fd) == "still here");
  reads.end(kept);
  CHECK_FALSE(is_open(fd));
  CHECK(table.close_unused(0) == 1);  // kept's, unpinned now
  CHECK(fd_of(other).get() >= 0);     // (other opens again by handle)
}

TEST_CASE("opening a removed file whose inode fd was closed fails as stale", "[shared_reads]") {
  test::InodeTableFixture files;
  files.write("gone", "x");
  if (!files.handles_work()) return;
  SharedReads reads(files.table());
  Inode& gone = files.look_up("gone");
  files.table().close_unused(0);
  REQUIRE(unlink(files.path("gone").c_str()) == 0);
  errno = 0;
  CHECK_FALSE(reads.begin(gone));
  CHECK(errno == ESTALE);
  CHECK(gone.shared_readers == 0);
}

TEST_CASE("handles opened, read and released on many threads always read their own file", "[shared_reads]") {
  test::InodeTableFixture files;
  InodeTable& table = files.table();
  constexpr int kFiles = 4;
  SharedReads reads(table);
  std::vector<Inode*> inodes;
  for (int i = 0; i < kFiles; ++i) {
    files.write("f" + std::to_string(i), "file " + std::to_string(i));
    inodes.push_back(&files.look_up("f" + std::to_string(i)));
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      for (int round = 0; round < 2000; ++round) {
        const int i = static_cast<int>(random() % kFiles);
        Inode& inode = *inodes[static_cast<size_t>(i)];
        if (!reads.begin(inode)) {
          ++wrong;
          continue;
        }
        // The oracle: while this handle is open its fd reads this file, whatever the others do.
        if (random() % 2 && read_all(reads.fd(inode)) != "file " + std::to_string(i)) ++wrong;
        if (random() % 8 == 0) table.close_unused(0);  // the budget's closer, racing the pins
        reads.end(inode);
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(wrong.load() == 0);
  for (Inode* inode : inodes) {
    CHECK(inode->shared_readers == 0);
    CHECK(inode->shared_read_fd.load() == -1);
  }
}

}  // namespace
}  // namespace histfs::fs
