#pragma once
// An editable view of a git tree: a base tree plus edits, loading only the
// directories an edit touches, and writing only the trees that changed. The
// cost of a commit grows with the size of the change, not of the repository.
#include <git2.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/object_sync.hpp"
#include "gitstore/repo_path.hpp"

namespace histfs::gitstore {

struct TreeEntryInfo {
  git_oid oid;
  git_filemode_t mode;
  bool operator==(const TreeEntryInfo& other) const { return mode == other.mode && git_oid_equal(&oid, &other.oid); }
};

class TreeOverlay {
 public:
  // base_tree may be null: the overlay starts empty. Used by one thread at a time.
  TreeOverlay(git_repository* repo, const git_oid* base_tree);
  ~TreeOverlay();
  TreeOverlay(const TreeOverlay&) = delete;
  TreeOverlay& operator=(const TreeOverlay&) = delete;

  // Paths are relative, '/'-separated. Non-directory parents on the way are replaced by directories.
  // Returns what was there before (nullopt: nothing). Throws std::invalid_argument for unsafe names.
  std::optional<TreeEntryInfo> upsert(std::string_view path, const git_oid& oid, git_filemode_t mode);
  // Removes a file or a whole subtree; returns what was there.
  std::optional<TreeEntryInfo> remove(std::string_view path);
  // Moves an entry (file or subtree) without reading its content; replaces `to`. False if `from` is absent.
  bool move(std::string_view from, std::string_view to);
  // Swaps two entries (either may be absent).
  void exchange(std::string_view a, std::string_view b);
  std::optional<TreeEntryInfo> get(std::string_view path);
  // Calls visit(path, entry) for every non-tree entry at or below `path` ("" = everything).
  void for_each_file(std::string_view path, const std::function<void(const std::string&, const TreeEntryInfo&)>& visit);
  // The entries of the directory at `dir` ("" = the root) in byte order of their names, loading
  // it; empty when no directory is there. A changed folder's id is stale until it is written.
  std::vector<std::pair<std::string, TreeEntryInfo>> list(std::string_view dir);
  // Writes the directory at `dir` when it changed and lets its loaded contents go, keeping only
  // its entry (an emptied one leaves its parent: git holds no empty directories). For walks over
  // the whole tree, so that what they have finished need not stay in memory. Trees written are
  // added to `written` when given.
  void settle(std::string_view dir, ObjectSync* written);
  // Writes the changed trees; returns the root tree id. The overlay stays usable.
  // Trees written are added to `written` when given.
  git_oid write(ObjectSync* written = nullptr);
  // How many entries the loaded folders held when read from the base tree (less those settled):
  // what the overlay keeps in memory.
  std::size_t loaded_entries() const { return loaded_entries_; }

 private:
  struct Dir;
  struct Node {
    TreeEntryInfo info;
    std::unique_ptr<Dir> dir;  // loaded contents, only for trees that were visited
  };
  struct Dir {
    std::map<std::string, Node, std::less<>> entries;
    bool dirty = false;
  };

  Dir& load(Node& node);
  // Returns the directory holding the last component of `path`, creating it when `create` is set.
  Dir* parent_of(std::string_view path, bool create, std::string_view* leaf);
  std::optional<Node> detach(std::string_view path);
  // The node at `path` ("" = the root), nullptr when absent; loads its parents, not itself.
  Node* find(std::string_view path);
  void attach(std::string_view path, Node node);
  git_oid write_dir(Dir& dir, ObjectSync* written);
  void visit_files(Node& node, const std::string& prefix,
                   const std::function<void(const std::string&, const TreeEntryInfo&)>& visit);

  git_repository* repo_;
  OdbPtr odb_;               // opened at the first tree written
  std::string objects_dir_;  // where odb_'s loose objects are
  std::size_t loaded_entries_ = 0;
  Node root_;
};

}  // namespace histfs::gitstore
