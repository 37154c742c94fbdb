#pragma once
// Keeps main in step with the backup remote: pushes after every commit (and
// again every git.autoPushInterval while something is unpushed), fetches when
// a webhook or `histfs pull` asks and every git.fetchInterval, and brings
// fetched history into the files: a fast-forward is written through the
// mount; diverged histories are merged (conflicts keep both sides); a remote
// that rewrote what we pushed is refused unless git.allowNonFF. Pushing never
// blocks a filesystem operation: it runs on its own thread, with its own
// repository handle, retrying with exponential backoff and jitter.
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gitstore/lfs_transfer.hpp"
#include "gitstore/remote.hpp"
#include "gitstore/repo_path.hpp"
#include "gitstore/sync_repository.hpp"
#include "tools/histfs/daemon/context.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/remote_state.hpp"
#include "tools/histfs/settings/remote_settings.hpp"
#include "tools/histfs/settings/token_source.hpp"

namespace histfs::daemon {

using settings::RemoteSettings;

class RemoteSync {
 public:
  // catch_up: fetch and push once right away (a mount starting). A fresh `histfs connect`
  // passes false: its own first push or import must come before anything automatic.
  RemoteSync(DaemonContext& daemon, RemoteSettings settings, bool catch_up = true);
  ~RemoteSync();
  RemoteSync(const RemoteSync&) = delete;
  RemoteSync& operator=(const RemoteSync&) = delete;

  void start();
  void stop();

  void commit_made();                       // any thread: push soon
  void fetch_soon(const std::string& why);  // any thread: a webhook delivery, say
  // Blocking, for `histfs push` and `histfs pull` (run on the sync thread, waited for).
  nlohmann::json push_now(bool allow_mass_delete);
  nlohmann::json pull_now(bool allow_mass_delete = false);
  // The first connection to a remote that already has history: `prefer` is "remote" (its
  // files replace ours; our state is tagged first) or "local" (our files stay; its
  // history becomes a parent of a merge commit).
  nlohmann::json import_now(const std::string& prefer);
  nlohmann::json status();
  // The credential git uses (a token file's, or a GitHub App's renewed token): for Git LFS
  // and anything else that talks to the remote's host, so all use the same token.
  settings::TokenSource& token_source() { return *tokens_; }
  // Any thread: brings one Git LFS object from the remote into the local store (a .history
  // read or a restore of content not fetched yet). Throws gitstore::LfsError.
  void fetch_lfs_object(const gitstore::LfsPointer& pointer);
  // Any thread: the timing and policy keys (push and fetch intervals, allowNonFF, maxDelete) of
  // `next` replace the current ones at the sync thread's next wake-up (the URL, token and
  // network timeout stay as they were started).
  void apply_settings(const RemoteSettings& next);

 private:
  enum class Job { None, Push, Fetch, ImportLocal, ImportRemote };
  void run();
  nlohmann::json do_push(bool allow_mass_delete);
  nlohmann::json do_fetch(bool allow_mass_delete);
  nlohmann::json integrate(const git_oid& remote_head, bool allow_mass_delete);
  // A pull that would delete more than git.maxDelete files here: held, nothing written.
  std::optional<nlohmann::json> hold_mass_delete(const std::vector<WriteStep>& steps, const git_oid& remote,
                                                 bool allow_mass_delete);
  // integrate(), with a tree that holds an unsafe path refused as a whole.
  nlohmann::json integrate_or_refuse(const git_oid& remote_head, bool allow_mass_delete);
  nlohmann::json refuse_unsafe(const gitstore::UnsafePathError& error);
  nlohmann::json do_import(bool prefer_remote);
  void record_conflicts(const std::vector<std::pair<std::string, std::string>>& conflicts, nlohmann::json& answer);
  void keep_files_being_written(const std::map<std::string, gitstore::TreeEntryInfo>& current,
                                std::map<std::string, gitstore::TreeEntryInfo>& wanted,
                                std::vector<std::pair<std::string, std::string>>* conflicts = nullptr);
  gitstore::RemoteClient client();
  // Git LFS (remote_lfs.cpp). Before a push: uploads every object the pushed commits refer to.
  void upload_lfs(const git_oid& head);
  // Before `files` are written: downloads their objects; the held answer, naming the file,
  // when one cannot be had (nothing is written then).
  std::optional<nlohmann::json> fetch_lfs(const std::map<std::string, gitstore::TreeEntryInfo>& files,
                                          const git_oid& remote);
  gitstore::LfsTransferOptions lfs_options();
  // Fetches main and the tags (logging snapshots that arrive); the remote's main.
  std::optional<git_oid> fetch();
  size_t deletions_since_pushed(const git_oid& head);
  nlohmann::json run_on_thread(Job job, bool allow_mass_delete);
  // Shows `phase` in status while an operation runs (mutex_ not held).
  void set_phase(SyncPhase phase);

  DaemonContext& daemon_;
  RemoteSettings settings_;
  std::shared_ptr<settings::TokenSource> tokens_ = settings::make_token_source(settings_);  // asked per connection
  gitstore::SyncRepository repo_;      // used by the sync thread once started
  gitstore::NetworkGuard network_;     // bounds every remote call; stop() cancels them
  std::set<std::string> pushed_tags_;  // sync thread only

  // Guards everything below. Lock order: after DaemonContext::mount_writer (a pull holds
  // that while it records conflicts); never held across a network call or libgit2.
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool push_wanted_ = true;  // push (and catch up) once at start
  bool fetch_wanted_ = true;
  std::string fetch_reason_ = "start-up";
  std::optional<RemoteSettings> next_settings_;  // apply_settings(): adopted by the sync thread
  struct Request {
    Job job;
    bool allow_mass_delete;
    std::optional<nlohmann::json> answer;
    std::string error;
  };
  std::vector<Request*> requests_;
  std::chrono::steady_clock::time_point next_try_{};  // backoff after a failure
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point last_fetch_attempt_{};
  RemoteState state_;
  std::thread thread_;
};

}  // namespace histfs::daemon
