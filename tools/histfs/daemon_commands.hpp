#pragma once
// What the running daemon does for each control request (histfs status,
// flush, log, snapshot, snapshots, restore, reconcile). Runs on the control
// server's thread; commits still happen only on the committer thread.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "gitstore/change_set.hpp"
#include "gitstore/committer.hpp"
#include "gitstore/history.hpp"
#include "gitstore/ignore_rules.hpp"
#include "tools/histfs/config.hpp"

namespace histfs::fs {
class Passthrough;
}

namespace histfs::cli {

class RemoteSync;

struct DaemonContext {
  std::string backing;
  std::string mountpoint;
  std::string git_dir;
  Config config;
  gitstore::ChangeSet& changes;
  gitstore::Committer& committer;
  gitstore::HistoryReader& history;
  fs::Passthrough& passthrough;
  int root_fd;  // the backing dir
  const gitstore::IgnoreRules& ignore;
  std::int64_t started;  // unix seconds
  std::mutex mount_writer{};  // one restore, pull or merge writes through the mount at a time

  // The remote, once connected. Read from several threads: take it with remote_sync().
  std::shared_ptr<RemoteSync> remote_sync() {
    std::lock_guard lock(remote_mutex);
    return remote;
  }
  void set_remote_sync(std::shared_ptr<RemoteSync> sync) {
    std::lock_guard lock(remote_mutex);
    remote = std::move(sync);
  }
  std::mutex remote_mutex{};
  std::shared_ptr<RemoteSync> remote{};
};

nlohmann::json handle_request(DaemonContext& daemon, const nlohmann::json& request);

}  // namespace histfs::cli
