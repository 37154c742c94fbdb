#include "gitstore/tree_overlay.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/stored_object.hpp"

namespace histfs::gitstore {
namespace {

bool is_tree(git_filemode_t mode) { return mode == GIT_FILEMODE_TREE; }

// A mode as a tree entry writes it, in octal and followed by a space: "100644 ".
std::string_view mode_text(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_TREE:
      return "40000 ";
    case GIT_FILEMODE_BLOB:
      return "100644 ";
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      return "100755 ";
    case GIT_FILEMODE_LINK:
      return "120000 ";
    case GIT_FILEMODE_COMMIT:
      return "160000 ";
    default:
      break;
  }
  // Another mode read from an old tree (git once wrote 100664): written back as it was.
  thread_local char text[16];
  const int length = std::snprintf(text, sizeof text, "%o ", static_cast<unsigned>(mode));
  return std::string_view(text, static_cast<size_t>(length));
}

}  // namespace

TreeOverlay::TreeOverlay(git_repository* repo, const git_oid* base_tree) : repo_(repo) {
  root_.info.mode = GIT_FILEMODE_TREE;
  if (base_tree) {
    root_.info.oid = *base_tree;
  } else {
    git_oid_fromstrn(&root_.info.oid, "", 0);
    root_.dir = std::make_unique<Dir>();
    root_.dir->dirty = true;
  }
}

TreeOverlay::~TreeOverlay() = default;

TreeOverlay::Dir& TreeOverlay::load(Node& node) {
  if (node.dir) return *node.dir;
  node.dir = std::make_unique<Dir>();
  git_tree* raw = nullptr;
  check(git_tree_lookup(&raw, repo_, &node.info.oid), "read tree");
  TreePtr tree(raw);
  const size_t count = git_tree_entrycount(tree.get());
  loaded_entries_ += count;
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
    Node child;
    child.info = {*git_tree_entry_id(entry), git_tree_entry_filemode(entry)};
    // At the end, where a tree's entries (sorted) mostly go: no walk down the map for each.
    node.dir->entries.emplace_hint(node.dir->entries.end(), git_tree_entry_name(entry), std::move(child));
  }
  return *node.dir;
}

TreeOverlay::Dir* TreeOverlay::parent_of(std::string_view path, bool create, std::string_view* leaf) {
  auto parts = split_path(path);
  for (auto part : parts)
    if (!is_safe_git_name(part)) throw std::invalid_argument("path not storable in git: " + std::string(path));
  Dir* dir = &load(root_);
  if (create) dir->dirty = true;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto it = dir->entries.find(parts[i]);
    if (it == dir->entries.end() || !is_tree(it->second.info.mode)) {
      if (!create) return nullptr;
      Node fresh;
      fresh.info.mode = GIT_FILEMODE_TREE;
      fresh.dir = std::make_unique<Dir>();
      if (it == dir->entries.end())
        it = dir->entries.emplace(std::string(parts[i]), std::move(fresh)).first;
      else
        it->second = std::move(fresh);  // a file stood where a directory is needed
    }
    dir = &load(it->second);
    if (create) dir->dirty = true;
  }
  *leaf = parts.back();
  return dir;
}

std::optional<TreeOverlay::Node> TreeOverlay::detach(std::string_view path) {
  std::string_view leaf;
  Dir* dir = parent_of(path, false, &leaf);
  if (!dir) return std::nullopt;
  auto it = dir->entries.find(leaf);
  if (it == dir->entries.end()) return std::nullopt;
  parent_of(path, true, &leaf);  // mark the chain dirty only when something goes
  Node node = std::move(it->second);
  dir->entries.erase(it);
  return node;
}

void TreeOverlay::attach(std::string_view path, Node node) {
  std::string_view leaf;
  Dir* dir = parent_of(path, true, &leaf);
  dir->entries.insert_or_assign(std::string(leaf), std::move(node));
}

std::optional<TreeEntryInfo> TreeOverlay::upsert(std::string_view path, const git_oid& oid, git_filemode_t mode) {
  std::string_view leaf;
  Dir* dir = parent_of(path, false, &leaf);
  if (dir) {
    auto it = dir->entries.find(leaf);
    if (it != dir->entries.end() && it->second.info.mode == mode && git_oid_equal(&it->second.info.oid, &oid))
      return it->second.info;  // unchanged: keep the trees clean
  }
  auto previous = remove(path);
  Node node;
  node.info = {oid, mode};
  attach(path, std::move(node));
  return previous;
}

std::optional<TreeEntryInfo> TreeOverlay::remove(std::string_view path) {
  auto node = detach(path);
  if (!node) return std::nullopt;
  return node->info;
}

bool TreeOverlay::move(std::string_view from, std::string_view to) {
  if (from == to) return get(from).has_value();
  auto node = detach(from);
  if (!node) return false;
  remove(to);
  attach(to, std::move(*node));
  return true;
}

void TreeOverlay::exchange(std::string_view a, std::string_view b) {
  auto node_a = detach(a);
  auto node_b = detach(b);
  if (node_a) attach(b, std::move(*node_a));
  if (node_b) attach(a, std::move(*node_b));
}

