#pragma once
// Keeps the inode fds the daemon holds open under the InodeTable's budget, on
// a thread of its own: woken when an open takes the count over the budget, it
// closes the fds used longest ago down to three quarters of it (the files stay
// known by their handles and open again on their next use). A lookup that
// still finds no fd free makes room itself (InodeTable::close_unused).
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "fs/inode_table.hpp"

namespace histfs::fs {

class InodeFdCloser {
 public:
  explicit InodeFdCloser(InodeTable& inodes);
  ~InodeFdCloser();
  InodeFdCloser(const InodeFdCloser&) = delete;
  InodeFdCloser& operator=(const InodeFdCloser&) = delete;

  void start(const std::function<std::thread(std::function<void()>)>& start_thread);
  void stop();

 private:
  void run();
  void signal();

  InodeTable& inodes_;
  // Guards wake_ and stop_; a leaf lock.
  std::mutex mutex_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace histfs::fs
