#pragma once
// Config changes on a running mount: `histfs config set` and the reload on SIGHUP. Some keys
// take effect at once (the list in live_config.cpp); the others wait for the next mount, and
// the answer says which.
#include <string>
#include <string_view>
#include <vector>

#include "gitstore/identity.hpp"
#include "tools/histfs/daemon/context.hpp"
#include "tools/histfs/settings/config.hpp"

namespace histfs::daemon {

struct LiveConfigResult {
  std::vector<std::string> applied;     // keys whose new value is in effect now
  std::vector<std::string> next_mount;  // keys whose new value takes effect at the next mount
};

// git.authors and git.committer.* as commits use them (the config has checked every entry).
gitstore::Identities identities_of(const settings::Config& config);

// True for a key a running mount can change (git.autoPushInterval, log.level, git.authors, ...).
bool is_live_key(std::string_view key);

// Compares `next` (which has passed settings::validate) with the config in effect, key by key:
// a changed live key is applied to the services and to DaemonContext::config; any other changed
// key is remembered in DaemonContext::config_next_mount and listed in next_mount. Thread-safe:
// config_mutex is taken for the comparison and the bookkeeping, never while a service is called.
LiveConfigResult apply_live_config(DaemonContext& daemon, const settings::Config& next);

// SIGHUP: reads the mount's config file again (when it has one), applies the mount's
// command-line overrides over it, and apply_live_config(). Throws settings::ConfigError with
// start-up's message when the file is now wrong; nothing changes then.
LiveConfigResult reload_config(DaemonContext& daemon);

}  // namespace histfs::daemon
