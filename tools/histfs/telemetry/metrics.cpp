#include "tools/histfs/telemetry/metrics.hpp"

namespace histfs::telemetry {
namespace {

// Commits take milliseconds, a large import seconds; pushes the network's time; a write waits
// at least git.commitQuiet and up to git.autoPushInterval (and any outage) to be pushed.
const std::vector<double> kCommitBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const std::vector<double> kPushBounds = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
const std::vector<double> kWriteToPushBounds = {1, 2.5, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600};

void expose_counter(Exposition& out, const char* name, const char* help, const Counter& counter) {
  out.family(name, "counter", help);
  out.sample(name, static_cast<double>(counter.value()));
}

void expose_labeled(Exposition& out, const char* name, const char* label, const char* help,
                    const LabeledCounter& counter) {
  out.family(name, "counter", help);
  for (const auto& [value, count] : counter.values()) out.sample(name, static_cast<double>(count), {{label, value}});
}

}  // namespace

Metrics::Metrics(double started)
    : started_(started),
      commit_seconds_(kCommitBounds),
      push_seconds_(kPushBounds),
      write_to_push_seconds_(kWriteToPushBounds),
      activity_(started) {
  // Every known outcome is a series from the start, so a rate over it is defined before it first happens.
  using namespace push_outcome;
  for (const char* outcome : {kPushed, kUpToDate, kHeld, kRefused, kFailed}) pushes_.add(outcome, 0);
  using namespace pull_outcome;
  for (const char* outcome : {kFastForward, kMerge, pull_outcome::kUpToDate, kLocalAhead, kEmptyRemote,
                              pull_outcome::kHeld, pull_outcome::kRefused, pull_outcome::kFailed})
    pulls_.add(outcome, 0);
  for (const char* operation : {"push", "pull"}) held_.add(operation, 0);
}

void Metrics::commit(double seconds, std::uint64_t paths) {
  commits_.add();
  committed_paths_.add(paths);
  commit_seconds_.observe(seconds);
}

void Metrics::push(const std::string& outcome, std::optional<double> seconds) {
  pushes_.add(outcome);
  if (outcome == push_outcome::kPushed || outcome == push_outcome::kUpToDate)
    last_push_.store(unix_now(), std::memory_order_relaxed);  // the remote has our HEAD as of now
  if (seconds) push_seconds_.observe(*seconds);
  activity_.push(outcome, seconds);
}

void Metrics::pull(const std::string& outcome) {
  pulls_.add(outcome);
  if (outcome != pull_outcome::kFailed) last_fetch_.store(unix_now(), std::memory_order_relaxed);
  activity_.pull(outcome);
}

void Metrics::conflicts(std::uint64_t count) {
  if (count == 0) return;
  conflicts_.add(count);
  activity_.conflicts(count);
}

void Metrics::held(const std::string& operation) {
  held_.add(operation);
  activity_.held(operation);
}

void Metrics::lfs_upload(std::uint64_t objects, std::uint64_t bytes) {
  lfs_upload_objects_.add(objects);
  lfs_upload_bytes_.add(bytes);
  activity_.lfs_upload(objects, bytes);
}

void Metrics::lfs_download(std::uint64_t objects, std::uint64_t bytes) {
  lfs_download_objects_.add(objects);
  lfs_download_bytes_.add(bytes);
}

void Metrics::webhook(int status) {
  webhooks_.add(std::to_string(status));
  activity_.webhook(std::to_string(status));
}

void Metrics::unpushed_write(std::chrono::system_clock::time_point first_write) {
  std::lock_guard lock(unpushed_mutex_);
  if (!oldest_unpushed_write_ || first_write < *oldest_unpushed_write_) oldest_unpushed_write_ = first_write;
}

void Metrics::pushed_writes() {
  std::optional<std::chrono::system_clock::time_point> oldest;
  {
    std::lock_guard lock(unpushed_mutex_);
    oldest.swap(oldest_unpushed_write_);
  }
  if (!oldest) return;
  const double seconds = std::chrono::duration<double>(std::chrono::system_clock::now() - *oldest).count();
  write_to_push_seconds_.observe(seconds);
  activity_.write_to_push(seconds);
}

void Metrics::expose(Exposition& out) const {
  out.family("histfs_start_time_seconds", "gauge", "When the daemon started, in unix seconds.");
  out.sample("histfs_start_time_seconds", started_);
  expose_counter(out, "histfs_commits_total", "Commits made since the daemon started.", commits_);
  expose_counter(out, "histfs_committed_paths_total", "Paths added, changed, renamed or removed by those commits.",
                 committed_paths_);
  out.histogram("histfs_commit_duration_seconds", "How long writing one commit took.", commit_seconds_.snapshot());
  expose_labeled(out, "histfs_pushes_total", "outcome", "Push cycles by outcome.", pushes_);
  out.histogram("histfs_push_duration_seconds", "How long a push cycle that sent something took.",
                push_seconds_.snapshot());
  out.histogram("histfs_write_to_push_seconds",
                "From the first write a push carried to the end of that push (write-to-pushed latency).",
                write_to_push_seconds_.snapshot());
  out.family("histfs_last_push_timestamp_seconds", "gauge",
             "When the remote was last known to have our HEAD (a push, or one found up to date), in unix seconds.");
  if (const double time = last_push_.load(std::memory_order_relaxed); time > 0)
    out.sample("histfs_last_push_timestamp_seconds", time);
  out.family("histfs_last_fetch_timestamp_seconds", "gauge",
             "When a fetch from the remote last worked, in unix seconds.");
  if (const double time = last_fetch_.load(std::memory_order_relaxed); time > 0)
    out.sample("histfs_last_fetch_timestamp_seconds", time);
  expose_labeled(out, "histfs_pulls_total", "outcome", "Pulls (fetches brought into the files) by outcome.", pulls_);
  expose_counter(out, "histfs_conflicts_total", "Conflict copies written by pulls.", conflicts_);
  expose_labeled(out, "histfs_held_operations_total", "operation",
                 "Pushes and pulls held because they would delete more than git.maxDelete files.", held_);
  expose_counter(out, "histfs_lfs_uploaded_objects_total", "Git LFS objects uploaded.", lfs_upload_objects_);
  expose_counter(out, "histfs_lfs_uploaded_bytes_total", "Git LFS bytes uploaded.", lfs_upload_bytes_);
  expose_counter(out, "histfs_lfs_downloaded_objects_total", "Git LFS objects downloaded.", lfs_download_objects_);
  expose_counter(out, "histfs_lfs_downloaded_bytes_total", "Git LFS bytes downloaded.", lfs_download_bytes_);
  expose_labeled(out, "histfs_webhook_deliveries_total", "status", "Webhook deliveries answered, by HTTP status.",
                 webhooks_);
}

}  // namespace histfs::telemetry
