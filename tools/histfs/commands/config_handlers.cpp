// The daemon's side of config, and the get and list answers it shares with --config FILE.
#include <mutex>
#include <stdexcept>
#include <string>

#include "tools/histfs/commands/config_commands.hpp"
#include "tools/histfs/daemon/live_config.hpp"
#include "tools/histfs/settings/config_file_writer.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

// One `config set` at a time: each reads, changes and replaces the whole file. Lock order:
// taken first (nothing is held when it is taken); held across the file's rewrite and
// apply_live_config (DaemonContext::config_mutex, RemoteSync::mutex_).
std::mutex config_writes;

json key_json(const settings::SourcedConfig& sources, const std::string& key,
              const std::map<std::string, std::string>& next_mount) {
  const auto origin = sources.origins.find(key);
  json entry = {{"key", key},
                {"value", settings::get_setting(sources.config, key)},
                {"origin", origin_name(origin == sources.origins.end() ? settings::Origin::Default : origin->second)},
                {"live", daemon::is_live_key(key)}};
  const auto pending = next_mount.find(key);
  entry["next_mount"] = pending == next_mount.end() ? json(nullptr) : json(pending->second);
  return entry;
}

json handle_set(daemon::DaemonContext& d, const std::string& key, const std::string& value) {
  std::lock_guard writes(config_writes);
  settings::Config next;
  {
    std::lock_guard lock(d.config_mutex);
    next = d.config;
    // Values set earlier that wait for the next mount stay waiting (apply_live_config compares all).
    for (const auto& [pending, pending_value] : d.config_next_mount)
      settings::apply_setting(next, pending, pending_value);
  }
  settings::apply_setting(next, key, value);  // an unknown key or a bad value: start-up's message
  settings::validate(next);
  const std::string file = [&] {
    std::lock_guard lock(d.config_mutex);
    return d.config_sources.file;
  }();
  if (file.empty())
    throw std::invalid_argument(
        "this mount has no config file (it was mounted without --config FILE), so nothing would keep the "
        "setting: remount with --config FILE (a file holding {} will do)");
  settings::set_in_config_file(file, key, value);
  bool overridden = false;
  {
    std::lock_guard lock(d.config_mutex);
    auto& overrides = d.config_sources.overrides;
    // The value just set wins over the command line's until the next mount (a SIGHUP reload too).
    overridden = std::erase_if(overrides, [&](const auto& entry) { return entry.first == key; }) > 0;
    d.config_sources.origins[key] = settings::Origin::Set;
  }
  const daemon::LiveConfigResult result = daemon::apply_live_config(d, next);
  return {{"action", "set"},
          {"key", key},
          {"value", settings::get_setting(next, key)},
          {"file", file},
          {"applied", daemon::is_live_key(key)},
          {"next_mount", !result.next_mount.empty()},
          {"offline", false},
          {"overridden", overridden}};
}

}  // namespace

json config_get_answer(const settings::SourcedConfig& sources, const std::string& key,
                       const std::map<std::string, std::string>& next_mount) {
  settings::get_setting(sources.config, key);  // an unknown key: the message with its suggestion
  json answer = key_json(sources, key, next_mount);
  answer["action"] = "get";
  return answer;
}

json config_list_answer(const settings::SourcedConfig& sources, const std::map<std::string, std::string>& next_mount) {
  json keys = json::array();
  for (const auto& [key, description] : settings::config_keys()) keys.push_back(key_json(sources, key, next_mount));
  return {{"action", "list"}, {"file", sources.file.empty() ? json(nullptr) : json(sources.file)}, {"keys", keys}};
}

json handle_config(daemon::DaemonContext& d, const json& request) {
  const std::string action = request.value("action", std::string());
  const std::string key = request.value("key", std::string());
  if (action == "set") return handle_set(d, key, request.value("value", std::string()));
  settings::SourcedConfig sources;
  std::map<std::string, std::string> next_mount;
  {
    std::lock_guard lock(d.config_mutex);
    sources = d.config_sources;
    sources.config = d.config;  // the values in effect
    next_mount = d.config_next_mount;
  }
  if (action == "get") return config_get_answer(sources, key, next_mount);
  if (action == "list") return config_list_answer(sources, next_mount);
  throw std::invalid_argument("config: expected get, set or list, got \"" + action + "\"");
}

}  // namespace histfs::commands
