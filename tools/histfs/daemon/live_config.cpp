#include "tools/histfs/daemon/live_config.hpp"

#include <algorithm>
#include <array>

#include <spdlog/spdlog.h>

#include "gitstore/identity.hpp"
#include "tools/histfs/daemon/housekeeping.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"
#include "tools/histfs/settings/remote_settings.hpp"

namespace histfs::daemon {
namespace {

using settings::Config;

// The keys a running mount can change, and who applies them (push_changes below).
constexpr std::array<std::string_view, 11> kLiveKeys = {
    "git.commitQuiet",     "git.commitMaxDelay", "git.autoPushInterval", "git.fetchInterval",  "git.allowNonFF",
    "git.maxDelete",       "log.level",          "git.authors",          "git.committer.name", "git.committer.email",
    "git.gc.looseObjects",
};

// Gives every service the live keys of `config` (whether or not they changed: each setter is cheap).
void push_changes(DaemonContext& daemon, const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log.level));
  daemon.committer.set_options({config.git.commit_quiet, config.git.commit_max_delay});
  gitstore::set_identities(identities_of(config));
  if (daemon.housekeeping) daemon.housekeeping->set_threshold(config.git.gc_loose_objects);
  if (auto sync = daemon.remote_sync()) {
    settings::RemoteSettings timing;
    settings::apply_config(timing, config);
    sync->apply_settings(timing);
  }
}

}  // namespace

gitstore::Identities identities_of(const Config& config) {
  gitstore::Identities identities;
  for (const auto& [user, text] : config.git.authors) {
    auto [name, email] = settings::parse_identity(text);
    identities.authors[user] = {std::move(name), std::move(email)};
  }
  identities.committer = {config.git.committer_name, config.git.committer_email};
  return identities;
}

bool is_live_key(std::string_view key) { return std::find(kLiveKeys.begin(), kLiveKeys.end(), key) != kLiveKeys.end(); }

LiveConfigResult apply_live_config(DaemonContext& daemon, const Config& next) {
  LiveConfigResult result;
  Config in_effect;
  {
    std::lock_guard lock(daemon.config_mutex);
    for (const auto& [key, description] : settings::config_keys()) {
      const std::string now = settings::get_setting(daemon.config, key);
      const std::string wanted = settings::get_setting(next, key);
      if (is_live_key(key)) {
        daemon.config_next_mount.erase(key);
        if (now == wanted) continue;
        settings::apply_setting(daemon.config, key, wanted);
        result.applied.push_back(key);
      } else if (now != wanted) {
        daemon.config_next_mount[key] = wanted;
        result.next_mount.push_back(key);
      } else {
        daemon.config_next_mount.erase(key);  // set back to the value in effect
      }
    }
    in_effect = daemon.config;
  }
  if (!result.applied.empty()) push_changes(daemon, in_effect);
  for (const auto& key : result.applied)
    spdlog::info("config: {} is now {}", key, settings::get_setting(in_effect, key));
  for (const auto& key : result.next_mount)
    spdlog::info("config: {} = {} takes effect at the next mount", key, settings::get_setting(next, key));
  return result;
}

LiveConfigResult reload_config(DaemonContext& daemon) {
  settings::SourcedConfig sources;
  {
    std::lock_guard lock(daemon.config_mutex);
    sources = daemon.config_sources;
  }
  settings::SourcedConfig reloaded = settings::load_sourced_config(sources.file, sources.overrides);
  {
    std::lock_guard lock(daemon.config_mutex);
    daemon.config_sources.origins = reloaded.origins;
  }
  return apply_live_config(daemon, reloaded.config);
}

}  // namespace histfs::daemon
