#pragma once
// Talking to the backup remote with libgit2: push main and the tags, fetch
// main. A token, when given, goes only into the credential callback (HTTPS
// basic auth as GitHub expects, user x-access-token): never into a URL, the
// git config or a log line, and only to the remote's own host (no off-site
// redirects are followed, and the callback checks the host it is asked for).
// Every network call is bounded by a NetworkGuard. Used by one thread at a time.
#include <git2.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/network_guard.hpp"

namespace histfs::gitstore {

inline constexpr const char* kRemoteTrackingRef = "refs/remotes/origin/main";

// The remote could not be reached or refused us; the message is safe to show and log.
struct RemoteError : std::runtime_error {
  using runtime_error::runtime_error;
};

struct FetchResult {
  std::optional<git_oid> main;                // the remote's main; nullopt when it has none yet
  std::vector<std::string> new_tags;          // tags made here by this fetch (snapshots from elsewhere)
  std::vector<std::string> conflicting_tags;  // the remote's tags whose name we use for another commit
  bool head_missing = false;                  // the remote has main but its HEAD names no branch it has
};

// How far a transfer has come (objects and bytes), reported while it runs.
struct TransferProgress {
  size_t done = 0;   // objects received (fetch) or sent (push)
  size_t total = 0;  // objects to transfer, 0 while unknown
  size_t bytes = 0;
};

struct PushOutcome {
  std::vector<std::string> rejected;  // refs the server refused (non-fast-forward, hooks...)
};

class RemoteClient {
 public:
  // `guard` (may be null) bounds every network call and can cancel them (network_guard.hpp).
  // `repo` may be null for is_empty() alone: a remote checked before any git dir exists.
  RemoteClient(git_repository* repo, std::string url, std::string token, NetworkGuard* guard = nullptr);

  // Pushes refs/heads/main and every tag. Throws RemoteError when the push could not happen.
  // main moves only from the remote's value as the server advertises it (a smart-HTTP server
  // checks it under its lock) or, for a local remote, from `last_seen` (nullopt: the remote
  // must not have main yet); otherwise it is rejected and nothing of ours replaces theirs.
  PushOutcome push(const std::optional<git_oid>& last_seen = std::nullopt);
  // Fetches main into refs/remotes/origin/main and the tags we do not have, once every new
  // tree they bring passed check_new_history (else UnsafePathError, and nothing is kept).
  FetchResult fetch();
  // True when the remote has no refs at all.
  bool is_empty();

  const std::string& url() const { return url_; }
  // Called (on the calling thread) as objects arrive or leave; at most a few times a second.
  void on_progress(std::function<void(const TransferProgress&)> report) { report_ = std::move(report); }
  // Short-lived tokens (a GitHub App's): when the server refuses the token, `renew` is asked
  // once for a fresh one and the request retried with it. It may throw RemoteError.
  void on_token_refused(std::function<std::string()> renew) { renew_token_ = std::move(renew); }

 private:
  git_remote_callbacks callbacks();
  // fetch() through libgit2's transport (HTTPS, SSH): main and the tags land in quarantine.
  void fetch_over_network(FetchResult& result);
  // fetch() from a repository on this machine: objects copied, not packed and sent (local_transfer.hpp).
  void fetch_local(const std::string& path, FetchResult& result);
  // The repository at a local remote's `path`; RemoteError (`what` the remote: ...) when there is none.
  RepositoryPtr open_local(const std::string& path, const char* what);
  // copy_missing_objects, reporting progress; its failure is a RemoteError (`what` the remote: ...).
  void copy_objects(git_repository* from, git_repository* to, const std::vector<git_oid>& tips, const char* what);
  // push() to a repository on this machine: objects copied (local_transfer.hpp), then main
  // moved by compare-and-swap from `last_seen`.
  PushOutcome push_local(const std::string& path, const std::optional<git_oid>& last_seen);
  void move_local_main(git_repository* target, const git_oid& pushed, const std::optional<git_oid>& last_seen,
                       PushOutcome& outcome);
  RemotePtr make_remote();
  [[noreturn]] void fail(const std::string& what);

  git_repository* repo_;
  NetworkGuard* guard_;
  std::string url_;
  std::string token_;
  int credential_attempts_ = 0;
  PushOutcome* pushing_ = nullptr;  // the push in progress, for its callback
  std::function<void(const TransferProgress&)> report_;
  std::function<std::string()> renew_token_;
  void report(const TransferProgress& progress);
  std::chrono::steady_clock::time_point last_report_{};
};

// "host[:port]" of an http(s) URL, lower-cased; "" for other URLs.
std::string url_authority(const std::string& url);

// The path of a local remote (a plain path or file://), nullopt for a network one.
std::optional<std::string> local_remote_path(const std::string& url);

// The URL with any user:password@ removed, for messages.
std::string redact_url(const std::string& url);

}  // namespace histfs::gitstore
