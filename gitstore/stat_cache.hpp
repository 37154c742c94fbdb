#pragma once
// Remembers the blob id of files by their stat data, like git's index, so
// that comparing the backing dir with HEAD rehashes only what changed.
// Used by the committer thread only.
#include <git2.h>
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace histfs::gitstore {

class StatCache {
 public:
  // Not const: it remembers where the walk is, and builds the index a load left unbuilt.
  std::optional<git_oid> lookup(const std::string& path, const struct stat& st);
  // Not remembered while the file is younger than the timestamp granularity
  // could hide: a later same-size write could keep the same stat.
  void remember(const std::string& path, const struct stat& st, const git_oid& oid);
  void forget(const std::string& path);
  // Forgets every path cached with one of these blob ids (a failed commit removed them).
  void forget_blobs(const std::vector<git_oid>& blobs);
  size_t size() const { return live_; }  // as loaded; a duplicate in a damaged file counts until the index is built

  // A missing or damaged file loads as an empty cache (everything is rehashed once). The index
  // is left unbuilt: lookups in the saved order need none (see lookup).
  void load(const std::string& file);
  // Builds the index now if a load left it unbuilt (otherwise the first lookup out of order,
  // or the first change, builds it).
  void build_index() { ensure_index(); }
  // Written to a temporary file and renamed into place.
  void save(const std::string& file);
  // Saves only when something changed since the last load or save (a remount that finds
  // every file as it was writes nothing), or when `file` is missing.
  void save_if_changed(const std::string& file);

 private:
  // As saved in the cache file, after the path.
  struct Entry {
    std::uint64_t ino, size;
    std::int64_t mtime_ns, ctime_ns;
    std::uint32_t mode;
    git_oid oid;
  };
  // One path: its bytes in names_, and its entry.
  struct Slot {
    std::uint32_t name_offset, name_size;
    Entry entry;
  };
  static constexpr std::uint32_t kDead = UINT32_MAX;  // name_offset of a forgotten slot

  // A table of a few large blocks rather than one heap node and one string per file (an
  // unordered_map took some 170 bytes a file, scattered among the commits' short-lived
  // allocations, so the heap could not shrink after them): about 100 bytes a file here.
  static Entry entry_of(const struct stat& st, const git_oid& oid);
  std::string_view name_of(const Slot& slot) const { return {names_.data() + slot.name_offset, slot.name_size}; }
  static size_t hash_of(std::string_view path) { return std::hash<std::string_view>{}(path); }
  // The place of index_ that holds `path`, or the empty one where it would go.
  size_t place_of(std::string_view path) const;
  // load() leaves the index unbuilt: a remount's walk finds every file by the order alone
  // (see lookup), and building it is a cache miss or two a file (30 ms of 100k files). Built
  // here from slots_, dropping a path's earlier slots (a damaged file).
  void ensure_index();
  void put(std::string_view path, const Entry& entry);
  // Drops forgotten slots and their names, and spreads the rest over `places` places.
  void rebuild(size_t places);
  void clear();

  std::vector<Slot> slots_;  // in the order remembered; forgotten ones marked kDead
  std::string names_;        // every slot's path, back to back
  // Per place: a slot's number + 1, or 0; linear probing. Empty with slots_ not: not built yet.
  std::vector<std::uint32_t> index_;
  size_t live_ = 0, dead_ = 0;
  size_t next_ = 0;       // where lookup looks first: the slot after the last one found
  bool changed_ = false;  // since the last load or save
};

}  // namespace histfs::gitstore
