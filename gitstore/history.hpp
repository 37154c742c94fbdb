#pragma once
// Read-side access to the history of `main`: commits, tags, revisions, and
// snapshot tags. Has its own repository handle, guarded by one mutex, so it
// may be called from any thread (control requests, the .history view)
// without touching the committer's handle.
#include <git2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/tree_overlay.hpp"

namespace histfs::gitstore {

// A request about history that cannot be answered: the message is for the user.
struct HistoryError : std::runtime_error {
  using runtime_error::runtime_error;
};

struct CommitInfo {
  git_oid id;
  git_oid tree;
  std::int64_t time;  // committer time, unix seconds
  std::string subject;
  std::string author;
};

struct TagInfo {
  std::string name;
  git_oid commit;
  git_oid tree;
  std::int64_t time;  // the tagger's time (the commit's for lightweight tags)
  std::int64_t commit_time;
  std::string message;
};

using CommitList = std::vector<CommitInfo>;

class HistoryReader {
 public:
  explicit HistoryReader(const std::string& git_dir);

  std::optional<git_oid> head();
  // Commits reachable from main, newest first; cached until main moves.
  std::shared_ptr<const CommitList> commits();
  // The newest `limit` commits that changed `path` (all commits when path is "").
  std::vector<CommitInfo> log(const std::string& path, size_t limit);
  // Tags that point (through annotated tags) at commits, newest first.
  std::vector<TagInfo> tags();
  std::optional<TagInfo> tag(const std::string& name);
  // A commit id or unique prefix of 4+ hex digits, a tag, HEAD~N / main~N, or a UTC time.
  CommitInfo resolve(const std::string& rev);
  // The commit whose id starts with `hex` (4 to 40 digits); nullopt when none or several do.
  std::optional<CommitInfo> commit_by_prefix(const std::string& hex);
  // The newest commit at or before `time`.
  std::optional<CommitInfo> commit_at(std::int64_t time);
  // Throws HistoryError when `name` cannot be a new snapshot (invalid or taken).
  void check_snapshot_name(const std::string& name);
  // An annotated tag on HEAD. Throws HistoryError for an invalid or existing name.
  TagInfo snapshot(const std::string& name, const std::string& message);
  // The entry at `path` ("" = the tree itself) in `tree`.
  std::optional<TreeEntryInfo> entry(const git_oid& tree, const std::string& path);

  // Every file and symlink at or below `path` in `tree`, by full path.
  std::map<std::string, TreeEntryInfo> files_under(const git_oid& tree, const std::string& path);
  // A blob's bytes.
  std::string blob_content(const git_oid& blob);

  struct FileVersion {
    CommitInfo commit;  // the oldest commit with this content
    TreeEntryInfo entry;
  };
  // Each distinct past content of `path` (content and mode), at the oldest commit that had it, oldest first.
  std::vector<FileVersion> versions(const std::string& path);
  // What `path` was in any commit: a tree, a file (or link), or nothing.
  std::optional<git_filemode_t> kind_in_history(const std::string& path);

  // For callers that need the handle itself: hold the lock for as long as they use it.
  std::unique_lock<std::mutex> lock() { return std::unique_lock(mutex_); }
  git_repository* repository_locked() { return repo_.get(); }

 private:
  CommitInfo info_of(git_commit* commit);
  CommitInfo lookup_locked(const git_oid& id);
  std::shared_ptr<const CommitList> commits_locked();
  std::optional<TreeEntryInfo> entry_locked(const git_oid& tree, const std::string& path);

  std::mutex mutex_;
  RepositoryPtr repo_;
  std::optional<git_oid> cached_head_;
  std::shared_ptr<const CommitList> cached_commits_;
};

}  // namespace histfs::gitstore
