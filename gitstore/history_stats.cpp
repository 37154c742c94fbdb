#include "gitstore/history_stats.hpp"

#include <algorithm>

#include "gitstore/git_handle.hpp"
#include "gitstore/repository.hpp"

namespace histfs::gitstore {
namespace {

using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;

std::uint64_t blob_size(git_odb* odb, const git_oid& id) {
  size_t size = 0;
  git_object_t type = GIT_OBJECT_ANY;
  check(git_odb_read_header(&size, &type, odb, &id), "read object header");
  return size;
}

// One commit's changes against its first parent (against nothing for a root commit).
void add_changes(git_repository* repo, git_odb* odb, git_commit* commit, HistoryStats& stats) {
  git_tree* raw_tree = nullptr;
  check(git_commit_tree(&raw_tree, commit), "read commit tree");
  TreePtr tree(raw_tree);
  TreePtr parent_tree;
  if (git_commit_parentcount(commit) > 0) {
    git_commit* raw_parent = nullptr;
    check(git_commit_parent(&raw_parent, commit, 0), "read parent commit");
    CommitPtr parent(raw_parent);
    git_tree* raw_parent_tree = nullptr;
    check(git_commit_tree(&raw_parent_tree, parent.get()), "read parent tree");
    parent_tree.reset(raw_parent_tree);
  }
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  options.flags |= GIT_DIFF_SKIP_BINARY_CHECK;  // only the ids matter, never the contents
  git_diff* raw_diff = nullptr;
  check(git_diff_tree_to_tree(&raw_diff, repo, parent_tree.get(), tree.get(), &options), "diff commit");
  DiffPtr diff(raw_diff);
  const size_t count = git_diff_num_deltas(diff.get());
  for (size_t i = 0; i < count; ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
    const bool is_content = delta->new_file.mode != GIT_FILEMODE_COMMIT;
    switch (delta->status) {
      case GIT_DELTA_ADDED:
        ++stats.files_added;
        if (is_content) stats.bytes += blob_size(odb, delta->new_file.id);
        break;
      case GIT_DELTA_DELETED:
        ++stats.files_deleted;
        break;
      default:  // modified, type changed
        ++stats.files_modified;
        if (is_content) stats.bytes += blob_size(odb, delta->new_file.id);
        break;
    }
  }
}

}  // namespace

HistoryStats history_stats(const std::string& git_dir, std::int64_t since) {
  HistoryStats stats;
  const RepositoryPtr repo = open_bare_repository(git_dir, "open git dir");
  git_oid head;
  if (git_reference_name_to_id(&head, repo.get(), kBranchRef) != 0) return stats;  // no commit yet
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo.get()), "open object database");
  OdbPtr odb(raw_odb);
  git_revwalk* raw_walk = nullptr;
  check(git_revwalk_new(&raw_walk, repo.get()), "walk history");
  RevwalkPtr walk(raw_walk);
  check(git_revwalk_sorting(walk.get(), GIT_SORT_TIME), "sort history");
  check(git_revwalk_push(walk.get(), &head), "walk from main");
  // Every commit is looked at (a commit merged from a remote may be older than its child):
  // only the counted ones are diffed, so a long history costs a walk of its headers.
  git_oid id;
  while (git_revwalk_next(&id, walk.get()) == 0) {
    git_commit* raw_commit = nullptr;
    check(git_commit_lookup(&raw_commit, repo.get(), &id), "read commit");
    CommitPtr commit(raw_commit);
    const std::int64_t time = git_commit_time(commit.get());
    if (time < since) continue;
    ++stats.commits;
    if (git_commit_parentcount(commit.get()) > 1) ++stats.merges;
    stats.oldest = stats.oldest == 0 ? time : std::min(stats.oldest, time);
    stats.newest = std::max(stats.newest, time);
    add_changes(repo.get(), odb.get(), commit.get(), stats);
  }
  return stats;
}

}  // namespace histfs::gitstore
