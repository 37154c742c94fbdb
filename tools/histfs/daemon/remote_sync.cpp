#include "tools/histfs/daemon/remote_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "fs/mount_session.hpp"
#include "fs/passthrough.hpp"
#include "gitstore/merge_plan.hpp"
#include "gitstore/repo_path.hpp"
#include "gitstore/repository.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"

namespace histfs::daemon {
namespace {

using gitstore::check;
using gitstore::oid_hex;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kPushedRef = "refs/histfs/pushed";  // what we last pushed: a force-push must keep it
constexpr auto kBackoffStart = std::chrono::milliseconds(1000);
constexpr auto kBackoffCap = std::chrono::milliseconds(60000);

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string short_id(const git_oid& oid) { return oid_hex(oid).substr(0, 12); }

}  // namespace

RemoteSync::RemoteSync(DaemonContext& daemon, RemoteSettings settings, bool catch_up)
    : daemon_(daemon), settings_(std::move(settings)), repo_(daemon.git_dir), network_(settings_.network_timeout) {
  if (!catch_up) {
    push_wanted_ = fetch_wanted_ = false;
    last_fetch_attempt_ = Clock::now();
  }
  state_.url = gitstore::redact_url(settings_.url);
}

RemoteSync::~RemoteSync() { stop(); }

void RemoteSync::start() {
  thread_ = fs::start_quiet_thread([this] { run(); });
}

void RemoteSync::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    wake_.notify_all();
  }
  network_.cancel();  // a push or fetch in progress ends now, not after git.networkTimeout
  if (thread_.joinable()) thread_.join();
}

void RemoteSync::commit_made() {
  std::lock_guard lock(mutex_);
  push_wanted_ = true;
  wake_.notify_all();
}

void RemoteSync::fetch_soon(const std::string& why) {
  std::lock_guard lock(mutex_);
  fetch_wanted_ = true;
  fetch_reason_ = why;
  if (why.starts_with("webhook")) state_.last_webhook = now_seconds();
  next_try_ = Clock::now();  // a delivery says the remote is up: no need to wait out a backoff
  wake_.notify_all();
}

