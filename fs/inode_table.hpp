#pragma once
// The FUSE inode numbers we hand out: each is the address of an Inode that
// names one backing file, so later operations use *at() calls on its fd and
// never re-resolve a path. Keyed by the backing file's (st_dev, st_ino) so
// hard links share one Inode. An Inode lives while the kernel holds it (its
// lookup count).
//
// The kernel may hold far more inodes than the daemon may open files, so an
// Inode's O_PATH fd is a cache: it also keeps the file's handle
// (name_to_handle_at), the fds of inodes not used for a while are closed once
// more than the budget are open, and the next use opens the file again by its
// handle (open_by_handle_at, as virtiofsd's file-handle mode does). A pinned fd
// (InodeFd) is never closed, so a number in use is never reused under a call.
// Files without a handle (a file system that gives none, another mount below
// the backing dir, no CAP_DAC_READ_SEARCH) keep their fd open.
#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fuse_lowlevel.h>

namespace histfs::fs {

class InodeTable;
class InodeFd;

struct Inode {
  Inode(InodeTable& table, int fd, dev_t dev, ino_t ino, mode_t type, std::string handle);
  ~Inode();
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  const dev_t src_dev;
  const ino_t src_ino;
  const mode_t file_type;  // S_IFREG, S_IFDIR, ...
  // The ChangeSet generation in which a write to this inode was last recorded:
  // later writes in the same batch need not record again.
  std::atomic<unsigned> recorded_generation{0};
  // Open file handles that may write: a pull does not overwrite a file under its writer.
  std::atomic<int> writers{0};
  // The backing fd shared by the open handles that only read (shared_reads.hpp), -1 until a
  // READ needs it; the rest is guarded by SharedReads' lock for this inode.
  std::atomic<int> shared_read_fd{-1};
  unsigned shared_readers = 0;
  std::unique_ptr<InodeFd> shared_read_pin;  // holds the inode's fd open while they are open

 private:
  friend class InodeTable;
  friend class InodeFd;
  InodeTable& table_;
  const std::string handle_;  // a struct file_handle; "" = the fd is never closed
  // (pins << 32) | (fd + 1): the low half is 0 while the fd is closed. One word, so
  // pinning and closing agree without a lock.
  mutable std::atomic<std::uint64_t> fd_state_;
  mutable std::atomic<std::uint64_t> last_used_{0};  // InodeTable's use clock at the last pin
  std::uint64_t nlookup_ = 0;                        // guarded by InodeTable::mutex_
};

// The open fd of an Inode, held open for as long as this object lives. Converts to
// int, so `fstatat(fd_of(inode), ...)` keeps it open for exactly that call. -1 (with
// errno set) when the file could not be opened again (removed meanwhile: ESTALE).
class InodeFd {
 public:
  explicit InodeFd(const Inode& inode);
  ~InodeFd();
  InodeFd(InodeFd&& other) noexcept : inode_(other.inode_), fd_(other.fd_) { other.inode_ = nullptr; }
  InodeFd(const InodeFd&) = delete;
  InodeFd& operator=(const InodeFd&) = delete;
  InodeFd& operator=(InodeFd&&) = delete;
  operator int() const { return fd_; }  // NOLINT(google-explicit-constructor): used as an fd
  int get() const { return fd_; }

 private:
  const Inode* inode_;  // null: nothing pinned
  int fd_ = -1;
};

inline InodeFd fd_of(const Inode& inode) { return InodeFd(inode); }

class InodeTable {
 public:
  // Takes ownership of root_fd (an O_PATH fd of the backing dir). `fd_budget`: how many
  // inode fds may stay open (0: no limit); see inode_fd_budget().
  explicit InodeTable(int root_fd, size_t fd_budget = 0);
  ~InodeTable();
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

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
  // How many inodes the kernel holds (the root not counted), and how many of their fds are open.
  size_t size();
  size_t open_fds() const { return open_fds_.load(); }
  // True when files can be opened again by handle here (else every fd stays open).
  bool handles_work() const { return handles_work_; }

  // Closes the fds of inodes used longest ago, unpinned and with a handle, until at most
  // `keep` are open (or none is left to close). Returns how many it closed.
  size_t close_unused(size_t keep);
  // After an open failed with `error`: when it was for want of fds (EMFILE, ENFILE), closes
  // unused inode fds down to half the budget; true when any closed (worth one more try).
  bool made_room(int error) { return (error == EMFILE || error == ENFILE) && close_unused(fd_budget_ / 2) > 0; }
  // Called after an fd opens, when more than the budget are open (never under mutex_):
  // it should only signal. Set once, before the mount serves requests.
  void on_over_budget(std::function<void()> signal) { over_ = std::move(signal); }
  size_t fd_budget() const { return fd_budget_; }

 private:
  friend class Inode;
  friend class InodeFd;
  int open_by_handle(const std::string& handle);  // -1 with errno on failure
  void opened();                                  // one more fd open
  std::string handle_of(int fd);                  // "" when none can be used

  // Declared before the inodes: an Inode's destructor counts its fd out.
  size_t fd_budget_;
  std::atomic<size_t> open_fds_{0};
  std::atomic<std::uint64_t> use_clock_{0};
  std::function<void()> over_;
  int mount_fd_ = -1;  // the backing root opened O_RDONLY: open_by_handle_at refuses O_PATH fds
  int mount_id_ = -1;  // the backing root's mount: only its files get handles
  bool handles_work_ = false;
  // Lock order: InodeTable::mutex_ is a leaf; nothing else is taken while it is held.
  std::mutex mutex_;
  std::map<std::pair<dev_t, ino_t>, std::unique_ptr<Inode>> inodes_;
  std::unique_ptr<Inode> root_;
};

// The inode fds the daemon may keep open for an open-file limit: half of it, the
// rest for files open through the mount, git, sockets and logs.
size_t inode_fd_budget(std::uint64_t open_file_limit);

}  // namespace histfs::fs
