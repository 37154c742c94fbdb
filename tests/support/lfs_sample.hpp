#pragma once
// The LFS tests' sample object ("hello world\n", 12 bytes) and what they ask of a store.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <filesystem>
#include <iterator>
#include <string>

#include "gitstore/lfs_store.hpp"
#include "support/temp_dir.hpp"

namespace histfs::test {

// sha256 of "hello world\n", and its pointer.
inline const std::string kHelloOid = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
inline const gitstore::LfsPointer kHello{kHelloOid, 12};

// A store at DIR/NAME holding the sample, imported from the file DIR/hello.
inline gitstore::LfsStore store_with_hello(const TempDir& dir, const std::string& name) {
  gitstore::LfsStore store((dir / name).string());
  write_file(dir / "hello", "hello world\n");
  const int fd = ::open((dir / "hello").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(store.import_fd(fd, 12));
  ::close(fd);
  return store;
}

// Files in the store's tmp folder: an import or download that failed must leave none.
inline std::size_t temp_files(const gitstore::LfsStore& store) {
  const std::filesystem::path tmp = store.dir() + "/tmp";
  if (!std::filesystem::exists(tmp)) return 0;
  return std::size_t(std::distance(std::filesystem::directory_iterator(tmp), std::filesystem::directory_iterator()));
}

}  // namespace histfs::test
