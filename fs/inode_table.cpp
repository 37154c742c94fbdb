#include "fs/inode_table.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace histfs::fs {

namespace {

constexpr std::uint64_t kPin = std::uint64_t{1} << 32;
constexpr std::uint64_t kFdMask = kPin - 1;

std::uint64_t fd_word(int fd) { return static_cast<std::uint64_t>(fd) + 1; }
int fd_in(std::uint64_t state) { return static_cast<int>(state & kFdMask) - 1; }

}  // namespace

size_t inode_fd_budget(std::uint64_t open_file_limit) {
  if (open_file_limit == RLIM_INFINITY || open_file_limit > (std::uint64_t{1} << 30)) open_file_limit = 1 << 30;
  return std::max<size_t>(64, static_cast<size_t>(open_file_limit / 2));
}

Inode::Inode(InodeTable& table, int fd, dev_t dev, ino_t ino, mode_t type, std::string handle)
    : src_dev(dev), src_ino(ino), file_type(type), table_(table), handle_(std::move(handle)), fd_state_(fd_word(fd)) {}

Inode::~Inode() {
  shared_read_pin.reset();  // (only at unmount: the kernel releases every handle first)
  if (const int read_fd = shared_read_fd.load(); read_fd >= 0) close(read_fd);
  const int fd = fd_in(fd_state_.load());
  if (fd >= 0) {
    close(fd);
    --table_.open_fds_;
  }
}

InodeFd::InodeFd(const Inode& inode) : inode_(&inode) {
  inode.last_used_.store(++inode.table_.use_clock_, std::memory_order_relaxed);
  std::uint64_t state = inode.fd_state_.load();
  for (;;) {
    if ((state & kFdMask) != 0) {
      if (inode.fd_state_.compare_exchange_weak(state, state + kPin)) {
        fd_ = fd_in(state);
        return;
      }
      continue;
    }
    // Closed by the budget: open it again by its handle, and publish it unless another
    // thread did first.
    const int fd = inode.table_.open_by_handle(inode.handle_);
    if (fd < 0) {
      inode_ = nullptr;  // nothing pinned; the caller's call fails with EBADF
      return;
    }
    if (inode.fd_state_.compare_exchange_strong(state, state + kPin + fd_word(fd))) {
      fd_ = fd;
      inode.table_.opened();
      return;
    }
    close(fd);
  }
}

InodeFd::~InodeFd() {
  if (inode_) inode_->fd_state_.fetch_sub(kPin);
}

InodeTable::InodeTable(int root_fd, size_t fd_budget) : fd_budget_(fd_budget) {
  struct stat st;
  if (fstat(root_fd, &st) != 0) throw std::runtime_error("cannot stat the backing directory");
  root_ = std::make_unique<Inode>(*this, root_fd, st.st_dev, st.st_ino, S_IFDIR, "");
  ++open_fds_;
  // Handles need a real (not O_PATH) fd on the file system and CAP_DAC_READ_SEARCH; try one.
  mount_fd_ = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mount_fd_ < 0) return;
  alignas(file_handle) char buffer[sizeof(file_handle) + MAX_HANDLE_SZ];
  auto* handle = reinterpret_cast<file_handle*>(buffer);
  handle->handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at(root_fd, "", handle, &mount_id_, AT_EMPTY_PATH) != 0) return;
  const int probe = open_by_handle_at(mount_fd_, handle, O_PATH | O_CLOEXEC);
  if (probe < 0) return;
  close(probe);
  handles_work_ = true;
}

InodeTable::~InodeTable() {
  if (mount_fd_ >= 0) close(mount_fd_);
}

std::string InodeTable::handle_of(int fd) {
  if (!handles_work_) return "";
  alignas(file_handle) char buffer[sizeof(file_handle) + MAX_HANDLE_SZ];
  auto* handle = reinterpret_cast<file_handle*>(buffer);
  handle->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = -1;
  if (name_to_handle_at(fd, "", handle, &mount_id, AT_EMPTY_PATH) != 0 || mount_id != mount_id_) return "";
  return std::string(buffer, sizeof(file_handle) + handle->handle_bytes);
}

