// The daemon's side of status and flush.
#include <string>

#include "fs/change_recorder.hpp"
#include "fs/passthrough.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/commands/history_commands.hpp"
#include "tools/histfs/commands/lfs_commands.hpp"
#include "tools/histfs/commands/progress_json.hpp"
#include "tools/histfs/commands/status_commands.hpp"
#include "tools/histfs/daemon/housekeeping.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"

namespace histfs::commands {

using gitstore::oid_hex;
using nlohmann::json;

json handle_status(daemon::DaemonContext& d, const json&) {
  const auto committer = d.committer.status();
  const std::string backing_problem = fs::backing_root_problem(d.root_fd, d.backing);
  json out = {{"mountpoint", d.mountpoint},
              {"backing", d.backing},
              {"backing_problem", backing_problem.empty() ? json(nullptr) : json(backing_problem)},
              {"git_dir", d.git_dir},
              {"pending_changes", d.changes.pending()},
              {"commits_since_start", committer.commits},
              {"started", gitstore::format_instant(d.started)},
              {"last_error", committer.last_error},
              {"skipped", committer.skipped},
              {"lfs", lfs_store_totals(d)},
              {"remote", d.remote_sync() ? d.remote_sync()->status() : json(nullptr)}};
  out["lfs"]["importing"] = committer.lfs_importing;
  out["memory"] = {{"inodes_known", d.passthrough.known_inodes()},
                   {"inode_fds_open", d.passthrough.inode_fds()},
                   {"stat_cache_entries", committer.stat_cache_entries}};
  out["progress"] = progress_json(d.progress);
  out["housekeeping"] = d.housekeeping ? d.housekeeping->status() : json(nullptr);
  if (auto head = d.history.head()) {
    auto info = d.history.resolve(oid_hex(*head));
    out["head"] = oid_hex(*head);
    out["last_commit"] = commit_json(info);
  } else {
    out["head"] = nullptr;
    out["last_commit"] = nullptr;
  }
  return out;
}

json handle_flush(daemon::DaemonContext& d, const json&) {
  daemon::flush(d);
  return {{"head", d.history.head() ? json(oid_hex(*d.history.head())) : json(nullptr)}};
}

}  // namespace histfs::commands
