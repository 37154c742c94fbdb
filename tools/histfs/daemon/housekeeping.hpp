#pragma once
// Keeps the git dir packed: once there are more than git.gc.looseObjects loose objects
// (estimated from one fan-out directory, as `git gc --auto` does), its thread packs them
// (gitstore/loose_packer.hpp) at a low CPU priority. The thread wakes only after a commit and at
// start-up, so an idle mount spends no time on it. `histfs gc` packs at once (pack_now). Commits
// never wait for it: the pack is made on a git_repository handle of its own, and no lock of the
// committer's is taken.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "gitstore/progress.hpp"

namespace histfs::daemon {

class Housekeeping {
 public:
  // `threshold` 0: never pack in the background (pack_now still does).
  Housekeeping(std::string git_dir, int threshold, gitstore::ProgressBoard& progress);
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  void start();
  void stop();  // waits for a pack in progress to end (it cannot be cut short safely)

  void commit_made();                 // any thread: check the count soon
  void set_threshold(int threshold);  // any thread (git.gc.looseObjects changed live)
  // Packs now on the calling thread, after any background pack in progress; the answer of `histfs gc`.
  nlohmann::json pack_now();
  nlohmann::json status();

 private:
  void run();
  // Packs (one at a time) and records the outcome; throws what the pack threw.
  nlohmann::json pack(const std::string& why);

  const std::string repository_dir_;
  gitstore::ProgressBoard& progress_;
  // One pack at a time. Lock order: taken with nothing held; held across the whole pack (libgit2
  // on the packer's own handle, file I/O); mutex_ and the ProgressBoard's locks are taken under it.
  std::mutex pack_mutex_;
  // Guards the fields below; a leaf lock.
  std::mutex mutex_;
  std::condition_variable wake_;
  // Set under mutex_ (so the wait cannot miss it); atomic because a pack underway reads it
  // without the lock, thousands of times a second, and gives up when it is set.
  std::atomic<bool> stop_{false};
  bool check_ = true;  // at start-up too: an initial import has just been committed
  int threshold_;
  std::chrono::steady_clock::time_point retry_after_{};  // after a failed pack
  unsigned long packs_ = 0;
  unsigned long long objects_packed_ = 0;
  double seconds_packing_ = 0;
  nlohmann::json last_pack_ = nullptr;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace histfs::daemon