json RemoteSync::status() {
  std::lock_guard lock(mutex_);
  // A conflict is settled once its copy is gone (deleted, or renamed after a look).
  std::erase_if(state_.conflicts, [&](const ConflictCopy& c) {
    struct stat st;
    return fstatat(daemon_.root_fd, c.copy.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
  });
  return state_.to_json();
}

void RemoteSync::set_phase(SyncPhase phase) {
  std::lock_guard lock(mutex_);
  state_.phase = phase;
  state_.progress.reset();  // a new step starts from nothing
}

json RemoteSync::run_on_thread(Job job, bool allow_mass_delete) {
  Request request{job, allow_mass_delete, std::nullopt, ""};
  std::unique_lock lock(mutex_);
  requests_.push_back(&request);
  wake_.notify_all();
  wake_.wait(lock, [&] { return request.answer.has_value() || !request.error.empty() || stop_; });
  if (!request.error.empty()) throw std::runtime_error(request.error);
  if (!request.answer) throw std::runtime_error("the daemon is stopping");
  return *request.answer;
}

json RemoteSync::push_now(bool allow_mass_delete) { return run_on_thread(Job::Push, allow_mass_delete); }
json RemoteSync::pull_now(bool allow_mass_delete) { return run_on_thread(Job::Fetch, allow_mass_delete); }

json RemoteSync::import_now(const std::string& prefer) {
  return run_on_thread(prefer == "remote" ? Job::ImportRemote : Job::ImportLocal, false);
}

json RemoteSync::do_import(bool prefer_remote) {
  auto remote = fetch();
  if (!remote) return do_push(false);
  flush(daemon_);
  const auto head = repo_.ref(gitstore::kBranchRef);
  std::string kept;
  if (head && prefer_remote) {
    // The state before the import stays easy to find, as a tag.
    std::string stamp = gitstore::format_instant(now_seconds());
    std::replace(stamp.begin(), stamp.end(), ':', '-');
    kept = "before-connect-" + stamp;
    repo_.tag_commit(kept, *head);
  }
  // Connect never deletes on either side: the files become the union of both, and where both
  // have a path, --prefer says whose content is kept (the other stays in history: both
  // commits are parents of the result).
  const auto local = repo_.files_of(head);
  const auto theirs = repo_.files_of(*remote);
  auto wanted = local;
  json replaced = json::array();
  for (const auto& [path, entry] : theirs) {
    auto mine = wanted.find(path);
    if (mine == wanted.end()) {
      wanted.emplace(path, entry);
    } else if (!(mine->second == entry)) {
      replaced.push_back({{"path", path},
                          {"kept", prefer_remote ? "remote" : "local"},
                          {"other_in", short_id(prefer_remote ? *head : *remote)}});
      if (prefer_remote) mine->second = entry;
    }
  }
  std::vector<std::pair<std::string, std::string>> busy;
  keep_files_being_written(local, wanted, &busy);
  const auto steps = diff_files(local, wanted);
  set_phase(SyncPhase::Importing);
  // Nothing local (or nothing that differs): the remote's commit itself becomes HEAD.
  const std::optional<git_oid> adopt = !head || wanted == theirs ? std::optional<git_oid>(*remote) : std::nullopt;
  commit_through_mount(daemon_, steps,
                       {prefer_remote ? "connect: both sides' files, the remote's where both have one"
                                      : "connect: both sides' files, the local ones where both have one",
                        {},
                        head ? std::vector<git_oid>{*remote} : std::vector<git_oid>{},
                        adopt});
  json answer = {{"imported", prefer_remote ? "remote" : "local"},
                 {"files_changed", steps.size()},
                 {"kept_as_tag", kept},
                 {"replaced", replaced}};
  record_conflicts(busy, answer);
  spdlog::info("git_connect imported the remote's history: {} files written, {} kept from the {} side{}", steps.size(),
               replaced.size(), prefer_remote ? "remote" : "local",
               kept.empty() ? "" : "; the local state is tag " + kept);
  repo_.set_ref(kPushedRef, *remote);
  answer["push"] = do_push(false);
  return answer;
}

std::optional<git_oid> RemoteSync::fetch() {
  auto result = client().fetch();
  for (const auto& tag : result.new_tags) spdlog::info("git_pull snapshot {} from the remote", tag);
  {
    std::lock_guard lock(mutex_);
    if (result.head_missing && !state_.head_warning)
      spdlog::warn(
          "the remote's HEAD names a branch it does not have: a plain git clone checks out nothing "
          "(set the default branch to main on the server)");
    state_.head_warning = result.head_missing ? std::optional<std::string>(
                                                    "the remote's HEAD names a branch it does not have; a git clone "
                                                    "checks out nothing until its default branch is main")
                                              : std::nullopt;
  }
  for (const auto& tag : result.conflicting_tags)
    spdlog::warn("git_pull the remote's snapshot {} names another commit than ours; ours is kept", tag);
  return result.main;
}

gitstore::RemoteClient RemoteSync::client() {
  gitstore::RemoteClient remote(repo_.get(), settings_.url, settings::read_token(settings_), &network_);
  remote.on_progress([this](const gitstore::TransferProgress& progress) {
    std::lock_guard lock(mutex_);
    state_.progress = progress;
  });
  return remote;
}

size_t RemoteSync::deletions_since_pushed(const git_oid& head) {
  auto base = repo_.ref(kPushedRef);
  if (!base) base = repo_.ref(gitstore::kRemoteTrackingRef);
  return base ? repo_.deletions(*base, head) : 0;
}

json RemoteSync::do_push(bool allow_mass_delete) {
  {
    std::lock_guard lock(mutex_);
    // After a refused rewrite, pushing would only be rejected again: wait for the user.
    if (state_.refused) return {{"pushed", false}, {"refused", *state_.refused}};
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto head = repo_.ref(gitstore::kBranchRef);
    if (!head) return {{"pushed", false}, {"reason", "nothing to push yet"}};
    const auto pushed = repo_.ref(kPushedRef);
    const auto tags = repo_.tag_names();
    const bool tags_pushed = std::includes(pushed_tags_.begin(), pushed_tags_.end(), tags.begin(), tags.end());
    if (pushed && gitstore::same_oid(*pushed, *head) && tags_pushed && attempt == 0 && !allow_mass_delete) {
      std::lock_guard lock(mutex_);
      state_.phase = state_.resting_phase();
      state_.unpushed_commits = 0;
      return {{"pushed", false}, {"reason", "already up to date"}, {"head", oid_hex(*head)}};
    }
    const size_t deleted = deletions_since_pushed(*head);
    if (deleted > settings_.max_delete && !allow_mass_delete) {
      const std::string reason = "the unpushed commits delete " + std::to_string(deleted) +
                                 " files, more than git.maxDelete (" + std::to_string(settings_.max_delete) +
                                 "); run `histfs push --allow-mass-delete` to push them";
      std::lock_guard lock(mutex_);
      if (state_.held != reason) spdlog::warn("git_push held: {}", reason);
      state_.held = reason;
      state_.phase = SyncPhase::Held;
      return {{"pushed", false}, {"held", reason}};
    }
    set_phase(SyncPhase::Pushing);
    auto outcome = client().push(repo_.ref(gitstore::kRemoteTrackingRef));
    if (outcome.rejected.empty()) {
      repo_.set_ref(kPushedRef, *head);
      repo_.set_ref(gitstore::kRemoteTrackingRef, *head);
      pushed_tags_ = tags;  // a tag made during the push is not in `tags`: the next push takes it
      std::lock_guard lock(mutex_);
      state_.last_push = now_seconds();
      state_.held.reset();
      state_.last_error.clear();
      state_.phase = state_.resting_phase();
      state_.unpushed_commits = 0;
      spdlog::info("git_push {} to {}", short_id(*head), gitstore::redact_url(settings_.url));
      return {{"pushed", true}, {"head", oid_hex(*head)}};
    }
    // The remote moved on: bring its history in, then try again.
    spdlog::info("git_push rejected ({}); fetching to merge", outcome.rejected.front());
    json merged = do_fetch(false);
    if (merged.contains("refused") || merged.contains("held")) return merged;
  }
  throw gitstore::RemoteError("the remote kept rejecting the push");
}

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
    spdlog::warn("git_conflict {} is open for writing: kept; the remote's version is in \"{}\"", path, copy);
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
    std::vector<std::string> trailers;
    for (const auto& [path, copy] : plan.conflicts) {
      trailers.push_back(gitstore::trailer("Conflict", path));  // quoted: a name cannot add a trailer
      spdlog::warn("git_conflict {}: both sides changed it; the remote's version is in \"{}\"", path, copy);
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

void RemoteSync::run() {
  std::mt19937 random{std::random_device{}()};
  for (;;) {
    Job job = Job::None;
    Request* request = nullptr;
    {
      std::unique_lock lock(mutex_);
      for (;;) {
        if (stop_) {
          for (auto* r : requests_) r->error = "the daemon is stopping";
          wake_.notify_all();
          return;
        }
        const auto now = Clock::now();
        if (!requests_.empty()) {
          request = requests_.front();
          requests_.erase(requests_.begin());
          job = request->job;
          break;
        }
        if (!settings_.import_prefer.empty() && now >= next_try_) {
          job = settings_.import_prefer == "remote" ? Job::ImportRemote : Job::ImportLocal;
          break;
        }
        if (now - last_fetch_attempt_ >= settings_.fetch_interval) fetch_wanted_ = true;
        if (now >= next_try_ && (fetch_wanted_ || push_wanted_)) {
          job = fetch_wanted_ ? Job::Fetch : Job::Push;
          (job == Job::Fetch ? fetch_wanted_ : push_wanted_) = false;
          break;
        }
        // Sleep until the next retry, periodic push or fetch is due.
        auto until = last_fetch_attempt_ + settings_.fetch_interval;
        if (push_wanted_ || fetch_wanted_) until = std::min(until, next_try_);
        until = std::min(until, now + settings_.push_interval);
        wake_.wait_until(lock, until);
        if (Clock::now() >= until && state_.phase != SyncPhase::InSync)
          push_wanted_ = true;  // periodic retry of unpushed work
      }
    }
    json answer;
    std::string error;
    try {
      if (job == Job::Fetch) last_fetch_attempt_ = Clock::now();
      switch (job) {
        case Job::Fetch:
          answer = do_fetch(request && request->allow_mass_delete);
          break;
        case Job::ImportLocal:
        case Job::ImportRemote:
          set_phase(SyncPhase::Importing);
          answer = do_import(job == Job::ImportRemote);
          if (!settings_.import_prefer.empty()) {  // the import left by an offline connect is done
            settings_.import_prefer.clear();
            settings::save_remote_settings(daemon_.git_dir, settings_);
          }
          break;
        default:
          answer = do_push(request && request->allow_mass_delete);
      }
      std::lock_guard lock(mutex_);
      backoff_ = std::chrono::milliseconds(0);
      next_try_ = Clock::now();
    } catch (const std::exception& failure) {
      error = failure.what();
      std::lock_guard lock(mutex_);
      backoff_ = std::min(std::max(backoff_ * 2, std::chrono::milliseconds(kBackoffStart)),
                          std::chrono::milliseconds(kBackoffCap));
      // Jitter spreads the retries of many daemons after an outage.
      std::uniform_real_distribution<double> jitter(0.8, 1.2);
      next_try_ = Clock::now() + std::chrono::milliseconds(long(backoff_.count() * jitter(random)));
      (job == Job::Fetch ? fetch_wanted_ : push_wanted_) = true;
      state_.last_error = error;
      state_.phase = SyncPhase::Retrying;
      spdlog::warn("git_{} failed (retry in {:.1f} s): {}", job == Job::Fetch ? "fetch" : "push",
                   backoff_.count() / 1000.0, error);
    }
    if (request) {
      std::lock_guard lock(mutex_);
      if (error.empty())
        request->answer = answer;
      else
        request->error = error;
      wake_.notify_all();
    }
  }
}

}  // namespace histfs::daemon
