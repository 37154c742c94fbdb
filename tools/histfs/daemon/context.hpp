#pragma once
// What every daemon service shares: the mount's places, its config and the
// long-lived parts built by the composition root (daemon.cpp). Services take a
// DaemonContext&; they never include each other through it.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gitstore/change_set.hpp"
#include "gitstore/committer.hpp"
#include "gitstore/history.hpp"
#include "gitstore/ignore_rules.hpp"
#include "gitstore/progress.hpp"
#include "tools/histfs/settings/config.hpp"
#include "tools/histfs/settings/config_sources.hpp"
#include "tools/histfs/telemetry/metrics.hpp"

namespace histfs::fs {
class OpStats;
class Passthrough;
}  // namespace histfs::fs

namespace histfs::daemon {

class RemoteSync;
class Housekeeping;

struct DaemonContext {
  std::string backing;
  std::string mountpoint;
  std::string git_dir;
  // The config in effect. Changed on a running mount by live_config.cpp (histfs config set, a
  // reload on SIGHUP) under config_mutex: other threads read it with current_config().
  settings::Config config;
  gitstore::ChangeSet& changes;
  gitstore::Committer& committer;
  gitstore::HistoryReader& history;
  fs::Passthrough& passthrough;
  int root_fd;  // the backing dir
  const gitstore::IgnoreRules& ignore;
  std::int64_t started;  // unix seconds
  // One restore, pull or merge writes through the mount at a time. Lock order: taken
  // first (before ChangeSet's and the committer's locks); held across writes through
  // the mount (FUSE threads serve them, taking ChangeRecorder's and ChangeSet's locks)
  // and across the wait for the committer, which never takes it.
  std::mutex mount_writer{};

  // The remote, once connected. Read from several threads: take it with remote_sync().
  std::shared_ptr<RemoteSync> remote_sync() {
    std::lock_guard lock(remote_mutex);
    return remote;
  }
  void set_remote_sync(std::shared_ptr<RemoteSync> sync) {
    std::lock_guard lock(remote_mutex);
    remote = std::move(sync);
  }
  std::mutex remote_mutex{};  // guards `remote` only; a leaf lock
  std::shared_ptr<RemoteSync> remote{};

  settings::Config current_config() {
    std::lock_guard lock(config_mutex);
    return config;
  }
  // Guards config, config_sources and config_next_mount; a leaf lock.
  std::mutex config_mutex{};
  // Where the config came from: the file, the command line's overrides, each key's origin.
  settings::SourcedConfig config_sources{};
  // Keys set since the mount whose new value waits for the next mount (key -> value text).
  std::map<std::string, std::string> config_next_mount{};

  // Long tasks in progress (import, reconcile, restore, transfers), for status.
  gitstore::ProgressBoard progress{};
  // The background packer (histfs gc); set once at start-up, before the control socket opens.
  Housekeeping* housekeeping = nullptr;

  // Counters of what the services did, for /metrics and `histfs report` (telemetry/metrics.hpp).
  telemetry::Metrics metrics{};
  // FUSE operations and errors by operation (the Router's); null until the mount serves.
  fs::OpStats* op_stats = nullptr;
};

}  // namespace histfs::daemon
