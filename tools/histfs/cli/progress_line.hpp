#pragma once
// The progress line on the terminal of the command that started a long task: while it lives, a
// thread asks `poll` every quarter second for the tasks in progress (progress_json's form) and
// redraws one line on stderr. Only when stderr is a terminal: otherwise it does nothing at all,
// so logs and pipes get nothing extra.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

namespace histfs::cli {

class ProgressLine {
 public:
  // `poll` runs on the line's thread; what it throws is ignored (the line just stops changing).
  // `delay`: nothing is drawn before it, so quick commands never show a line.
  explicit ProgressLine(std::function<nlohmann::json()> poll,
                        std::chrono::milliseconds delay = std::chrono::milliseconds(300));
  ~ProgressLine();  // stops the thread and clears the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void run(std::chrono::milliseconds delay);
  std::function<nlohmann::json()> poll_;
  std::mutex mutex_;  // guards stop_; a leaf lock
  std::condition_variable wake_;
  bool stop_ = false;
  bool drawn_ = false;  // line thread only, then read after join
  std::thread thread_;
};

}  // namespace histfs::cli
