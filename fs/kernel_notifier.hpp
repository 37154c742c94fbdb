#pragma once
// Sends cache invalidations to the kernel from threads outside the FUSE loop
// (committer, control, remote sync), and only while the session's /dev/fuse
// fd is open: once the loop has ended, detach() stops new notifications and
// waits (bounded) for those in flight, before the fd is closed and its number
// could be reused for another file.
#include <atomic>
#include <chrono>
#include <thread>

struct fuse_session;

namespace histfs::fs {

class KernelNotifier {
 public:
  void attach(fuse_session* session) { session_.store(session); }

  // Calls notify(session) if the session is live.
  template <typename Notify>
  void with_session(Notify notify) {
    ++in_flight_;
    if (fuse_session* session = session_.load()) notify(session);
    --in_flight_;
  }

  void detach() {
    session_.store(nullptr);
    // A notification blocked in the kernel must not hold up the unmount for ever.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  std::atomic<fuse_session*> session_{nullptr};
  std::atomic<int> in_flight_{0};
};

}  // namespace histfs::fs
