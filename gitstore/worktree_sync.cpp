#include "gitstore/worktree_sync.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "gitstore/blob_store.hpp"
#include "gitstore/change_set.hpp"
#include "gitstore/dir_walk.hpp"
#include "gitstore/folder_prefetch.hpp"
#include "gitstore/progress.hpp"

namespace histfs::gitstore {
namespace {

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Every file and symlink under `dir` that git should track, with its stat. A folder that
// cannot be read throws.
template <typename Add>
void list_tracked(int root_fd, const std::string& dir, const IgnoreRules& ignore, const IgnoreScopePtr& scope,
                  const Add& add) {
  FolderListing listing = list_folder(root_fd, dir);
  if (listing.error == ENOENT || listing.error == ENOTDIR) return;
  if (listing.error) throw std::system_error(listing.error, std::generic_category(), "open directory " + dir);
  for (const auto& entry : listing.entries) {
    const bool is_dir = S_ISDIR(entry.st.st_mode);
    if (scope->is_ignored(entry.name, is_dir)) continue;
    const std::string path = join(dir, entry.name);
    if (is_dir)
      list_tracked(root_fd, path, ignore, ignore.child_scope(scope, path), add);
    else
      add(path, entry.st);
  }
}

// The scope for the entries of `dir`, or null when `dir` itself (or a parent) is ignored.
IgnoreScopePtr scope_for(const IgnoreRules& ignore, const std::string& dir) {
  IgnoreScopePtr scope = ignore.root_scope();
  size_t start = 0;
  while (start < dir.size()) {
    size_t slash = dir.find('/', start);
    if (slash == std::string::npos) slash = dir.size();
    if (scope->is_ignored(dir.substr(start, slash - start), true)) return nullptr;
    scope = ignore.child_scope(scope, dir.substr(0, slash));
    start = slash + 1;
  }
  return scope;
}

void remember_seen(const WorktreeContext& context, const std::string& path, const struct stat& st,
                   const StoredEntry& stored) {
  if (context.seen) (*context.seen)[path] = SeenFile{st, TreeEntryInfo{stored.oid, stored.mode}};
  if (stored.lfs && context.lfs_stored) context.lfs_stored->insert(path);
}

// Names `path` as skipped (the overlay keeps what it has there), or rethrows without a list.
void skip(const WorktreeContext& context, const std::string& path, const std::system_error& error) {
  if (!context.skipped) throw error;
  context.skipped->insert_or_assign(path, error.code().message());  // what() repeats the path
}

// A failure to read `path` from the backing dir; a file that keeps changing while read is
// not one (the commit fails and is retried, as before).
bool is_path_failure(const std::system_error& error) { return error.code().value() != EAGAIN; }

// True (and the path named as skipped) when git would refuse `path` in a tree.
bool refused(const WorktreeContext& context, const std::string& path, const StoredEntry& stored) {
  if (!context.names) return false;
  std::string why = context.names->refusal(path, stored.oid);
  if (why.empty()) return false;
  if (!context.skipped) throw std::runtime_error(why);
  context.skipped->insert_or_assign(path, std::move(why));
  return true;
}

// Stores the file at `path`, as store_path. Sets `left_as_is` (the overlay keeps what it has
// there) when the file is skipped (it would not be read) or left to the LFS importer.
std::optional<StoredEntry> store_or_leave(const WorktreeContext& context, const std::string& path,
                                          const struct stat& st, bool& left_as_is) {
  std::optional<StoredEntry> stored;
  try {
    stored = store_path(context.odb, context.root_fd, path, st, context.cache, context.written, context.lfs,
                        context.importer);
  } catch (const std::system_error& error) {
    if (!is_path_failure(error)) throw;
    skip(context, path, error);
    left_as_is = true;
    return std::nullopt;
  }
  if (stored && stored->pending) {
    context.deferred->insert(path);
    left_as_is = true;
  }
  return stored;
}

// How many files and symlinks git would track at or below `dir`: the total of a progress line,
// from the names alone (no stat unless the filesystem gives no type).
std::uint64_t count_tracked(int root_fd, const std::string& dir, const IgnoreRules& ignore,
                            const IgnoreScopePtr& scope) {
  int fd = open_dir_at(root_fd, dir);
  if (fd < 0) return 0;
  DIR* stream = fdopendir(fd);
  if (!stream) {
    close(fd);
    return 0;
  }
  std::uint64_t files = 0;
  std::vector<std::string> subdirs;
  while (struct dirent* entry = readdir(stream)) {
    const std::string name = entry->d_name;
    if (name == "." || name == ".." || !is_storable_path(join(dir, name))) continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    }
    if (type != DT_DIR && type != DT_REG && type != DT_LNK) continue;
    if (scope->is_ignored(name, type == DT_DIR)) continue;
    if (type == DT_DIR)
      subdirs.push_back(name);
    else
      ++files;
  }
  closedir(stream);
  for (const auto& name : subdirs) {
    const std::string child = join(dir, name);
    files += count_tracked(root_fd, child, ignore, ignore.child_scope(scope, child));
  }
  return files;
}

// The files a walk compares, for a progress line: its total grows when the walk finds more
// files than expected.
class WalkProgress {
 public:
  WalkProgress(ProgressTask* task, std::uint64_t expected) : task_(task), total_(expected) {
    if (!task_) return;
    task_->set_state("comparing files");
    task_->set_total(total_);
  }
  void listed(std::uint64_t files) {
    listed_ += files;
    if (task_ && listed_ > total_) task_->set_total(total_ = listed_);
  }
  void compared(const struct stat& st) { advance(task_, 1, static_cast<std::uint64_t>(st.st_size)); }

