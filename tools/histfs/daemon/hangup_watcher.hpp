#pragma once
// SIGHUP, which logrotate and `systemctl reload` send: reopen the log file and reload the
// config, never unmount. libfuse installs its own SIGHUP handler (one that ends the
// session) only where the disposition is still the default, so installing ours before the
// session runs keeps the mount up. The handler only writes a byte to a pipe; a thread of
// ours (signals blocked) reads it and does the work outside the handler.
#include <functional>
#include <thread>

namespace histfs::daemon {

class HangupWatcher {
 public:
  // `on_hangup` runs on the watcher's thread, once per SIGHUP (several close together may
  // run it once); what it throws is logged.
  explicit HangupWatcher(std::function<void()> on_hangup);
  ~HangupWatcher();  // SIGHUP back to the default, the thread stopped
  HangupWatcher(const HangupWatcher&) = delete;
  HangupWatcher& operator=(const HangupWatcher&) = delete;

 private:
  void run();
  std::function<void()> on_hangup_;
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace histfs::daemon
