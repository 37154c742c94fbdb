#include "tools/histfs/daemon/mount_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gitstore/progress.hpp"
#include "gitstore/repo_path.hpp"
#include "tools/histfs/daemon/no_follow_writer.hpp"

namespace histfs::daemon {
namespace {

constexpr auto kFlushTimeout = std::chrono::seconds(120);

constexpr long kFuseSuperMagic = 0x65735546;

// Writes through the mount run on up to this many threads, one per this many files.
constexpr std::size_t kWriters = 4;
constexpr std::size_t kWritesPerThread = 32;

// The mount's root, opened for one run of writes. Once unmounted, the mount point is a
// plain directory (or the backing dir itself): writing there would bypass versioning,
// so the root must be the FUSE mount, and a step whose walk leaves it fails.
int open_mount_root(const DaemonContext& d) {
  const int fd = open(d.mountpoint.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct statfs fs;
  if (fd < 0 || fstatfs(fd, &fs) != 0 || fs.f_type != kFuseSuperMagic) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("the mount at " + d.mountpoint + " is gone; nothing more is written");
  }
  return fd;
}

void write_step(DaemonContext& d, NoFollowWriter& writer, const WriteStep& step) {
  if (step.kind == WriteStep::Delete) {
    writer.remove_file(step.path);
    return;
  }
  if (step.kind == WriteStep::Rename && writer.rename_file(step.from, step.path)) {
    // A similar-content rename carries an edit too: the content is written after the move.
    if (!(step.from_entry == step.entry)) {
      // A file's content: an LFS pointer's is its object's, mapped from the store.
      const auto content = d.history.read_blob(step.entry.oid);
      writer.write_file(step.path, content->bytes(), step.entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE);
    }
    return;
  }
  if (step.entry.mode == GIT_FILEMODE_LINK) {
    writer.write_symlink(step.path, d.history.blob_content(step.entry.oid));
  } else {
    const auto content = d.history.read_blob(step.entry.oid);
    writer.write_file(step.path, content->bytes(), step.entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE);
  }
}

// Writes `writes` on up to kWriters threads. A write through the mount waits for the daemon's
// reply to each request (lookup, create, write, close), so one thread leaves the FUSE threads
// and the disk idle most of the time. The folders are made first, on this thread (see
// NoFollowWriter::make_parents). The first error stops the others and is rethrown here.
void write_side_by_side(DaemonContext& d, NoFollowWriter& writer, const std::vector<const WriteStep*>& writes,
                        gitstore::ProgressTask* progress) {
  std::string_view last_parent;
  for (const WriteStep* step : writes) {
    const auto slash = step->path.rfind('/');
    if (slash == std::string::npos || std::string_view(step->path).substr(0, slash) == last_parent) continue;
    last_parent = std::string_view(step->path).substr(0, slash);
    writer.make_parents(step->path);
  }
  if (writes.empty()) return;
  const std::size_t threads =
      std::clamp<std::size_t>((writes.size() + kWritesPerThread - 1) / kWritesPerThread, 1, kWriters);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;  // a leaf
  std::exception_ptr error;
  auto work = [&]() noexcept {
    try {
      for (std::size_t i = next++; i < writes.size() && !failed; i = next++) {
        write_step(d, writer, *writes[i]);
        gitstore::advance(progress, 1);
      }
    } catch (...) {
      failed = true;
      const std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  // The writes run on threads of their own, whose umask can be 0 (create_with_exact_modes)
  // while this one keeps the daemon's 077 for what it writes into the git dir later.
  std::vector<std::thread> helpers;
  helpers.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    try {
      helpers.emplace_back([&work] {
        NoFollowWriter::create_with_exact_modes();
        work();
      });
    } catch (...) {
      break;  // no thread to be had: fewer writers
    }
  }
  if (helpers.empty()) work();  // none at all: this thread writes, with a chmod a file
  for (auto& helper : helpers) helper.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<WriteStep> diff_files(const std::map<std::string, gitstore::TreeEntryInfo>& current,
                                  const std::map<std::string, gitstore::TreeEntryInfo>& wanted) {
  std::vector<WriteStep> steps;
  for (const auto& [file, entry] : current)
    if (!wanted.count(file)) steps.push_back({WriteStep::Delete, file, entry, {}, {}});
  for (const auto& [file, entry] : wanted) {
    auto now = current.find(file);
    if (now == current.end() || !(now->second == entry)) steps.push_back({WriteStep::Write, file, entry, {}, {}});
  }
  return steps;
}

void apply_renames(std::vector<WriteStep>& steps, const std::vector<std::pair<std::string, std::string>>& renames) {
  std::map<std::string, size_t> deletes, writes;
  for (size_t i = 0; i < steps.size(); ++i) (steps[i].kind == WriteStep::Delete ? deletes : writes)[steps[i].path] = i;
  std::vector<bool> dropped(steps.size(), false);
  auto pair_up = [&](const std::string& from, const std::string& to) {
    auto gone = deletes.find(from);
    auto made = writes.find(to);
    if (gone == deletes.end() || made == writes.end() || dropped[gone->second] || dropped[made->second]) return;
    WriteStep& step = steps[made->second];
    if (step.entry.mode == GIT_FILEMODE_LINK || steps[gone->second].entry.mode == GIT_FILEMODE_LINK) return;
    step.kind = WriteStep::Rename;
    step.from = from;
    step.from_entry = steps[gone->second].entry;
    dropped[gone->second] = true;
  };
  for (const auto& [from, to] : renames) pair_up(from, to);
  // Exact renames git did not report (a merge's result is no single diff): same content.
  std::map<std::string, std::string> deleted_by_blob;
  for (const auto& [path, index] : deletes)
    if (!dropped[index]) deleted_by_blob.emplace(gitstore::oid_hex(steps[index].entry.oid), path);
  for (const auto& [path, index] : writes) {
    if (steps[index].kind != WriteStep::Write) continue;
    auto same = deleted_by_blob.find(gitstore::oid_hex(steps[index].entry.oid));
    if (same == deleted_by_blob.end()) continue;
    pair_up(same->second, path);
    deleted_by_blob.erase(same);
  }
  std::vector<WriteStep> kept;
  for (size_t i = 0; i < steps.size(); ++i)
    if (!dropped[i]) kept.push_back(std::move(steps[i]));
  steps = std::move(kept);
}

std::map<std::string, gitstore::TreeEntryInfo> files_written(const std::vector<WriteStep>& steps) {
  std::map<std::string, gitstore::TreeEntryInfo> files;
  for (const auto& step : steps)
    if (step.kind != WriteStep::Delete) files.emplace(step.path, step.entry);
  return files;
}

void flush(DaemonContext& d) {
  const unsigned long ticket = d.changes.request_flush();
  if (!d.committer.wait_flushed(ticket, kFlushTimeout)) throw std::runtime_error("timed out waiting for the commit");
  const auto status = d.committer.status();
  if (!status.last_error.empty()) throw std::runtime_error("commit failed: " + status.last_error);
}

void commit_through_mount(DaemonContext& d, const std::vector<WriteStep>& steps, gitstore::CommitLabel label) {
  std::lock_guard writing(d.mount_writer);
  // Every path is checked before anything is written: a refused path changes nothing.
  for (const auto& step : steps) gitstore::check_tree_path(step.path);
  // The content of every LFS file is at hand (fetched now when missing) before anything is
  // written: a file that cannot be had fails the whole run, never half of it.
  for (const auto& [path, entry] : files_written(steps))
    if (entry.mode != GIT_FILEMODE_LINK && d.history.lfs_pointer(entry.oid)) d.history.read_blob(entry.oid);
  // One commit for all of it: no batch is cut while the writes go through the mount.
  d.changes.hold();
  try {
    const int root_fd = open_mount_root(d);
    struct Closer {
      int fd;
      ~Closer() { close(fd); }
    } closer{root_fd};
    NoFollowWriter writer(root_fd);
    // The caller's task (a restore, an import: gitstore::ProgressScope) counts the writes.
    gitstore::ProgressTask* progress = gitstore::current_progress();
    if (progress) {
      progress->set_state("writing files");
      progress->set_total(steps.size());
      progress->set_done(0, 0);
    }
    std::vector<const WriteStep*> writes;
    for (const auto kind : {WriteStep::Delete, WriteStep::Rename})
      for (const auto& step : steps)
        if (step.kind == kind) {
          write_step(d, writer, step);
          gitstore::advance(progress, 1);
        }
    for (const auto& step : steps)
      if (step.kind == WriteStep::Write) writes.push_back(&step);
    write_side_by_side(d, writer, writes, progress);
    if (progress) progress->set_state("committing");
  } catch (...) {
    d.changes.release();
    throw;
  }
  // Still held, so the writes are all in the batch of this generation.
  d.committer.label_batch(d.changes.generation(), std::move(label));
  d.changes.release();
  flush(d);
}

}  // namespace histfs::daemon