 private:
  ProgressTask* task_;
  std::uint64_t total_;
  std::uint64_t listed_ = 0;
};

// Makes the overlay's folder `dir` equal the backing dir's, one folder at a time: each is
// listed on both sides, the two sorted lists walked side by side, and each subfolder, once
// compared, is written (when it changed) and let go. So a walk over the whole tree holds one
// listing per level, not every file of the tree at once (a remount of a million files).
void sync_tree(TreeOverlay& overlay, const std::string& dir, const IgnoreScopePtr& scope,
               const WorktreeContext& context, ChangeSummary& summary, WalkProgress& progress,
               FolderPrefetch* prefetch) {
  std::vector<FolderEntry> on_disk;
  std::vector<std::string> subdirs;
  if (scope) {  // null: the folder is ignored, so nothing in it is tracked
    FolderListing listing = prefetch ? prefetch->take(dir) : list_folder(context.root_fd, dir);
    if (listing.error && listing.error != ENOENT && listing.error != ENOTDIR) {
      // Unreadable: what the tree holds there stays, and the path is named as skipped.
      std::system_error error(listing.error, std::generic_category(), "open directory " + dir);
      if (!context.skipped) throw error;
      context.skipped->insert_or_assign(dir, "open directory: " + error.code().message());
      return;
    }
    for (auto& entry : listing.entries) {
      const bool is_dir = S_ISDIR(entry.st.st_mode);
      if (scope->is_ignored(entry.name, is_dir)) continue;
      if (is_dir) subdirs.push_back(join(dir, entry.name));
      on_disk.push_back(std::move(entry));
    }
  }
  if (prefetch) prefetch->want(subdirs);  // in the order they are compared below
  progress.listed(on_disk.size() - subdirs.size());
  const auto in_tree = overlay.list(dir);

  auto on_disk_entry = [&](const FolderEntry& entry, const TreeEntryInfo* known) {
    const std::string path = join(dir, entry.name);
    const bool known_tree = known && known->mode == GIT_FILEMODE_TREE;
    if (S_ISDIR(entry.st.st_mode)) {
      if (known && !known_tree) {  // a file became a folder: it leaves before the folder's files come
        overlay.remove(path);
        summary.removed.push_back(path);
      }
      sync_tree(overlay, path, context.ignore.child_scope(scope, path), context, summary, progress, prefetch);
      overlay.settle(path, context.written);
      return;
    }
    if (known_tree) remove_path(overlay, path, summary);  // a folder became a file
    progress.compared(entry.st);
    bool left_as_is = false;
    auto stored = store_or_leave(context, path, entry.st, left_as_is);
    if (left_as_is || !stored || refused(context, path, *stored)) return;
    remember_seen(context, path, entry.st, *stored);
    const bool known_file = known && !known_tree;
    if (known_file && *known == TreeEntryInfo{stored->oid, stored->mode}) return;
    overlay.upsert(path, stored->oid, stored->mode);
    (known_file ? summary.updated : summary.added).push_back(path);
  };

  auto disk = on_disk.begin();
  auto tree = in_tree.begin();
  while (disk != on_disk.end() || tree != in_tree.end()) {
    if (tree == in_tree.end() || (disk != on_disk.end() && disk->name < tree->first)) {
      on_disk_entry(*disk++, nullptr);
    } else if (disk == on_disk.end() || tree->first < disk->name) {
      remove_path(overlay, join(dir, tree->first), summary);  // gone from the backing dir, or ignored now
      ++tree;
    } else {
      on_disk_entry(*disk++, &tree->second);
      ++tree;
    }
  }
}

void sync_directory(TreeOverlay& overlay, const std::string& dir, const WorktreeContext& context,
                    ChangeSummary& summary) {
  if (!dir.empty()) {
    auto existing = overlay.get(dir);
    if (existing && existing->mode != GIT_FILEMODE_TREE) remove_path(overlay, dir, summary);
  }
  const IgnoreScopePtr scope = scope_for(context.ignore, dir);
  // A reconcile or an initial import counts the files it compares (ProgressScope). The stat
  // cache knows how many a remount will find; otherwise they are counted first, by name.
  ProgressTask* task = current_progress();
  std::uint64_t expected = 0;
  if (task && scope)
    expected = dir.empty() && context.cache.size() > 0 ? context.cache.size()
                                                       : count_tracked(context.root_fd, dir, context.ignore, scope);
  WalkProgress progress(task, expected);
  // A walk of the whole tree lists folders on other threads, one per core but the walk's
  // (three at most), when there is a second core.
  std::optional<FolderPrefetch> prefetch;
  if (const unsigned cores = std::thread::hardware_concurrency(); dir.empty() && cores > 1)
    prefetch.emplace(context.root_fd, std::min(cores - 1, 3u));
  sync_tree(overlay, dir, scope, context, summary, progress, prefetch ? &*prefetch : nullptr);
}

}  // namespace

