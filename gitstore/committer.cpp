#include "gitstore/committer.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <shared_mutex>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "gitstore/blob_store.hpp"
#include "gitstore/dir_walk.hpp"
#include "gitstore/printable.hpp"
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
  return stat_at(root_fd, path, st) == 0 && S_ISDIR(st.st_mode);
}

bool same_stat(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mode == b.st_mode &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// File timestamps come from the kernel's coarse clock, which lags the real time by a tick
// (at most 10 ms): a change this much older than a batch's cut was surely made before it.
constexpr auto kCoarseClockLag = std::chrono::milliseconds(50);

std::chrono::system_clock::time_point ctime_of(const struct stat& st) {
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(st.st_ctim.tv_sec) + std::chrono::nanoseconds(st.st_ctim.tv_nsec)));
}

std::string joined(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& path : paths) out += (out.empty() ? "" : ", ") + path;
  return out;
}

// Drops paths that lie inside another path of the set (the outer one covers them).
std::set<std::string> outermost(const std::set<std::string>& paths) {
  std::set<std::string> out;
  for (const auto& path : paths) {
    bool covered =
        std::any_of(out.begin(), out.end(), [&](const std::string& dir) { return is_same_or_below(path, dir); });
    if (!covered) out.insert(path);
  }
  return out;
}

}  // namespace

Committer::Committer(Repository& repo, int root_fd, IgnoreRules& ignore, ChangeSet& changes, CommitterOptions options)
    : repo_(repo), root_fd_(root_fd), ignore_(ignore), changes_(changes), options_(options) {
  cache_.load(stat_cache_file());
  ObjectSync::watch(repo_.odb(), (std::filesystem::path(repo_.git_dir()) / "objects").string());
}

Committer::~Committer() { stop(); }

void Committer::enable_lfs(LfsOptions options, std::function<void(const std::vector<std::string>&)> rewritten) {
  lfs_ = std::make_unique<LfsPolicy>(std::move(options), repo_.git_dir());
  rewritten_ = std::move(rewritten);
  importer_ = std::make_unique<LfsImporter>(lfs_->store(), root_fd_, [this] { changes_.due_now(); });
}

std::string Committer::stat_cache_file() const {
  return (std::filesystem::path(repo_.git_dir()) / "histfs-stat-cache").string();
}

std::optional<CommitResult> Committer::reconcile() {
  ChangeBatch batch;
  batch.rescan_dirs.insert("");
  const bool first = !repo_.head_commit().has_value();
  // No self-check follows a reconcile (it compared everything): what it read need not be
  // kept, some 250 bytes a file at the peak of a remount.
  struct KeepSeenAfter {
    bool& keep;
    ~KeepSeenAfter() { keep = true; }
  } keep_seen_after{keep_seen_};
  keep_seen_ = false;
  auto result = commit_batch(batch, first ? "initial import: " : "recover changes made outside the mount: ");
  changes_.committed();
  cache_.save_if_changed(stat_cache_file());
  forget_batch(true);
  std::lock_guard lock(status_mutex_);
  status_.stat_cache_entries = cache_.size();  // status shows it before the first commit too
  return result;
}

