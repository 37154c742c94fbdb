#include "gitstore/merge_plan.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "gitstore/git_handle.hpp"
#include "gitstore/repo_path.hpp"
#include "gitstore/time_text.hpp"

namespace histfs::gitstore {
namespace {

using IndexPtr = GitPtr<git_index, git_index_free>;

TreePtr lookup_tree(git_repository* repo, const git_oid& id) {
  git_tree* raw = nullptr;
  check(git_tree_lookup(&raw, repo, &id), "read tree");
  return TreePtr(raw);
}

TreeEntryInfo info_of(const git_index_entry* entry) { return {entry->id, git_filemode_t(entry->mode)}; }

}  // namespace

std::string conflict_copy_name(const std::string& path, const std::string& branch, std::int64_t now) {
  std::string stamp = format_instant(now);
  std::replace(stamp.begin(), stamp.end(), ':', '-');  // names that survive a sync to any OS
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = path.substr(dir.size());
  const auto dot = name.rfind('.');
  const bool has_ext = dot != std::string::npos && dot > 0;
  const std::string stem = has_ext ? name.substr(0, dot) : name;
  const std::string ext = has_ext ? name.substr(dot) : "";
  return dir + stem + " (conflict from " + branch + ", " + stamp + ")" + ext;
}

std::map<std::string, TreeEntryInfo> files_of_tree(git_repository* repo, const git_oid& tree_id) {
  struct Walk {
    std::map<std::string, TreeEntryInfo> files;
    std::optional<UnsafePathError> refused;
  } walk;
  TreePtr tree = lookup_tree(repo, tree_id);
  const int result = git_tree_walk(
      tree.get(), GIT_TREEWALK_PRE,
      [](const char* root, const git_tree_entry* entry, void* payload) {
        auto& state = *static_cast<Walk*>(payload);
        std::string path = std::string(root) + git_tree_entry_name(entry);
        try {
          check_tree_path(path);
          if (git_tree_entry_type(entry) == GIT_OBJECT_COMMIT)
            throw UnsafePathError(printable_path(path), "a submodule (gitlink), which histfs cannot write");
        } catch (const UnsafePathError& error) {
          state.refused = error;
          return -1;  // stop the walk: the whole tree is refused
        }
        if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) return 0;
        state.files.emplace(std::move(path), TreeEntryInfo{*git_tree_entry_id(entry), git_tree_entry_filemode(entry)});
        return 0;
      },
      &walk);
  if (walk.refused) throw *walk.refused;
  check(result, "walk tree");
  return std::move(walk.files);
}

MergePlan plan_merge(git_repository* repo, const git_oid* base_tree, const git_oid& ours_tree,
                     const git_oid& theirs_tree, const std::string& branch, std::int64_t now) {
  TreePtr base = base_tree ? lookup_tree(repo, *base_tree) : TreePtr();
  TreePtr ours = lookup_tree(repo, ours_tree);
  TreePtr theirs = lookup_tree(repo, theirs_tree);
  git_merge_options options = GIT_MERGE_OPTIONS_INIT;
  options.flags = GIT_MERGE_FIND_RENAMES;
  git_index* raw = nullptr;
  check(git_merge_trees(&raw, repo, base.get(), ours.get(), theirs.get(), &options), "merge trees");
  IndexPtr index(raw);

  MergePlan plan;
  const size_t count = git_index_entrycount(index.get());
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* entry = git_index_get_byindex(index.get(), i);
    check_tree_path(entry->path);  // either side may come from a remote
    if (entry->mode == GIT_FILEMODE_COMMIT) throw UnsafePathError(printable_path(entry->path), "a submodule (gitlink)");
    if (git_index_entry_stage(entry) == 0) plan.files.emplace(entry->path, info_of(entry));
  }
  git_index_conflict_iterator* raw_iterator = nullptr;
  check(git_index_conflict_iterator_new(&raw_iterator, index.get()), "list conflicts");
  std::unique_ptr<git_index_conflict_iterator, decltype(&git_index_conflict_iterator_free)> iterator(
      raw_iterator, git_index_conflict_iterator_free);
  const git_index_entry *ancestor, *our, *their;
  while (git_index_conflict_next(&ancestor, &our, &their, iterator.get()) == 0) {
    if (our && their) {
      plan.files[our->path] = info_of(our);
      std::string copy = conflict_copy_name(their->path, branch, now);
      plan.files[copy] = info_of(their);
      plan.conflicts.emplace_back(our->path, copy);
    } else if (our) {
      plan.files[our->path] = info_of(our);  // they deleted what we changed: keep ours
    } else if (their) {
      plan.files[their->path] = info_of(their);  // we deleted what they changed: keep theirs
    }
  }
  return plan;
}

}  // namespace histfs::gitstore
