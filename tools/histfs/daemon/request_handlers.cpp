#include "tools/histfs/daemon/request_handlers.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "fs/change_recorder.hpp"
#include "fs/passthrough.hpp"
#include "gitstore/time_text.hpp"
#include "gitstore/sync_repository.hpp"
#include "gitstore/worktree_sync.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"

namespace histfs::daemon {
namespace {

using nlohmann::json;
using gitstore::HistoryError;
using gitstore::oid_hex;
namespace stdfs = std::filesystem;

json commit_json(const gitstore::CommitInfo& commit) {
  return {{"id", oid_hex(commit.id)},
          {"time", gitstore::format_instant(commit.time)},
          {"subject", commit.subject},
          {"author", commit.author}};
}

// A mount-relative path from the client, checked: no "..", no absolute path, not inside .history.
std::string checked_path(const json& request) {
  std::string path = request.value("path", std::string());
  const stdfs::path normal = stdfs::path(path).lexically_normal();
  std::string text = normal.string();
  if (text == "." || text == "./") text.clear();
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (!text.empty() && (normal.is_absolute() || text == ".." || text.starts_with("../")))
    throw HistoryError("path " + path + " is outside the mount");
  if (text == ".history" || text.starts_with(".history/")) throw HistoryError("paths under .history are read-only history");
  return text;
}

json status(DaemonContext& d) {
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
              {"remote", d.remote_sync() ? d.remote_sync()->status() : json(nullptr)}};
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

json log(DaemonContext& d, const json& request) {
  const size_t limit = request.value("limit", size_t(20));
  json commits = json::array();
  for (const auto& commit : d.history.log(checked_path(request), limit)) commits.push_back(commit_json(commit));
  return {{"commits", commits}};
}

json snapshot(DaemonContext& d, const json& request) {
  std::string name = request.value("name", std::string());
  if (name.empty()) {
    // Default name from the UTC time: 2026-11-24T10-00-00Z (no colons, easy to type and to cd into).
    name = gitstore::format_instant(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    std::replace(name.begin(), name.end(), ':', '-');
  }
  d.history.check_snapshot_name(name);  // before the flush: a refused name changes nothing
  flush(d);
  auto tag = d.history.snapshot(name, request.value("message", std::string()));
  spdlog::info("git_snapshot {} at {}", tag.name, oid_hex(tag.commit).substr(0, 12));
  if (auto sync = d.remote_sync()) sync->commit_made();  // snapshots are backed up too
  return {{"name", tag.name}, {"commit", oid_hex(tag.commit)}, {"time", gitstore::format_instant(tag.time)}};
}

json snapshots(DaemonContext& d) {
  json out = json::array();
  for (const auto& tag : d.history.tags())
    out.push_back({{"name", tag.name},
                   {"commit", oid_hex(tag.commit)},
                   {"time", gitstore::format_instant(tag.time)},
                   {"message", tag.message}});
  return {{"snapshots", out}};
}

json reconcile(DaemonContext& d, const json& request) {
  const std::string path = checked_path(request);
  const auto before = d.history.head();
  auto files_at = [&](const std::optional<git_oid>& commit) {
    return commit ? d.history.files_under(d.history.resolve(oid_hex(*commit)).tree, path)
                  : std::map<std::string, gitstore::TreeEntryInfo>{};
  };
  const auto old_files = files_at(before);
  d.changes.rescan(path);
  flush(d);
  const auto after = d.history.head();
  // What changed behind our back may sit in the kernel's caches: names (a replaced or
  // removed file), attributes and pages.
  std::vector<std::string> changed;
  for (const auto& step : diff_files(old_files, files_at(after))) changed.push_back(step.path);
  d.passthrough.invalidate_names(changed);
  d.passthrough.invalidate_all();
  const bool committed = after && (!before || !gitstore::same_oid(*before, *after));
  return {{"committed", committed}, {"head", after ? json(oid_hex(*after)) : json(nullptr)}};
}

// --- restore ---------------------------------------------------------------

std::vector<WriteStep> plan_restore(DaemonContext& d, const gitstore::CommitInfo& target, const std::string& path) {
  auto wanted = d.history.files_under(target.tree, path);
  // Compared with the files as they are now, so a dry run needs no commit first.
  const auto current = gitstore::hash_worktree(d.root_fd, d.ignore, path);
  if (wanted.empty() && !path.empty())
    throw HistoryError(path + " did not exist at " + oid_hex(target.id).substr(0, 12) + "; nothing changed");
  return diff_files(current, wanted);
}

json restore(DaemonContext& d, const json& request) {
  const std::string path = checked_path(request);
  const std::string rev = request.value("rev", std::string());
  const bool dry_run = request.value("dry_run", false);
  const bool allow_mass_delete = request.value("allow_mass_delete", false);
  const auto target = d.history.resolve(rev);
  if (!path.empty() && !d.history.entry(target.tree, path))
    throw HistoryError(path + " did not exist at " + oid_hex(target.id).substr(0, 12) + "; nothing changed");
  if (!dry_run) flush(d);  // the user's own pending edits get their own commit first
  const auto steps = plan_restore(d, target, path);
  size_t deletes = 0;
  json changes = json::array();
  for (const auto& step : steps) {
    deletes += step.kind == WriteStep::Delete;
    changes.push_back({{"action", step.kind == WriteStep::Delete ? "delete" : "write"}, {"path", step.path}});
  }
  json out = {{"rev", oid_hex(target.id)}, {"changes", changes}, {"dry_run", dry_run}};
  const auto max_delete = size_t(d.config.git.max_delete);
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
  commit_through_mount(d, steps,
                       {"restore: " + gitstore::quote_path(shown) + " to " + gitstore::quote_path(rev),
                        {gitstore::trailer("Restored-From", oid_hex(target.id))}, {}, {}});
  out["commit"] = d.history.head() ? json(oid_hex(*d.history.head())) : json(nullptr);
  spdlog::info("git_restore {} to {} ({} changes)", shown, oid_hex(target.id).substr(0, 12), steps.size());
  return out;
}

json connect(DaemonContext& d, const json& request) {
  settings::RemoteSettings settings;
  settings.url = request.value("remote", std::string());
  settings.token_file = request.value("token_file", std::string());
  settings.token_env = request.value("token_env", std::string());
  const std::string prefer = request.value("prefer", std::string());
  if (settings.url.empty()) throw std::invalid_argument("--remote URL is required");
  settings::Config checked = d.config;
  settings::apply_setting(checked, "git.repo", settings.url);  // the same checks as the config key (no credentials in URLs)
  if (!prefer.empty() && prefer != "local" && prefer != "remote")
    throw std::invalid_argument("--prefer must be local or remote");
  settings::apply_config(settings, d.config);
  if (d.remote_sync()) throw std::invalid_argument("already connected; the remote is set in " + d.git_dir + "/config (histfs.remoteUrl)");

  // Reachable, and with the right credentials, before anything is saved.
  gitstore::SyncRepository repo(d.git_dir);
  gitstore::NetworkGuard network(settings.network_timeout);
  const bool empty =
      gitstore::RemoteClient(repo.get(), settings.url, settings::read_token(settings), &network).is_empty();
  if (!empty && prefer.empty())
    throw std::invalid_argument("the remote already has history: choose --prefer remote (its files replace these; "
                                "the current state is kept as a tag) or --prefer local (these files stay; its "
                                "history is merged in)");
  settings::save_remote_settings(d.git_dir, settings);
  auto sync = std::make_shared<RemoteSync>(d, settings, false);
  sync->start();
  d.set_remote_sync(sync);
  json out = {{"remote", gitstore::redact_url(settings.url)}, {"was_empty", empty}};
  out["result"] = empty ? sync->push_now(false) : sync->import_now(prefer);
  return out;
}

std::shared_ptr<RemoteSync> connected(DaemonContext& d) {
  auto sync = d.remote_sync();
  if (!sync) throw std::invalid_argument("no remote: run `histfs connect --remote URL` first");
  return sync;
}

// Requests run on threads of their own (control_server.hpp). Those that change files or history
// from here run one at a time, as they did when one thread served every request (two connects
// would both find no remote); status, flush, log and snapshots never wait for them, and push and
// pull queue on the remote sync's thread. Lock order: taken before DaemonContext::mount_writer.
std::mutex changing_requests;

}  // namespace

// The answers hold names (paths, subjects) as they are; protocol::answer_line writes them in the
// printable form.
json handle_request(DaemonContext& d, const json& request) {
  const std::string command = request["command"];
  if (command == "status") return status(d);
  if (command == "flush") {
    flush(d);
    return {{"head", d.history.head() ? json(oid_hex(*d.history.head())) : json(nullptr)}};
  }
  if (command == "log") return log(d, request);
  if (command == "snapshots") return snapshots(d);
  if (command == "snapshot" || command == "restore" || command == "reconcile" || command == "connect") {
    std::lock_guard lock(changing_requests);
    if (command == "snapshot") return snapshot(d, request);
    if (command == "restore") return restore(d, request);
    if (command == "reconcile") return reconcile(d, request);
    return connect(d, request);
  }
  if (command == "push") return connected(d)->push_now(request.value("allow_mass_delete", false));
  if (command == "pull") return connected(d)->pull_now(request.value("allow_mass_delete", false));
  throw std::invalid_argument("unknown command " + command);
}

}  // namespace histfs::daemon