ChangeSummary Committer::apply(TreeOverlay& overlay, const ChangeBatch& batch, ObjectSync& written) {
  ChangeSummary summary;
  seen_.clear();
  deferred_.clear();
  std::map<std::string, std::string> skipped;
  EntryNameCheck names(repo_.get());
  std::set<std::string> lfs_stored;
  if (lfs_) lfs_->load_attributes(root_fd_);  // a .gitattributes edited in this batch counts already
  const WorktreeContext context{repo_.odb(),
                                root_fd_,
                                ignore_,
                                cache_,
                                &written,
                                keep_seen_ ? &seen_ : nullptr,
                                &skipped,
                                &names,
                                lfs_.get(),
                                &lfs_stored,
                                defer_large_ ? importer_.get() : nullptr,
                                &deferred_};
  // Paths the replay cannot settle, named as at their op: later moves of the batch carry
  // them along (batch.dirty already holds current names).
  std::set<std::string> late;
  auto reread_late = [&](const std::string& path) { late.insert(path); };

  for (const auto& op : batch.ops) {
    carry_through(late, op);
    if (!is_storable_path(op.path) || (!op.other.empty() && !is_storable_path(op.other))) {
      reread_late(op.path);
      if (!op.other.empty()) reread_late(op.other);
      continue;
    }
    switch (op.kind) {
      case PathOp::Kind::Remove:
        remove_path(overlay, op.path, summary);
        if (is_gitignore(op.path)) reread_late(op.path);  // what it ignored may come back
        break;
      case PathOp::Kind::Move:
        if (is_gitignore(op.path)) reread_late(op.path);
        // A move keeps the entry (and its blob) as it is; anything uncertain is re-read.
        if (!overlay.move(op.path, op.other)) {
          reread_late(op.other);
        } else if (ignore_.is_ignored(op.other, is_directory(root_fd_, op.other))) {
          // Moved out of git's sight: what leaves is what stood at the old name.
          ChangeSummary gone;
          remove_path(overlay, op.other, gone);
          for (std::string_view path : gone.removed)
            summary.removed.push_back(op.path + std::string(path.substr(op.other.size())));
        } else {
          summary.renamed.emplace_back(op.path, op.other);
          if (is_gitignore(op.other)) reread_late(op.other);
        }
        break;
      case PathOp::Kind::Exchange:
        overlay.exchange(op.path, op.other);
        summary.updated.push_back(op.path);
        summary.updated.push_back(op.other);
        reread_late(op.path);
        reread_late(op.other);
        break;
    }
  }

  std::set<std::string> reread = batch.dirty;
  reread.insert(late.begin(), late.end());
  std::set<std::string> rescan = batch.rescan_dirs;
  for (const auto& path : reread)
    if (is_gitignore(path)) {
      ignore_.invalidate(parent_dir(path));
      rescan.insert(parent_dir(path));
    }
  rescan = outermost(rescan);
  // From here on the backing dir is read as it is now, which may already show changes of the
  // next batch: the ChangeSet makes that batch reread wherever those changes took what we read.
  read_ = rescan;
  read_.insert(reread.begin(), reread.end());
  changes_.reading(read_);
  // A rescan counts its files in a task of its own unless the caller reports already (start-up).
  std::shared_ptr<ProgressTask> task;
  if (progress_board_ && !rescan.empty() && !current_progress())
    task = progress_board_->begin("reconcile", "comparing files");
  const ProgressScope scope(task ? task.get() : current_progress());
  for (const auto& dir : rescan) sync_path(overlay, dir, context, summary);
  for (const auto& path : outermost(reread)) {
    bool covered =
        std::any_of(rescan.begin(), rescan.end(), [&](const std::string& dir) { return is_same_or_below(path, dir); });
    if (!covered) sync_path(overlay, path, context, summary);
  }
  if (lfs_) keep_lfs_attributes(overlay, context, lfs_stored, summary);
  note_skipped(skipped);
  return summary;
}

void Committer::keep_lfs_attributes(TreeOverlay& overlay, const WorktreeContext& context,
                                    const std::set<std::string>& lfs_stored, ChangeSummary& summary) {
  std::set<std::string> moved;
  for (const auto& [from, to] : summary.renamed) moved.insert(to);
  bool rewritten = false;
  try {
    rewritten = lfs_->update_attributes(root_fd_, overlay, repo_.odb(), lfs_stored, moved);
  } catch (const std::system_error& error) {
    spdlog::warn("lfs: .gitattributes could not be updated: {}", error.what());  // the files commit all the same
  }
  if (!rewritten) return;
  read_.insert(".gitattributes");
  sync_path(overlay, ".gitattributes", context, summary);
  if (rewritten_) rewritten_({".gitattributes"});
}

void Committer::forget_batch(bool whole_tree) {
  // Beyond this many files a batch (an import, a rescan, a reconcile, which keeps no seen_)
  // leaves megabytes of freed maps in the heap; they go back to the system, so the RSS after
  // a large import is the daemon's steady size, not its peak.
  constexpr std::size_t kLargeBatch = 10000;
  const bool large = whole_tree || seen_.size() > kLargeBatch || read_.size() > kLargeBatch;
  std::map<std::string, SeenFile>().swap(seen_);
  std::set<std::string>().swap(read_);
  if (large) malloc_trim(0);
}

void Committer::note_skipped(const std::map<std::string, std::string>& skipped) {
  // What this commit read again is judged afresh: it stays skipped only if it failed again.
  std::map<std::string, std::string> now;
  for (const auto& [skipped_path, why] : skipped_) {
    const std::string& path = skipped_path;  // a plain reference: lambdas may not capture bindings before C++20 (clang)
    const bool reread =
        std::any_of(read_.begin(), read_.end(), [&](const std::string& dir) { return is_same_or_below(path, dir); });
    struct stat st;
    const bool gone = stat_at(root_fd_, path, st) != 0 && (errno == ENOENT || errno == ENOTDIR);
    if (!reread && !gone) now.emplace(path, why);
  }
  for (const auto& [path, why] : skipped) {
    if (!skipped_.count(path))
      spdlog::warn("skipped_path: {} cannot be committed ({}); the other changes are committed", printable(path),
                   printable(why));
    now.insert_or_assign(path, why);
  }
  skipped_ = std::move(now);
  std::vector<std::string> shown;
  for (const auto& [path, why] : skipped_) shown.push_back(printable(path) + ": " + printable(why));
  std::lock_guard lock(status_mutex_);
  status_.skipped = std::move(shown);
}

