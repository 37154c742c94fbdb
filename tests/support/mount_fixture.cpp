#include "support/mount_fixture.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace histfs::test {

bool fuse_available() {
  if (access("/dev/fuse", R_OK | W_OK) == 0) return true;
  fprintf(stderr, "\n*** SKIPPING MOUNT TEST: /dev/fuse is not usable on this machine ***\n\n");
  return false;
}

MountFixture::MountFixture(const std::vector<std::string>& extra_args) {
  std::filesystem::create_directories(data());
  std::filesystem::create_directories(mnt());
  std::string command = std::string(HISTFS_BINARY) + " mount '" + data() + "' '" + mnt() +
                        "' --commit-quiet 100ms --commit-max-delay 500ms --log-level warn --log-file '" + root() +
                        "/histfs.log'";
  for (const auto& arg : extra_args) command += " '" + arg + "'";
  run(command + " 2>&1");
  mounted_ = true;
}

void MountFixture::unmount() {
  if (!mounted_) return;
  mounted_ = false;
  run("fusermount3 -u '" + mnt() + "' 2>&1 || fusermount3 -uz '" + mnt() + "' 2>&1");
  // The daemon commits what is pending after the unmount; wait until it has let go of the git dir.
  for (int i = 0; i < 200; ++i) {
    if (system(("flock -n '" + git_dir() + "/histfs.lock' true 2>/dev/null").c_str()) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

MountFixture::~MountFixture() {
  try {
    unmount();
  } catch (...) {
  }
}

}  // namespace histfs::test
