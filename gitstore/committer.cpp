#include "gitstore/committer.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "gitstore/tree_overlay.hpp"
#include "gitstore/worktree_sync.hpp"

namespace histfs::gitstore {
namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool is_gitignore(const std::string& path) {
  return path == ".gitignore" || (path.size() > 11 && path.ends_with("/.gitignore"));
}

bool is_directory(int root_fd, const std::string& path) {
  struct stat st;
  return fstatat(root_fd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// Drops paths that lie inside another path of the set (the outer one covers them).
std::set<std::string> outermost(const std::set<std::string>& paths) {
  std::set<std::string> out;
  for (const auto& path : paths) {
    bool covered = std::any_of(out.begin(), out.end(), [&](const std::string& dir) { return is_same_or_below(path, dir); });
    if (!covered) out.insert(path);
  }
  return out;
}

}  // namespace

Committer::Committer(Repository& repo, int root_fd, IgnoreRules& ignore, ChangeSet& changes, CommitterOptions options)
    : repo_(repo), root_fd_(root_fd), ignore_(ignore), changes_(changes), options_(options) {
  cache_.load(stat_cache_file());
}

Committer::~Committer() { stop(); }

std::string Committer::stat_cache_file() const { return (std::filesystem::path(repo_.git_dir()) / "histfs-stat-cache").string(); }

std::optional<CommitResult> Committer::reconcile() {
  ChangeBatch batch;
  batch.rescan_dirs.insert("");
  const bool first = !repo_.head_commit().has_value();
  auto result = commit_batch(batch, first ? "initial import: " : "recover changes made outside the mount: ");
  cache_.save(stat_cache_file());
  return result;
}

ChangeSummary Committer::apply(TreeOverlay& overlay, const ChangeBatch& batch, ObjectSync& written) {
  ChangeSummary summary;
  const WorktreeContext context{repo_.odb(), root_fd_, ignore_, cache_, &written};
  std::set<std::string> reread = batch.dirty;

  for (const auto& op : batch.ops) {
    if (!is_storable_path(op.path) || (!op.other.empty() && !is_storable_path(op.other))) {
      reread.insert(op.path);
      if (!op.other.empty()) reread.insert(op.other);
      continue;
    }
    switch (op.kind) {
      case PathOp::Kind::Remove:
        remove_path(overlay, op.path, summary);
        if (is_gitignore(op.path)) reread.insert(op.path);  // what it ignored may come back
        break;
      case PathOp::Kind::Move:
        if (is_gitignore(op.path)) reread.insert(op.path);
        // A move keeps the entry (and its blob) as it is; anything uncertain is re-read.
        if (!overlay.move(op.path, op.other)) {
          reread.insert(op.other);
        } else if (ignore_.is_ignored(op.other, is_directory(root_fd_, op.other))) {
          // Moved out of git's sight: what leaves is what stood at the old name.
          ChangeSummary gone;
          remove_path(overlay, op.other, gone);
          for (const auto& path : gone.removed) summary.removed.push_back(op.path + path.substr(op.other.size()));
        } else {
          summary.renamed.emplace_back(op.path, op.other);
          if (is_gitignore(op.other)) reread.insert(op.other);
        }
        break;
      case PathOp::Kind::Exchange:
        overlay.exchange(op.path, op.other);
        summary.updated.push_back(op.path);
        summary.updated.push_back(op.other);
        reread.insert(op.path);
        reread.insert(op.other);
        break;
    }
  }

  std::set<std::string> rescan = batch.rescan_dirs;
  for (const auto& path : reread)
    if (is_gitignore(path)) {
      ignore_.invalidate(parent_dir(path));
      rescan.insert(parent_dir(path));
    }
  rescan = outermost(rescan);
  for (const auto& dir : rescan) sync_path(overlay, dir, context, summary);
  for (const auto& path : outermost(reread)) {
    bool covered = std::any_of(rescan.begin(), rescan.end(), [&](const std::string& dir) { return is_same_or_below(path, dir); });
    if (!covered) sync_path(overlay, path, context, summary);
  }
  return summary;
}

std::optional<CommitResult> Committer::commit_batch(const ChangeBatch& batch, const std::string& what) {
  const auto started = std::chrono::steady_clock::now();
  const auto head = repo_.head_commit();
  const auto base_tree = repo_.head_tree();
  TreeOverlay overlay(repo_.get(), base_tree ? &*base_tree : nullptr);
  ObjectSync written(repo_.git_dir());
  ChangeSummary summary = apply(overlay, batch, written);
  const git_oid tree = overlay.write(&written);
  if (batch.label.adopt) {
    if (auto adopted = adopt(*batch.label.adopt, tree, head, written)) return CommitResult{*adopted, std::move(summary), ""};
  }
  const bool merge = !batch.label.extra_parents.empty();
  if (!merge && (base_tree ? git_oid_equal(&tree, &*base_tree) : summary.count() == 0)) {
    spdlog::debug("batch left the tree unchanged; no commit");
    return std::nullopt;
  }
  CommitResult result{{}, std::move(summary), new_correlation_id()};
  const std::string message = commit_message(what, result.summary, batch.actors, result.correlation_id,
                                             batch.label.subject, batch.label.trailers);
  const std::string subject = message.substr(0, message.find('\n'));
  result.commit = repo_.commit(tree, head, message, author_of(batch.actors), "histfs: " + subject, written,
                               batch.label.extra_parents);
  ++commits_;
  if (on_commit_) on_commit_();
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  spdlog::info("git_commit {} {} ({} paths, {:.1f} ms, correlation {})", oid_hex(result.commit).substr(0, 12), subject, result.summary.count(), elapsed.count() / 1000.0, result.correlation_id);
  return result;
}

std::optional<git_oid> Committer::adopt(const git_oid& target, const git_oid& tree, const std::optional<git_oid>& head,
                                        ObjectSync& written) {
  git_commit* raw = nullptr;
  check(git_commit_lookup(&raw, repo_.get(), &target), "read commit to adopt");
  CommitPtr commit(raw);
  if (!git_oid_equal(git_commit_tree_id(commit.get()), &tree)) {
    spdlog::warn("the files differ from {} after applying it; committing them instead", oid_hex(target).substr(0, 12));
    return std::nullopt;
  }
  written.sync();
  repo_.move_branch(target, head, "histfs: fast-forward to " + oid_hex(target));
  ++commits_;
  if (on_commit_) on_commit_();
  return target;
}

void Committer::start(std::function<std::thread(std::function<void()>)> start_thread) {
  start_thread_ = std::move(start_thread);
  {
    std::lock_guard lock(status_mutex_);
    running_ = true;
  }
  thread_ = start_thread_([this] { run(); });
}

void Committer::stop() {
  if (!thread_.joinable()) return;
  changes_.request_stop();
  thread_.join();
  cache_.save(stat_cache_file());
  std::lock_guard lock(status_mutex_);
  running_ = false;
  flushed_.notify_all();
}

CommitterStatus Committer::status() const {
  std::lock_guard lock(status_mutex_);
  CommitterStatus copy = status_;
  copy.commits = commits_.load();
  return copy;
}

bool Committer::wait_flushed(unsigned long ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(status_mutex_);
  flushed_.wait_for(lock, timeout, [&] { return completed_ticket_ >= ticket || !running_; });
  return completed_ticket_ >= ticket;
}

void Committer::finish(unsigned long ticket, const std::optional<CommitResult>& result, const std::string& error) {
  std::lock_guard lock(status_mutex_);
  completed_ticket_ = std::max(completed_ticket_, ticket);
  status_.last_error = error;
  if (result) {
    status_.last_commit = result->commit;
    status_.last_commit_time = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
  }
  flushed_.notify_all();
}

void Committer::run() {
  std::chrono::milliseconds backoff{0};
  for (;;) {
    ChangeBatch batch = changes_.wait_for_batch(options_.quiet, options_.max_delay);
    const bool stopping = changes_.stopping();
    if (batch.empty()) {
      finish(batch.flush_ticket, std::nullopt, "");
    } else {
      try {
        auto result = commit_batch(batch, "");
        finish(batch.flush_ticket, result, "");
        backoff = std::chrono::milliseconds{0};
      } catch (const std::exception& error) {
        // The files are safe in the backing dir; compare everything on the next try.
        spdlog::error("commit failed, will retry by comparing the whole tree: {}", error.what());
        finish(batch.flush_ticket, std::nullopt, error.what());
        changes_.rescan("");
        if (stopping) {
          spdlog::error("stopping with uncommitted changes; the next mount will commit them");
          return;
        }
        backoff = std::min(std::max(backoff * 2, std::chrono::milliseconds{500}), std::chrono::milliseconds{60000});
        changes_.sleep_unless_stopped(backoff);
      }
    }
    if (stopping && changes_.pending() == 0) return;
  }
}

}  // namespace histfs::gitstore