int InodeTable::open_by_handle(const std::string& handle) {
  if (handle.empty()) {
    errno = EBADF;
    return -1;
  }
  std::string copy = handle;  // open_by_handle_at takes a non-const pointer
  auto* fh = reinterpret_cast<file_handle*>(copy.data());
  int fd = open_by_handle_at(mount_fd_, fh, O_PATH | O_CLOEXEC);
  if (fd < 0 && made_room(errno)) fd = open_by_handle_at(mount_fd_, fh, O_PATH | O_CLOEXEC);  // out of fds: room made
  return fd;
}

void InodeTable::opened() {
  if (++open_fds_ > fd_budget_ && fd_budget_ != 0 && over_) over_();
}

Inode& InodeTable::remember(int fd, const struct stat& st) {
  const auto key = std::make_pair(st.st_dev, st.st_ino);
  if (key == std::make_pair(root_->src_dev, root_->src_ino)) {
    close(fd);
    return *root_;  // the root is never forgotten, so it needs no count
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = inodes_.find(key); it != inodes_.end()) {
      close(fd);
      ++it->second->nlookup_;
      return *it->second;
    }
  }
  std::string handle = handle_of(fd);  // a syscall: outside the lock
  Inode* inode = nullptr;
  bool inserted = false;
  {
    std::lock_guard lock(mutex_);
    auto [it, is_new] = inodes_.try_emplace(key);
    if (is_new)
      it->second = std::make_unique<Inode>(*this, fd, st.st_dev, st.st_ino, st.st_mode & S_IFMT, std::move(handle));
    ++it->second->nlookup_;
    inode = it->second.get();
    inserted = is_new;
  }
  if (inserted)
    opened();  // outside the lock: it may wake the closer (mutex_ stays a leaf)
  else
    close(fd);  // another lookup of the same file won
  return *inode;
}

void InodeTable::add_lookup(Inode& inode) {
  if (&inode == root_.get()) return;
  std::lock_guard lock(mutex_);
  ++inode.nlookup_;
}

void InodeTable::forget(Inode& inode, std::uint64_t count) {
  if (&inode == root_.get()) return;
  std::lock_guard lock(mutex_);
  if (count > inode.nlookup_) {
    // The kernel forgot more than we handed out: our bookkeeping is broken.
    fprintf(stderr, "histfs: lookup count underflow on inode %lu\n", static_cast<unsigned long>(inode.src_ino));
    std::abort();
  }
  inode.nlookup_ -= count;
  if (inode.nlookup_ == 0) inodes_.erase(std::make_pair(inode.src_dev, inode.src_ino));
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

size_t InodeTable::size() {
  std::lock_guard lock(mutex_);
  return inodes_.size();
}

size_t InodeTable::close_unused(size_t keep) {
  std::vector<Inode*> open;
  std::lock_guard lock(mutex_);  // no Inode is freed meanwhile
  if (open_fds_.load() <= keep) return 0;
  for (auto& [key, inode] : inodes_)
    if (!inode->handle_.empty() && (inode->fd_state_.load() & kFdMask) != 0) open.push_back(inode.get());
  std::sort(open.begin(), open.end(), [](const Inode* a, const Inode* b) {
    return a->last_used_.load(std::memory_order_relaxed) < b->last_used_.load(std::memory_order_relaxed);
  });
  size_t closed = 0;
  for (Inode* inode : open) {
    if (open_fds_.load() <= keep) break;
    std::uint64_t state = inode->fd_state_.load();
    // Only an unpinned open fd: a pin taken after this load makes the exchange fail.
    if ((state & kFdMask) == 0 || state >= kPin) continue;
    if (!inode->fd_state_.compare_exchange_strong(state, 0)) continue;
    close(fd_in(state));
    --open_fds_;
    ++closed;
  }
  return closed;
}

}  // namespace histfs::fs
