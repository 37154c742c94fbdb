#pragma once
// Talking to the backup remote with libgit2: push main and the tags, fetch
// main. A token, when given, goes only into the credential callback (HTTPS
// basic auth as GitHub expects, user x-access-token): never into a URL, the
// git config or a log line. Used by one thread at a time.
#include <git2.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {

inline constexpr const char* kRemoteTrackingRef = "refs/remotes/origin/main";

// The remote could not be reached or refused us; the message is safe to show and log.
struct RemoteError : std::runtime_error {
  using runtime_error::runtime_error;
};

struct PushOutcome {
  std::vector<std::string> rejected;  // refs the server refused (non-fast-forward, hooks...)
};

class RemoteClient {
 public:
  RemoteClient(git_repository* repo, std::string url, std::string token);

  // Pushes refs/heads/main and every tag. Throws RemoteError when the push could not happen.
  PushOutcome push();
  // Fetches main into refs/remotes/origin/main; nullopt when the remote has no main yet.
  std::optional<git_oid> fetch();
  // True when the remote has no refs at all.
  bool is_empty();

  const std::string& url() const { return url_; }

 private:
  git_remote_callbacks callbacks();
  RemotePtr make_remote();
  [[noreturn]] void fail(const std::string& what);

  git_repository* repo_;
  std::string url_;
  std::string token_;
  int credential_attempts_ = 0;
  PushOutcome* pushing_ = nullptr;  // the push in progress, for its callback
};

// The URL with any user:password@ removed, for messages.
std::string redact_url(const std::string& url);

}  // namespace histfs::gitstore