std::optional<CommitResult> Committer::commit_batch(const ChangeBatch& batch, const std::string& what,
                                                    const CommitLabel& label) {
  const auto head = repo_.head_commit();
  ObjectSync written(repo_.git_dir());
  try {
    auto result = write_commit(batch, what, label, head, written);
    // A batch that left the tree as it was wrote no commit, but the stat cache names the blobs
    // it stored: a pack of them is finished here, not dropped with `written`.
    repo_.prepare_objects(written);
    // What the importer still reads stays in the batch being recorded, by its writers.
    for (const auto& path : deferred_) changes_.defer(path, batch.actors);
    // The importer says when it is done (due_now), but that word is lost if it came before the
    // paths were back in the batch (an empty batch is never due): then it is said here.
    if (importer_ && std::any_of(deferred_.begin(), deferred_.end(),
                                 [&](const std::string& path) { return !importer_->pending(path); }))
      changes_.due_now();
    return result;
  } catch (...) {
    // Nothing points at what this attempt wrote unless the branch moved: take it back, or a
    // nearly full disk fills up again at every retry.
    try {
      const auto now = repo_.head_commit();
      if (now.has_value() == head.has_value() && (!now || git_oid_equal(&*now, &*head))) {
        const std::vector<git_oid> created = written.created();
        if (!created.empty()) spdlog::info("commit failed; removing the {} objects it wrote", created.size());
        cache_.forget_blobs(created);  // they name blobs removed now
        written.discard();
      }
    } catch (const std::exception& error) {
      spdlog::warn("commit failed, and its objects stay: {}", error.what());
    }
    throw;
  }
}

std::optional<CommitResult> Committer::write_commit(const ChangeBatch& batch, const std::string& what,
                                                    const CommitLabel& label, const std::optional<git_oid>& head,
                                                    ObjectSync& written) {
  const auto started = std::chrono::steady_clock::now();
  const auto base_tree = repo_.head_tree();
  // The last commit's overlay, when HEAD still has its tree: the root and the folders it
  // loaded need not be read and parsed again. Taken, so that a failed attempt drops it.
  std::unique_ptr<TreeOverlay> overlay = std::move(overlay_cache_);
  if (!overlay || !base_tree || !git_oid_equal(&overlay_cache_tree_, &*base_tree))
    overlay = std::make_unique<TreeOverlay>(repo_.get(), base_tree ? &*base_tree : nullptr);
  ChangeSummary summary = apply(*overlay, batch, written);
  const git_oid tree = overlay->write(&written);
  // Kept for the next commit once this one has moved the branch to `tree` (or left it there),
  // unless it grew large (a reconcile loads every folder).
  auto keep_overlay = [&] {
    if (overlay->loaded_entries() > kCachedOverlayEntries) return;
    overlay_cache_ = std::move(overlay);
    overlay_cache_tree_ = tree;
  };
  if (label.adopt) {
    if (auto adopted = adopt(*label.adopt, tree, head, written)) {
      keep_overlay();
      return CommitResult{*adopted, std::move(summary), ""};
    }
  }
  const bool merge = !label.extra_parents.empty();
  if (!merge && (base_tree ? git_oid_equal(&tree, &*base_tree) : summary.count() == 0)) {
    spdlog::debug("batch left the tree unchanged; no commit");
    if (base_tree) keep_overlay();
    return std::nullopt;
  }
  CommitResult result{{}, std::move(summary), new_correlation_id()};
  const std::string message =
      commit_message(what, result.summary, batch.actors, result.correlation_id, label.subject, label.trailers);
  const std::string subject = message.substr(0, message.find('\n'));
  result.commit =
      repo_.commit(tree, head, message, author_of(batch.actors), "histfs: " + subject, written, label.extra_parents);
  keep_overlay();
  ++commits_;
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  spdlog::info("git_commit {} {} ({} paths, {:.1f} ms, correlation {})", oid_hex(result.commit).substr(0, 12), subject,
               result.summary.count(), elapsed.count() / 1000.0, result.correlation_id);
  notify_subscribers({oid_hex(result.commit), result.correlation_id, subject, result.summary.count(), elapsed});
  return result;
}

