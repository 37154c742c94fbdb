#pragma once
// Remembers the blob id of files by their stat data, like git's index, so
// that comparing the backing dir with HEAD rehashes only what changed.
// Used by the committer thread only.
#include <git2.h>
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace histfs::gitstore {

class StatCache {
 public:
  std::optional<git_oid> lookup(const std::string& path, const struct stat& st) const;
  // Not remembered while the file is younger than the timestamp granularity
  // could hide: a later same-size write could keep the same stat.
  void remember(const std::string& path, const struct stat& st, const git_oid& oid);
  void forget(const std::string& path) { entries_.erase(path); }
  size_t size() const { return entries_.size(); }

  // A missing or damaged file loads as an empty cache (everything is rehashed once).
  void load(const std::string& file);
  // Written to a temporary file and renamed into place.
  void save(const std::string& file) const;

 private:
  struct Entry {
    std::uint64_t ino, size;
    std::int64_t mtime_ns, ctime_ns;
    std::uint32_t mode;
    git_oid oid;
  };
  static Entry entry_of(const struct stat& st, const git_oid& oid);
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace histfs::gitstore