TreeOverlay::Node* TreeOverlay::find(std::string_view path) {
  if (path.empty()) return &root_;
  std::string_view leaf;
  Dir* dir = parent_of(path, false, &leaf);
  if (!dir) return nullptr;
  auto it = dir->entries.find(leaf);
  return it == dir->entries.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, TreeEntryInfo>> TreeOverlay::list(std::string_view dir) {
  std::vector<std::pair<std::string, TreeEntryInfo>> out;
  Node* node = find(dir);
  if (!node || !is_tree(node->info.mode)) return out;
  if (node->dir) {  // loaded, perhaps edited
    out.reserve(node->dir->entries.size());
    for (const auto& [name, child] : node->dir->entries) out.emplace_back(name, child.info);
    return out;
  }
  // Straight from the tree, without loading the folder: a walk only compares most folders (a
  // remount, all of them) and never edits them, and their maps were a sixth of its work.
  git_tree* raw = nullptr;
  check(git_tree_lookup(&raw, repo_, &node->info.oid), "read tree");
  TreePtr tree(raw);
  const size_t count = git_tree_entrycount(tree.get());
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
    out.emplace_back(git_tree_entry_name(entry),
                     TreeEntryInfo{*git_tree_entry_id(entry), git_tree_entry_filemode(entry)});
  }
  // git sorts a folder as if its name ended in '/', so "a-b" comes before the folder "a"; and a
  // damaged tree may name an entry twice, of which the loaded map keeps the first.
  auto by_name = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(out.begin(), out.end(), by_name)) std::stable_sort(out.begin(), out.end(), by_name);
  out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
            out.end());
  return out;
}

void TreeOverlay::settle(std::string_view dir, ObjectSync* written) {
  Node* node = dir.empty() ? nullptr : find(dir);  // the root stays: every edit starts there
  if (!node || !node->dir) return;
  const std::size_t held = node->dir->entries.size();
  if (node->dir->dirty) {
    if (node->dir->entries.empty()) {
      remove(dir);
      return;
    }
    node->info.oid = write_dir(*node->dir, written);
    if (node->dir->entries.empty()) {  // its folders were all empty, and left it
      remove(dir);
      return;
    }
  }
  loaded_entries_ -= std::min(loaded_entries_, held);
  node->dir.reset();
}

std::optional<TreeEntryInfo> TreeOverlay::get(std::string_view path) {
  Node* node = find(path);
  if (!node) return std::nullopt;
  if (node->dir && node->dir->dirty && node != &root_) node->info.oid = write_dir(*node->dir, nullptr);
  return node->info;
}

void TreeOverlay::for_each_file(std::string_view path,
                                const std::function<void(const std::string&, const TreeEntryInfo&)>& visit) {
  Node* node = find(path);
  if (!node) return;
  if (is_tree(node->info.mode))
    visit_files(*node, path.empty() ? "" : std::string(path) + "/", visit);
  else
    visit(std::string(path), node->info);
}

void TreeOverlay::visit_files(Node& node, const std::string& prefix,
                              const std::function<void(const std::string&, const TreeEntryInfo&)>& visit) {
  for (auto& [name, child] : load(node).entries) {
    if (is_tree(child.info.mode))
      visit_files(child, prefix + name + "/", visit);
    else
      visit(prefix + name, child.info);
  }
}

git_oid TreeOverlay::write_dir(Dir& dir, ObjectSync* written) {
  // Serialized here rather than by a git_treebuilder: that one copies and re-checks every
  // entry of the directory (a thousand in a large root) at every commit. Every name in the
  // overlay passed is_safe_git_name on its way in, or came from a tree git already holds.
  struct Item {
    std::string_view name;
    const TreeEntryInfo* info;
  };
  std::vector<Item> items;
  items.reserve(dir.entries.size());
  for (auto it = dir.entries.begin(); it != dir.entries.end();) {
    Node& child = it->second;
    if (child.dir && child.dir->dirty) child.info.oid = write_dir(*child.dir, written);
    if (is_tree(child.info.mode) && child.dir && child.dir->entries.empty()) {
      it = dir.entries.erase(it);  // git holds no empty directories
      continue;
    }
    items.push_back({it->first, &child.info});
    ++it;
  }
  // git's order: byte order, a tree's name compared as if it ended in '/'. The map's plain byte
  // order differs only where one name is a prefix of another.
  auto git_order = [](const Item& a, const Item& b) {
    const size_t common = std::min(a.name.size(), b.name.size());
    if (int c = std::memcmp(a.name.data(), b.name.data(), common)) return c < 0;
    auto next = [common](const Item& item) -> unsigned char {
      if (item.name.size() > common) return static_cast<unsigned char>(item.name[common]);
      return is_tree(item.info->mode) ? '/' : '\0';
    };
    return next(a) < next(b);
  };
  // Mostly in order already: sorted only where a name that is a prefix of another made it not.
  if (!std::is_sorted(items.begin(), items.end(), git_order)) std::sort(items.begin(), items.end(), git_order);
  std::string raw;
  raw.reserve(items.size() * 48);
  for (const Item& item : items) {
    raw.append(mode_text(item.info->mode));
    raw.append(item.name);
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(item.info->oid.id), GIT_OID_RAWSZ);
  }
  if (!odb_) {
    git_odb* handle = nullptr;
    check(git_repository_odb(&handle, repo_), "open the object database");
    odb_.reset(handle);
    objects_dir_ = std::string(git_repository_path(repo_)) + "objects";
  }
  const git_oid oid = write_stored_when_large(odb_.get(), objects_dir_, GIT_OBJECT_TREE, raw, written);
  if (written) written->add(oid);
  dir.dirty = false;
  return oid;
}

git_oid TreeOverlay::write(ObjectSync* written) {
  Dir& dir = load(root_);
  if (dir.dirty) root_.info.oid = write_dir(dir, written);
  return root_.info.oid;
}

}  // namespace histfs::gitstore
