#pragma once
// A real histfs mount for a test: data/, mnt/ and data.git in a temp dir,
// mounted by the histfs binary and unmounted (pending changes committed)
// when the fixture dies.
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace histfs::test {

// False (with a loud message) where /dev/fuse is missing: only there may mount tests skip.
bool fuse_available();

class MountFixture {
 public:
  explicit MountFixture(const std::vector<std::string>& extra_args = {});
  ~MountFixture();
  MountFixture(const MountFixture&) = delete;
  MountFixture& operator=(const MountFixture&) = delete;

  std::string data() const { return (dir_ / "data").string(); }
  std::string mnt() const { return (dir_ / "mnt").string(); }
  std::string git_dir() const { return (dir_ / "data.git").string(); }
  std::string root() const { return dir_.path().string(); }
  void unmount();

 private:
  TempDir dir_;
  bool mounted_ = false;
};

}  // namespace histfs::test
