#pragma once
// One FUSE mount: the libfuse session, its multithreaded loop, and the
// signals that end it. Construction mounts; run() serves until SIGINT,
// SIGTERM, SIGHUP or `fusermount3 -u`; destruction unmounts.
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fs/kernel_notifier.hpp"
#include "fs/router.hpp"

struct fuse_session;

namespace histfs::fs {

struct MountOptions {
  std::string mountpoint;
  std::vector<std::string> fuse_options;  // as given to -o, split at commas
  unsigned max_threads = 16;
  unsigned idle_threads = 4;
  bool debug = false;  // libfuse's request trace
};

class MountSession {
 public:
  // Throws std::runtime_error with a clear message when the mount fails.
  MountSession(Router& fs, const MountOptions& options);
  // Throws as the constructor would for options libfuse refuses, without mounting:
  // checked before anything (the git dir) is created.
  static void check_options(const MountOptions& options);
  ~MountSession();
  MountSession(const MountSession&) = delete;
  MountSession& operator=(const MountSession&) = delete;

  // Serves requests until the mount ends. Returns 0 on a clean end.
  int run();
  fuse_session* get() const { return session_; }
  // Invalidations from other threads go through this; it goes quiet when the loop ends.
  KernelNotifier& notifier() { return notifier_; }

 private:
  fuse_session* session_ = nullptr;
  KernelNotifier notifier_;
  MountOptions options_;
  bool mounted_ = false;
};

// Starts a thread that never receives SIGINT, SIGTERM or SIGHUP: libfuse's handlers
// must run on the thread in the session loop, which is how the mount ends cleanly.
std::thread start_quiet_thread(std::function<void()> body);

}  // namespace histfs::fs
