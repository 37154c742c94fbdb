#include "gitstore/folder_prefetch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <numeric>

#include "gitstore/dir_walk.hpp"
#include "gitstore/repo_path.hpp"

namespace histfs::gitstore {

FolderListing list_folder(int root_fd, const std::string& dir) {
  FolderListing out;
  const int fd = open_dir_at(root_fd, dir);
  if (fd < 0) {
    out.error = errno;
    return out;
  }
  DIR* stream = fdopendir(fd);
  if (!stream) {
    out.error = errno;
    close(fd);
    return out;
  }
  // The one rule of what may be stored (a .git name, the root .history: never committed),
  // for the folder once and then for each name in it.
  const bool storable_dir = dir.empty() || is_storable_path(dir);
  while (struct dirent* entry = readdir(stream)) {
    std::string name = entry->d_name;
    if (!storable_dir || !is_safe_git_name(name) || (dir.empty() && name == kHistoryDirName)) continue;
    struct stat st;
    if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished meanwhile
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
    out.entries.push_back({std::move(name), st});
  }
  closedir(stream);
  // Sorted by name through their positions: an entry, with its stat, is too big to swap around.
  std::vector<std::uint32_t> order(out.entries.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return out.entries[a].name < out.entries[b].name; });
  std::vector<FolderEntry> sorted;
  sorted.reserve(order.size());
  for (const std::uint32_t i : order) sorted.push_back(std::move(out.entries[i]));
  out.entries = std::move(sorted);
  return out;
}

FolderPrefetch::FolderPrefetch(int root_fd, unsigned workers) : root_fd_(root_fd) {
  for (unsigned i = 0; i < std::max(1u, workers); ++i) {
    try {
      workers_.emplace_back([this] { work(); });
    } catch (...) {
      if (workers_.empty()) throw;
      break;  // fewer workers
    }
  }
}

FolderPrefetch::~FolderPrefetch() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void FolderPrefetch::want(const std::vector<std::string>& dirs) {
  {
    std::lock_guard lock(mutex_);
    wanted_.insert(wanted_.end(), dirs.rbegin(), dirs.rend());
  }
  changed_.notify_all();
}

FolderListing FolderPrefetch::take(const std::string& dir) {
  {
    std::unique_lock lock(mutex_);
    while (std::find(listing_.begin(), listing_.end(), dir) != listing_.end()) {
      // A worker is listing `dir`: list the walk's next folder meanwhile rather than wait idle
      // (the listings are the kernel's work, and this core would otherwise have none).
      if (!wanted_.empty() && ready_entries_ < kAheadEntries)
        list_next(lock);
      else
        changed_.wait(lock);
    }
    auto it = ready_.find(dir);
    if (it != ready_.end()) {
      FolderListing listing = std::move(it->second);
      ready_.erase(it);
      ready_entries_ -= listing.entries.size();
      lock.unlock();
      changed_.notify_all();  // room for one more
      return listing;
    }
    // Not started: the worker need not list it any more.
    auto wish = std::find(wanted_.rbegin(), wanted_.rend(), dir);
    if (wish != wanted_.rend()) wanted_.erase(std::next(wish).base());
  }
  return list_folder(root_fd_, dir);
}

void FolderPrefetch::list_next(std::unique_lock<std::mutex>& lock) {
  const std::string dir = std::move(wanted_.back());
  wanted_.pop_back();
  listing_.push_back(dir);
  lock.unlock();
  // Out of memory is the one failure expected here (a listing names errors, it does not
  // throw): the listing is dropped, and the walk makes it itself. Nothing leaves a worker.
  try {
    FolderListing listing = list_folder(root_fd_, dir);
    lock.lock();
    auto [it, fresh] = ready_.try_emplace(dir);
    if (!fresh) ready_entries_ -= it->second.entries.size();
    ready_entries_ += listing.entries.size();
    it->second = std::move(listing);
  } catch (...) {
    if (!lock.owns_lock()) lock.lock();
  }
  listing_.erase(std::find(listing_.begin(), listing_.end(), dir));
  changed_.notify_all();
}

void FolderPrefetch::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock,
                  [&] { return stop_ || (!wanted_.empty() && (ready_.empty() || ready_entries_ < kAheadEntries)); });
    if (stop_) return;
    list_next(lock);
  }
}

}  // namespace histfs::gitstore
