#pragma once
// Turns recorded changes into commits. Owns the Repository once started: its
// thread is the only one that touches libgit2 objects of the writer repo.
//
// One batch: start from HEAD's tree, replay moves and removals, re-read each
// dirty path from the backing dir (hashing only what changed), write the
// changed trees, commit if the tree differs, move the branch.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gitstore/change_set.hpp"
#include "gitstore/commit_message.hpp"
#include "gitstore/ignore_rules.hpp"
#include "gitstore/lfs_importer.hpp"
#include "gitstore/lfs_policy.hpp"
#include "gitstore/progress.hpp"
#include "gitstore/repository.hpp"
#include "gitstore/stat_cache.hpp"
#include "gitstore/tree_overlay.hpp"
#include "gitstore/worktree_sync.hpp"

namespace histfs::gitstore {

struct CommitterOptions {
  std::chrono::milliseconds quiet{2000};      // git.commitQuiet
  std::chrono::milliseconds max_delay{5000};  // git.commitMaxDelay
};

struct CommitterStatus {
  std::optional<git_oid> last_commit;
  std::int64_t last_commit_time = 0;  // unix seconds, 0 = none since start-up
  unsigned long commits = 0;
  std::string last_error;  // empty when the last attempt succeeded
  // Paths left out of the commits (the tree keeps what it had there) because the backing dir
  // would not give them up, each as "printable path: why"; the rest commits all the same.
  std::vector<std::string> skipped;
  std::size_t lfs_importing = 0;       // large files being imported in the background, not committed yet
  std::size_t stat_cache_entries = 0;  // after the last batch
};

// How the commit of one batch made on a user's or the remote's behalf is written: a pull's
// "these writes are remote commit X" (adopt or merge), a restore's subject. Given to the
// Committer (label_batch), not recorded with the changes: the ChangeSet says what changed,
// the Committer decides how it is committed.
struct CommitLabel {
  std::string subject;                 // replaces the chore(sync) subject when not empty
  std::vector<std::string> trailers;   // "Key: value" lines
  std::vector<git_oid> extra_parents;  // a merge: parents after HEAD
  // A fast-forward: when the batch's tree equals this commit's tree, the branch moves to
  // it and no commit is made.
  std::optional<git_oid> adopt;
  // No subject, trailers, parents or target: a commit like any of the user's own.
  bool plain() const { return subject.empty() && trailers.empty() && extra_parents.empty() && !adopt; }
};

// What a subscriber hears of one commit (or of a fast-forward to a remote's commit).
struct CommitNotice {
  std::string commit;          // hex id
  std::string correlation_id;  // the Correlation-Id trailer; "" for a fast-forward (no commit of ours)
  std::string subject;
  std::size_t paths = 0;                  // added, changed, renamed or removed
  std::chrono::microseconds duration{0};  // reading the changes and writing the commit
};

struct CommitResult {
  git_oid commit;
  ChangeSummary summary;
  std::string correlation_id;
};

class Committer {
 public:
  Committer(Repository& repo, int root_fd, IgnoreRules& ignore, ChangeSet& changes, CommitterOptions options);
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Compares the whole backing dir with HEAD and commits the difference as one
  // recovery commit (or the initial commit). Call before start().
  std::optional<CommitResult> reconcile();

  // Any thread: new debounce times (git.commitQuiet, git.commitMaxDelay changed live); they
  // apply from the next wait for a batch.
  void set_options(CommitterOptions options);
  // Before start(): a rescan of the backing dir (`histfs reconcile`, a repair) shows in this
  // board as a "reconcile" task (status, and the terminal of the command that asked for it).
  void set_progress_board(ProgressBoard* board) { progress_board_ = board; }

  // `start_thread` lets the caller choose how the thread is made (signal masks).
  void start(std::function<std::thread(std::function<void()>)> start_thread = [](std::function<void()> body) {
    return std::thread(std::move(body));
  });
  // Commits everything pending, then stops the thread. Safe to call twice.
  void stop();

  // Commits one batch on the calling thread; nullopt when the tree did not change.
  // `what` prefixes the summary in the subject ("initial import: ").
  std::optional<CommitResult> commit_batch(const ChangeBatch& batch, const std::string& what,
                                           const CommitLabel& label = {});
  // What the committer thread does with each batch taken from the ChangeSet: commit_batch,
  // then the self-check, then a repair (itself checked in turn) when the check finds HEAD
  // wrong; the ChangeSet stops following the batch's paths when it returns.
  std::optional<CommitResult> commit_checked(ChangeBatch& batch, const CommitLabel& label = {});
  // The batch of `generation` (ChangeSet::generation() read while the set is held, so no cut
  // falls between the writes and this call) is committed with `label`; a batch with a label
  // is committed even when nothing changed (a fast-forward, a merge). Labels of batches
  // already taken are dropped.
  void label_batch(unsigned generation, CommitLabel label);

  // From now on, files `options` selects are stored as Git LFS pointers (gitstore/lfs_policy.hpp)
  // and the root .gitattributes is kept in step. The committer rewrites that file in the
  // backing dir itself; `rewritten` is then told its path, so the kernel's cached view of it
  // can be dropped. Large LFS files written between flushes are imported on a thread of
  // their own (LfsImporter) and committed in a later batch, so they hold up no other file.
  // Call before reconcile() and start().
  void enable_lfs(LfsOptions options, std::function<void(const std::vector<std::string>&)> rewritten = {});

