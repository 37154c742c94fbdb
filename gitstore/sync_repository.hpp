#pragma once
// The remote sync's own handle on the git dir: its refs and tags, the files of
// a commit, and how the remote's history relates to ours. Everything the push
// and pull policy needs from libgit2, so that policy can stay free of it.
// Used by one thread at a time (the remote sync thread).
#include <git2.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/tree_overlay.hpp"

namespace histfs::gitstore {

// How the remote's main relates to ours, from the commit graph alone.
enum class RemoteRelation {
  Same,         // the remote has exactly our HEAD
  LocalAhead,   // ours contains the remote's: push
  FastForward,  // the remote's contains ours (or we have nothing yet): take it
  Diverged,     // both moved on: merge
};

struct RemoteComparison {
  RemoteRelation relation;
  // The remote no longer contains what we last pushed: its history was rewritten (a force-push).
  bool rewrote_pushed = false;
};

class SyncRepository {
 public:
  explicit SyncRepository(const std::string& git_dir);

  git_repository* get() const { return repo_.get(); }

  std::optional<git_oid> ref(const std::string& name) const;
  // Creates or moves `name` to `value`, logged in the reflog.
  void set_ref(const std::string& name, const git_oid& value, const std::string& log = "histfs: sync");
  std::set<std::string> tag_names() const;
  // A lightweight tag on `commit`; throws when the name exists.
  void tag_commit(const std::string& name, const git_oid& commit);

  git_oid tree_of(const git_oid& commit) const;
  // Every file of `commit`'s tree by path (empty for nullopt).
  std::map<std::string, TreeEntryInfo> files_of(const std::optional<git_oid>& commit) const;
  bool contains(const git_oid& descendant, const git_oid& ancestor) const;
  std::optional<git_oid> merge_base(const git_oid& a, const git_oid& b) const;
  // Files present in `from`'s tree and absent from `to`'s (unchanged subtrees skipped by id).
  size_t deletions(const git_oid& from, const git_oid& to) const;

  // Files renamed from `from`'s tree to `to`'s, as git's rename detection sees them (exact
  // and similar content): (old path, new path) pairs.
  std::vector<std::pair<std::string, std::string>> renames(const git_oid& from, const git_oid& to) const;

  RemoteComparison compare(const std::optional<git_oid>& head, const git_oid& remote,
                           const std::optional<git_oid>& pushed) const;

 private:
  std::unique_ptr<git_diff, decltype(&git_diff_free)> diff(const git_oid& from, const git_oid& to) const;
  RepositoryPtr repo_;
};

// The same classification on plain answers, so it can be tested without a repository.
// `contains(a, b)`: a's history includes b (a == b counts).
template <typename Contains>
RemoteComparison classify_remote(const std::optional<git_oid>& head, const git_oid& remote,
                                 const std::optional<git_oid>& pushed, Contains contains) {
  RemoteComparison out{RemoteRelation::Diverged, false};
  out.rewrote_pushed = pushed && !contains(remote, *pushed);
  if (head && git_oid_equal(&*head, &remote))
    out.relation = RemoteRelation::Same;
  else if (head && contains(*head, remote))
    out.relation = RemoteRelation::LocalAhead;
  else if (!head || contains(remote, *head))
    out.relation = RemoteRelation::FastForward;
  return out;
}

const char* to_string(RemoteRelation relation);

}  // namespace histfs::gitstore
