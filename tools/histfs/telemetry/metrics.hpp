#pragma once
// The daemon's named metrics (DaemonContext::metrics): each service reports what it did with
// one call, and /metrics and `histfs report` read them. In memory only: a restart starts
// every counter at zero (Prometheus handles that; the report counts commits from git).
//
// Who feeds what:
//   commit()          the daemon's commit subscriber (daemon.cpp)
//   push(), pull()    the remote sync, once per cycle, with its outcome
//   conflicts(), held()  the pull path (a conflict copy written), the push and pull holds
//   lfs_upload()      the LFS transfer, per batch of objects sent (its event: lfs_upload)
//   webhook()         the webhook server, per delivery answered
// The gauges that describe the mount now (changes pending, last push, FUSE operations) are
// read when /metrics is asked for (daemon/metrics_page.cpp).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "tools/histfs/telemetry/activity.hpp"
#include "tools/histfs/telemetry/exposition.hpp"
#include "tools/histfs/telemetry/instruments.hpp"

namespace histfs::telemetry {

// Outcomes of one push cycle, and of one pull (the report's "pulls by kind").
namespace push_outcome {
inline constexpr const char* kPushed = "pushed";
inline constexpr const char* kUpToDate = "up_to_date";
inline constexpr const char* kHeld = "held";
inline constexpr const char* kRefused = "refused";
inline constexpr const char* kFailed = "failed";
}  // namespace push_outcome
namespace pull_outcome {
inline constexpr const char* kFastForward = "fast_forward";
inline constexpr const char* kMerge = "merge";
inline constexpr const char* kUpToDate = "up_to_date";
inline constexpr const char* kLocalAhead = "local_ahead";
inline constexpr const char* kEmptyRemote = "empty_remote";
inline constexpr const char* kHeld = "held";
inline constexpr const char* kRefused = "refused";
inline constexpr const char* kFailed = "failed";
}  // namespace pull_outcome

class Metrics {
 public:
  explicit Metrics(double started = unix_now());  // unix seconds
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void commit(double seconds, std::uint64_t paths);
  // seconds: how long the cycle took (nullopt when it sent nothing worth timing).
  void push(const std::string& outcome, std::optional<double> seconds);
  void pull(const std::string& outcome);
  void conflicts(std::uint64_t count);
  void held(const std::string& operation);  // "push" or "pull"
  void lfs_upload(std::uint64_t objects, std::uint64_t bytes);
  void lfs_download(std::uint64_t objects, std::uint64_t bytes);
  void webhook(int status);

  // Write-to-pushed latency: a commit names the first write it holds (the oldest one not yet
  // pushed is kept); a push that sent them observes the time from that write to now.
  void unpushed_write(std::chrono::system_clock::time_point first_write);
  void pushed_writes();

  // Every family above, HELP and TYPE included.
  void expose(Exposition& out) const;
  ActivitySummary since(double unix_seconds) const { return activity_.since(unix_seconds); }
  double started() const { return started_; }
  std::uint64_t commits() const { return commits_.value(); }

 private:
  double started_;
  Counter commits_, committed_paths_, conflicts_;
  Counter lfs_upload_objects_, lfs_upload_bytes_, lfs_download_objects_, lfs_download_bytes_;
  LabeledCounter pushes_, pulls_, held_, webhooks_;
  Histogram commit_seconds_, push_seconds_, write_to_push_seconds_;
  std::atomic<double> last_push_{0}, last_fetch_{0};  // unix seconds, 0 = never
  std::mutex unpushed_mutex_;                         // a leaf lock
  std::optional<std::chrono::system_clock::time_point> oldest_unpushed_write_;
  Activity activity_;
};

}  // namespace histfs::telemetry
