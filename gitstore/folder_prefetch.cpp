#include "gitstore/folder_prefetch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

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
  const std::string prefix = dir.empty() ? "" : dir + "/";
  while (struct dirent* entry = readdir(stream)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    // The one rule of what may be stored (a .git name, the root .history: never committed).
    if (!is_storable_path(prefix + name)) continue;
    struct stat st;
    if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished meanwhile
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
    out.entries.push_back({std::move(name), st});
  }
  closedir(stream);
  std::sort(out.entries.begin(), out.entries.end(),
            [](const FolderEntry& a, const FolderEntry& b) { return a.name < b.name; });
  return out;
}

FolderPrefetch::FolderPrefetch(int root_fd) : root_fd_(root_fd), worker_([this] { work(); }) {}

FolderPrefetch::~FolderPrefetch() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
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
    changed_.wait(lock, [&] { return !(busy_ && listing_ == dir); });
    auto it = ready_.find(dir);
    if (it != ready_.end()) {
      FolderListing listing = std::move(it->second);
      ready_.erase(it);
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

void FolderPrefetch::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || (!wanted_.empty() && ready_.size() < kAhead); });
    if (stop_) return;
    listing_ = std::move(wanted_.back());
    wanted_.pop_back();
    busy_ = true;
    lock.unlock();
    // Out of memory is the one failure expected here (a listing names errors, it does not
    // throw): the listing is dropped, and the walk makes it itself. Nothing leaves this thread.
    try {
      FolderListing listing = list_folder(root_fd_, listing_);
      lock.lock();
      ready_.insert_or_assign(listing_, std::move(listing));
    } catch (...) {
      if (!lock.owns_lock()) lock.lock();
    }
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace histfs::gitstore
