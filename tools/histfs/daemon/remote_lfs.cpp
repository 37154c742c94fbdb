// Git LFS on the remote sync: objects go up before the commits that refer to them, and come
// down before the files that hold them are written (see docs/lfs.md).
#include <chrono>
#include <cmath>
#include <set>

#include <spdlog/spdlog.h>

#include "gitstore/http_client.hpp"
#include "gitstore/lfs_scan.hpp"
#include "gitstore/printable.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"
#include "tools/histfs/daemon/sync_common.hpp"
#include "tools/histfs/telemetry/events.hpp"

namespace histfs::daemon {

using nlohmann::json;

gitstore::LfsTransferOptions RemoteSync::lfs_options() {
  // The token git uses (a GitHub App's is renewed in memory): LFS goes to the same host.
  return {settings_.url, tokens_->token(), daemon_.config.git.ca_file, settings_.network_timeout};
}

void RemoteSync::upload_lfs(const git_oid& head) {
  std::vector<git_oid> remote_has;
  for (const char* ref : {gitstore::kRemoteTrackingRef, sync::kPushedRef})
    if (auto known = repo_.ref(ref)) remote_has.push_back(*known);
  const auto objects = gitstore::lfs_pointers_to_push(repo_.get(), head, remote_has);
  std::uint64_t bytes = 0;
  for (const auto& object : objects) bytes += object.size;
  {
    std::lock_guard lock(mutex_);
    state_.lfs_unpushed_objects = objects.size();
    state_.lfs_unpushed_bytes = bytes;
  }
  if (objects.empty()) return;
  auto store = gitstore::LfsStore::of_git_dir(daemon_.git_dir);
  const auto upload = [&](gitstore::LfsTransferOptions options) {
    gitstore::LfsTransfer transfer(store, std::move(options));
    transfer.upload(objects, [this](const gitstore::LfsProgress& progress) {
      std::lock_guard lock(mutex_);
      state_.lfs_progress = progress;
    });
  };
  const auto started = std::chrono::steady_clock::now();
  try {
    auto options = lfs_options();
    try {
      upload(options);
    } catch (const gitstore::LfsError& error) {
      // A short-lived token the server refused (a GitHub App's, revoked): renew once and retry, as git does.
      if (std::string_view(error.what()).find("got HTTP 401") == std::string_view::npos) throw;
      options.token = tokens_->renew_refused(options.token);
      if (options.token.empty()) throw;
      upload(options);
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    state_.lfs_progress.reset();
    throw;  // the push fails before any ref moved, and is retried with the backoff
  }
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  daemon_.metrics.lfs_upload(objects.size(), bytes);
  telemetry::Event("lfs_upload")  // the push cycle's id
      .with("objects", objects.size())
      .with("bytes", bytes)
      .with("duration_ms", std::llround(elapsed * 1000))
      .with("before", gitstore::oid_hex(head))
      .log(spdlog::level::info,
           fmt::format("lfs_push {} object(s), {} bytes, before {}", objects.size(), bytes, short_id(head)));
  std::lock_guard lock(mutex_);
  state_.lfs_progress.reset();
  state_.lfs_unpushed_objects = 0;
  state_.lfs_unpushed_bytes = 0;
}

std::optional<json> RemoteSync::fetch_lfs(const std::map<std::string, gitstore::TreeEntryInfo>& files,
                                          const git_oid& remote) {
  const auto pointers = gitstore::lfs_files(repo_.get(), files);
  if (pointers.empty()) return std::nullopt;
  std::vector<gitstore::LfsPointer> objects;
  for (const auto& [path, pointer] : pointers) objects.push_back(pointer);
  auto store = gitstore::LfsStore::of_git_dir(daemon_.git_dir);
  try {
    gitstore::LfsTransfer transfer(store, lfs_options());
    transfer.download(objects, [this](const gitstore::LfsProgress& progress) {
      std::lock_guard lock(mutex_);
      state_.lfs_progress = progress;
    });
  } catch (const std::exception& error) {
    // Name the file: the message names the object.
    const std::string what = error.what();
    std::string path;
    for (const auto& [file, pointer] : pointers)
      if (what.find(pointer.oid) != std::string::npos) path = file;
    const std::string reason =
        "the remote's " + short_id(remote) + " has " +
        (path.empty() ? std::string("a Git LFS file") : "\"" + gitstore::printable(path) + "\"") +
        " whose content cannot be fetched (" + what +
        "); nothing was written. The pull is tried again at the next fetch";
    spdlog::error("git_pull held: {}", reason);
    std::lock_guard lock(mutex_);
    state_.lfs_progress.reset();
    state_.pull_held = reason;
    state_.phase = SyncPhase::Held;
    return json{{"pulled", false}, {"held", reason}};
  }
  std::lock_guard lock(mutex_);
  state_.lfs_progress.reset();
  return std::nullopt;
}

void RemoteSync::fetch_lfs_object(const gitstore::LfsPointer& pointer) {
  auto store = gitstore::LfsStore::of_git_dir(daemon_.git_dir);
  gitstore::LfsTransfer transfer(store, lfs_options());
  transfer.download({pointer});
  spdlog::info("lfs_fetch {} ({} bytes) on demand", pointer.oid.substr(0, 12), pointer.size);
}

}  // namespace histfs::daemon
