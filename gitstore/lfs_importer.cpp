#include "gitstore/lfs_importer.hpp"

#include <fcntl.h>

#include <cerrno>
#include <system_error>

#include <spdlog/spdlog.h>

#include "gitstore/dir_walk.hpp"
#include "gitstore/printable.hpp"
#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {
namespace {

// Results nobody took (the file was removed or rewritten before its next batch) are dropped
// beyond this many, oldest version first.
constexpr std::size_t kKeptResults = 16;

template <typename Map>
void bound(Map& map) {
  while (map.size() > kKeptResults) map.erase(map.begin());
}

}  // namespace

FileVersion FileVersion::of(const struct stat& st) {
  return {st.st_dev, st.st_ino, std::uint64_t(st.st_size),
          std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

LfsImporter::LfsImporter(LfsStore& store, int root_fd, std::function<void()> imported)
    : store_(store), root_fd_(root_fd), imported_(std::move(imported)) {}

LfsImporter::~LfsImporter() { stop(); }

void LfsImporter::stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queued_.clear();
    thread.swap(thread_);
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread.joinable()) thread.join();
}

LfsImporter::Answer LfsImporter::take_or_queue(const std::string& path, const struct stat& st) {
  const FileVersion version = FileVersion::of(st);
  std::lock_guard lock(mutex_);
  if (auto done = done_.find(version); done != done_.end()) {
    Answer answer{Answer::State::Ready, done->second, ""};
    done_.erase(done);
    return answer;
  }
  if (auto failed = failed_.find(version); failed != failed_.end()) {
    Answer answer{Answer::State::Failed, std::nullopt, failed->second};
    failed_.erase(failed);
    return answer;
  }
  if (stopping_) return {Answer::State::Failed, std::nullopt, "the importer has stopped"};
  const bool underway = current_ && *current_ == version;
  if (!underway) {
    // Started with the first import, not before: the daemon may fork (daemonize) after
    // building its parts, and a thread does not cross a fork.
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    auto [it, inserted] = queued_.insert_or_assign(path, version);
    if (inserted)
      spdlog::info("lfs: importing {} ({} MiB) in the background; it is committed once imported", printable(path),
                   version.size >> 20);
    wake_.notify_all();
  }
  return {Answer::State::Queued, std::nullopt, ""};
}

std::size_t LfsImporter::busy() const {
  std::lock_guard lock(mutex_);
  return queued_.size() + (current_ ? 1 : 0);
}

bool LfsImporter::pending(const std::string& path) const {
  std::lock_guard lock(mutex_);
  return queued_.count(path) > 0 || (current_ && current_path_ == path);
}

std::optional<LfsPointer> LfsImporter::import(const std::string& path, const FileVersion& version) {
  const int raw = open_file_at(root_fd_, path);
  if (raw < 0) {
    if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) return std::nullopt;  // moved or gone: asked again
    throw std::system_error(errno, std::generic_category(), "open");
  }
  UniqueFd fd(raw);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw std::system_error(errno, std::generic_category(), "stat");
  if (!S_ISREG(st.st_mode) || !(FileVersion::of(st) == version)) return std::nullopt;
  // Checked before every MiB, so a file still being written is given up at once, not at its end.
  auto unchanged = [&] {
    struct stat now;
    return !cancel_ && fstat(fd.get(), &now) == 0 && FileVersion::of(now) == version;
  };
  auto pointer = store_.import_fd(fd.get(), version.size, unchanged);
  if (!pointer || !unchanged()) return std::nullopt;
  return pointer;
}

void LfsImporter::run() {
  for (;;) {
    std::string path;
    FileVersion version;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
      if (stopping_) return;
      auto first = queued_.begin();
      path = first->first;
      version = first->second;
      queued_.erase(first);
      current_ = version;
      current_path_ = path;
    }
    std::optional<LfsPointer> pointer;
    std::string error;
    try {
      pointer = import(path, version);
    } catch (const std::exception& failure) {
      error = failure.what();
      spdlog::warn("lfs: background import of {} failed ({}); the commit will import it itself", printable(path),
                   error);
    }
    {
      std::lock_guard lock(mutex_);
      current_.reset();
      if (pointer) {
        done_.insert_or_assign(version, *pointer);
        bound(done_);
      } else if (!error.empty()) {
        failed_.insert_or_assign(version, error);
        bound(failed_);
      }
      if (stopping_) return;
    }
    if (pointer) spdlog::info("lfs: imported {} ({} MiB)", printable(path), version.size >> 20);
    // A version that changed underway is not announced: the change that made it brings a newer one.
    if ((pointer || !error.empty()) && imported_) {
      try {
        imported_();
      } catch (const std::exception& failure) {
        spdlog::error("lfs: after an import: {}", failure.what());
      }
    }
  }
}

}  // namespace histfs::gitstore
