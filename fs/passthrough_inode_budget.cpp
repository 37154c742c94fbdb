// The passthrough's side of the inode fd budget (inode_table.hpp): it owns the table,
// so it runs the thread that keeps the table's open fds under the budget.
#include "fs/passthrough.hpp"

namespace histfs::fs {

void Passthrough::start_fd_closer(const std::function<std::thread(std::function<void()>)>& start_thread) {
  if (fd_closer_ || inodes_.fd_budget() == 0) return;
  fd_closer_ = std::make_unique<InodeFdCloser>(inodes_);
  fd_closer_->start(start_thread);
}

void Passthrough::stop_fd_closer() {
  if (fd_closer_) fd_closer_->stop();
}

}  // namespace histfs::fs
