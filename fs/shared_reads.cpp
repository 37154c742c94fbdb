#include "fs/shared_reads.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>

#include "fs/proc_path.hpp"

namespace histfs::fs {

bool may_share_read(int open_flags) {
  // Listed by what they change rather than by what is harmless: the kernel's flags carry bits
  // glibc spells 0 (O_LARGEFILE on 64-bit), whose values differ between architectures.
  constexpr int kChangesTheFd =
      O_TRUNC | O_APPEND | O_DIRECT | O_NOATIME | O_SYNC | O_DSYNC | O_PATH | O_TMPFILE | O_CREAT | O_EXCL;
  return (open_flags & O_ACCMODE) == O_RDONLY && (open_flags & kChangesTheFd) == 0;
}

std::mutex& SharedReads::lock_of(const Inode& inode) {
  return locks_[std::hash<const Inode*>{}(&inode) % locks_.size()];
}

bool SharedReads::begin(Inode& inode) {
  const std::lock_guard lock(lock_of(inode));
  if (inode.shared_readers == 0) {
    auto pin = std::make_unique<InodeFd>(inode);
    if (pin->get() < 0) return false;
    inode.shared_read_pin = std::move(pin);
  }
  ++inode.shared_readers;
  return true;
}

int SharedReads::fd(Inode& inode) {
  // Set once per run of sharing handles and closed only when the last ends, which cannot
  // happen while the caller's handle is open: no lock needed to use it.
  if (const int fd = inode.shared_read_fd.load(std::memory_order_acquire); fd >= 0) return fd;
  const std::lock_guard lock(lock_of(inode));
  if (const int fd = inode.shared_read_fd.load(std::memory_order_relaxed); fd >= 0) return fd;
  const int fd = open_again(inodes_, inode, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) inode.shared_read_fd.store(fd, std::memory_order_release);
  return fd;
}

void SharedReads::end(Inode& inode) {
  const std::lock_guard lock(lock_of(inode));
  if (--inode.shared_readers > 0) return;
  if (const int fd = inode.shared_read_fd.exchange(-1); fd >= 0) close(fd);
  inode.shared_read_pin.reset();
}

}  // namespace histfs::fs