std::map<std::string, struct stat> list_worktree(int root_fd, const IgnoreRules& ignore, const std::string& path) {
  std::map<std::string, struct stat> on_disk;
  struct stat st;
  if (!path.empty() && !is_storable_path(path)) return {};
  if (path.empty() || (stat_at(root_fd, path, st) == 0 && S_ISDIR(st.st_mode))) {
    auto add = [&](std::string file, const struct stat& file_st) { on_disk.emplace(std::move(file), file_st); };
    if (auto scope = scope_for(ignore, path)) list_tracked(root_fd, path, ignore, scope, add);
  } else if (stat_at(root_fd, path, st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
             !ignore.is_ignored(path, false)) {
    on_disk.emplace(path, st);
  }
  return on_disk;
}

std::map<std::string, TreeEntryInfo> hash_worktree(int root_fd, const IgnoreRules& ignore, const std::string& path) {
  std::map<std::string, TreeEntryInfo> out;
  for (const auto& [file, file_st] : list_worktree(root_fd, ignore, path))
    if (auto hashed = hash_path(root_fd, file, file_st)) out.emplace(file, TreeEntryInfo{hashed->oid, hashed->mode});
  return out;
}

void remove_path(TreeOverlay& overlay, const std::string& path, ChangeSummary& summary) {
  overlay.for_each_file(path, [&](const std::string& file, const TreeEntryInfo&) { summary.removed.push_back(file); });
  overlay.remove(path);
}

void sync_path(TreeOverlay& overlay, const std::string& path, const WorktreeContext& context, ChangeSummary& summary) {
  if (!path.empty() && !is_storable_path(path)) return;  // git cannot hold it, so it was never in the tree
  struct stat st;
  if (path.empty() || stat_at(context.root_fd, path, st) != 0) {
    if (path.empty()) return sync_directory(overlay, path, context, summary);
    if (errno != ENOENT && errno != ENOTDIR)
      return skip(context, path, std::system_error(errno, std::generic_category(), "stat " + path));
    return remove_path(overlay, path, summary);
  }
  if (S_ISDIR(st.st_mode)) return sync_directory(overlay, path, context, summary);

  const bool trackable = (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && !context.ignore.is_ignored(path, false);
  if (!trackable) return remove_path(overlay, path, summary);
  bool left_as_is = false;
  auto stored = store_or_leave(context, path, st, left_as_is);
  if (left_as_is) return;
  if (!stored) return remove_path(overlay, path, summary);
  if (refused(context, path, *stored)) return;
  remember_seen(context, path, st, *stored);
  auto before = overlay.get(path);
  if (before && before->mode == GIT_FILEMODE_TREE) remove_path(overlay, path, summary);
  if (before && *before == TreeEntryInfo{stored->oid, stored->mode}) return;
  overlay.upsert(path, stored->oid, stored->mode);
  (before && before->mode != GIT_FILEMODE_TREE ? summary.updated : summary.added).push_back(path);
}

}  // namespace histfs::gitstore
