#include "gitstore/ordered_journal.hpp"

#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>

namespace histfs::gitstore {
namespace {

constexpr long kExt4Magic = 0xEF53;  // ext2, ext3 and ext4 share it: the journal tells them apart
constexpr long kXfsMagic = 0x58465342;

// The kernel name of a block device ("vda1", "loop3", "dm-0"), from sysfs; empty if unknown.
std::string device_name(dev_t device) {
  std::ifstream uevent("/sys/dev/block/" + std::to_string(major(device)) + ":" + std::to_string(minor(device)) +
                       "/uevent");
  for (std::string line; std::getline(uevent, line);)
    if (line.rfind("DEVNAME=", 0) == 0) return line.substr(8);
  return "";
}

}  // namespace

bool has_ordered_journal(const std::string& path) {
  struct statfs fs;
  struct stat st;
  if (statfs(path.c_str(), &fs) != 0 || stat(path.c_str(), &st) != 0) return false;
  if (fs.f_type == kXfsMagic) return true;
  if (fs.f_type != kExt4Magic) return false;
  // A mounted ext4 journal shows as /proc/fs/jbd2/<device>-<journal inode>: 8 for an internal one.
  const std::string name = device_name(st.st_dev);
  return !name.empty() && access(("/proc/fs/jbd2/" + name + "-8").c_str(), F_OK) == 0;
}

}  // namespace histfs::gitstore
