#include "tools/histfs/daemon/hangup_watcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "fs/mount_session.hpp"

namespace histfs::daemon {
namespace {

// The write end, for the handler; one watcher per process.
std::atomic<int> hangup_pipe{-1};

constexpr char kHangup = 'h';
constexpr char kStop = 's';

void on_sighup(int) {
  const int saved = errno;
  const int fd = hangup_pipe.load();
  if (fd >= 0) {
    // A full pipe means a reload is already due: dropping this byte loses nothing.
    [[maybe_unused]] const auto written = write(fd, &kHangup, 1);
  }
  errno = saved;
}

}  // namespace

HangupWatcher::HangupWatcher(std::function<void()> on_hangup) : on_hangup_(std::move(on_hangup)) {
  if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error(std::string("cannot create the SIGHUP pipe: ") + std::strerror(errno));
  // The reading end blocks; only the handler's end must never block.
  fcntl(pipe_[0], F_SETFL, fcntl(pipe_[0], F_GETFL) & ~O_NONBLOCK);
  hangup_pipe.store(pipe_[1]);
  struct sigaction action {};
  action.sa_handler = on_sighup;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGHUP, &action, nullptr) != 0)
    throw std::runtime_error(std::string("cannot handle SIGHUP: ") + std::strerror(errno));
  thread_ = fs::start_quiet_thread([this] { run(); });
}

HangupWatcher::~HangupWatcher() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(SIGHUP, &action, nullptr);
  hangup_pipe.store(-1);
  // Blocking write of the stop byte: the reader is draining, so it gets through.
  fcntl(pipe_[1], F_SETFL, fcntl(pipe_[1], F_GETFL) & ~O_NONBLOCK);
  [[maybe_unused]] const auto written = write(pipe_[1], &kStop, 1);
  if (thread_.joinable()) thread_.join();
  close(pipe_[0]);
  close(pipe_[1]);
}

void HangupWatcher::run() {
  for (;;) {
    char bytes[64];
    const ssize_t count = read(pipe_[0], bytes, sizeof bytes);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return;
    bool hangup = false;
    for (ssize_t i = 0; i < count; ++i) {
      if (bytes[i] == kStop) return;
      hangup = hangup || bytes[i] == kHangup;
    }
    if (!hangup) continue;
    try {
      on_hangup_();
    } catch (const std::exception& error) {
      spdlog::error("SIGHUP: {}", error.what());
    } catch (...) {
      spdlog::error("SIGHUP: an unknown error");
    }
  }
}

}  // namespace histfs::daemon
