// The push policy: what is pushed when, the mass-delete hold, a rejected push becoming fetch, merge, push.
#include "tools/histfs/daemon/remote_sync.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "gitstore/remote.hpp"
#include "gitstore/repository.hpp"
#include "tools/histfs/daemon/sync_common.hpp"

namespace histfs::daemon {

using nlohmann::json;

size_t RemoteSync::deletions_since_pushed(const git_oid& head) {
  auto base = repo_.ref(kPushedRef);
  if (!base) base = repo_.ref(gitstore::kRemoteTrackingRef);
  return base ? repo_.deletions(*base, head) : 0;
}

json RemoteSync::do_push(bool allow_mass_delete) {
  {
    std::lock_guard lock(mutex_);
    // After a refused rewrite, pushing would only be rejected again: wait for the user.
    if (state_.refused) return {{"pushed", false}, {"refused", *state_.refused}};
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto head = repo_.ref(gitstore::kBranchRef);
    if (!head) return {{"pushed", false}, {"reason", "nothing to push yet"}};
    const auto pushed = repo_.ref(kPushedRef);
    const auto tags = repo_.tag_names();
    const bool tags_pushed = std::includes(pushed_tags_.begin(), pushed_tags_.end(), tags.begin(), tags.end());
    if (pushed && gitstore::same_oid(*pushed, *head) && tags_pushed && attempt == 0 && !allow_mass_delete) {
      std::lock_guard lock(mutex_);
      state_.phase = state_.resting_phase();
      state_.unpushed_commits = 0;
      return {{"pushed", false}, {"reason", "already up to date"}, {"head", oid_hex(*head)}};
    }
    const size_t deleted = deletions_since_pushed(*head);
    if (deleted > settings_.max_delete && !allow_mass_delete) {
      const std::string reason = "the unpushed commits delete " + std::to_string(deleted) +
                                 " files, more than git.maxDelete (" + std::to_string(settings_.max_delete) +
                                 "); run `histfs push --allow-mass-delete` to push them";
      std::lock_guard lock(mutex_);
      if (state_.held != reason) spdlog::warn("git_push held: {}", reason);
      state_.held = reason;
      state_.phase = SyncPhase::Held;
      return {{"pushed", false}, {"held", reason}};
    }
    set_phase(SyncPhase::Pushing);
    upload_lfs(*head);  // a commit never reaches the remote before its LFS objects
    auto outcome = client().push(repo_.ref(gitstore::kRemoteTrackingRef));
    if (outcome.rejected.empty()) {
      repo_.set_ref(kPushedRef, *head);
      repo_.set_ref(gitstore::kRemoteTrackingRef, *head);
      pushed_tags_ = tags;  // a tag made during the push is not in `tags`: the next push takes it
      std::lock_guard lock(mutex_);
      state_.last_push = now_seconds();
      state_.held.reset();
      state_.last_error.clear();
      state_.phase = state_.resting_phase();
      state_.unpushed_commits = 0;
      spdlog::info("git_push {} to {}", short_id(*head), gitstore::redact_url(settings_.url));
      return {{"pushed", true}, {"head", oid_hex(*head)}};
    }
    // The remote moved on: bring its history in, then try again.
    spdlog::info("git_push rejected ({}); fetching to merge", outcome.rejected.front());
    json merged = do_fetch(false);
    if (merged.contains("refused") || merged.contains("held")) return merged;
  }
  throw gitstore::RemoteError("the remote kept rejecting the push");
}

}  // namespace histfs::daemon
