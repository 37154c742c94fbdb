#include "tools/histfs/daemon/housekeeping.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "fs/mount_session.hpp"
#include "gitstore/loose_packer.hpp"
#include "gitstore/time_text.hpp"

namespace histfs::daemon {
namespace {

// After a failed pack (a full disk, say), the next background try waits this long.
constexpr auto kRetryAfterFailure = std::chrono::minutes(10);

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Housekeeping::Housekeeping(std::string git_dir, int threshold, gitstore::ProgressBoard& progress)
    : repository_dir_(std::move(git_dir)), progress_(progress), threshold_(threshold) {}

Housekeeping::~Housekeeping() { stop(); }

void Housekeeping::start() {
  thread_ = fs::start_quiet_thread([this] { run(); });
}

void Housekeeping::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::commit_made() {
  std::lock_guard lock(mutex_);
  check_ = true;
  wake_.notify_all();
}

void Housekeeping::set_threshold(int threshold) {
  std::lock_guard lock(mutex_);
  threshold_ = threshold;
  check_ = true;
  wake_.notify_all();
}

nlohmann::json Housekeeping::pack(const std::string& why) {
  std::lock_guard one_at_a_time(pack_mutex_);
  // The packbuilder's buffers (some 70 MiB for 100k objects) stay in malloc's arenas once
  // freed; they go back to the system when the pack is done or stopped, so the daemon's RSS
  // after a large import is its steady size.
  struct TrimAfter {
    ~TrimAfter() { malloc_trim(0); }
  } trim;
  auto task = progress_.begin("housekeeping", "listing loose objects");
  try {
    const gitstore::PackResult result =
        gitstore::pack_loose_objects(repository_dir_, task.get(), [this] { return stop_.load(); });
    const gitstore::LooseCount left = gitstore::count_loose_objects(repository_dir_);
    nlohmann::json answer = {{"why", why},
                             {"pack", result.pack.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.pack)},
                             {"objects", result.packed},
                             {"removed", result.removed},
                             {"loose_bytes", result.loose_bytes},
                             {"pack_bytes", result.pack_bytes},
                             {"seconds", result.seconds},
                             {"loose_left", left.objects},
                             {"time", gitstore::format_instant(unix_now())}};
    if (!result.pack.empty())
      spdlog::info("housekeeping: packed {} loose objects ({:.1f} MiB) into {} ({:.1f} MiB) in {:.1f} s ({}); {} left",
                   result.removed, result.loose_bytes / 1048576.0, result.pack, result.pack_bytes / 1048576.0,
                   result.seconds, why, left.objects);
    std::lock_guard lock(mutex_);
    if (!result.pack.empty()) {
      ++packs_;
      objects_packed_ += result.packed;
      seconds_packing_ += result.seconds;
      last_pack_ = answer;
    }
    last_error_.clear();
    return answer;
  } catch (const gitstore::PackStopped&) {
    spdlog::info("housekeeping: the pack underway was stopped by the unmount; its objects stay loose for the next one");
    return {{"why", why}, {"pack", nullptr}, {"stopped", true}};
  } catch (const std::exception& error) {
    std::lock_guard lock(mutex_);
    last_error_ = error.what();
    throw;
  }
}

nlohmann::json Housekeeping::pack_now() { return pack("histfs gc"); }

nlohmann::json Housekeeping::status() {
  const std::size_t estimate = gitstore::estimate_loose_objects(repository_dir_);  // a readdir: outside the lock
  std::lock_guard lock(mutex_);
  return {{"threshold", threshold_},           {"loose_estimate", estimate},          {"packs", packs_},
          {"objects_packed", objects_packed_}, {"seconds_packing", seconds_packing_}, {"last_pack", last_pack_},
          {"last_error", last_error_}};
}

void Housekeeping::run() {
  pthread_setname_np(pthread_self(), "histfs-gc");  // its CPU time shows in /proc/PID/task/*/stat
  // Packing competes with nothing urgent: let the FUSE and commit threads go first.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  for (;;) {
    int threshold = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || (check_ && std::chrono::steady_clock::now() >= retry_after_); });
      if (stop_) return;
      check_ = false;
      threshold = threshold_;
    }
    try {
      if (threshold <= 0) continue;
      const std::size_t estimate = gitstore::estimate_loose_objects(repository_dir_);
      if (estimate <= static_cast<std::size_t>(threshold)) continue;
      pack("about " + std::to_string(estimate) + " loose objects, more than git.gc.looseObjects (" +
           std::to_string(threshold) + ")");
    } catch (const std::exception& error) {
      spdlog::warn("housekeeping: packing failed; no new try for 10 minutes: {}", error.what());
      std::lock_guard lock(mutex_);
      retry_after_ = std::chrono::steady_clock::now() + kRetryAfterFailure;
      check_ = true;
    }
  }
}

}  // namespace histfs::daemon
