#pragma once
// Open handles that only read share one backing fd per inode, opened by the first READ
// that reaches the daemon. With keep_cache the kernel answers most reads of a file read
// before from its page cache, so `grep -r` or `cat` over such files opens no backing file
// at all: a reopen through /proc/self/fd and its close cost about 7 us, a fifth of what
// such an open costs in all. While a sharing handle is open the inode's O_PATH fd stays
// pinned, so a file removed after its open still reads, as POSIX wants.
#include <array>
#include <cstdint>
#include <mutex>

#include "fs/inode_table.hpp"

namespace histfs::fs {

// The file handle (fuse_file_info::fh) of an open that shares its inode's read fd.
inline constexpr std::uint64_t kSharedReadHandle = ~std::uint64_t{0};

// Whether an open with these flags may share: read-only, and nothing that changes how
// its fd reads (O_DIRECT, O_NOATIME, O_TRUNC, ...).
bool may_share_read(int open_flags);

class SharedReads {
 public:
  explicit SharedReads(InodeTable& inodes) : inodes_(inodes) {}

  // One more sharing handle of `inode`. False (errno set) when its fd cannot be pinned:
  // the file is gone.
  bool begin(Inode& inode);
  // The shared read fd, opened on first use; -1 with errno when it cannot be opened.
  int fd(Inode& inode);
  // One sharing handle fewer; the last one closes the fd and unpins.
  void end(Inode& inode);

 private:
  std::mutex& lock_of(const Inode& inode);

  InodeTable& inodes_;
  // Striped: a lock per inode would cost 40 bytes each. Leaves: nothing is taken under them
  // but InodeTable's own (an open by handle, room made for fds).
  std::array<std::mutex, 64> locks_;
};

}  // namespace histfs::fs
