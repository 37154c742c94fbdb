#pragma once
// Changing the files on the daemon's own behalf (restore, pull, merge): every
// write goes through the mount, so editors, indexers and inotify watchers on
// it see each change exactly as if a program had made it, and the kernel's
// caches stay right. The result is one commit, labelled by the caller.
#include <map>
#include <string>
#include <vector>

#include "gitstore/change_set.hpp"
#include "gitstore/tree_overlay.hpp"
#include "tools/histfs/daemon/context.hpp"

namespace histfs::daemon {

struct WriteStep {
  enum Kind { Write, Delete, Rename } kind;
  std::string path;  // relative to the mount root
  gitstore::TreeEntryInfo entry{};
  std::string from;                      // Rename: the old path (then `entry` is the content at `path`)
  gitstore::TreeEntryInfo from_entry{};  // Rename: the content at `from`
};

// What turns `current` into `wanted` (both: every file by path).
std::vector<WriteStep> diff_files(const std::map<std::string, gitstore::TreeEntryInfo>& current,
                                  const std::map<std::string, gitstore::TreeEntryInfo>& wanted);

// The content each Write or Rename of `steps` puts at its path.
std::map<std::string, gitstore::TreeEntryInfo> files_written(const std::vector<WriteStep>& steps);

// Commits what is pending now; throws when that commit failed.
void flush(DaemonContext& daemon);

// Turns a Delete of `from` and a Write of `to` into one Rename for each pair, so watchers see
// a move (MOVED_FROM/MOVED_TO) rather than a delete and a create; pairs whose steps are
// not both there are left alone.
void apply_renames(std::vector<WriteStep>& steps, const std::vector<std::pair<std::string, std::string>>& renames);

// Deletes, then renames, then writes, through the mount, then commits it all as one commit with `label`.
// Serialized with every other caller by DaemonContext::mount_writer.
void commit_through_mount(DaemonContext& daemon, const std::vector<WriteStep>& steps, gitstore::CommitLabel label);

}  // namespace histfs::daemon
