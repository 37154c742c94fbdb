#include "gitstore/lfs_scan.hpp"

#include <set>

#include "gitstore/git_handle.hpp"
#include "gitstore/lfs_policy.hpp"

namespace histfs::gitstore {
namespace {

std::string key_of(const git_oid& oid) { return std::string(reinterpret_cast<const char*>(oid.id), GIT_OID_RAWSZ); }

class TreeScan {
 public:
  TreeScan(git_repository* repo, git_odb* odb) : repo_(repo), odb_(odb) {}

  // Marks the tree and every subtree as already seen, reading no blob.
  void mark(const git_oid& tree_id) { walk(tree_id, false); }
  // Collects the pointers of trees not seen yet.
  void collect(const git_oid& tree_id) { walk(tree_id, true); }
  std::vector<LfsPointer> pointers;

 private:
  void walk(const git_oid& tree_id, bool read_blobs) {
    if (!seen_trees_.insert(key_of(tree_id)).second) return;
    git_tree* raw = nullptr;
    check(git_tree_lookup(&raw, repo_, &tree_id), "read tree");
    TreePtr tree(raw);
    const size_t count = git_tree_entrycount(tree.get());
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
      const git_filemode_t mode = git_tree_entry_filemode(entry);
      const git_oid* id = git_tree_entry_id(entry);
      if (mode == GIT_FILEMODE_TREE) {
        walk(*id, read_blobs);
      } else if (read_blobs && (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) &&
                 seen_blobs_.insert(key_of(*id)).second) {
        if (auto pointer = read_lfs_pointer(odb_, *id))
          if (seen_oids_.insert(pointer->oid).second) pointers.push_back(*pointer);
      }
    }
  }

  git_repository* repo_;
  git_odb* odb_;
  std::set<std::string> seen_trees_, seen_blobs_, seen_oids_;
};

git_oid tree_of_commit(git_repository* repo, const git_oid& commit_id) {
  git_commit* raw = nullptr;
  check(git_commit_lookup(&raw, repo, &commit_id), "read commit");
  CommitPtr commit(raw);
  return *git_commit_tree_id(commit.get());
}

}  // namespace

std::vector<LfsPointer> lfs_pointers_to_push(git_repository* repo, const git_oid& head,
                                             const std::vector<git_oid>& remote_has) {
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo), "open object database");
  OdbPtr odb(raw_odb);
  git_revwalk* raw_walk = nullptr;
  check(git_revwalk_new(&raw_walk, repo), "start walk");
  std::unique_ptr<git_revwalk, decltype(&git_revwalk_free)> walk(raw_walk, git_revwalk_free);
  check(git_revwalk_push(walk.get(), &head), "walk from head");
  TreeScan scan(repo, odb.get());
  for (const auto& known : remote_has) {
    if (git_revwalk_hide(walk.get(), &known) != 0) continue;  // not here (yet): nothing to hide
    scan.mark(tree_of_commit(repo, known));
  }
  git_oid commit;
  while (git_revwalk_next(&commit, walk.get()) == 0) scan.collect(tree_of_commit(repo, commit));
  return scan.pointers;
}

std::map<std::string, LfsPointer> lfs_files(git_repository* repo, const std::map<std::string, TreeEntryInfo>& files) {
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo), "open object database");
  OdbPtr odb(raw_odb);
  std::map<std::string, LfsPointer> out;
  for (const auto& [path, entry] : files) {
    if (entry.mode != GIT_FILEMODE_BLOB && entry.mode != GIT_FILEMODE_BLOB_EXECUTABLE) continue;
    if (auto pointer = read_lfs_pointer(odb.get(), entry.oid)) out.emplace(path, *pointer);
  }
  return out;
}

}  // namespace histfs::gitstore
