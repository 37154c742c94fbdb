// The daemon's side of log, snapshot, snapshots and reconcile (restore: restore_handler.cpp).
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "fs/passthrough.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/commands/history_commands.hpp"
#include "tools/histfs/commands/request_paths.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"

namespace histfs::commands {

using gitstore::oid_hex;
using nlohmann::json;

json commit_json(const gitstore::CommitInfo& commit) {
  return {{"id", oid_hex(commit.id)},
          {"time", gitstore::format_instant(commit.time)},
          {"subject", commit.subject},
          {"author", commit.author}};
}

json handle_log(daemon::DaemonContext& d, const json& request) {
  const size_t limit = request.value("limit", size_t(20));
  json commits = json::array();
  for (const auto& commit : d.history.log(checked_path(request), limit)) commits.push_back(commit_json(commit));
  return {{"commits", commits}};
}

json handle_snapshot(daemon::DaemonContext& d, const json& request) {
  std::string name = request.value("name", std::string());
  if (name.empty()) {
    // Default name from the UTC time: 2026-11-24T10-00-00Z (no colons, easy to type and to cd into).
    name = gitstore::format_instant(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    std::replace(name.begin(), name.end(), ':', '-');
  }
  d.history.check_snapshot_name(name);  // before the flush: a refused name changes nothing
  daemon::flush(d);
  auto tag = d.history.snapshot(name, request.value("message", std::string()));
  spdlog::info("git_snapshot {} at {}", tag.name, oid_hex(tag.commit).substr(0, 12));
  if (auto sync = d.remote_sync()) sync->commit_made();  // snapshots are backed up too
  return {{"name", tag.name}, {"commit", oid_hex(tag.commit)}, {"time", gitstore::format_instant(tag.time)}};
}

json handle_snapshots(daemon::DaemonContext& d, const json&) {
  json out = json::array();
  for (const auto& tag : d.history.tags())
    out.push_back({{"name", tag.name},
                   {"commit", oid_hex(tag.commit)},
                   {"time", gitstore::format_instant(tag.time)},
                   {"message", tag.message}});
  return {{"snapshots", out}};
}

json handle_reconcile(daemon::DaemonContext& d, const json& request) {
  const std::string path = checked_path(request);
  const auto before = d.history.head();
  auto files_at = [&](const std::optional<git_oid>& commit) {
    return commit ? d.history.files_under(d.history.resolve(oid_hex(*commit)).tree, path)
                  : std::map<std::string, gitstore::TreeEntryInfo>{};
  };
  const auto old_files = files_at(before);
  d.changes.rescan(path);
  daemon::flush(d);
  const auto after = d.history.head();
  // What changed behind our back may sit in the kernel's caches: names (a replaced or
  // removed file), attributes and pages.
  std::vector<std::string> changed;
  for (const auto& step : daemon::diff_files(old_files, files_at(after))) changed.push_back(step.path);
  d.passthrough.invalidate_names(changed);
  d.passthrough.invalidate_all();
  const bool committed = after && (!before || !gitstore::same_oid(*before, *after));
  return {{"committed", committed}, {"head", after ? json(oid_hex(*after)) : json(nullptr)}};
}

}  // namespace histfs::commands
