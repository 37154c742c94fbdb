#pragma once
// Progress of long tasks (initial import, reconcile, restore, connect import, first push, LFS
// transfers) for `histfs status` and the terminal of the command that started them.
//
// Use: `auto task = board.begin("restore", "writing"); task->set_total(files, bytes);` then
// `task->advance(1, size)` per item, from the one thread doing the work; the task shows in
// board.list() until the last shared_ptr to it is gone. Functions that may run without a board
// take a ProgressTask* that may be null (see advance()). No libgit2 here: any layer may use it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace histfs::gitstore {

struct ProgressSnapshot {
  std::string task;   // what runs: "initial import", "restore", "lfs upload", ...
  std::string state;  // its current step, short: "scanning", "hashing", "writing"
  std::uint64_t done = 0;
  std::uint64_t total = 0;  // items (files, objects); 0 = not known (yet)
  std::uint64_t bytes = 0;
  std::uint64_t bytes_total = 0;  // 0 = not known
  double seconds = 0;             // since begin()
};

class ProgressTask {
 public:
  ProgressTask(std::string task, std::string state);
  void set_state(std::string state);
  void set_total(std::uint64_t items, std::uint64_t bytes = 0);
  void advance(std::uint64_t items, std::uint64_t bytes = 0);  // cheap: two relaxed atomic adds
  void set_done(std::uint64_t items, std::uint64_t bytes);
  ProgressSnapshot snapshot() const;

 private:
  const std::string task_;
  const std::chrono::steady_clock::time_point started_;
  mutable std::mutex mutex_;  // guards state_ only; a leaf lock
  std::string state_;
  std::atomic<std::uint64_t> done_{0}, total_{0}, bytes_{0}, bytes_total_{0};
};

// Null-safe helpers for code that reports progress only when asked to.
inline void advance(ProgressTask* task, std::uint64_t items, std::uint64_t bytes = 0) {
  if (task) task->advance(items, bytes);
}

// The task the calling thread reports to, so that code deep in a call (the worktree scan of a
// reconcile) counts without a parameter on every function: set for a scope by ProgressScope.
ProgressTask* current_progress();
class ProgressScope {
 public:
  explicit ProgressScope(ProgressTask* task);
  ~ProgressScope();
  ProgressScope(const ProgressScope&) = delete;
  ProgressScope& operator=(const ProgressScope&) = delete;

 private:
  ProgressTask* outer_;
};

// The tasks running now, oldest first. Thread-safe.
class ProgressBoard {
 public:
  std::shared_ptr<ProgressTask> begin(std::string task, std::string state = {});
  std::vector<ProgressSnapshot> list() const;

 private:
  // Guards tasks_. Taken before a ProgressTask::mutex_ (list() reads each task); nothing else
  // is taken under either.
  mutable std::mutex mutex_;
  mutable std::vector<std::weak_ptr<ProgressTask>> tasks_;
};

}  // namespace histfs::gitstore