bool Committer::self_check(const ChangeBatch& batch) {
  std::set<std::string> touched = read_;
  touched.insert(batch.moved_to.begin(), batch.moved_to.end());
  // What the last check left to this batch is checked again here, even where this batch's own
  // changes did not reach it (the change that explained it may have gone elsewhere).
  touched.insert(doubts_.begin(), doubts_.end());
  doubts_.clear();
  touched = outermost(touched);
  const auto head_tree = repo_.head_tree();
  TreeOverlay overlay(repo_.get(), head_tree ? &*head_tree : nullptr);
  // The content of a file whose stat the commit saw, or the stat cache knows, is known.
  auto same_content = [&](const std::string& file, const struct stat& st, const TreeEntryInfo& in_tree) {
    auto seen = seen_.find(file);
    if (seen != seen_.end() && same_stat(seen->second.st, st)) return seen->second.entry == in_tree;
    if (auto oid = cache_.lookup(file, st)) return TreeEntryInfo{*oid, git_mode_of(st)} == in_tree;
    try {
      auto hashed = hash_path(root_fd_, file, st, lfs_.get());
      return hashed && TreeEntryInfo{hashed->oid, hashed->mode} == in_tree;
    } catch (const std::exception&) {
      return false;  // changed or gone while we read it: judged below
    }
  };
  std::map<std::string, const char*> differ;  // file -> how HEAD differs from the backing dir
  // A path the commit skipped differs on purpose; it was reported when skipped. So does one
  // the importer still reads (and hashing it here would hold the committer up after all).
  auto skipped = [&](const std::string& file) {
    return deferred_.count(file) || std::any_of(skipped_.begin(), skipped_.end(),
                                                [&](const auto& entry) { return is_same_or_below(file, entry.first); });
  };
  for (const auto& path : touched) {
    if (!path.empty() && !is_storable_path(path)) continue;
    std::map<std::string, TreeEntryInfo> in_tree;
    overlay.for_each_file(path,
                          [&](const std::string& file, const TreeEntryInfo& info) { in_tree.emplace(file, info); });
    const auto on_disk = list_worktree(root_fd_, ignore_, path);
    for (const auto& [file, info] : in_tree)
      if (!on_disk.count(file) && !skipped(file)) differ.emplace(file, "in HEAD, not on disk");
    for (const auto& [file, st] : on_disk) {
      if (skipped(file)) continue;
      auto it = in_tree.find(file);
      if (it == in_tree.end())
        differ.emplace(file, "on disk, not in HEAD");
      else if (!same_content(file, st, it->second))
        differ.emplace(file, "content or mode differs");
    }
  }
  if (differ.empty()) {
    last_queued_.clear();
    return false;
  }

  // Most differences are changes made since the cut: the next batch has them, and its check
  // looks at them again (doubts_). Judged under the order lock, so every namespace change made
  // so far is recorded.
  std::vector<std::string> queued, wrong;
  {
    std::shared_lock order(changes_.order_mutex());
    for (const auto& [file, how] : differ) {
      if (changes_.touched_since_cut(file)) {
        doubts_.insert(file);
        continue;
      }
      struct stat st;
      std::string why = "gone";  // and no removal is pending
      if (stat_at(root_fd_, file, st) == 0) {
        // A write lands before it is recorded: a file changed since the cut, or any file open for
        // writing (its writer may be held up between the data and the record), may still be on
        // its way.
        auto seen = seen_.find(file);
        const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(batch.cut_time - ctime_of(st));
        if (seen != seen_.end() && same_stat(seen->second.st, st))
          why = "unchanged since hashed";
        else if (age > kCoarseClockLag && !(open_for_writing_ && open_for_writing_(file)))
          why = "changed " + std::to_string(age.count()) + " ms before the cut";
        else
          why.clear();
      }
      queued.push_back(file);
      if (!why.empty())
        wrong.push_back(file + " (" + how + ", " + (seen_.count(file) ? "read" : "not read") + " by the commit; " +
                        why + ")");
    }
    // A repair that changed nothing would be queued again and again: that difference is the
    // self-check's own (some path it sees otherwise than the commit does), not HEAD's.
    if (!queued.empty() && std::set<std::string>(queued.begin(), queued.end()) == last_queued_) {
      spdlog::warn("self-check: the backing dir still differs from HEAD after a repair at {}; not repeating it",
                   joined(queued));
      last_queued_.clear();
      return false;
    }
    last_queued_ = std::set<std::string>(queued.begin(), queued.end());
    for (const auto& file : queued) changes_.rescan(file);
  }
  if (!wrong.empty())
    spdlog::warn(
        "integrity_repair: HEAD differed from the backing dir after a commit at {} path(s): {}; committing "
        "the backing dir's version",
        wrong.size(), joined(wrong));
  return !queued.empty();
}