  // Number of commits made since start-up (for tests and status).
  unsigned long commits() const { return commits_.load(); }
  CommitterStatus status() const;
  // `callback` runs on the committer thread after each commit, in the order subscribed;
  // `name` says who it is (logged if it throws). Subscribe before start() only.
  void subscribe(std::string name, std::function<void()> callback) {
    subscribers_.push_back({std::move(name), [callback = std::move(callback)](const CommitNotice&) { callback(); }});
  }
  void subscribe(std::string name, std::function<void(const CommitNotice&)> callback) {
    subscribers_.push_back({std::move(name), std::move(callback)});
  }
  // Tells whether a file is open for writing now (the mount knows): a difference the
  // self-check finds there may be a write whose data landed and whose record is on its way,
  // so it is rescanned without an integrity_repair warning. Set before start() only.
  void set_write_probe(std::function<bool(const std::string&)> open_for_writing) {
    open_for_writing_ = std::move(open_for_writing);
  }
  // Blocks until the batch holding flush `ticket` (ChangeSet::request_flush) is committed
  // or found unchanged. False on timeout or when the committer has stopped.
  bool wait_flushed(unsigned long ticket, std::chrono::milliseconds timeout);

 private:
  void run();
  // Moves the branch to `target` when `tree` is its tree (a fast-forward); nullopt otherwise.
  std::optional<git_oid> adopt(const git_oid& target, const git_oid& tree, const std::optional<git_oid>& head,
                               ObjectSync& written);
  std::optional<CommitResult> write_commit(const ChangeBatch& batch, const std::string& what, const CommitLabel& label,
                                           const std::optional<git_oid>& head, ObjectSync& written);
  // The label given for `generation`, if any; forgets it and every older one.
  CommitLabel take_label(unsigned generation);
  ChangeSummary apply(TreeOverlay& overlay, const ChangeBatch& batch, ObjectSync& written);
  // Brings the root .gitattributes in step with the LFS files of `overlay` and stores it there.
  void keep_lfs_attributes(TreeOverlay& overlay, const WorktreeContext& context,
                           const std::set<std::string>& lfs_stored, ChangeSummary& summary);
  // Compares what the last commit touched, and what the previous check left in doubt, with
  // the backing dir (stat data first, rehashing only files whose stat changed). Paths that
  // differ and that no change recorded since the cut explains are queued for a rescan; true
  // when any was. Logs integrity_repair when the difference cannot come from a change still
  // being recorded. commit_checked checks a repair's batch in turn.
  bool self_check(const ChangeBatch& batch);
  std::string stat_cache_file() const;
  // Drops what the last batch read (seen_, read_) once its self-check is done; after a
  // large batch or the `whole_tree` (a reconcile), freed heap goes back to the system.
  void forget_batch(bool whole_tree = false);

  Repository& repo_;
  int root_fd_;
  std::unique_ptr<LfsPolicy> lfs_;         // null: no LFS
  std::unique_ptr<LfsImporter> importer_;  // with lfs_
  // The overlay of the last commit and the tree it wrote (committer thread only); at most
  // kCachedOverlayEntries entries loaded, a few MiB.
  static constexpr std::size_t kCachedOverlayEntries = 20000;
  std::unique_ptr<TreeOverlay> overlay_cache_;
  git_oid overlay_cache_tree_{};
  // Whether the commit underway may leave large LFS files to the importer: not when someone
  // waits for it (a flush, a stop) or it is labelled (a pull, a restore: their tree must be whole).
  bool defer_large_ = false;
  bool keep_seen_ = true;           // whether apply() records seen_ (not for a reconcile: no self-check follows)
  std::set<std::string> deferred_;  // what the last apply() left to the importer
  std::function<void(const std::vector<std::string>&)> rewritten_;
  IgnoreRules& ignore_;
  ChangeSet& changes_;
  CommitterOptions options_;  // guarded by status_mutex_ (set_options)
  ProgressBoard* progress_board_ = nullptr;
  StatCache cache_;
  // What the current commit read and stored (self-check), and every path it read.
  std::map<std::string, SeenFile> seen_;
  std::set<std::string> read_;
  std::set<std::string> last_queued_;  // what the last self-check queued for a repair
  // Paths the last self-check found different but left to the next batch (changed since the
  // cut): the next self-check compares them whatever that batch touched.
  std::set<std::string> doubts_;
  std::function<bool(const std::string&)> open_for_writing_;  // set_write_probe
  // Paths the commits could not read, with why (a path leaves once it is read again); logged once.
  std::map<std::string, std::string> skipped_;
  void note_skipped(const std::map<std::string, std::string>& skipped);
  std::thread thread_;
  std::atomic<unsigned long> commits_{0};
  struct Subscriber {
    std::string name;
    std::function<void(const CommitNotice&)> callback;
  };
  std::vector<Subscriber> subscribers_;
  void notify_subscribers(const CommitNotice& notice);
  std::function<std::thread(std::function<void()>)> start_thread_;

  void finish(unsigned long ticket, const std::optional<CommitResult>& result, const std::string& error);
  std::mutex labels_mutex_;                 // guards labels_; a leaf lock
  std::map<unsigned, CommitLabel> labels_;  // by ChangeSet generation
  mutable std::mutex status_mutex_;         // guards the fields below; a leaf lock
  std::condition_variable flushed_;
  unsigned long completed_ticket_ = 0;
  bool running_ = false;
  CommitterStatus status_;
};

}  // namespace histfs::gitstore
