#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Which paths of the backing directory are kept out of git, with the semantics of
// stock git's ignore rules (gitignore(5)): per-directory .gitignore files, deeper
// ones first, then the root-level lists (the user's extra patterns over the defaults).

namespace histfs::gitstore {

// Patterns always applied at the root, below the user's own list. Like any root-level
// rule, a "!pattern" in a .gitignore or in the user's list re-includes what they exclude;
// only entries named .git are ignored unconditionally.
const std::vector<std::string>& default_ignore_patterns();

namespace detail {
struct PatternList;  // one parsed .gitignore (or root list) with its patterns in file order
}

class IgnoreScope;
using IgnoreScopePtr = std::shared_ptr<const IgnoreScope>;

class IgnoreRules {
 public:
  // root_fd: an open fd of the backing dir (O_PATH is enough); not owned.
  // extra_patterns: the user's gitignore-syntax lines, applied at the root after the defaults.
  IgnoreRules(int root_fd, std::vector<std::string> extra_patterns);

  // Thread-safe. path: relative to the backing root, '/'-separated, no leading or
  // trailing slash, never empty. True when git would not track it: the path itself
  // matches, or an ancestor directory is ignored.
  bool is_ignored(std::string_view path, bool is_dir) const;

  // For recursive walks: the scope of a directory is built once and asked about each entry.
  IgnoreScopePtr root_scope() const;
  // Scope of directory dir_path ("" = root) given its parent's scope; reads
  // dir_path/.gitignore unless the directory itself is ignored.
  IgnoreScopePtr child_scope(const IgnoreScopePtr& parent, std::string_view dir_path) const;

  // Forgets the cached .gitignore of dir_path and of every directory below it (it
  // changed, or the directory was renamed). Scopes already handed out keep their rules.
  // The cache is also validated by (ino, size, mtime, ctime), so this only matters for
  // rewrites the timestamps cannot tell apart.
  void invalidate(std::string_view dir_path);

 private:
  std::shared_ptr<const detail::PatternList> load(const std::string& dir_path) const;

  struct Cached {
    // What the file looked like when parsed; any difference means re-read it.
    std::uint64_t dev, ino;
    std::int64_t size, mtime_ns, ctime_ns;
    std::shared_ptr<const detail::PatternList> rules;
  };
  int root_fd_;
  std::shared_ptr<const detail::PatternList> root_lists_;     // defaults then extras
  mutable std::mutex mutex_;                                  // guards cache_
  mutable std::map<std::string, Cached, std::less<>> cache_;  // key: directory path
};

// The rules that apply to the entries of one directory. Immutable once built.
class IgnoreScope {
 public:
  // name: one entry name within this scope's directory.
  bool is_ignored(std::string_view name, bool is_dir) const;
  // The directory itself is ignored, so is everything in it (no need to walk it).
  bool all_ignored() const { return all_ignored_; }
  const std::string& dir() const { return dir_; }

 private:
  friend class IgnoreRules;
  IgnoreScope() = default;

  std::string dir_;
  bool all_ignored_ = false;
  std::shared_ptr<const detail::PatternList> rules_;  // this directory's .gitignore, if any
  IgnoreScopePtr outer_;                              // nearest ancestor scope that has rules_ (walked deepest first)
  std::shared_ptr<const detail::PatternList> root_lists_;
};

}  // namespace histfs::gitstore
