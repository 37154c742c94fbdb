#include "tools/histfs/daemon/mount_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace histfs::daemon {
namespace {

namespace stdfs = std::filesystem;
constexpr auto kFlushTimeout = std::chrono::seconds(120);

constexpr long kFuseSuperMagic = 0x65735546;

// Once unmounted, the mount point is a plain directory (or the backing dir itself):
// writing there would bypass versioning, so every step first checks the mount is there.
void require_mounted(const DaemonContext& d) {
  struct statfs fs;
  if (statfs(d.mountpoint.c_str(), &fs) != 0 || fs.f_type != kFuseSuperMagic)
    throw std::runtime_error("the mount at " + d.mountpoint + " is gone; nothing more is written");
}

void write_step(DaemonContext& d, const WriteStep& step) {
  require_mounted(d);
  const stdfs::path target = stdfs::path(d.mountpoint) / step.path;
  std::error_code ignored;
  if (step.kind == WriteStep::Delete) {
    stdfs::remove(target, ignored);
    // Leave no directory behind that only held restored-away files.
    for (auto dir = target.parent_path(); dir != stdfs::path(d.mountpoint) && stdfs::is_empty(dir, ignored);
         dir = dir.parent_path())
      stdfs::remove(dir, ignored);
    return;
  }
  // A file where a directory must go (or the other way round) makes way.
  for (auto dir = target.parent_path(); dir != stdfs::path(d.mountpoint); dir = dir.parent_path())
    if (stdfs::is_symlink(dir, ignored) || (stdfs::exists(dir, ignored) && !stdfs::is_directory(dir, ignored)))
      stdfs::remove(dir, ignored);
  stdfs::create_directories(target.parent_path());
  if (stdfs::is_directory(stdfs::symlink_status(target, ignored))) stdfs::remove_all(target);
  const std::string content = d.history.blob_content(step.entry.oid);
  if (step.entry.mode == GIT_FILEMODE_LINK) {
    stdfs::remove(target, ignored);
    stdfs::create_symlink(content, target);
    return;
  }
  if (stdfs::is_symlink(target, ignored)) stdfs::remove(target, ignored);
  const mode_t mode = step.entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
  int fd = open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + step.path + ": " + strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      throw std::runtime_error("cannot write " + step.path + ": " + strerror(error));
    }
    done += size_t(n);
  }
  struct stat st;
  if (fstat(fd, &st) == 0) {
    const bool executable = step.entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE;
    const mode_t want = executable ? (st.st_mode | ((st.st_mode & 0444) >> 2)) : (st.st_mode & ~mode_t(0111));
    if ((want & 07777) != (st.st_mode & 07777)) fchmod(fd, want & 07777);
  }
  if (close(fd) != 0) throw std::runtime_error("cannot write " + step.path + ": " + strerror(errno));
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
  std::lock_guard writer(d.mount_writer);
  // One commit for all of it: no batch is cut while the writes go through the mount.
  d.changes.hold();
  try {
    for (const auto& step : steps)
      if (step.kind == WriteStep::Delete) write_step(d, step);
    for (const auto& step : steps)
      if (step.kind == WriteStep::Write) write_step(d, step);
  } catch (...) {
    d.changes.release();
    throw;
  }
  d.changes.label_next_commit(std::move(label));
  d.changes.release();
  flush(d);
}

}  // namespace histfs::daemon