std::optional<CommitResult> Committer::commit_checked(ChangeBatch& batch, const CommitLabel& label) {
  struct Done {
    Committer& committer;
    ~Done() {
      committer.changes_.committed();
      committer.forget_batch();
    }
  } done{*this};
  auto result = commit_batch(batch, "", label);
  // A repair takes everything recorded since the cut, a batch like any other: it is checked in
  // turn, or a change it missed would stay wrong in HEAD until that path is touched again.
  constexpr int kMaxRepairs = 4;
  ChangeBatch repair;
  const ChangeBatch* checked = &batch;
  for (int round = 0; round < kMaxRepairs; ++round) {
    bool repair_queued = false;
    try {
      repair_queued = self_check(*checked);
    } catch (const std::exception& error) {
      spdlog::warn("self-check skipped: {}", error.what());  // the commit itself is fine
    }
    if (!repair_queued || changes_.held()) return result;
    // The repair is committed now, so a flush waiting for this batch sees HEAD right.
    changes_.committed();
    repair = changes_.take();
    batch.flush_ticket = std::max(batch.flush_ticket, repair.flush_ticket);
    if (auto repaired = commit_batch(repair, "")) result = repaired;
    checked = &repair;
  }
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
  repo_.prepare_objects(written);
  repo_.move_branch(target, head, "histfs: fast-forward to " + oid_hex(target));
  ++commits_;
  notify_subscribers({oid_hex(target), "", "fast-forward to " + oid_hex(target), 0, {}});
  return target;
}

void Committer::label_batch(unsigned generation, CommitLabel label) {
  std::lock_guard lock(labels_mutex_);
  labels_[generation] = std::move(label);
}

CommitLabel Committer::take_label(unsigned generation) {
  std::lock_guard lock(labels_mutex_);
  CommitLabel label;
  if (auto found = labels_.find(generation); found != labels_.end()) label = std::move(found->second);
  labels_.erase(labels_.begin(), labels_.upper_bound(generation));
  return label;
}

void Committer::notify_subscribers(const CommitNotice& notice) {
  for (const auto& subscriber : subscribers_) {
    try {
      subscriber.callback(notice);
    } catch (const std::exception& error) {
      spdlog::error("after a commit, {} failed: {}", subscriber.name, error.what());
    }
  }
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
  if (importer_) importer_->stop();  // the last batch imports what is left itself
  if (!thread_.joinable()) return;
  changes_.request_stop();
  thread_.join();
  cache_.save_if_changed(stat_cache_file());
  std::lock_guard lock(status_mutex_);
  running_ = false;
  flushed_.notify_all();
}

void Committer::set_options(CommitterOptions options) {
  std::lock_guard lock(status_mutex_);
  options_ = options;
}

CommitterStatus Committer::status() const {
  std::lock_guard lock(status_mutex_);
  CommitterStatus copy = status_;
  copy.commits = commits_.load();
  copy.lfs_importing = importer_ ? importer_->busy() : 0;
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
  status_.stat_cache_entries = cache_.size();  // finish() runs on the committer thread, the cache's owner
  if (result) {
    status_.last_commit = result->commit;
    status_.last_commit_time =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  flushed_.notify_all();
}

void Committer::run() {
  // The index a load left unbuilt (the remount's walk did without it), built now, while the
  // mount is already up, rather than by the first commit (some 30 ms at 100k files).
  cache_.build_index();
  std::chrono::milliseconds backoff{0};
  for (;;) {
    const CommitterOptions options = [&] {
      std::lock_guard lock(status_mutex_);
      return options_;
    }();
    ChangeBatch batch = changes_.wait_for_batch(options.quiet, options.max_delay);
    const bool stopping = changes_.stopping();
    const CommitLabel label = take_label(batch.generation);
    {
      std::lock_guard lock(status_mutex_);
      const bool awaited = stopping || batch.flush_ticket > completed_ticket_;
      defer_large_ = importer_ && !awaited && label.plain();
    }
    if (batch.empty() && !label.adopt && label.extra_parents.empty()) {
      finish(batch.flush_ticket, std::nullopt, "");
    } else {
      try {
        auto result = commit_checked(batch, label);
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
