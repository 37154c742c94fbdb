#include "gitstore/sync_repository.hpp"

#include <memory>

#include "gitstore/merge_plan.hpp"

namespace histfs::gitstore {

SyncRepository::SyncRepository(const std::string& git_dir) : repo_(open_bare_repository(git_dir, "open git dir")) {}

std::optional<git_oid> SyncRepository::ref(const std::string& name) const {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo_.get(), name.c_str()) != 0) return std::nullopt;
  return oid;
}

void SyncRepository::set_ref(const std::string& name, const git_oid& value, const std::string& log) {
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo_.get(), name.c_str(), &value, 1, log.c_str()), "update ref");
  ReferencePtr owned(raw);
}

std::set<std::string> SyncRepository::tag_names() const {
  git_strarray names{};
  check(git_tag_list(&names, repo_.get()), "list tags");
  std::set<std::string> out(names.strings, names.strings + names.count);
  git_strarray_dispose(&names);
  return out;
}

void SyncRepository::tag_commit(const std::string& name, const git_oid& commit) {
  git_object* target = nullptr;
  check(git_object_lookup(&target, repo_.get(), &commit, GIT_OBJECT_COMMIT), "read commit to tag");
  ObjectPtr owned(target);
  git_oid tag_id;
  check(git_tag_create_lightweight(&tag_id, repo_.get(), name.c_str(), target, 0), "create tag");
}

git_oid SyncRepository::tree_of(const git_oid& commit) const {
  git_commit* raw = nullptr;
  check(git_commit_lookup(&raw, repo_.get(), &commit), "read commit");
  CommitPtr owned(raw);
  return *git_commit_tree_id(owned.get());
}

std::map<std::string, TreeEntryInfo> SyncRepository::files_of(const std::optional<git_oid>& commit) const {
  if (!commit) return {};
  return files_of_tree(repo_.get(), tree_of(*commit));
}

bool SyncRepository::contains(const git_oid& descendant, const git_oid& ancestor) const {
  return git_oid_equal(&descendant, &ancestor) || git_graph_descendant_of(repo_.get(), &descendant, &ancestor) == 1;
}

std::optional<git_oid> SyncRepository::merge_base(const git_oid& a, const git_oid& b) const {
  git_oid base;
  if (git_merge_base(&base, repo_.get(), &a, &b) != 0) return std::nullopt;
  return base;
}

std::unique_ptr<git_diff, decltype(&git_diff_free)> SyncRepository::diff(const git_oid& from, const git_oid& to) const {
  auto tree = [&](const git_oid& commit) {
    git_tree* raw = nullptr;
    const git_oid id = tree_of(commit);
    check(git_tree_lookup(&raw, repo_.get(), &id), "read tree");
    return TreePtr(raw);
  };
  auto old_tree = tree(from);
  auto new_tree = tree(to);
  git_diff* raw = nullptr;
  // Unchanged subtrees are skipped by id: the cost follows the change, not the repository.
  check(git_diff_tree_to_tree(&raw, repo_.get(), old_tree.get(), new_tree.get(), nullptr), "diff trees");
  return {raw, git_diff_free};
}

size_t SyncRepository::deletions(const git_oid& from, const git_oid& to) const {
  auto changes = diff(from, to);
  size_t deleted = 0;
  for (size_t i = 0; i < git_diff_num_deltas(changes.get()); ++i)
    deleted += git_diff_get_delta(changes.get(), i)->status == GIT_DELTA_DELETED;
  return deleted;
}

std::vector<std::pair<std::string, std::string>> SyncRepository::renames(const git_oid& from, const git_oid& to) const {
  auto changes = diff(from, to);
  git_diff_find_options options = GIT_DIFF_FIND_OPTIONS_INIT;
  options.flags = GIT_DIFF_FIND_RENAMES;
  check(git_diff_find_similar(changes.get(), &options), "find renames");
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < git_diff_num_deltas(changes.get()); ++i) {
    const git_diff_delta* delta = git_diff_get_delta(changes.get(), i);
    if (delta->status == GIT_DELTA_RENAMED) out.emplace_back(delta->old_file.path, delta->new_file.path);
  }
  return out;
}

RemoteComparison SyncRepository::compare(const std::optional<git_oid>& head, const git_oid& remote,
                                         const std::optional<git_oid>& pushed) const {
  return classify_remote(head, remote, pushed, [this](const git_oid& a, const git_oid& b) { return contains(a, b); });
}

const char* to_string(RemoteRelation relation) {
  switch (relation) {
    case RemoteRelation::Same:
      return "same";
    case RemoteRelation::LocalAhead:
      return "local ahead";
    case RemoteRelation::FastForward:
      return "fast-forward";
    case RemoteRelation::Diverged:
      return "diverged";
  }
  return "?";
}

}  // namespace histfs::gitstore
