#include "tools/histfs/daemon/mount_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "gitstore/repo_path.hpp"
#include "tools/histfs/daemon/no_follow_writer.hpp"

namespace histfs::daemon {
namespace {

constexpr auto kFlushTimeout = std::chrono::seconds(120);

constexpr long kFuseSuperMagic = 0x65735546;

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
  const std::string content = d.history.blob_content(step.entry.oid);
  if (step.entry.mode == GIT_FILEMODE_LINK)
    writer.write_symlink(step.path, content);
  else
    writer.write_file(step.path, content, step.entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE);
}

}  // namespace

std::vector<WriteStep> diff_files(const std::map<std::string, gitstore::TreeEntryInfo>& current,
                                  const std::map<std::string, gitstore::TreeEntryInfo>& wanted) {
  std::vector<WriteStep> steps;
  for (const auto& [file, entry] : current)
    if (!wanted.count(file)) steps.push_back({WriteStep::Delete, file, entry});
  for (const auto& [file, entry] : wanted) {
    auto now = current.find(file);
    if (now == current.end() || !(now->second == entry)) steps.push_back({WriteStep::Write, file, entry});
  }
  return steps;
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
  // One commit for all of it: no batch is cut while the writes go through the mount.
  d.changes.hold();
  try {
    const int root_fd = open_mount_root(d);
    struct Closer {
      int fd;
      ~Closer() { close(fd); }
    } closer{root_fd};
    NoFollowWriter writer(root_fd);
    for (const auto& step : steps)
      if (step.kind == WriteStep::Delete) write_step(d, writer, step);
    for (const auto& step : steps)
      if (step.kind == WriteStep::Write) write_step(d, writer, step);
  } catch (...) {
    d.changes.release();
    throw;
  }
  d.changes.label_next_commit(std::move(label));
  d.changes.release();
  flush(d);
}

}  // namespace histfs::daemon
