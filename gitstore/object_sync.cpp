#include "gitstore/object_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {
namespace {

constexpr size_t kSyncfsThreshold = 2000;

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

int open_for_sync(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) fail("open " + path);
  return fd;  // ENOENT: the object was already packed or existed before; nothing of ours to flush
}

}  // namespace

std::string ObjectSync::object_path(const git_oid& oid) const {
  const std::string hex = oid_hex(oid);
  return git_dir_ + "/objects/" + hex.substr(0, 2) + "/" + hex.substr(2);
}

void ObjectSync::sync() {
  if (written_.empty()) return;
  if (written_.size() >= kSyncfsThreshold) {
    int fd = open_for_sync(git_dir_, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      int result = syncfs(fd);
      close(fd);
      if (result != 0) fail("syncfs " + git_dir_);
    }
    written_.clear();
    return;
  }
  // Start writing everything out, wait for it, then one fsync commits the journal
  // (the new files and directory entries) and flushes the disk's cache.
  for (const auto& oid : written_) {
    int fd = open_for_sync(object_path(oid), O_RDONLY);
    if (fd < 0) continue;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    close(fd);
  }
  for (const auto& oid : written_) {
    int fd = open_for_sync(object_path(oid), O_RDONLY);
    if (fd < 0) continue;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    close(fd);
  }
  int fd = open_for_sync(object_path(written_.back()), O_RDONLY);
  if (fd >= 0) {
    int result = fsync(fd);
    close(fd);
    if (result != 0) fail("fsync object");
  }
  written_.clear();
}

void ObjectSync::sync_file(const std::string& path) {
  int fd = open_for_sync(path, O_RDONLY);
  if (fd < 0) return;
  int result = fsync(fd);
  close(fd);
  if (result != 0) fail("fsync " + path);
  const std::string dir = path.substr(0, path.rfind('/'));
  fd = open_for_sync(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  result = fsync(fd);
  close(fd);
  if (result != 0) fail("fsync " + dir);
}

}  // namespace histfs::gitstore
