#pragma once
// Read-side access to the history of `main`: commits, tags, revisions, trees,
// blobs and snapshot tags. May be called from any thread at once (control
// requests, the .history view): each call borrows a repository handle of its
// own from a small pool, so callers never share a libgit2 object and never
// touch the committer's handle.
#include <git2.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/lfs_store.hpp"
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

// A git object id, as readers outside gitstore/ name it.
using ObjectId = git_oid;

// What a tree entry is, for readers that need no libgit2 file modes.
enum class EntryKind : std::uint8_t { Tree, File, Executable, Link };
// nullopt for a submodule (a commit inside a tree): it holds no files here.
std::optional<EntryKind> entry_kind(git_filemode_t mode);

struct TreeItem {
  std::string name;
  git_oid oid;
  EntryKind kind;
};

// The bytes of one blob, inflated once and immutable: slicing needs no lock, and they
// stay valid for as long as any holder keeps the shared_ptr.
// A Git LFS pointer's bytes are its object's, mapped from the LFS store (never read whole).
class BlobBytes {
 public:
  explicit BlobBytes(git_odb_object* object);  // takes ownership
  // Maps `size` bytes of `fd` (an LFS object; the fd may be closed afterwards).
  BlobBytes(int fd, std::size_t size);
  ~BlobBytes();
  BlobBytes(const BlobBytes&) = delete;
  BlobBytes& operator=(const BlobBytes&) = delete;
  std::string_view bytes() const { return bytes_; }

 private:
  git_odb_object* object_ = nullptr;
  void* mapping_ = nullptr;
  std::string_view bytes_;
};

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
  // The entries of one tree, in git's order; submodules are left out.
  std::vector<TreeItem> list_tree(const git_oid& tree);
  // One entry of a tree by name (a submodule is absent).
  std::optional<TreeItem> tree_item(const git_oid& tree, const std::string& name);
  // A blob's bytes as they are (an LFS pointer's text stays a pointer's text: symlinks).
  std::string blob_content(const git_oid& blob);
  // A blob's bytes, shared: for readers that slice them later, from any thread. A Git LFS
  // pointer reads as the content it stands for, from the LFS store (fetched first by the
  // fetcher when missing); LfsError when that content cannot be had.
  std::shared_ptr<const BlobBytes> read_blob(const git_oid& blob);
  // As read_blob, but nullptr instead of a fetch when an LFS pointer's object is not here.
  std::shared_ptr<const BlobBytes> read_local_blob(const git_oid& blob);
  // The size read_blob's bytes will have: a blob's from its header, without inflating it;
  // an LFS pointer's from the pointer.
  std::uint64_t object_size(const git_oid& object);
  // The pointer a blob is, nullopt when it is content.
  std::optional<LfsPointer> lfs_pointer(const git_oid& blob);
  // Fetches a missing LFS object into the store (from the remote), or throws LfsError. Set once,
  // before any reader runs; called from any reader's thread.
  void set_lfs_fetcher(std::function<void(const LfsPointer&)> fetch) { fetch_lfs_ = std::move(fetch); }

  struct FileVersion {
    CommitInfo commit;  // the oldest commit with this content
    TreeEntryInfo entry;
  };
  // Each distinct past content of `path` (content and mode), at the oldest commit that had it, oldest first.
  std::vector<FileVersion> versions(const std::string& path);
  // What `path` was in any commit: a tree, a file (or link), or nothing.
  std::optional<git_filemode_t> kind_in_history(const std::string& path);

 private:
  // A repository handle lent to one caller until the Lease ends: an idle one, or a new one
  // when all are lent (never a wait, so no caller can block another; at most one handle per
  // thread reading at once, and no caller borrows twice).
  class Lease;
  Lease borrow();
  void give_back(RepositoryPtr repo);
  std::shared_ptr<const CommitList> commits_with(git_repository* repo);
  std::shared_ptr<const BlobBytes> raw_blob(const git_oid& blob);
  // The blob's bytes, or an LFS pointer's content: fetched when missing (`fetch`), else nullptr.
  std::shared_ptr<const BlobBytes> content(const git_oid& blob, bool fetch);
  // The content an LFS pointer stands for, mapped from the store (fetched first when missing).
  std::shared_ptr<const BlobBytes> lfs_content(const LfsPointer& pointer);

  const std::string git_dir_;
  LfsStore lfs_;
  std::function<void(const LfsPointer&)> fetch_lfs_;
  // Guards idle_. A leaf: nothing else is locked while it is held, and it is never held
  // across a libgit2 call.
  std::mutex pool_mutex_;
  std::vector<RepositoryPtr> idle_;
  // Guards cached_head_ and cached_commits_. Held across the libgit2 walk that refills them
  // (on the caller's borrowed handle), so concurrent callers wait for one walk instead of
  // each walking. A leaf too: nothing else is locked while it is held.
  std::mutex cache_mutex_;
  std::optional<git_oid> cached_head_;
  std::shared_ptr<const CommitList> cached_commits_;
};

}  // namespace histfs::gitstore
