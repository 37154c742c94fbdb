#include "fs/inode_fd_closer.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace histfs::fs {

InodeFdCloser::InodeFdCloser(InodeTable& inodes) : inodes_(inodes) {
  inodes_.on_over_budget([this] { signal(); });
}

InodeFdCloser::~InodeFdCloser() {
  stop();
  inodes_.on_over_budget({});
}

void InodeFdCloser::start(const std::function<std::thread(std::function<void()>)>& start_thread) {
  thread_ = start_thread([this] { run(); });
}

void InodeFdCloser::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void InodeFdCloser::signal() {
  std::lock_guard lock(mutex_);
  wake_ = true;
  wake_cv_.notify_all();
}

void InodeFdCloser::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_cv_.wait(lock, [this] { return wake_ || stop_; });
      if (stop_) return;
      wake_ = false;
    }
    try {
      const size_t closed = inodes_.close_unused(inodes_.fd_budget() * 3 / 4);
      if (closed) spdlog::debug("inode fds: closed {} used longest ago ({} open)", closed, inodes_.open_fds());
    } catch (const std::exception& error) {
      spdlog::warn("inode fds: {}", error.what());  // never leaves the thread
    }
  }
}

}  // namespace histfs::fs
