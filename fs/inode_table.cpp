#include "fs/inode_table.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace histfs::fs {

Inode::~Inode() {
  if (fd >= 0) close(fd);
}

InodeTable::InodeTable(int root_fd) {
  struct stat st;
  if (fstat(root_fd, &st) != 0) throw std::runtime_error("cannot stat the backing directory");
  root_ = std::make_unique<Inode>(root_fd, st.st_dev, st.st_ino, S_IFDIR);
}

Inode& InodeTable::remember(int fd, const struct stat& st) {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(st.st_dev, st.st_ino);
  if (key == std::make_pair(root_->src_dev, root_->src_ino)) {
    close(fd);
    return *root_;  // the root is never forgotten, so it needs no count
  }
  auto [it, inserted] = inodes_.try_emplace(key);
  if (inserted) {
    it->second = std::make_unique<Inode>(fd, st.st_dev, st.st_ino, st.st_mode & S_IFMT);
  } else {
    close(fd);
  }
  ++it->second->nlookup;
  return *it->second;
}

void InodeTable::add_lookup(Inode& inode) {
  if (&inode == root_.get()) return;
  std::lock_guard lock(mutex_);
  ++inode.nlookup;
}

void InodeTable::forget(Inode& inode, std::uint64_t count) {
  if (&inode == root_.get()) return;
  std::lock_guard lock(mutex_);
  if (count > inode.nlookup) {
    // The kernel forgot more than we handed out: our bookkeeping is broken.
    fprintf(stderr, "histfs: lookup count underflow on inode %lu\n", static_cast<unsigned long>(inode.src_ino));
    std::abort();
  }
  inode.nlookup -= count;
  if (inode.nlookup == 0) inodes_.erase(std::make_pair(inode.src_dev, inode.src_ino));
}

Inode* InodeTable::find(dev_t dev, ino_t ino) {
  if (dev == root_->src_dev && ino == root_->src_ino) return root_.get();
  std::lock_guard lock(mutex_);
  auto it = inodes_.find({dev, ino});
  return it == inodes_.end() ? nullptr : it->second.get();
}

std::vector<fuse_ino_t> InodeTable::numbers() {
  std::lock_guard lock(mutex_);
  std::vector<fuse_ino_t> out{FUSE_ROOT_ID};
  for (auto& [key, inode] : inodes_) out.push_back(reinterpret_cast<fuse_ino_t>(inode.get()));
  return out;
}

}  // namespace histfs::fs
