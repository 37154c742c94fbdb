#include "tools/histfs/cli/progress_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tools/histfs/commands/progress_json.hpp"

namespace histfs::cli {

ProgressLine::ProgressLine(std::function<nlohmann::json()> poll, std::chrono::milliseconds delay)
    : poll_(std::move(poll)) {
  if (isatty(STDERR_FILENO)) thread_ = std::thread([this, delay] { run(delay); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    wake_.notify_all();
  }
  thread_.join();
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void ProgressLine::run(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  if (wake_.wait_for(lock, delay, [&] { return stop_; })) return;
  for (;;) {
    lock.unlock();
    std::string line;
    try {
      for (const auto& task : poll_()) line += (line.empty() ? "" : "; ") + commands::progress_text(task);
    } catch (const std::exception&) {
      line.clear();  // the daemon busy or gone: keep the last line
    }
    // Cut to the terminal's width: a line that wraps could not be redrawn in place.
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 && line.size() >= size.ws_col)
      line.resize(size.ws_col - 1);
    if (!line.empty()) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
      drawn_ = true;
    }
    lock.lock();
    if (wake_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stop_; })) return;
  }
}

}  // namespace histfs::cli
