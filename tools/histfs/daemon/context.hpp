#pragma once
// What every daemon service shares: the mount's places, its config and the
// long-lived parts built by the composition root (daemon.cpp). Services take a
// DaemonContext&; they never include each other through it.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "gitstore/change_set.hpp"
#include "gitstore/committer.hpp"
#include "gitstore/history.hpp"
#include "gitstore/ignore_rules.hpp"
#include "tools/histfs/settings/config.hpp"

namespace histfs::fs {
class Passthrough;
}

namespace histfs::daemon {

class RemoteSync;

struct DaemonContext {
  std::string backing;
  std::string mountpoint;
  std::string git_dir;
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
};

}  // namespace histfs::daemon
