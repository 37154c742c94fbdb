#pragma once
// systemd's Type=notify protocol (sd_notify from libsystemd) for histfs@.service. Does nothing
// unless systemd started us with NOTIFY_SOCKET set. systemd counts the service as started on
// READY=1, so it is sent only once the mount answers a request, not when the kernel mount exists.
#include <string>
#include <thread>

namespace histfs::daemon {

class SystemdNotifier {
 public:
  SystemdNotifier() = default;
  // Joins the probe: declare it before the MountSession, whose end unblocks a probe in flight.
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Starts a thread that sends READY=1 once a statfs of `mountpoint` is answered by FUSE:
  // call it just before the session loop runs.
  void ready_when_answering(const std::string& mountpoint);
  // STOPPING=1: the loop has ended and the daemon is committing what is pending.
  void stopping();

 private:
  std::thread probe_;
};

}  // namespace histfs::daemon
