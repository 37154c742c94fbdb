#pragma once
// Files in a temp dir and an InodeTable over it with a budget of 4 inode fds, for the tests of
// fs/inode_table and of what builds on it (fs/shared_reads).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "fs/inode_table.hpp"
#include "support/temp_dir.hpp"

namespace histfs::test {

class InodeTableFixture {
 public:
  InodeTableFixture() : table_(open(dir().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), 4) {}

  fs::InodeTable& table() { return table_; }

  std::string dir() const { return temp_.path().string(); }
  std::string path(const std::string& name) const { return dir() + "/" + name; }
  void write(const std::string& name, const std::string& text) const { write_file(temp_ / name, text); }

  // The Inode of `name`, as a LOOKUP makes it (lookup count +1).
  fs::Inode& look_up(const std::string& name) {
    const int fd = open(path(name).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    REQUIRE(fd >= 0);
    struct stat st;
    REQUIRE(fstat(fd, &st) == 0);
    return table_.remember(fd, st);
  }

  // False, with a warning, where closed inode fds cannot open again by handle.
  bool handles_work() const {
    if (!table_.handles_work()) WARN("no file handles here (not root, or the file system gives none)");
    return table_.handles_work();
  }

 private:
  TempDir temp_;  // made before the table, which opens it
  fs::InodeTable table_;
};

}  // namespace histfs::test
