#pragma once
// The FUSE inode numbers we hand out: each is the address of an Inode that
// holds an O_PATH fd of the backing file, so later operations use *at()
// calls on it and never re-resolve a path. Keyed by the backing file's
// (st_dev, st_ino) so hard links share one Inode.
#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <fuse_lowlevel.h>

namespace histfs::fs {

struct Inode {
  Inode(int fd_in, dev_t dev, ino_t ino, mode_t type) : fd(fd_in), src_dev(dev), src_ino(ino), file_type(type) {}
  ~Inode();
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  const int fd;  // O_PATH, owned
  const dev_t src_dev;
  const ino_t src_ino;
  const mode_t file_type;  // S_IFREG, S_IFDIR, ...
  // The ChangeSet generation in which a write to this inode was last recorded:
  // later writes in the same batch need not record again.
  std::atomic<unsigned> recorded_generation{0};
  // Open file handles that may write: a pull does not overwrite a file under its writer.
  std::atomic<int> writers{0};

 private:
  friend class InodeTable;
  std::uint64_t nlookup = 0;  // guarded by InodeTable::mutex_
};

class InodeTable {
 public:
  // Takes ownership of root_fd (an O_PATH fd of the backing dir).
  explicit InodeTable(int root_fd);

  Inode& root() { return *root_; }
  Inode& get(fuse_ino_t ino) { return ino == FUSE_ROOT_ID ? *root_ : *reinterpret_cast<Inode*>(ino); }
  fuse_ino_t number_of(Inode& inode) {
    return &inode == root_.get() ? FUSE_ROOT_ID : reinterpret_cast<fuse_ino_t>(&inode);
  }

  // Returns the Inode for the file `fd` refers to (described by `st`), with its
  // lookup count raised by one. Takes ownership of fd (closed if an Inode exists).
  Inode& remember(int fd, const struct stat& st);
  // Raises the lookup count of an inode already known (link()).
  void add_lookup(Inode& inode);
  // Lowers the lookup count; the Inode is freed at zero.
  void forget(Inode& inode, std::uint64_t count);
  // The inode the kernel knows for a backing file, if any (no lookup count change).
  Inode* find(dev_t dev, ino_t ino);
  // The numbers of every inode the kernel currently knows.
  std::vector<fuse_ino_t> numbers();

 private:
  // Lock order: InodeTable::mutex_ is a leaf; nothing else is taken while it is held.
  std::mutex mutex_;
  std::map<std::pair<dev_t, ino_t>, std::unique_ptr<Inode>> inodes_;
  std::unique_ptr<Inode> root_;
};

}  // namespace histfs::fs
