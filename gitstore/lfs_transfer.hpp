#pragma once
// Moves Git LFS objects between the local store and a remote's: for an http(s) remote with
// the LFS batch API (basic transfer, HTTP basic auth as x-access-token with the token git
// uses, verify when the server asks); for a local or file:// remote by copying into its own
// lfs/objects, where git-lfs's standalone transfer agent looks. Every object is verified
// (size and SHA-256) before it enters a store. Used by one thread at a time; cancel() from any.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gitstore/lfs_store.hpp"

namespace histfs::gitstore {

class HttpClient;

struct LfsProgress {
  std::uint64_t objects_done = 0, objects_total = 0;
  std::uint64_t bytes_done = 0, bytes_total = 0;
};

struct LfsTransferOptions {
  std::string url;    // the git remote's URL
  std::string token;  // for http(s): the password of user x-access-token ("" = none)
  std::string ca_file;
  std::chrono::milliseconds timeout{60000};
};

// The batch API's endpoint for a git remote URL: <url>.git/info/lfs (".git" added when missing).
std::string lfs_endpoint(const std::string& git_url);

class LfsTransfer {
 public:
  LfsTransfer(LfsStore& local, LfsTransferOptions options);
  ~LfsTransfer();
  LfsTransfer(const LfsTransfer&) = delete;
  LfsTransfer& operator=(const LfsTransfer&) = delete;

  // Puts every object on the remote that it lacks. Throws LfsError (or HttpError) on the first
  // failure; what was uploaded stays uploaded.
  void upload(const std::vector<LfsPointer>& objects, const std::function<void(const LfsProgress&)>& progress = {});
  // Brings every object the local store lacks from the remote. Throws LfsError naming the
  // object on the first one that is missing there or arrives corrupt.
  void download(const std::vector<LfsPointer>& objects, const std::function<void(const LfsProgress&)>& progress = {});
  // Ends a transfer in progress (from any thread).
  void cancel();

 private:
  struct Action {
    std::string href;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  struct Answer {
    std::optional<Action> transfer;  // upload or download; none: nothing to do
    std::optional<Action> verify;
  };
  // One batch request for up to 100 objects: what to do for each, by oid.
  std::vector<Answer> batch(const std::string& operation, const std::vector<LfsPointer>& objects);
  void send_action(const std::string& what, const Action& action, const LfsPointer& pointer, bool upload,
                   const std::function<void(std::uint64_t)>& moved);
  void check_href(const std::string& href) const;

  LfsStore& local_;
  LfsTransferOptions options_;
  std::optional<std::string> remote_dir_;  // a local remote's lfs folder
  std::unique_ptr<HttpClient> http_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace histfs::gitstore
