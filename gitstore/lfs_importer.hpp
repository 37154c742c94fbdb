#pragma once
// Imports large files into the LFS store on a thread of its own, so that hashing and copying
// a 1 GiB video never holds up the commit of a note saved meanwhile. The committer leaves
// such a file out of its batch (HEAD keeps the file's last committed version), asks for it
// here, and takes the pointer in a later batch; `imported` tells it when to look again.
//
// An import is of one version of a file: its inode, size and mtime. A version that changes
// while it is read is dropped (the writer's next change brings a newer one), so what is
// handed back is always the whole content of a version the committer saw.
//
// Threads: take_or_queue from the committer thread; the import runs on the importer's own
// thread; `imported` is called there, with no lock held. mutex_ is a leaf lock.
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "gitstore/lfs_store.hpp"

namespace histfs::gitstore {

// Which version of a file an import is of; a rename keeps it, a write changes it.
struct FileVersion {
  dev_t dev = 0;
  ino_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  static FileVersion of(const struct stat& st);
  auto tie() const { return std::tie(dev, ino, size, mtime_ns); }
  bool operator<(const FileVersion& other) const { return tie() < other.tie(); }
  bool operator==(const FileVersion& other) const { return tie() == other.tie(); }
};

class LfsImporter {
 public:
  // Files at least this large are imported in the background when the committer may defer.
  static constexpr std::uint64_t kBackgroundBytes = 16ull << 20;

  LfsImporter(LfsStore& store, int root_fd, std::function<void()> imported);
  ~LfsImporter();
  LfsImporter(const LfsImporter&) = delete;
  LfsImporter& operator=(const LfsImporter&) = delete;

  struct Answer {
    enum class State { Ready, Queued, Failed } state;
    std::optional<LfsPointer> pointer;  // Ready: the version's content is in the store
    std::string error;                  // Failed: why the import could not be done (import it inline)
  };
  // The pointer of the version of `path` that `st` describes when it is imported (and then
  // forgotten here); otherwise queues it (replacing an older version asked for `path`).
  Answer take_or_queue(const std::string& path, const struct stat& st);

  // Drops the queue, stops the import underway and joins the thread. Safe to call twice.
  void stop();

  // Versions queued or being imported (status, tests).
  std::size_t busy() const;
  // Whether a version of `path` is queued or being imported: when not, what was asked for it
  // is done (or dropped), and the next take_or_queue answers.
  bool pending(const std::string& path) const;

 private:
  void run();
  // Imports one version; the pointer, or nullopt when it changed underway. Throws on I/O errors.
  std::optional<LfsPointer> import(const std::string& path, const FileVersion& version);

  LfsStore& store_;
  int root_fd_;
  std::function<void()> imported_;

  mutable std::mutex mutex_;  // guards the fields below; a leaf lock
  std::condition_variable wake_;
  std::map<std::string, FileVersion> queued_;  // by path: the newest version asked for
  std::optional<FileVersion> current_;         // being imported now
  std::string current_path_;                   // and its path
  std::map<FileVersion, LfsPointer> done_;     // imported, not taken yet
  std::map<FileVersion, std::string> failed_;  // could not be imported, with why
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // read per chunk by the import underway
  std::thread thread_;               // started by the first take_or_queue; guarded by mutex_
};

}  // namespace histfs::gitstore
