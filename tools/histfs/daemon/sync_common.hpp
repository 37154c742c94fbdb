#pragma once
// What the remote sync's files (remote_sync, remote_push, remote_pull, remote_import) share.
#include <chrono>
#include <cstdint>
#include <string>

#include "gitstore/git_handle.hpp"

namespace histfs::daemon::sync {

inline constexpr const char* kPushedRef = "refs/histfs/pushed";  // what we last pushed: a force-push must keep it

inline std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline std::string short_id(const git_oid& oid) { return gitstore::oid_hex(oid).substr(0, 12); }

}  // namespace histfs::daemon::sync

namespace histfs::daemon {
// Every remote_*.cpp uses these by their short names.
using gitstore::oid_hex;
using sync::kPushedRef;
using sync::now_seconds;
using sync::short_id;
}  // namespace histfs::daemon
