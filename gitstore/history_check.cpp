#include "gitstore/history_check.hpp"

#include <unordered_set>

#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {
namespace {

using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;

class TreeChecker {
 public:
  explicit TreeChecker(git_repository* repo) : repo_(repo) {}

  // The root-only rule (.history) for every root tree, even one seen before as a subtree.
  void check_root(const git_oid& id) {
    git_tree* raw = nullptr;
    check(git_tree_lookup(&raw, repo_, &id), "read tree");
    TreePtr tree(raw);
    if (git_tree_entry_byname(tree.get(), std::string(kHistoryDirName).c_str())) check_tree_path(kHistoryDirName);
    check_tree(id, "");
  }

  void check_tree(const git_oid& id, const std::string& prefix) {
    if (!seen_.insert(id).second) return;
    git_tree* raw = nullptr;
    check(git_tree_lookup(&raw, repo_, &id), "read tree");
    TreePtr tree(raw);
    for (size_t i = 0; i < git_tree_entrycount(tree.get()); ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
      const std::string path = join_path(prefix, git_tree_entry_name(entry));
      check_tree_path(path);
      if (git_tree_entry_filemode(entry) == GIT_FILEMODE_COMMIT)
        throw UnsafePathError(printable_path(path), "a submodule (gitlink), which histfs cannot write");
      if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) check_tree(*git_tree_entry_id(entry), path);
    }
  }

 private:
  git_repository* repo_;
  std::unordered_set<git_oid, OidHash, OidEqual> seen_;
};

}  // namespace

void check_new_history(git_repository* repo, const git_oid& tip, const std::vector<std::string>& known_refs) {
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo), "start a history walk");
  RevwalkPtr walk(raw);
  check(git_revwalk_push(walk.get(), &tip), "walk the fetched history");
  for (const auto& ref : known_refs) {
    git_oid known;
    if (git_reference_name_to_id(&known, repo, ref.c_str()) == 0) git_revwalk_hide(walk.get(), &known);
  }
  TreeChecker trees(repo);
  git_oid id;
  while (git_revwalk_next(&id, walk.get()) == 0) {
    git_commit* commit_raw = nullptr;
    check(git_commit_lookup(&commit_raw, repo, &id), "read fetched commit");
    CommitPtr commit(commit_raw);
    try {
      trees.check_root(*git_commit_tree_id(commit.get()));
    } catch (const UnsafePathError& error) {
      throw UnsafePathError(error.path, error.why + ", in commit " + oid_hex(id).substr(0, 12));
    }
  }
}

}  // namespace histfs::gitstore
