#pragma once
// What the remote sync is doing and has done, as `histfs status` shows it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gitstore/lfs_transfer.hpp"
#include "gitstore/remote.hpp"

namespace histfs::daemon {

enum class SyncPhase {
  Starting,  // nothing tried yet
  InSync,    // the remote has our HEAD and tags
  Pushing,
  Fetching,
  Merging,    // writing fetched history into the files
  Importing,  // the first connection to a remote that has history
  Retrying,   // the last attempt failed; backing off
  Held,       // a push waits for --allow-mass-delete
  Refused,    // the remote rewrote what we pushed; waits for the user
};

const char* to_string(SyncPhase phase);

struct ConflictCopy {
  std::string path;  // the file that kept the local version
  std::string copy;  // where the remote's version was written
  std::int64_t time = 0;
};

struct RemoteState {
  std::string url;  // redacted
  SyncPhase phase = SyncPhase::Starting;
  std::optional<std::int64_t> last_push, last_fetch, last_webhook;  // unix seconds
  std::string last_error;
  std::optional<std::string> held;          // why a push is held
  std::optional<std::string> pull_held;     // why a pull is held (it would delete more than git.maxDelete)
  std::optional<std::string> head_warning;  // the remote's HEAD names a branch it does not have
  std::optional<std::string> refused;       // why a pull is refused
  std::vector<ConflictCopy> conflicts;
  size_t unpushed_commits = 0;
  // While pushing, fetching or importing: objects done of total (0 = unknown) and bytes.
  std::optional<gitstore::TransferProgress> progress;
  // Git LFS: what the last push found to upload (0 once uploaded), and a transfer under way.
  std::uint64_t lfs_unpushed_objects = 0, lfs_unpushed_bytes = 0;
  std::optional<gitstore::LfsProgress> lfs_progress;

  // The phase to show when no operation is running.
  SyncPhase resting_phase() const {
    if (refused) return SyncPhase::Refused;
    if (held || pull_held) return SyncPhase::Held;
    return SyncPhase::InSync;
  }
  nlohmann::json to_json() const;
};

}  // namespace histfs::daemon
