// The first connection to a remote that has history: both sides' files kept, --prefer deciding shared paths.
#include "tools/histfs/daemon/remote_sync.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "gitstore/repository.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/sync_common.hpp"

namespace histfs::daemon {

using nlohmann::json;

json RemoteSync::do_import(bool prefer_remote) {
  auto remote = fetch();
  if (!remote) return do_push(false);
  flush(daemon_);
  const auto head = repo_.ref(gitstore::kBranchRef);
  std::string kept;
  if (head && prefer_remote) {
    // The state before the import stays easy to find, as a tag.
    std::string stamp = gitstore::format_instant(now_seconds());
    std::replace(stamp.begin(), stamp.end(), ':', '-');
    kept = "before-connect-" + stamp;
    repo_.tag_commit(kept, *head);
  }
  // Connect never deletes on either side: the files become the union of both, and where both
  // have a path, --prefer says whose content is kept (the other stays in history: both
  // commits are parents of the result).
  const auto local = repo_.files_of(head);
  const auto theirs = repo_.files_of(*remote);
  auto wanted = local;
  json replaced = json::array();
  for (const auto& [path, entry] : theirs) {
    auto mine = wanted.find(path);
    if (mine == wanted.end()) {
      wanted.emplace(path, entry);
    } else if (!(mine->second == entry)) {
      replaced.push_back({{"path", path},
                          {"kept", prefer_remote ? "remote" : "local"},
                          {"other_in", short_id(prefer_remote ? *head : *remote)}});
      if (prefer_remote) mine->second = entry;
    }
  }
  std::vector<std::pair<std::string, std::string>> busy;
  keep_files_being_written(local, wanted, &busy);
  const auto steps = diff_files(local, wanted);
  set_phase(SyncPhase::Importing);
  // Shown by status and on the terminal of `histfs connect` (commit_through_mount counts the writes).
  const auto task = daemon_.progress.begin("connect import", "writing files");
  const gitstore::ProgressScope scope(task.get());
  // Nothing local (or nothing that differs): the remote's commit itself becomes HEAD.
  const std::optional<git_oid> adopt = !head || wanted == theirs ? std::optional<git_oid>(*remote) : std::nullopt;
  commit_through_mount(daemon_, steps,
                       {prefer_remote ? "connect: both sides' files, the remote's where both have one"
                                      : "connect: both sides' files, the local ones where both have one",
                        {},
                        head ? std::vector<git_oid>{*remote} : std::vector<git_oid>{},
                        adopt});
  json answer = {{"imported", prefer_remote ? "remote" : "local"},
                 {"files_changed", steps.size()},
                 {"kept_as_tag", kept},
                 {"replaced", replaced}};
  record_conflicts(busy, answer);
  spdlog::info("git_connect imported the remote's history: {} files written, {} kept from the {} side{}", steps.size(),
               replaced.size(), prefer_remote ? "remote" : "local",
               kept.empty() ? "" : "; the local state is tag " + kept);
  repo_.set_ref(kPushedRef, *remote);
  answer["push"] = do_push(false);
  return answer;
}

}  // namespace histfs::daemon
