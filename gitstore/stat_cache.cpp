#include "gitstore/stat_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <vector>

#include <spdlog/spdlog.h>

namespace histfs::gitstore {
namespace {

constexpr char kMagic[8] = {'H', 'F', 'S', 'S', 'T', 'A', 'T', '1'};
constexpr std::int64_t kRacyWindowNs = 2'000'000'000;
// Longer paths (a folder chain deeper than PATH_MAX, up to 16 times over) are not saved,
// only rehashed after a restart: load() reads a longer length as a sign of a damaged file.
constexpr std::uint32_t kMaxSavedPath = 65536;

std::int64_t ns_of(const struct timespec& ts) { return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec; }

std::int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ns_of(ts);
}

}  // namespace

StatCache::Entry StatCache::entry_of(const struct stat& st, const git_oid& oid) {
  return Entry{std::uint64_t(st.st_ino), std::uint64_t(st.st_size), ns_of(st.st_mtim),
               ns_of(st.st_ctim),        std::uint32_t(st.st_mode), oid};
}

std::optional<git_oid> StatCache::lookup(const std::string& path, const struct stat& st) const {
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  const Entry want = entry_of(st, it->second.oid);
  const Entry& have = it->second;
  if (have.ino != want.ino || have.size != want.size || have.mtime_ns != want.mtime_ns ||
      have.ctime_ns != want.ctime_ns || have.mode != want.mode)
    return std::nullopt;
  return have.oid;
}

void StatCache::remember(const std::string& path, const struct stat& st, const git_oid& oid) {
  const std::int64_t now = now_ns();
  if (now - ns_of(st.st_mtim) < kRacyWindowNs || now - ns_of(st.st_ctim) < kRacyWindowNs) {
    entries_.erase(path);
    return;
  }
  entries_.insert_or_assign(path, entry_of(st, oid));
}

void StatCache::load(const std::string& file) {
  entries_.clear();
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  char magic[sizeof kMagic];
  std::uint64_t count = 0;
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0 ||
      !in.read(reinterpret_cast<char*>(&count), sizeof count)) {
    spdlog::warn("stat cache {} is unreadable; files will be rehashed once", file);
    return;
  }
  entries_.reserve(count);
  std::string path;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint32_t length = 0;
    Entry entry;
    if (!in.read(reinterpret_cast<char*>(&length), sizeof length) || length > kMaxSavedPath) break;
    path.resize(length);
    if (!in.read(path.data(), length) || !in.read(reinterpret_cast<char*>(&entry), sizeof entry)) break;
    entries_.insert_or_assign(path, entry);
  }
  if (entries_.size() != count) {
    spdlog::warn("stat cache {} is truncated; files will be rehashed once", file);
    entries_.clear();
  }
}

void StatCache::save(const std::string& file) const {
  const std::string temp = file + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    std::uint64_t count = 0;
    for (const auto& [path, entry] : entries_) count += path.size() <= kMaxSavedPath;
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    for (const auto& [path, entry] : entries_) {
      if (path.size() > kMaxSavedPath) continue;
      std::uint32_t length = std::uint32_t(path.size());
      out.write(reinterpret_cast<const char*>(&length), sizeof length);
      out.write(path.data(), length);
      out.write(reinterpret_cast<const char*>(&entry), sizeof entry);
    }
    if (!out) {
      spdlog::warn("cannot write stat cache {}", temp);
      std::remove(temp.c_str());
      return;
    }
  }
  // Losing the cache costs only a rehash, so no fsync here.
  if (std::rename(temp.c_str(), file.c_str()) != 0) spdlog::warn("cannot replace stat cache {}", file);
}

}  // namespace histfs::gitstore
