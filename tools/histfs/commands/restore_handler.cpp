// The daemon's side of restore: plan the writes against the files as they are, check the gates,
// write through the mount as one commit.
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "gitstore/commit_message.hpp"
#include "gitstore/lfs_store.hpp"
#include "gitstore/worktree_sync.hpp"
#include "tools/histfs/commands/history_commands.hpp"
#include "tools/histfs/commands/request_paths.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"

namespace histfs::commands {

using daemon::WriteStep;
using gitstore::HistoryError;
using gitstore::oid_hex;
using nlohmann::json;

namespace {

std::vector<WriteStep> plan_restore(daemon::DaemonContext& d, const gitstore::CommitInfo& target,
                                    const std::string& path) {
  auto wanted = d.history.files_under(target.tree, path);
  // Compared with the files as they are now, so a dry run needs no commit first.
  const auto current = gitstore::hash_worktree(d.root_fd, d.ignore, path);
  if (wanted.empty() && !path.empty())
    throw HistoryError(path + " did not exist at " + oid_hex(target.id).substr(0, 12) + "; nothing changed");
  auto steps = daemon::diff_files(current, wanted);
  // The work tree hashes as content, git holds LFS files as pointers: a file whose content is
  // already what its pointer names needs no write.
  std::erase_if(steps, [&](const WriteStep& step) {
    auto now = current.find(step.path);
    if (step.kind != WriteStep::Write || now == current.end() || now->second.mode != step.entry.mode) return false;
    auto pointer = d.history.lfs_pointer(step.entry.oid);
    return pointer && gitstore::file_has_lfs_content(d.root_fd, step.path, *pointer);
  });
  return steps;
}

}  // namespace

json handle_restore(daemon::DaemonContext& d, const json& request) {
  const std::string path = checked_path(request);
  const std::string rev = request.value("rev", std::string());
  const bool dry_run = request.value("dry_run", false);
  const bool allow_mass_delete = request.value("allow_mass_delete", false);
  const auto target = d.history.resolve(rev);
  if (!path.empty() && !d.history.entry(target.tree, path))
    throw HistoryError(path + " did not exist at " + oid_hex(target.id).substr(0, 12) + "; nothing changed");
  // Shown by status and on the terminal of `histfs restore` (the writes count in commit_through_mount).
  const auto task = d.progress.begin("restore", "comparing files");
  const gitstore::ProgressScope scope(task.get());
  if (!dry_run) daemon::flush(d);  // the user's own pending edits get their own commit first
  const auto steps = plan_restore(d, target, path);
  size_t deletes = 0;
  json changes = json::array();
  for (const auto& step : steps) {
    deletes += step.kind == WriteStep::Delete;
    changes.push_back({{"action", step.kind == WriteStep::Delete ? "delete" : "write"}, {"path", step.path}});
  }
  json out = {{"rev", oid_hex(target.id)}, {"changes", changes}, {"dry_run", dry_run}};
  const auto max_delete = size_t(d.current_config().git.max_delete);
  if (dry_run && deletes > max_delete && !allow_mass_delete)
    out["needs_allow_mass_delete"] = "it deletes " + std::to_string(deletes) + " files, more than git.maxDelete (" +
                                     std::to_string(max_delete) + ")";
  if (!dry_run && deletes > max_delete && !allow_mass_delete)
    throw HistoryError("restore would delete " + std::to_string(deletes) + " files, more than git.maxDelete (" +
                       std::to_string(max_delete) + "); nothing changed. Rerun with --allow-mass-delete");
  if (dry_run || steps.empty()) {
    out["commit"] = nullptr;
    return out;
  }
  const std::string shown = path.empty() ? "." : path;
  // Quoted as git quotes paths: a name cannot add a line (or a trailer) to the message.
  daemon::commit_through_mount(d, steps,
                               {"restore: " + gitstore::quote_path(shown) + " to " + gitstore::quote_path(rev),
                                {gitstore::trailer("Restored-From", oid_hex(target.id))},
                                {},
                                {}});
  out["commit"] = d.history.head() ? json(oid_hex(*d.history.head())) : json(nullptr);
  spdlog::info("git_restore {} to {} ({} changes)", shown, oid_hex(target.id).substr(0, 12), steps.size());
  return out;
}

}  // namespace histfs::commands
