#pragma once
// What the history of main says about a time window, for `histfs report`: how many commits,
// how many file changes they made and how many bytes of new content they stored. Read from
// git, so it survives restarts and agrees with `git log`.
#include <cstdint>
#include <string>

namespace histfs::gitstore {

struct HistoryStats {
  std::uint64_t commits = 0;  // reachable from main, committed at or after `since`
  std::uint64_t merges = 0;   // of those, with more than one parent
  // Paths each commit changed against its first parent (no rename detection: a move is one
  // removal and one addition, as in `git log --raw --no-renames`).
  std::uint64_t files_added = 0, files_modified = 0, files_deleted = 0;
  // The sizes of the blobs the added and modified paths point at: new content stored (an
  // LFS file counts its pointer; its content is in the LFS counters).
  std::uint64_t bytes = 0;
  std::int64_t oldest = 0, newest = 0;  // commit times (unix seconds) of the commits counted, 0 = none

  std::uint64_t files_changed() const { return files_added + files_modified + files_deleted; }
};

// Opens `git_dir` on the calling thread; throws GitError.
HistoryStats history_stats(const std::string& git_dir, std::int64_t since);

}  // namespace histfs::gitstore
