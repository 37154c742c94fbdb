#include "tools/histfs/daemon/systemd_notifier.hpp"

#include <sys/vfs.h>

#include <cerrno>
#include <cstdlib>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "fs/mount_session.hpp"

namespace histfs::daemon {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;

bool under_systemd() { return getenv("NOTIFY_SOCKET") != nullptr; }

}  // namespace

SystemdNotifier::~SystemdNotifier() {
  if (probe_.joinable()) probe_.join();
}

void SystemdNotifier::ready_when_answering(const std::string& mountpoint) {
  if (!under_systemd()) return;
  // A statfs through the mount waits until the loop has answered the kernel's INIT and then
  // this request: only then do programs see a working mount. It fails (ENOTCONN, or answers
  // for the directory underneath) if the mount ends first, and then nothing is sent.
  probe_ = fs::start_quiet_thread([mountpoint] {
    struct statfs st {};
    int result = 0;
    do result = statfs(mountpoint.c_str(), &st);
    while (result != 0 && errno == EINTR);
    if (result == 0 && static_cast<long>(st.f_type) == kFuseSuperMagic) {
      sd_notifyf(0, "READY=1\nSTATUS=serving %s", mountpoint.c_str());
      spdlog::debug("told systemd the mount is ready");
    }
  });
}

void SystemdNotifier::stopping() {
  if (under_systemd()) sd_notify(0, "STOPPING=1\nSTATUS=unmounted; committing what is pending");
}

}  // namespace histfs::daemon
