#pragma once
// The daemon's composition root: run_daemon() checks everything, builds the
// repository, committer, FUSE session, control server, remote sync and
// webhook server, runs the mount until it ends, then stops them in order.
#include <stdexcept>
#include <string>
#include <vector>

namespace histfs::daemon {

struct MountArguments {
  std::string backing;
  std::string mountpoint;
  std::string git_dir;
  std::string config_file;
  std::vector<std::string> fuse_options;
  std::vector<std::string> settings;  // --set key=value
  std::string commit_quiet, commit_max_delay, log_level, log_file;
  std::string history = "hidden";
  bool foreground = false;
  bool no_git = false;
  bool xattr = false;
  bool debug_fuse = false;
};

// A mistake in the command line or the places given (exit status 2).
struct UsageError : std::runtime_error {
  using runtime_error::runtime_error;
};

// Mounts and serves until unmounted; returns the exit status. Throws UsageError,
// settings::ConfigError or std::runtime_error before anything is created or mounted.
int run_daemon(const MountArguments& args);

}  // namespace histfs::daemon
