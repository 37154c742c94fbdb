#pragma once
// Finding a running daemon from a path inside its mount, and asking it things.
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace histfs::cli {

struct ClientError : std::runtime_error {
  using runtime_error::runtime_error;
};

struct MountRef {
  std::string mountpoint;
  std::string git_dir;  // the mount's fsname: histfs names each mount after its git dir
  long owner = -1;      // the uid that mounted it (the kernel's user_id= option); -1 when unknown
};

// The histfs mount holding `path` (the longest matching mount point in /proc/self/mountinfo).
std::optional<MountRef> find_mount(const std::string& path);

// `--mount MOUNTPOINT` when given, else the current directory; a clear ClientError when no daemon serves it.
MountRef locate_mount(const std::string& mount_option);

// Sends one request and returns the response; a ClientError carries the daemon's error message.
// Nothing is sent unless the socket and the process answering on it belong to the mount's owner.
nlohmann::json call_daemon(const MountRef& mount, const nlohmann::json& request);

}  // namespace histfs::cli
