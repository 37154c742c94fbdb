// The pull path: fetched history checked, compared with ours, written into the files through the mount (see
// docs/architecture.md, "The path of one pull").
#include "tools/histfs/daemon/remote_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "fs/passthrough.hpp"
#include "gitstore/merge_plan.hpp"
#include "gitstore/repo_path.hpp"
#include "gitstore/repository.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/sync_common.hpp"
#include "tools/histfs/telemetry/events.hpp"

namespace histfs::daemon {

using nlohmann::json;

json RemoteSync::do_fetch(bool allow_mass_delete) {
  set_phase(SyncPhase::Fetching);
  std::optional<git_oid> remote_head;
  try {
    remote_head = fetch();
  } catch (const gitstore::UnsafePathError& error) {
    return refuse_unsafe(error);
  }
  {
    std::lock_guard lock(mutex_);
    state_.last_fetch = now_seconds();
    state_.last_error.clear();
    state_.phase = state_.resting_phase();
  }
  if (!remote_head) {
    commit_made();  // an empty remote: everything of ours is to be pushed
    return {{"pulled", false}, {"reason", "the remote has no main branch yet"}};
  }
  return integrate_or_refuse(*remote_head, allow_mass_delete);
}

std::optional<json> RemoteSync::hold_mass_delete(const std::vector<WriteStep>& steps, const git_oid& remote,
                                                 bool allow_mass_delete) {
  const size_t deletes =
      size_t(std::count_if(steps.begin(), steps.end(), [](const WriteStep& s) { return s.kind == WriteStep::Delete; }));
  std::lock_guard lock(mutex_);
  if (deletes <= settings_.max_delete || allow_mass_delete) {
    state_.pull_held.reset();
    return std::nullopt;
  }
  const std::string reason = "the remote's " + short_id(remote) + " deletes " + std::to_string(deletes) +
                             " files here, more than git.maxDelete (" + std::to_string(settings_.max_delete) +
                             "); nothing was written. Run `histfs pull --allow-mass-delete` to apply it";
  if (state_.pull_held != reason) spdlog::warn("git_pull held: {}", reason);
  state_.pull_held = reason;
  state_.phase = SyncPhase::Held;
  return json{{"pulled", false}, {"held", reason}};
}

json RemoteSync::integrate_or_refuse(const git_oid& remote, bool allow_mass_delete) {
  try {
    return integrate(remote, allow_mass_delete);
  } catch (const gitstore::UnsafePathError& error) {
    return refuse_unsafe(error);
  }
}

json RemoteSync::refuse_unsafe(const gitstore::UnsafePathError& error) {
  // A history histfs will not write: refused whole, nothing written, until the remote moves on.
  const std::string reason = std::string("the remote's history holds an ") + error.what() +
                             "; nothing was written. Fix the remote's history to go on";
  spdlog::error("git_pull refused: {}", reason);
  std::lock_guard lock(mutex_);
  state_.refused = reason;
  state_.phase = SyncPhase::Refused;
  return {{"pulled", false}, {"refused", reason}};
}

void RemoteSync::record_conflicts(const std::vector<std::pair<std::string, std::string>>& conflicts, json& answer) {
  json list = json::array();
  daemon_.metrics.conflicts(conflicts.size());
  std::lock_guard lock(mutex_);
  for (const auto& [path, copy] : conflicts) {
    state_.conflicts.push_back({path, copy, now_seconds()});
    list.push_back({{"path", path}, {"copy", copy}, {"time", gitstore::format_instant(state_.conflicts.back().time)}});
  }
  answer["conflicts"] = list;
}

void RemoteSync::keep_files_being_written(const std::map<std::string, gitstore::TreeEntryInfo>& current,
                                          std::map<std::string, gitstore::TreeEntryInfo>& wanted,
                                          std::vector<std::pair<std::string, std::string>>* conflicts) {
  // A file open for writing keeps its content; what the remote has for it goes beside it,
  // as for a conflict. The result is then a merge commit rather than a fast-forward.
  std::vector<std::pair<std::string, std::string>> moved;
  for (auto& [path, entry] : wanted) {
    auto local = current.find(path);
    if (local == current.end() || local->second == entry || !daemon_.passthrough.open_for_writing(path)) continue;
    moved.emplace_back(path, gitstore::conflict_copy_name(path, "main", now_seconds()));
  }
  for (const auto& [path, copy] : moved) {
    wanted[copy] = wanted[path];
    wanted[path] = current.at(path);
    telemetry::Event("git_conflict")
        .with("path", path)
        .with("copy", copy)
        .with("why", "open for writing")
        .log(spdlog::level::warn,
             fmt::format("git_conflict {} is open for writing: kept; the remote's version is in \"{}\"", path, copy));
    if (conflicts) conflicts->emplace_back(path, copy);
  }
}

json RemoteSync::integrate(const git_oid& remote, bool allow_mass_delete) {
  flush(daemon_);  // local edits become a commit first: they are never overwritten
  const auto head = repo_.ref(gitstore::kBranchRef);
  const auto pushed = repo_.ref(kPushedRef);
  const auto comparison = repo_.compare(head, remote, pushed);

  if (comparison.rewrote_pushed && !settings_.allow_non_ff) {
    const std::string reason = "the remote's main (" + short_id(remote) + ") no longer contains " + short_id(*pushed) +
                               ", which histfs pushed: its history was rewritten (a force-push). Nothing was "
                               "changed; set git.allowNonFF=true to merge it anyway";
    spdlog::error("git_pull refused: {}", reason);
    std::lock_guard lock(mutex_);
    state_.refused = reason;
    state_.phase = SyncPhase::Refused;
    return {{"pulled", false}, {"refused", reason}};
  }

  {
    std::lock_guard lock(mutex_);
    state_.refused.reset();  // this remote history is one we may take
  }
  if (comparison.relation == gitstore::RemoteRelation::Same) {
    repo_.set_ref(kPushedRef, remote);
    set_phase(SyncPhase::InSync);
    return {{"pulled", false}, {"reason", "already up to date"}};
  }
  if (comparison.relation == gitstore::RemoteRelation::LocalAhead) {
    commit_made();
    return {{"pulled", false}, {"reason", "local is ahead; pushing"}};
  }
  set_phase(SyncPhase::Merging);
  auto current = repo_.files_of(head);
  json answer;
  if (comparison.relation == gitstore::RemoteRelation::FastForward) {
    auto wanted = repo_.files_of(remote);
    std::vector<std::pair<std::string, std::string>> kept;
    keep_files_being_written(current, wanted, &kept);
    auto steps = diff_files(current, wanted);
    if (head) apply_renames(steps, repo_.renames(*head, remote));
    if (auto held = hold_mass_delete(steps, remote, allow_mass_delete)) return *held;
    if (auto held = fetch_lfs(files_written(steps), remote)) return *held;
    // Adopting the remote's commit needs the same tree; a kept file makes it a merge instead.
    commit_through_mount(daemon_, steps,
                         {"pull: merge " + short_id(remote) + " from the remote", {}, {remote}, remote});
    spdlog::info("git_pull fast-forward to {} ({} files changed)", short_id(remote), steps.size());
    answer = {{"pulled", true}, {"fast_forward", kept.empty()}, {"files_changed", steps.size()}};
    record_conflicts(kept, answer);
  } else {
    const auto base = repo_.merge_base(*head, remote);
    const git_oid base_tree = base ? repo_.tree_of(*base) : git_oid{};
    auto plan = gitstore::plan_merge(repo_.get(), base ? &base_tree : nullptr, repo_.tree_of(*head),
                                     repo_.tree_of(remote), "main", now_seconds());
    keep_files_being_written(current, plan.files, &plan.conflicts);
    auto steps = diff_files(current, plan.files);
    apply_renames(steps, repo_.renames(*head, remote));
    if (auto held = hold_mass_delete(steps, remote, allow_mass_delete)) return *held;
    if (auto held = fetch_lfs(files_written(steps), remote)) return *held;
    std::vector<std::string> trailers;
    for (const auto& [path, copy] : plan.conflicts) {
      trailers.push_back(gitstore::trailer("Conflict", path));  // quoted: a name cannot add a trailer
      telemetry::Event("git_conflict")
          .with("path", path)
          .with("copy", copy)
          .with("why", "both sides changed it")
          .log(spdlog::level::warn,
               fmt::format("git_conflict {}: both sides changed it; the remote's version is in \"{}\"", path, copy));
    }
    commit_through_mount(daemon_, steps, {"Merge remote main (" + short_id(remote) + ")", trailers, {remote}, {}});
    spdlog::info("git_pull merged {} ({} files changed, {} conflicts)", short_id(remote), steps.size(),
                 plan.conflicts.size());
    answer = {{"pulled", true}, {"fast_forward", false}, {"files_changed", steps.size()}};
    record_conflicts(plan.conflicts, answer);
  }
  repo_.set_ref(kPushedRef, remote);  // what the remote has is now part of ours
  set_phase(SyncPhase::Pushing);
  commit_made();
  return answer;
}

}  // namespace histfs::daemon
